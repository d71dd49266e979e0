"""Builders for valid request bodies and the problem+json assertion the API tests share."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.support import ADMIN_KEY, NOW, PORTAL_KEY, auth

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://p2p-scheduler.org/problems/"

ADMIN = auth(ADMIN_KEY)
PORTAL = auth(PORTAL_KEY)

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
