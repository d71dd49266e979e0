"""A FHIR client library against the real server (SPEC §13, issue 20): ``fhirpy`` searches a
reviewer's Slots, following the Bundle's ``next`` links, and reads an Appointment, on
SQLite and PostgreSQL with the real clock.

Seeded over ``/v1``: a reviewer working 08:00–20:00 every day in New York, a pre-decision
case, and a booking taken from a real availability answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.slot import Slot
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound
from sqlalchemy import Engine

from tests.api.helpers import (
    ALL_DAYS,
    ALL_HOURS,
    NEW_YORK,
    availability_body,
    booking_body,
    case_body,
    reviewer_body,
    weekly,
)
from tests.e2e.server import Server, cli_env, start_server, stop
from tests.support import auth

pytestmark = pytest.mark.e2e

ADMIN_KEY = "fhir-admin-key-0001"
PORTAL_KEY = "fhir-portal-key-0001"
REVIEWER = "rev-fhir"


@pytest.fixture
def server(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Server]:
    """The real server on the test database (``engine`` migrated and emptied it first)."""
    env = cli_env(
        P2P_DATABASE_URL=database_url,
        P2P_API_KEYS=f"admin:{ADMIN_KEY},portal:{PORTAL_KEY}",
        P2P_SECRET_KEY="fhir-secret-key-0123456789",
        P2P_LOG_LEVEL="warning",
    )
    running = start_server(tmp_path, env)
    try:
        yield running
    finally:
        stop(running.process)
        print(f"--- server log ({running.log}) ---\n{running.output()}")  # shown on failure


def seed_booking(server: Server) -> dict[str, object]:
    """The reviewer, a case, and a booking of the first start availability offers."""
    now = datetime.now(UTC)
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        reviewer = reviewer_body(
            name="Dr. Fay Hirsch",
            time_zone=NEW_YORK,
            skills={"msk_spine": 1},
            licensed_states=["PA"],
            working_hours=weekly("08:00", "20:00", ALL_DAYS),
            max_consults_per_day=96,
            npi="1234567893",
        )
        response = http.put(f"/v1/reviewers/{REVIEWER}", json=reviewer, headers=auth(ADMIN_KEY))
        assert response.status_code == 201, response.text
        case = case_body(
            status="in_review",
            determination_at=None,
            received_at=(now - timedelta(hours=1)).isoformat(),
            hold_due_at=(now + timedelta(days=21)).isoformat(),
        )
        response = http.put("/v1/cases/F-001", json=case, headers=auth(ADMIN_KEY))
        assert response.status_code == 201, response.text
        body = availability_body("F-001", days=ALL_DAYS, hours=ALL_HOURS)
        response = http.post("/v1/availability", json=body, headers=auth(PORTAL_KEY))
        assert response.status_code == 200, response.text
        [tier] = response.json()["tiers"]
        start = tier["reviewers"][0]["days"][0]["slots"][0]["start"]
        response = http.post(
            "/v1/bookings",
            json=booking_body("F-001", REVIEWER, start),
            headers=auth(PORTAL_KEY),
        )
        assert response.status_code == 201, response.text
        return response.json()


def test_fhirpy_searches_slots_and_reads_an_appointment(server: Server) -> None:
    made = seed_booking(server)
    start = datetime.fromisoformat(str(made["start"])).astimezone(UTC)
    client = SyncFHIRClient(f"{server.base_url}/fhir/r4", authorization=f"Bearer {PORTAL_KEY}")

    # the booking's UTC day, 15 slots a page: fhirpy follows the next links itself
    day = start.date()
    search = (
        client.resources("Slot")
        .search(schedule=f"Schedule/{REVIEWER}")
        .search(start__ge=day.isoformat(), start__lt=(day + timedelta(days=1)).isoformat())
        .limit(15)
    )
    slots = search.fetch_all()
    for slot in slots:
        Slot.model_validate(slot.serialize())
    starts = [datetime.fromisoformat(slot["start"].replace("Z", "+00:00")) for slot in slots]
    assert starts == sorted(set(starts))
    assert all(s.date() == day for s in starts)
    assert all((s.minute % 15, s.second) == (0, 0) for s in starts)
    status = {s: slot["status"] for s, slot in zip(starts, slots, strict=True)}
    assert status[start] == "busy"  # the booking's quarter hour
    assert len(slots) > 15  # more than one page was read
    assert sum(1 for value in status.values() if value == "busy") == 1

    appointment = client.reference("Appointment", str(made["id"])).to_resource()
    document = appointment.serialize()
    Appointment.model_validate(document)
    assert document["status"] == "booked"
    assert document["start"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {"system": "urn:p2p-scheduler:case", "value": "F-001"} in document["identifier"]
    assert document["participant"][0]["actor"]["reference"] == f"Practitioner/{REVIEWER}"

    found = client.resources("Appointment").search(practitioner=f"Practitioner/{REVIEWER}")
    assert [a.id for a in found.fetch()] == [made["id"]]
    practitioner = client.reference("Practitioner", REVIEWER).to_resource()
    assert practitioner["identifier"][1] == {
        "system": "http://hl7.org/fhir/sid/us-npi",
        "value": "1234567893",
    }
    with pytest.raises(ResourceNotFound):
        client.reference("Appointment", "7c9e6679-7425-40de-944b-e07fc1f90ae7").to_resource()
