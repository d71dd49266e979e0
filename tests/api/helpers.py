"""Builders for valid request bodies and the problem+json assertion the API tests share."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.support import ADMIN_KEY, NOW, PORTAL_KEY, REVIEWER_KEY, auth

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://p2p-scheduler.org/problems/"

ADMIN = auth(ADMIN_KEY)
PORTAL = auth(PORTAL_KEY)
REVIEWER = auth(REVIEWER_KEY)
#: what a reviewer receives for a booking's provider links (SPEC §9: never the provider's)
NO_LINKS = {"invite_ics": None, "manage": None}

#: the member every built case is about; distinctive so a PHI leak is easy to spot
MEMBER_NAME = "Quinlan Zebedee-Marchetti"
MEMBER_ID = "MBR-ZX-99887766"
MEMBER_DOB = "1970-05-17"
WRONG_DOB = "1970-05-18"

#: NOW minus three days, written with a New York offset: 2026-11-20T10:00:00-05:00 (= 15:00Z)
THREE_DAYS_AGO = (NOW - timedelta(days=3)).astimezone(ZoneInfo("America/New_York")).isoformat()


def iso_z(value: str) -> str:
    """``2026-11-20T15:00:00+00:00`` → ``2026-11-20T15:00:00Z`` (how the API writes UTC)."""
    return value.replace("+00:00", "Z")


def member(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": MEMBER_NAME,
        "dob": MEMBER_DOB,
        "state": "PA",
        "member_id": MEMBER_ID,
        "health_plan": "Acme Health",
    }
    body.update(overrides)
    return body


def case_body(**overrides: Any) -> dict[str, Any]:
    """A valid ``PUT /v1/cases/{n}`` body: a commercial case in PA denied three days before NOW.

    ``member`` may be given as a dict of member overrides; ``None`` values remove a key.
    """
    body: dict[str, Any] = {
        "member": member(),
        "line_of_business": "commercial",
        "case_type": "MSK Spine Surgery",
        "skill": "msk_spine",
        "status": "denied",
        "received_at": "2026-11-10T09:00:00-05:00",
        "determination_at": THREE_DAYS_AGO,
    }
    member_overrides = overrides.pop("member", None)
    if member_overrides is not None:
        body["member"] = member(**member_overrides)
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def hours(weekday: str, start: str, end: str) -> dict[str, str]:
    return {"weekday": weekday, "start": start, "end": end}


def reviewer_body(**overrides: Any) -> dict[str, Any]:
    """A valid ``PUT /v1/reviewers/{id}`` body."""
    body: dict[str, Any] = {
        "name": "Dr. Ada Reviewer",
        "credentials": "MD",
        "email": "ada.reviewer@example.org",
        "time_zone": "America/Chicago",
        "skills": {"msk_spine": 1, "pain_management": 2},
        "licensed_states": ["PA", "TX"],
        "working_hours": [hours("mon", "09:00", "12:00"), hours("mon", "13:00", "17:00")],
        "max_consults_per_day": 6,
        "active": True,
    }
    body.update(overrides)
    return copy.deepcopy(body)


def lookup(case_number: str, dob: str = MEMBER_DOB) -> dict[str, str]:
    return {"case_number": case_number, "member_dob": dob}


async def push_case(client: httpx.AsyncClient, case_number: str, **overrides: Any) -> dict:
    """PUT a valid case (with ``overrides``) and return the stored snapshot."""
    response = await client.put(
        f"/v1/cases/{case_number}", json=case_body(**overrides), headers=ADMIN
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


async def check(
    client: httpx.AsyncClient, *cases: dict[str, str], headers: dict[str, str] = PORTAL
) -> httpx.Response:
    return await client.post("/v1/eligibility", json={"cases": list(cases)}, headers=headers)


def assert_problem(
    response: httpx.Response,
    status: int,
    kind: str,
    *,
    fields: set[str] | None = None,
) -> dict[str, Any]:
    """Assert an RFC 9457 problem document of ``kind``; ``fields`` = exact errors[].field set."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == PROBLEM_BASE + kind, body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"].strip()
    assert isinstance(body["detail"], str) and body["detail"].strip()
    if fields is not None:
        assert "errors" in body, body
        assert {error["field"] for error in body["errors"]} == fields, body["errors"]
        for error in body["errors"]:
            assert error["message"].strip(), error
    return body


# ---- scheduling (availability, holds, bookings) ---------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_HOURS = list(range(24))
NEW_YORK = "America/New_York"
CHICAGO = "America/Chicago"
#: the reconsideration window of ``case_body()`` (denied 3 days before NOW): end of 2026-12-04 EST
RECONSIDERATION_UNTIL = "2026-12-05T04:59:59Z"


def ny(day: str, clock_time: str) -> str:
    """``ny("2026-11-24", "10:00")`` → ``2026-11-24T10:00:00-05:00`` (EST all of NOW's month)."""
    return f"{day}T{clock_time}:00-05:00"


def weekly(start: str, end: str, days: tuple[str, ...] = WEEKDAYS) -> list[dict[str, str]]:
    """The same working hours on each of ``days``."""
    return [hours(day, start, end) for day in days]


async def push_reviewer(client: httpx.AsyncClient, reviewer_id: str, **overrides: Any) -> dict:
    """PUT a reviewer: by default in New York, 09:00–17:00 Mon–Fri, msk_spine tier 1, PA only."""
    defaults: dict[str, Any] = {
        "name": f"Dr. {reviewer_id}",
        "email": f"{reviewer_id}@example.org",
        "time_zone": NEW_YORK,
        "skills": {"msk_spine": 1},
        "licensed_states": ["PA"],
        "working_hours": weekly("09:00", "17:00"),
        "max_consults_per_day": 40,
    }
    defaults.update(overrides)
    response = await client.put(
        f"/v1/reviewers/{reviewer_id}", json=reviewer_body(**defaults), headers=ADMIN
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def availability_body(
    *case_numbers: str,
    time_zone: str = NEW_YORK,
    days: tuple[str, ...] | list[str] | None = ALL_DAYS,
    hours: list[int] | None = ALL_HOURS,
    week_start: str | None = None,
    dob: str = MEMBER_DOB,
) -> dict[str, Any]:
    """``POST /v1/availability``; by default every day and hour so only the limits filter."""
    preferences: dict[str, Any] = {}
    if days is not None:
        preferences["days"] = list(days)
    if hours is not None:
        preferences["hours"] = list(hours)
    body: dict[str, Any] = {
        "cases": [lookup(number, dob) for number in case_numbers],
        "time_zone": time_zone,
        "preferences": preferences,
    }
    if week_start is not None:
        body["week_start"] = week_start
    return body


async def availability_of(client: httpx.AsyncClient, *case_numbers: str, **options: Any) -> dict:
    """``POST /v1/availability`` for ``case_numbers``; asserts 200 and returns the body."""
    response = await client.post(
        "/v1/availability", json=availability_body(*case_numbers, **options), headers=PORTAL
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def reviewer_days(found: dict[str, Any], reviewer_id: str) -> dict[str, list[dict[str, str]]]:
    """An availability answer's slots of one reviewer: requester-local date → slots."""
    for tier in found["tiers"]:
        for reviewer in tier["reviewers"]:
            if reviewer["reviewer_id"] == reviewer_id:
                return {day["date"]: day["slots"] for day in reviewer["days"]}
    return {}


def reviewer_ids(found: dict[str, Any]) -> list[str]:
    return [r["reviewer_id"] for tier in found["tiers"] for r in tier["reviewers"]]


def slot_starts(found: dict[str, Any], reviewer_id: str) -> list[str]:
    return [s["start"] for slots in reviewer_days(found, reviewer_id).values() for s in slots]


def contact_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provider_name": "Dr. Olive Orderly",
        "provider_role": "ordering_provider",
        "contact_name": "Sam Front-Desk",
        "contact_location": "Keystone Spine Clinic, Suite 4",
        "phone": "(555) 555-0100",
        "phone_ext": "123",
        "alt_phone": "+15555550199",
        "alt_phone_ext": "",
        "email": "olive.orderly@clinic.example.org",
        "instructions": "Ask for Dr. Orderly; call the alternate number after 4 pm.",
    }
    body.update(overrides)
    return body


def slot_body(
    case_numbers: str | list[str],
    reviewer_id: str,
    start: str,
    *,
    time_zone: str = NEW_YORK,
    dob: str = MEMBER_DOB,
) -> dict[str, Any]:
    """``POST /v1/holds`` body (and the start of a booking body)."""
    numbers = [case_numbers] if isinstance(case_numbers, str) else case_numbers
    return {
        "cases": [lookup(number, dob) for number in numbers],
        "reviewer_id": reviewer_id,
        "start": start,
        "time_zone": time_zone,
    }


def booking_body(
    case_numbers: str | list[str],
    reviewer_id: str,
    start: str,
    *,
    time_zone: str = NEW_YORK,
    dob: str = MEMBER_DOB,
    hold_id: str | None = None,
    **contact: Any,
) -> dict[str, Any]:
    """``POST /v1/bookings`` body; keyword arguments override contact fields."""
    body = slot_body(case_numbers, reviewer_id, start, time_zone=time_zone, dob=dob)
    if hold_id is not None:
        body["hold_id"] = hold_id
    body["contact"] = contact_body(**contact)
    return body


async def book(
    client: httpx.AsyncClient, *args: Any, headers: dict[str, str] = PORTAL, **kwargs: Any
) -> httpx.Response:
    """``POST /v1/bookings`` with ``booking_body(*args, **kwargs)``."""
    return await client.post("/v1/bookings", json=booking_body(*args, **kwargs), headers=headers)


async def booked(client: httpx.AsyncClient, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """``book(client, *args, **kwargs)``, asserting 201; returns the booking."""
    response = await book(client, *args, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()


async def booking_of(client: httpx.AsyncClient, booking_id: str) -> dict[str, Any]:
    """``GET /v1/bookings/{id}`` with the portal key; asserts 200 and returns the booking."""
    response = await client.get(f"/v1/bookings/{booking_id}", headers=PORTAL)
    assert response.status_code == 200, response.text
    return response.json()


class Clock:
    """A fixed clock that a test may move forward."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def __call__(self) -> datetime:
        return self.instant

    def advance(self, **delta: float) -> None:
        self.instant += timedelta(**delta)


async def cancel(
    client: httpx.AsyncClient,
    booking_id: str,
    reason_code: str = "provider_unavailable",
    reason_text: str | None = None,
    headers: dict[str, str] = PORTAL,
) -> httpx.Response:
    body: dict[str, Any] = {"reason_code": reason_code}
    if reason_text is not None:
        body["reason_text"] = reason_text
    return await client.post(f"/v1/bookings/{booking_id}/cancel", json=body, headers=headers)


async def reschedule(
    client: httpx.AsyncClient,
    booking_id: str,
    start: str,
    reviewer_id: str | None = None,
    headers: dict[str, str] = PORTAL,
) -> httpx.Response:
    body: dict[str, Any] = {"start": start}
    if reviewer_id is not None:
        body["reviewer_id"] = reviewer_id
    return await client.post(f"/v1/bookings/{booking_id}/reschedule", json=body, headers=headers)


async def complete(
    client: httpx.AsyncClient,
    booking_id: str,
    outcome: str = "upheld",
    headers: dict[str, str] = REVIEWER,
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        f"/v1/bookings/{booking_id}/complete", json={"outcome": outcome, **extra}, headers=headers
    )


async def no_show(
    client: httpx.AsyncClient,
    booking_id: str,
    party: str = "provider",
    headers: dict[str, str] = REVIEWER,
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        f"/v1/bookings/{booking_id}/no-show", json={"party": party, **extra}, headers=headers
    )


#: the statuses a booking ends in, for tests that check what an ended booking refuses
ENDINGS = ("cancelled", "completed", "no_show")


async def end_booking(client: httpx.AsyncClient, booking_id: str, ending: str) -> None:
    """Bring a scheduled booking to ``ending`` (one of ``ENDINGS``): a cancellation, an
    ``upheld`` outcome, or a provider no-show — the last two recorded by an admin, who may
    do so before the call's start (a reviewer only once it has begun, SPEC §9)."""
    if ending == "cancelled":
        response = await cancel(client, booking_id)
    else:
        response = await {"completed": complete, "no_show": no_show}[ending](
            client, booking_id, headers=ADMIN
        )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == ending
