"""FHIR reads and searches (SPEC §13) through the real app on both databases: every resource
parsed back with its FHIR model, values hand-computed, scopes and errors as on ``/v1``.

The world: reviewers in New York working 09:00–17:00 Monday to Friday; NOW is Monday
2026-11-23 10:00 in New York (15:00Z), so Monday 2026-11-30's hours are 14:00Z–22:00Z.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot

from p2p_scheduler.config import Settings
from tests.api.helpers import (
    ADMIN,
    NEW_YORK,
    PORTAL,
    REVIEWER,
    booked,
    cancel,
    complete,
    contact_body,
    lookup,
    no_show,
    ny,
    push_case,
    push_reviewer,
    slot_body,
)
from tests.support import auth
from tests.tokens import ORG_A, ORG_B, TestIssuer, provider, reviewer

pytestmark = pytest.mark.anyio

FHIR_JSON = "application/fhir+json"
MODELS = {
    "Appointment": Appointment,
    "Bundle": Bundle,
    "Practitioner": Practitioner,
    "PractitionerRole": PractitionerRole,
    "Schedule": Schedule,
    "Slot": Slot,
}


@pytest.fixture
def settings(token_settings: Settings) -> Settings:
    """The app accepts the issuer's tokens besides the tests' keys."""
    return token_settings


async def fhir_get(
    client: httpx.AsyncClient, path: str, headers: dict[str, str] = PORTAL, **params: Any
) -> dict[str, Any]:
    """GET a FHIR path, assert 200 and that what came back is valid FHIR (every entry too)."""
    response = await client.get(path, params=params or None, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == FHIR_JSON
    document = response.json()
    MODELS[document["resourceType"]].model_validate(document)
    for entry in document.get("entry", ()):
        MODELS[entry["resource"]["resourceType"]].model_validate(entry["resource"])
    return document


def outcome_of(response: httpx.Response, status: int, code: str) -> str:
    """Assert an OperationOutcome of ``status`` whose first issue has ``code``; its words."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == FHIR_JSON
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code, body
    return str(body["issue"][0]["diagnostics"])


def resources_of(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle.get("entry", ())]


def link(bundle: dict[str, Any], relation: str) -> str | None:
    return next((item["url"] for item in bundle["link"] if item["relation"] == relation), None)


# ---- Practitioner, PractitionerRole, Schedule --------------------------------------------------


async def test_a_reviewer_as_practitioner_role_and_schedule(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-001", npi="1234567893", specialty="Orthopedic surgery")
    practitioner = await fhir_get(client, "/fhir/r4/Practitioner/rev-001")
    assert practitioner == {
        "resourceType": "Practitioner",
        "id": "rev-001",
        "identifier": [
            {"system": "urn:p2p-scheduler:reviewer", "value": "rev-001"},
            {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"},
        ],
        "active": True,
        "name": [{"text": "Dr. rev-001"}],
        "qualification": [{"code": {"text": "MD"}}],
    }
    [role] = resources_of(
        await fhir_get(client, "/fhir/r4/PractitionerRole", practitioner="Practitioner/rev-001")
    )
    assert role["practitioner"] == {"reference": "Practitioner/rev-001"}
    assert role["specialty"] == [{"text": "Orthopedic surgery"}]
    assert role["location"] == [{"display": "Licensed in PA"}]
    assert await fhir_get(client, "/fhir/r4/PractitionerRole/rev-001") == role
    bundle = await fhir_get(client, "/fhir/r4/Schedule", actor="Practitioner/rev-001")
    assert bundle["total"] == 1
    [schedule] = resources_of(bundle)
    assert schedule["id"] == "rev-001"
    assert schedule["actor"] == [{"reference": "Practitioner/rev-001", "display": "Dr. rev-001"}]
    assert await fhir_get(client, "/fhir/r4/Schedule/rev-001") == schedule
    # a search for nobody finds nothing; a read of nobody is not found
    nobody = await fhir_get(client, "/fhir/r4/Schedule", actor="Practitioner/rev-404")
    assert nobody["total"] == 0 and "entry" not in nobody
    words = outcome_of(
        await client.get("/fhir/r4/Practitioner/rev-404", headers=PORTAL), 404, "not-found"
    )
    assert words.startswith("No reviewer 'rev-404' exists.")
    # an id no reviewer can have is an unknown one too (SPEC §9)
    outcome_of(await client.get("/fhir/r4/Schedule/no%20such!", headers=PORTAL), 404, "not-found")


async def test_practitioner_search_pages_in_id_order(client: httpx.AsyncClient) -> None:
    for reviewer_id in ("rev-c", "rev-a", "rev-b"):
        await push_reviewer(client, reviewer_id)
    first = await fhir_get(client, "/fhir/r4/Practitioner", _count="2")
    assert [p["id"] for p in resources_of(first)] == ["rev-a", "rev-b"]
    following = link(first, "next")
    assert following is not None and "_cursor=rev-b" in following and "_count=2" in following
    second = await fhir_get(client, following)
    assert [p["id"] for p in resources_of(second)] == ["rev-c"]
    assert link(second, "next") is None
    named = await fhir_get(client, "/fhir/r4/Practitioner", _id="rev-b,rev-zzz")
    assert [p["id"] for p in resources_of(named)] == ["rev-b"]


# ---- Slot ---------------------------------------------------------------------------------------


async def test_slots_show_free_booked_and_held_quarter_hours(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "C-1")
    await push_case(client, "C-2")
    booking = await booked(client, "C-1", "rev-a", ny("2026-11-30", "10:00"))
    # one case: a quarter hour
    assert (booking["start"], booking["end"]) == (
        "2026-11-30T10:00:00-05:00",
        "2026-11-30T10:15:00-05:00",
    )
    hold = await client.post(
        "/v1/holds", json=slot_body("C-2", "rev-a", ny("2026-11-30", "11:00")), headers=PORTAL
    )
    assert hold.status_code == 201, hold.text
    away = {"start": ny("2026-11-30", "15:00"), "end": ny("2026-11-30", "15:40"), "reason": "CME"}
    time_off = await client.post("/v1/reviewers/rev-a/time-off", json=away, headers=ADMIN)
    assert time_off.status_code == 201, time_off.text

    day = {"schedule": "Schedule/rev-a", "start": ["ge2026-11-30", "lt2026-12-01"]}
    bundle = await fhir_get(client, "/fhir/r4/Slot", **day, _count="100")
    slots = resources_of(bundle)
    assert bundle["total"] == 32 == len(slots)  # 09:00–17:00 New York, by the quarter hour
    assert (slots[0]["start"], slots[0]["end"]) == ("2026-11-30T14:00:00Z", "2026-11-30T14:15:00Z")
    assert slots[-1]["start"] == "2026-11-30T21:45:00Z"
    status = {slot["start"][11:16]: slot["status"] for slot in slots}
    assert {t: s for t, s in status.items() if s != "free"} == {
        "15:00": "busy",
        "16:00": "busy-tentative",
        "20:00": "busy-unavailable",  # time off 15:00–15:40 in New York touches three cells
        "20:15": "busy-unavailable",
        "20:30": "busy-unavailable",
    }
    assert all(slot["schedule"] == {"reference": "Schedule/rev-a"} for slot in slots)
    assert slots[4]["id"] == "rev-a-20261130T1500"

    # only the held ones; and the same day asked with instants and gt / le
    held = await fhir_get(client, "/fhir/r4/Slot", **day, status="Busy-Tentative")
    assert [s["start"] for s in resources_of(held)] == ["2026-11-30T16:00:00Z"]
    window = await fhir_get(
        client,
        "/fhir/r4/Slot",
        schedule="Schedule/rev-a",
        start=["gt2026-11-30T09:44:59-05:00", "le2026-11-30T10:15:00-05:00"],
    )
    assert [s["start"] for s in resources_of(window)] == [
        "2026-11-30T14:45:00Z",
        "2026-11-30T15:00:00Z",
        "2026-11-30T15:15:00Z",
    ]


async def test_slot_pages_follow_next_links(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    starts: list[str] = []
    page = await fhir_get(
        client,
        "/fhir/r4/Slot",
        schedule="rev-a",
        start=["ge2026-11-30", "lt2026-12-01"],
        _count="10",
    )
    pages = 1
    while True:
        assert page["total"] == 32
        starts += [slot["start"] for slot in resources_of(page)]
        following = link(page, "next")
        if following is None:
            break
        page = await fhir_get(client, following)
        pages += 1
    assert pages == 4  # 10 + 10 + 10 + 2
    assert len(starts) == len(set(starts)) == 32


async def test_slot_search_refusals(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")

    async def slots(**params: Any) -> httpx.Response:
        return await client.get("/fhir/r4/Slot", params=params, headers=PORTAL)

    month = await slots(schedule="Schedule/rev-a", start=["ge2026-12-01", "lt2027-01-02"])
    assert outcome_of(month, 422, "invalid") == "Ask for at most 31 days of slots at a time."
    open_ended = await slots(schedule="Schedule/rev-a", start="ge2026-12-01")
    assert "give both ends of the period" in outcome_of(open_ended, 422, "invalid")
    wrong_prefix = await slots(schedule="Schedule/rev-a", start=["ne2026-12-01", "lt2026-12-02"])
    assert "use the prefix ge, gt, le, lt or eq" in outcome_of(wrong_prefix, 422, "invalid")
    naive = await slots(schedule="rev-a", start=["ge2026-12-01T09:00:00", "lt2026-12-02"])
    assert "with its UTC offset" in outcome_of(naive, 422, "invalid")
    too_many = await slots(schedule="rev-a", start=["ge2026-12-01", "lt2026-12-02"], _count="101")
    outcome_of(too_many, 422, "invalid")
    nobody = await fhir_get(
        client, "/fhir/r4/Slot", schedule="Schedule/rev-x", start=["ge2026-12-01", "lt2026-12-02"]
    )
    assert nobody["total"] == 0
    # who may ask: as POST /v1/availability (portal, admin, provider tokens)
    outcome_of(
        await client.get("/fhir/r4/Slot", params={"schedule": "rev-a"}, headers=REVIEWER),
        403,
        "forbidden",
    )
    unauthorised = await client.get("/fhir/r4/Slot", params={"schedule": "rev-a"})
    assert outcome_of(unauthorised, 401, "login").startswith("Send your API key")
    assert unauthorised.headers["www-authenticate"].startswith("Bearer")


# ---- Appointment --------------------------------------------------------------------------------


async def appointment(client: httpx.AsyncClient, booking_id: str, **kw: Any) -> dict[str, Any]:
    return await fhir_get(client, f"/fhir/r4/Appointment/{booking_id}", **kw)


async def test_every_booking_status_as_an_appointment_status(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a", npi="1234567893")
    numbers = [f"C-{n}" for n in range(1, 6)]
    for number in numbers:
        await push_case(client, number)
    made = [
        await booked(client, number, "rev-a", ny("2026-11-23", f"{13 + n}:00"))
        for n, number in enumerate(numbers[:4])
    ]
    assert (await cancel(client, made[1]["id"], "other", "Surgeon in theatre")).status_code == 200
    assert (await complete(client, made[2]["id"], headers=ADMIN)).status_code == 200
    assert (await no_show(client, made[3]["id"], headers=ADMIN)).status_code == 200
    request = await client.post(
        "/v1/p2p-requests",
        json={
            "cases": [lookup("C-5")],
            "time_zone": NEW_YORK,
            "preferences": {"days": ["mon", "tue"], "hours": [9, 10]},
            "contact": contact_body(),
        },
        headers=PORTAL,
    )
    assert request.status_code == 201, request.text
    expected = {
        made[0]["id"]: "booked",
        made[1]["id"]: "cancelled",
        made[2]["id"]: "fulfilled",
        made[3]["id"]: "noshow",
        request.json()["id"]: "proposed",
    }
    for booking_id, status in expected.items():
        assert (await appointment(client, booking_id))["status"] == status, booking_id

    first = await appointment(client, made[0]["id"])
    assert (first["start"], first["end"]) == ("2026-11-23T18:00:00Z", "2026-11-23T18:15:00Z")
    assert first["identifier"] == [
        {"system": "urn:p2p-scheduler:booking", "value": made[0]["id"]},
        {"system": "urn:p2p-scheduler:case", "value": "C-1"},
    ]
    reviewer_part, requester_part = first["participant"]
    assert reviewer_part["actor"] == {"reference": "Practitioner/rev-a", "display": "Dr. rev-a"}
    assert requester_part["actor"] == {"reference": "#requester", "display": "Dr. Olive Orderly"}
    assert requester_part["type"] == [{"text": "ordering_provider"}]
    [requester] = first["contained"]
    assert requester["telecom"] == [
        {"system": "phone", "value": "(555) 555-0100", "use": "work", "rank": 1},
        {"system": "phone", "value": "+15555550199", "use": "work", "rank": 2},
        {"system": "email", "value": "olive.orderly@clinic.example.org", "use": "work"},
    ]
    assert first["comment"] == (
        "Contact person: Sam Front-Desk\n"
        "Location: Keystone Spine Clinic, Suite 4\n"
        "Phone extension: 123\n"
        "Instructions: Ask for Dr. Orderly; call the alternate number after 4 pm."
    )
    text = str(first)
    for phi in ("Quinlan", "Zebedee", "MBR-ZX", "1970-05-17"):  # tests.api.helpers' member
        assert phi not in text
    cancelled = await appointment(client, made[1]["id"])
    assert cancelled["cancelationReason"] == {
        "coding": [{"system": "urn:p2p-scheduler:cancel-reason", "code": "other"}],
        "text": "Surgeon in theatre",
    }
    proposed = await appointment(client, request.json()["id"])
    assert "start" not in proposed
    assert [p["actor"]["reference"] for p in proposed["participant"]] == ["#requester"]

    # searches: by status (mapped back), by practitioner and date, by case number
    async def search(**params: Any) -> list[str]:
        return [
            a["id"] for a in resources_of(await fhir_get(client, "/fhir/r4/Appointment", **params))
        ]

    for booking_id, status in expected.items():
        assert await search(status=status) == [booking_id], status
    assert await search(status="pending") == []
    assert await search(status="arrived,booked") == [made[0]["id"]]  # either: no booking arrives
    on_monday = await search(
        practitioner="Practitioner/rev-a", date=["ge2026-11-23", "lt2026-11-24"]
    )
    assert set(on_monday) == {made[n]["id"] for n in range(4)}
    assert await search(date="eq2026-11-23T18:00:00Z") == [made[0]["id"]]
    assert await search(date=["ge2026-11-23T19:00:00Z", "lt2026-11-23T20:00:00Z"]) == [
        made[1]["id"]
    ]
    assert await search(date="gt2026-11-23") == []
    assert await search(identifier="urn:p2p-scheduler:case|C-3") == [made[2]["id"]]
    assert await search(identifier="C-4") == [made[3]["id"]]
    wrong = await client.get(
        "/fhir/r4/Appointment", params={"status": "booked,cancelled"}, headers=PORTAL
    )
    assert outcome_of(wrong, 422, "invalid") == "status: search for one status at a time."
    unknown = await client.get("/fhir/r4/Appointment", params={"status": "done"}, headers=PORTAL)
    assert outcome_of(unknown, 422, "invalid").startswith("status: use one of proposed, pending")


async def test_appointment_pages_follow_next_links(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    ids = []
    for n in range(5):
        await push_case(client, f"C-{n}")
        ids.append(
            (await booked(client, f"C-{n}", "rev-a", ny("2026-11-30", f"{10 + n}:00")))["id"]
        )
    seen: list[str] = []
    page = await fhir_get(client, "/fhir/r4/Appointment", _count="2", practitioner="rev-a")
    while True:
        assert len(resources_of(page)) <= 2
        seen += [a["id"] for a in resources_of(page)]
        following = link(page, "next")
        if following is None:
            break
        assert "_count=2" in following and "practitioner=rev-a" in following
        page = await fhir_get(client, following)
    # every one once, in the order of GET /v1/bookings (newest first; one clock here: by id)
    v1 = await client.get("/v1/bookings", params={"reviewer_id": "rev-a"}, headers=PORTAL)
    assert seen == [item["id"] for item in v1.json()["items"]]
    assert sorted(seen) == sorted(ids)


async def test_appointments_keep_to_the_callers_scope(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    """SPEC §10 as on /v1: a provider token sees its organisation's, a reviewer token its
    own; any other answers 404 like an unknown id, and searches leave them out."""
    for reviewer_id in ("rev-a", "rev-b"):
        await push_reviewer(client, reviewer_id)
    await push_case(client, "C-1")
    org_a = auth(issuer.mint(provider(ORG_A)))
    made = await booked(client, "C-1", "rev-a", ny("2026-11-30", "10:00"), headers=org_a)
    path = f"/fhir/r4/Appointment/{made['id']}"
    callers = {
        "org A": (org_a, 200),
        "org B": (auth(issuer.mint(provider(ORG_B))), 404),
        "rev-a": (auth(issuer.mint(reviewer("rev-a"))), 200),
        "rev-b": (auth(issuer.mint(reviewer("rev-b"))), 404),
        "reviewer key": (REVIEWER, 200),
    }
    for name, (headers, status) in callers.items():
        response = await client.get(path, headers=headers)
        if status == 404:
            assert outcome_of(response, 404, "not-found") == f"No booking {made['id']!r} exists.", (
                name
            )
        else:
            assert response.status_code == 200, name
        listed = await fhir_get(client, "/fhir/r4/Appointment", headers=headers)
        assert [a["id"] for a in resources_of(listed)] == ([made["id"]] if status == 200 else []), (
            name
        )
    # an id of no booking's shape is unknown too; ops may not read bookings here either
    outcome_of(
        await client.get("/fhir/r4/Appointment/not-a-uuid", headers=PORTAL), 404, "not-found"
    )


async def test_a_reviewer_id_with_an_underscore_is_served(client: httpx.AsyncClient) -> None:
    """/v1 admits ``_`` in reviewer ids; FHIR ids do not (``[A-Za-z0-9.-]``), so such a
    reviewer must still be readable and bookable over FHIR, not a server error."""
    await push_reviewer(client, "rev_007.b")
    # the FHIR id escapes '_' and '.' with '.' (rev_007.b -> rev.5f007.2eb): a valid id, read back
    practitioner = await fhir_get(client, "/fhir/r4/Practitioner/rev.5f007.2eb")
    assert practitioner["id"] == "rev.5f007.2eb"
    assert {"system": "urn:p2p-scheduler:reviewer", "value": "rev_007.b"} in practitioner[
        "identifier"
    ]
    # the /v1 spelling finds the same reviewer
    assert await fhir_get(client, "/fhir/r4/Practitioner/rev_007.b") == practitioner
    [schedule] = resources_of(
        await fhir_get(client, "/fhir/r4/Schedule", actor="Practitioner/rev.5f007.2eb")
    )
    assert schedule["actor"][0]["reference"] == "Practitioner/rev.5f007.2eb"
    [role] = resources_of(
        await fhir_get(client, "/fhir/r4/PractitionerRole", practitioner="Practitioner/rev_007.b")
    )
    assert role["id"] == "rev.5f007.2eb"
    slots = resources_of(
        await fhir_get(
            client,
            "/fhir/r4/Slot",
            schedule="Schedule/rev.5f007.2eb",
            start=["ge2026-12-07", "lt2026-12-08"],
            _count="2",
        )
    )
    assert [s["id"] for s in slots] == [
        "rev.5f007.2eb-20261207T1400",
        "rev.5f007.2eb-20261207T1415",
    ]
    for slot in slots:
        Slot.model_validate(slot)
