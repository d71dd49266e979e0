"""FHIR R4 scheduling operations (SPEC §13): ``Appointment/$find``, ``$hold`` and ``$book``
through the real app on both databases.

The world: at NOW (Monday 2026-11-23 10:00 in New York) two reviewers in New York working
09:00–17:00 Mon–Fri, ``rev-a`` tier 1 and ``rev-b`` tier 2 for ``msk_spine``, licensed in
PA; cases denied three days before NOW (reconsiderations, valid until the end of
2026-12-04 in New York). Every resource answered is validated by the FHIR R4 model of its
type, and no answer carries the member's name, date of birth or id.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.api.helpers import (
    MEMBER_DOB,
    MEMBER_ID,
    MEMBER_NAME,
    NEW_YORK,
    PORTAL,
    WRONG_DOB,
    Clock,
    availability_of,
    contact_body,
    lookup,
    push_case,
    push_reviewer,
    reviewer_days,
    slot_body,
)
from tests.tokens import ORG_A, TestIssuer, provider

pytestmark = pytest.mark.anyio

FHIR_JSON = "application/fhir+json"
BASE = "/fhir/r4/Appointment"
HOLD_EXPIRES = "https://p2p-scheduler.org/fhir/StructureDefinition/hold-expires"
TIER = "https://p2p-scheduler.org/fhir/StructureDefinition/reviewer-tier"
TIMEZONE = "http://hl7.org/fhir/StructureDefinition/timezone"
CASE_SYSTEM = "urn:p2p-scheduler:case"
MODELS = {"Appointment": Appointment, "Bundle": Bundle, "OperationOutcome": OperationOutcome}


@pytest.fixture
async def world(token_client: httpx.AsyncClient) -> httpx.AsyncClient:
    await push_reviewer(token_client, "rev-a", name="Dr. Ann Able")
    await push_reviewer(token_client, "rev-b", name="Dr. Ben Best", skills={"msk_spine": 2})
    for number in ("FH-1", "FH-2", "FH-3"):
        await push_case(token_client, number)
    return token_client


def case(number: str, dob: str = MEMBER_DOB) -> dict[str, Any]:
    return {
        "name": "case",
        "part": [
            {"name": "case-number", "valueString": number},
            {"name": "member-dob", "valueDate": dob},
        ],
    }


def parameters(*parameter: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": list(parameter)}


def fhir_body(response: httpx.Response) -> dict[str, Any]:
    """The answer's resource, after checking its media type, that it validates as FHIR R4
    and that it holds no member data."""
    assert response.headers["content-type"] == FHIR_JSON, response.text
    for secret in (MEMBER_NAME, MEMBER_DOB, MEMBER_ID):
        assert secret not in response.text
    body = response.json()
    MODELS[body["resourceType"]].model_validate(body)
    for entry in body.get("entry", []):  # and each resource of a Bundle by its own model
        MODELS[entry["resource"]["resourceType"]].model_validate(entry["resource"])
    return body


async def operation(
    client: httpx.AsyncClient, name: str, body: dict[str, Any], headers: dict[str, str] = PORTAL
) -> httpx.Response:
    return await client.post(
        f"{BASE}/${name}", json=body, headers={**headers, "Content-Type": FHIR_JSON}
    )


def outcome(response: httpx.Response, status: int, code: str) -> str:
    """An OperationOutcome answer of ``status`` whose issue has ``code``; its diagnostics."""
    assert response.status_code == status, response.text
    body = fhir_body(response)
    assert body["resourceType"] == "OperationOutcome"
    [issue] = body["issue"][:1]
    assert issue["severity"] == "error"
    assert issue["code"] == code, body
    return str(issue["diagnostics"])


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def reviewer_of(appointment: dict[str, Any]) -> str:
    [actor] = [
        p["actor"]["reference"]
        for p in appointment["participant"]
        if p["actor"]["reference"].startswith("Practitioner/")
    ]
    return actor.removeprefix("Practitioner/")


def extension(resource: dict[str, Any], url: str) -> Any:
    [found] = [e for e in resource.get("extension", []) if e["url"] == url]
    return next(v for k, v in found.items() if k.startswith("value"))


def requester(appointment: dict[str, Any], **contact: Any) -> dict[str, Any]:
    """``appointment`` with the requesting provider of ``contact_body(**contact)`` added as
    SPEC §13 carries it."""
    c = contact_body(**contact)
    comment = [
        f"Contact person: {c['contact_name']}",
        f"Location: {c['contact_location']}",
        f"Phone extension: {c['phone_ext']}",
        f"Instructions: {c['instructions']}",
    ]
    telecom = [{"system": "phone", "value": c["phone"]}]
    if c.get("alt_phone"):
        telecom.append({"system": "phone", "value": c["alt_phone"]})
    telecom.append({"system": "email", "value": c["email"]})
    return {
        **appointment,
        "contained": [
            {
                "resourceType": "Practitioner",
                "id": "requester",
                "name": [{"text": c["provider_name"]}],
                "telecom": telecom,
            }
        ],
        "participant": [
            *appointment["participant"],
            {
                "actor": {"reference": "#requester"},
                "type": [{"text": c["provider_role"]}],
                "status": "accepted",
            },
        ],
        "comment": "\n".join(comment),
    }


FIND_TUESDAY_MORNING = (
    {"name": "start", "valueDateTime": "2026-11-24T09:00:00-05:00"},
    {"name": "end", "valueDateTime": "2026-11-24T10:00:00-05:00"},
    {"name": "time-zone", "valueCode": NEW_YORK},
)


async def test_find_lists_the_period_best_tier_first_like_v1(world: httpx.AsyncClient) -> None:
    response = await operation(world, "find", parameters(case("FH-1"), *FIND_TUESDAY_MORNING))

    assert response.status_code == 200, response.text
    bundle = fhir_body(response)
    assert bundle["type"] == "searchset"
    found = entries(bundle)
    assert bundle["total"] == len(found) == 8
    # tier 1 (rev-a) first, then tier 2 (rev-b); each reviewer's quarter hours ascending
    starts = [f"2026-11-24T09:{m:02d}:00-05:00" for m in (0, 15, 30, 45)]
    assert [(reviewer_of(a), a["start"]) for a in found] == [
        *(("rev-a", s) for s in starts),
        *(("rev-b", s) for s in starts),
    ]
    assert [extension(a, TIER) for a in found] == [1] * 4 + [2] * 4
    first = found[0]
    assert first["status"] == "proposed"
    assert "id" not in first
    assert first["identifier"] == [{"system": CASE_SYSTEM, "value": "FH-1"}]
    assert extension(first, TIMEZONE) == NEW_YORK
    # the same slots, in the same order, as POST /v1/availability lists for that hour
    week = await availability_of(world, "FH-1", time_zone=NEW_YORK)
    v1 = [
        (reviewer_id, slot["start"], slot["end"])
        for reviewer_id in ("rev-a", "rev-b")
        for slot in reviewer_days(week, reviewer_id)["2026-11-24"]
        if slot["start"] in starts
    ]
    assert [(reviewer_of(a), a["start"], a["end"]) for a in found] == v1


async def test_find_spans_weeks_with_date_only_bounds_in_utc(world: httpx.AsyncClient) -> None:
    """Friday 27 to Monday 30 (inclusive, UTC days): Friday's and Monday's hours, across the
    New York week boundary; in UTC because no time-zone was given."""
    body = parameters(
        case("FH-1"),
        {"name": "start", "valueDate": "2026-11-27"},
        {"name": "end", "valueDate": "2026-11-30"},
    )
    found = entries(fhir_body(await operation(world, "find", body)))

    rev_a = [a for a in found if reviewer_of(a) == "rev-a"]
    days = sorted({a["start"][:10] for a in rev_a})
    assert days == ["2026-11-27", "2026-11-30"]
    assert rev_a[0]["start"] == "2026-11-27T14:00:00Z"  # 09:00 in New York
    assert all(a["start"].endswith("Z") for a in found)
    assert [reviewer_of(a) for a in found] == sorted(reviewer_of(a) for a in found)


async def test_find_refuses_an_unbounded_or_backwards_period(world: httpx.AsyncClient) -> None:
    too_long = parameters(
        case("FH-1"),
        {"name": "start", "valueDate": "2026-11-24"},
        {"name": "end", "valueDate": "2026-12-24"},
    )
    assert "at most 14 days" in outcome(await operation(world, "find", too_long), 422, "invalid")
    backwards = parameters(
        case("FH-1"),
        {"name": "start", "valueDateTime": "2026-11-25T09:00:00-05:00"},
        {"name": "end", "valueDateTime": "2026-11-24T09:00:00-05:00"},
    )
    assert "after start" in outcome(await operation(world, "find", backwards), 422, "invalid")


async def test_not_eligible_is_a_business_rule_with_v1_words(world: httpx.AsyncClient) -> None:
    await push_case(world, "FH-WD", status="withdrawn", determination_at=None)
    v1 = await world.post(
        "/v1/availability",
        json={"cases": [lookup("FH-WD")], "time_zone": NEW_YORK},
        headers=PORTAL,
    )
    assert v1.status_code == 422, v1.text
    response = await operation(world, "find", parameters(case("FH-WD"), *FIND_TUESDAY_MORNING))
    assert outcome(response, 422, "business-rule") == v1.json()["detail"]


async def test_a_wrong_dob_is_answered_as_v1_answers_it(world: httpx.AsyncClient) -> None:
    v1 = await world.post(
        "/v1/availability",
        json={"cases": [lookup("FH-1", WRONG_DOB)], "time_zone": NEW_YORK},
        headers=PORTAL,
    )
    assert v1.status_code == 422, v1.text
    for number in ("FH-1", "NO-SUCH-CASE"):
        body = parameters(case(number, WRONG_DOB), *FIND_TUESDAY_MORNING)
        words = outcome(await operation(world, "find", body), 422, "invalid")
        assert words == v1.json()["detail"].replace("FH-1", number)
        assert WRONG_DOB not in words


async def read_appointment(client: httpx.AsyncClient, booking_id: str) -> dict[str, Any]:
    """The booking as ``GET /fhir/r4/Appointment/{id}`` reads it."""
    read = await client.get(f"{BASE}/{booking_id}", headers=PORTAL)
    assert read.status_code == 200, read.text
    appointment = fhir_body(read)
    assert appointment["id"] == booking_id
    return appointment


async def proposed(client: httpx.AsyncClient, *numbers: str) -> list[dict[str, Any]]:
    body = parameters(*(case(n) for n in numbers), *FIND_TUESDAY_MORNING)
    response = await operation(client, "find", body)
    assert response.status_code == 200, response.text
    return entries(fhir_body(response))


async def test_find_hold_book_read_cancel_round_trip(world: httpx.AsyncClient) -> None:
    offered = (await proposed(world, "FH-1"))[1]  # rev-a at 09:15

    held = await operation(
        world, "hold", parameters({"name": "appt-resource", "resource": offered}, case("FH-1"))
    )
    assert held.status_code == 200, held.text
    pending = fhir_body(held)
    assert pending["status"] == "pending"
    assert (pending["start"], pending["end"]) == (offered["start"], offered["end"])
    assert reviewer_of(pending) == "rev-a"
    # a hold lasts P2P_HOLD_MINUTES (5) from NOW (15:00Z), like POST /v1/holds
    assert extension(pending, HOLD_EXPIRES) == "2026-11-23T15:05:00Z"
    hold_id = pending["id"]
    # held: gone from $find for everyone
    assert ("rev-a", offered["start"]) not in {
        (reviewer_of(a), a["start"]) for a in await proposed(world, "FH-2")
    }

    made = await operation(
        world,
        "book",
        parameters({"name": "appt-resource", "resource": requester(pending)}, case("FH-1")),
    )
    assert made.status_code == 201, made.text
    appointment = fhir_body(made)
    assert appointment["status"] == "booked"
    assert (
        appointment["start"] == "2026-11-24T14:15:00Z"
    )  # the booking, as Appointment reads give it
    booking_id = appointment["id"]

    v1 = await world.get(f"/v1/bookings/{booking_id}", headers=PORTAL)
    assert v1.status_code == 200, v1.text
    stored = v1.json()
    assert stored["status"] == "scheduled"
    assert stored["start"] == "2026-11-24T09:15:00-05:00"
    assert stored["reviewer"]["reviewer_id"] == "rev-a"
    assert [c["case_number"] for c in stored["cases"]] == ["FH-1"]
    assert stored["contact"] == {**contact_body(), "alt_phone_ext": ""}
    # the hold was consumed by the booking
    gone = await world.delete(f"/v1/holds/{hold_id}", headers=PORTAL)
    assert gone.status_code == 404, gone.text
    again = await world.post(
        "/v1/holds", json=slot_body("FH-2", "rev-a", offered["start"]), headers=PORTAL
    )
    assert again.status_code == 409, again.text

    assert (await read_appointment(world, booking_id))["status"] == "booked"

    cancelled = await world.post(
        f"/v1/bookings/{booking_id}/cancel",
        json={"reason_code": "provider_unavailable"},
        headers=PORTAL,
    )
    assert cancelled.status_code == 200, cancelled.text
    after = await read_appointment(world, booking_id)
    assert after["status"] == "cancelled"
    assert after["cancelationReason"]["coding"][0]["code"] == "provider_unavailable"


async def test_a_proposed_appointment_books_without_a_hold(world: httpx.AsyncClient) -> None:
    offered = (await proposed(world, "FH-1", "FH-2"))[4]  # rev-b at 09:00, both cases
    appointment = requester(offered, phone_ext="")
    # a HumanName in parts rather than as text
    appointment["contained"][0]["name"] = [
        {"prefix": ["Dr."], "given": ["Olive", "Q."], "family": "Orderly"}
    ]
    made = await operation(
        world,
        "book",
        parameters(
            {"name": "appt-resource", "resource": appointment},
            case("FH-1"),
            case("FH-2"),
        ),
    )
    appointment = fhir_body(made)
    assert made.status_code == 201, made.text
    assert (appointment["status"], reviewer_of(appointment)) == ("booked", "rev-b")
    v1 = (await world.get(f"/v1/bookings/{appointment['id']}", headers=PORTAL)).json()
    assert [c["case_number"] for c in v1["cases"]] == ["FH-1", "FH-2"]
    assert v1["contact"]["phone_ext"] == ""
    assert v1["contact"]["provider_name"] == "Dr. Olive Q. Orderly"


async def test_a_taken_slot_is_a_conflict(world: httpx.AsyncClient) -> None:
    offered = (await proposed(world, "FH-1"))[0]
    first = await operation(
        world, "hold", parameters({"name": "appt-resource", "resource": offered}, case("FH-1"))
    )
    assert first.status_code == 200, first.text
    # the same time for other cases (the appointment then names none of its own)
    anonymous = {**offered, "identifier": []}
    second = await operation(
        world, "hold", parameters({"name": "appt-resource", "resource": anonymous}, case("FH-2"))
    )
    outcome(second, 409, "conflict")
    booked = await operation(
        world,
        "book",
        parameters({"name": "appt-resource", "resource": requester(anonymous)}, case("FH-3")),
    )
    outcome(booked, 409, "conflict")


async def test_book_names_what_is_wrong_in_plain_words(world: httpx.AsyncClient) -> None:
    offered = (await proposed(world, "FH-1"))[0]
    other_cases = parameters(
        {"name": "appt-resource", "resource": requester(offered)}, case("FH-2")
    )
    assert "other cases" in outcome(await operation(world, "book", other_cases), 422, "invalid")
    bare = await operation(
        world, "book", parameters({"name": "appt-resource", "resource": offered}, case("FH-1"))
    )
    assert "contained Practitioner with id 'requester'" in outcome(bare, 422, "invalid")

    bad_phone = requester(offered, phone="call me")
    words = outcome(
        await operation(
            world,
            "book",
            parameters({"name": "appt-resource", "resource": bad_phone}, case("FH-1")),
        ),
        422,
        "invalid",
    )
    assert "the requester's phone" in words
    assert "Enter a phone number with 10 to 15 digits" in words

    bad_role = requester(offered, provider_role="receptionist")
    words = outcome(
        await operation(
            world, "book", parameters({"name": "appt-resource", "resource": bad_role}, case("FH-1"))
        ),
        422,
        "invalid",
    )
    assert "ordering_provider" in words

    no_cases = parameters({"name": "appt-resource", "resource": requester(offered)})
    assert "case-number and member-dob" in outcome(
        await operation(world, "book", no_cases), 422, "invalid"
    )
    not_parameters = await operation(world, "book", {"resourceType": "Appointment"})
    assert "Parameters" in outcome(not_parameters, 422, "invalid")
    typo = parameters(case("FH-1"), {"name": "strat", "valueDate": "2026-11-24"})
    assert "is not a parameter of $find" in outcome(
        await operation(world, "find", typo), 422, "invalid"
    )


async def test_a_provider_token_books_for_its_organisation(
    world: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    headers = {"Authorization": f"Bearer {issuer.mint(provider(ORG_A))}"}
    offered = (await proposed(world, "FH-1"))[0]
    made = await operation(
        world,
        "book",
        parameters({"name": "appt-resource", "resource": requester(offered)}, case("FH-1")),
        headers=headers,
    )
    assert made.status_code == 201, made.text
    booking_id = fhir_body(made)["id"]
    v1 = (await world.get(f"/v1/bookings/{booking_id}", headers=PORTAL)).json()
    assert v1["provider_org"] == ORG_A
    other = parameters(
        {"name": "appt-resource", "resource": requester((await proposed(world, "FH-2"))[0])},
        case("FH-2"),
        {"name": "provider-org", "valueString": "org-zzz"},
    )
    assert "signed in for" in outcome(
        await operation(world, "book", other, headers=headers), 422, "invalid"
    )


async def test_an_idempotency_key_replays_the_booking(world: httpx.AsyncClient) -> None:
    offered = (await proposed(world, "FH-1"))[0]
    body = parameters({"name": "appt-resource", "resource": requester(offered)}, case("FH-1"))
    headers = {**PORTAL, "Idempotency-Key": "fhir-key-1"}
    first = await operation(world, "book", body, headers=headers)
    second = await operation(world, "book", body, headers=headers)
    assert first.status_code == second.status_code == 201, second.text
    assert first.json() == second.json()
    assert fhir_body(second)["status"] == "booked"


async def test_a_pending_appointment_lapses_like_a_hold(
    client_at_clock: httpx.AsyncClient, clock: Clock
) -> None:
    """Five minutes after $hold (P2P_HOLD_MINUTES) the pending Appointment cannot be booked
    any more, and its time is offered again."""
    await push_reviewer(client_at_clock, "rev-a", name="Dr. Ann Able")
    await push_case(client_at_clock, "FH-1")
    offered = (await proposed(client_at_clock, "FH-1"))[0]
    held = await operation(
        client_at_clock,
        "hold",
        parameters({"name": "appt-resource", "resource": offered}, case("FH-1")),
    )
    pending = fhir_body(held)
    assert extension(pending, HOLD_EXPIRES) == "2026-11-23T15:05:00Z"
    assert offered["start"] not in [a["start"] for a in await proposed(client_at_clock, "FH-1")]

    clock.advance(minutes=5)

    assert offered["start"] in [a["start"] for a in await proposed(client_at_clock, "FH-1")]
    late = await operation(
        client_at_clock,
        "book",
        parameters({"name": "appt-resource", "resource": requester(pending)}, case("FH-1")),
    )
    words = outcome(late, 422, "invalid")
    assert words == "This hold has expired or does not exist. Pick the time again."
    assert late.json()["issue"][1]["expression"] == ["appt-resource.id (the hold from $hold)"]


async def test_find_names_a_bad_time_zone(world: httpx.AsyncClient) -> None:
    body = parameters(case("FH-1"), {"name": "time-zone", "valueCode": "Mars/Base"})
    response = await operation(world, "find", body)
    assert "time-zone" in outcome(response, 422, "invalid")
    assert response.json()["issue"][1]["expression"] == ["time-zone"]
