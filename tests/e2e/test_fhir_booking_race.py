"""No double booking through FHIR either (SPEC §4, §13): 16 concurrent ``Appointment/$book``
of one slot against the real server, on SQLite and PostgreSQL, as one process and as two.

The world and the server are ``test_booking_race``'s (a reviewer working 08:00–20:00 every
day in New York, pre-decision cases held three weeks, the real clock). The slot is one that
``$find`` proposes at least three hours ahead; each thread books it for a case of its own
(so only the slot is contested) with its own connection. What committed is read back from
the database itself.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.operationoutcome import OperationOutcome
from sqlalchemy import Engine, select

from tests.api.helpers import MEMBER_DOB, NEW_YORK, contact_body
from tests.e2e.server import Server
from tests.e2e.test_booking_race import (  # the same world (only helpers and the fixture)
    BOOKINGS,
    PORTAL_KEY,
    REVIEWER,
    SLOT_CELLS,
    THREADS,
    seed,
    server,  # noqa: F401  (fixture: the real server, one process and two)
)
from tests.support import auth

FHIR_JSON = "application/fhir+json"
pytestmark = pytest.mark.e2e

HEADERS = {**auth(PORTAL_KEY), "Content-Type": FHIR_JSON}


def case(number: str) -> dict[str, Any]:
    return {
        "name": "case",
        "part": [
            {"name": "case-number", "valueString": number},
            {"name": "member-dob", "valueDate": MEMBER_DOB},
        ],
    }


def proposed_slot(running: Server, case_number: str) -> dict[str, Any]:
    """The first Appointment ``$find`` proposes with the race's reviewer, three hours ahead
    or later (today and tomorrow in New York)."""
    now = datetime.now(UTC)
    body = {
        "resourceType": "Parameters",
        "parameter": [
            case(case_number),
            {"name": "start", "valueDateTime": (now + timedelta(hours=3)).isoformat()},
            {"name": "end", "valueDateTime": (now + timedelta(days=2)).isoformat()},
            {"name": "time-zone", "valueCode": NEW_YORK},
        ],
    }
    with httpx.Client(base_url=running.base_url, headers=HEADERS, timeout=30) as portal:
        response = portal.post("/fhir/r4/Appointment/$find", json=body)
    assert response.status_code == 200, response.text
    return next(
        entry["resource"]
        for entry in response.json()["entry"]
        if entry["search"]["mode"] == "match"
        and entry["resource"]["participant"][0]["actor"]["reference"] == f"Practitioner/{REVIEWER}"
    )


def with_requester(appointment: dict[str, Any]) -> dict[str, Any]:
    contact = contact_body()
    return {
        **appointment,
        "identifier": [],  # each thread books it for a case of its own
        "contained": [
            {
                "resourceType": "Practitioner",
                "id": "requester",
                "name": [{"text": contact["provider_name"]}],
                "telecom": [
                    {"system": "phone", "value": contact["phone"]},
                    {"system": "email", "value": contact["email"]},
                ],
            }
        ],
        "participant": [
            *appointment["participant"],
            {
                "actor": {"reference": "#requester"},
                "type": [{"text": contact["provider_role"]}],
                "status": "accepted",
            },
        ],
    }


def fire(running: Server, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    """POST every ``$book`` at once, one thread and one connection each."""
    barrier = threading.Barrier(len(bodies))
    results: list[httpx.Response | BaseException | None] = [None] * len(bodies)

    def run(index: int) -> None:
        with httpx.Client(base_url=running.base_url, headers=HEADERS, timeout=60) as portal:
            portal.get("/health")  # connect before the barrier, so the POSTs really race
            barrier.wait(timeout=30)
            try:
                results[index] = portal.post("/fhir/r4/Appointment/$book", json=bodies[index])
            except BaseException as error:  # reported below, with the others
                results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a $book hung"
    failures = [r for r in results if not isinstance(r, httpx.Response)]
    assert not failures, failures
    return [r for r in results if isinstance(r, httpx.Response)]


def test_sixteen_books_of_one_slot_book_it_once(server: Server, engine: Engine) -> None:  # noqa: F811
    cases = seed(server, THREADS)
    offered = proposed_slot(server, cases[0])
    appointment = with_requester(offered)
    bodies = [
        {
            "resourceType": "Parameters",
            "parameter": [{"name": "appt-resource", "resource": appointment}, case(number)],
        }
        for number in cases
    ]

    responses = fire(server, bodies)

    won = [r for r in responses if r.status_code == 201]
    assert len(won) == 1, [(r.status_code, r.text) for r in responses]
    booked = won[0].json()
    Appointment.model_validate(booked)
    assert booked["status"] == "booked"
    start = datetime.fromisoformat(offered["start"]).astimezone(UTC)
    assert datetime.fromisoformat(booked["start"].replace("Z", "+00:00")) == start
    lost = [r for r in responses if r.status_code != 201]
    assert len(lost) == THREADS - 1
    for response in lost:
        assert response.status_code == 409, response.text
        assert response.headers["content-type"] == FHIR_JSON
        outcome = response.json()
        OperationOutcome.model_validate(outcome)
        [issue, *_] = outcome["issue"]
        assert issue["code"] == "conflict", outcome
        assert issue["details"]["coding"][0]["code"] == "slot-taken", outcome

    with engine.connect() as connection:
        at_that_time = connection.execute(
            select(BOOKINGS.c.id).where(
                BOOKINGS.c.reviewer_id == REVIEWER,
                BOOKINGS.c.status == "scheduled",
                BOOKINGS.c.start_at == start,
            )
        ).all()
        cells = connection.execute(
            select(SLOT_CELLS.c.booking_id).where(SLOT_CELLS.c.reviewer_id == REVIEWER)
        ).all()
        every_booking = connection.execute(select(BOOKINGS.c.id)).all()
    assert [row.id for row in at_that_time] == [booked["id"]]
    assert {row.booking_id for row in cells} == {booked["id"]}
    assert len(every_booking) == 1, "a losing $book left a booking behind"
