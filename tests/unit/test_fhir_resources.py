"""The pure mapping of a booking to a FHIR Appointment (SPEC §13), checked field by field and
parsed back with the FHIR R4 model."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fhir.resources.R4B.appointment import Appointment
from hypothesis import given
from hypothesis import strategies as st

from api.fhir.ids import fhir_id, reviewer_id_of, slot_id
from api.fhir.resources import appointment_from_booking, operation_outcome, to_json
from p2p_scheduler.domain.bookings import BookedCase, BookingView, Contact, ReviewerSummary

START = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)


def view(status: str, **overrides: object) -> BookingView:
    fields: dict[str, object] = {
        "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "status": status,
        "start": START,
        "end": START + timedelta(minutes=30),
        "time_zone": "America/New_York",
        "sequence": 0,
        "duration_minutes": 30,
        "valid_until": START + timedelta(days=3),
        "reviewer": ReviewerSummary(
            "rev-001", "Dr. Ada Reviewer", "MD", "Orthopedics", "1234567893"
        ),
        "cases": (
            BookedCase("C-100", "standard", START + timedelta(days=3)),
            BookedCase("C-101", "standard", START + timedelta(days=3)),
        ),
        "contact": Contact(
            provider_name="Dr. Olive Orderly",
            provider_role="ordering_provider",
            phone="(555) 555-0100",
            email="olive@clinic.example.org",
            contact_name="Sam Front-Desk",
            phone_ext="123",
            instructions="Ask for Dr. Orderly.",
        ),
        "created_at": START - timedelta(days=2),
        "updated_at": START - timedelta(days=1),
    }
    fields.update(overrides)
    return BookingView(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "fhir_status"),
    [
        ("scheduled", "booked"),
        ("completed", "fulfilled"),
        ("cancelled", "cancelled"),
        ("no_show", "noshow"),
    ],
)
def test_status_mapping(status: str, fhir_status: str) -> None:
    document = to_json(appointment_from_booking(view(status)))
    assert document["status"] == fhir_status
    assert Appointment.model_validate(document).status == fhir_status


def test_a_scheduled_booking_as_an_appointment() -> None:
    document = to_json(appointment_from_booking(view("scheduled")))
    assert document["id"] == "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    assert document["start"] == "2026-12-08T19:30:00Z"
    assert document["end"] == "2026-12-08T20:00:00Z"
    assert document["minutesDuration"] == 30
    assert document["identifier"] == [
        {"system": "urn:p2p-scheduler:booking", "value": "7c9e6679-7425-40de-944b-e07fc1f90ae7"},
        {"system": "urn:p2p-scheduler:case", "value": "C-100"},
        {"system": "urn:p2p-scheduler:case", "value": "C-101"},
    ]
    assert document["participant"] == [
        {
            "actor": {"reference": "Practitioner/rev-001", "display": "Dr. Ada Reviewer"},
            "required": "required",
            "status": "accepted",
        },
        {
            "type": [{"text": "ordering_provider"}],
            "actor": {"reference": "#requester", "display": "Dr. Olive Orderly"},
            "required": "required",
            "status": "accepted",
        },
    ]
    assert document["contained"] == [
        {
            "resourceType": "Practitioner",
            "id": "requester",
            "name": [{"text": "Dr. Olive Orderly"}],
            "telecom": [
                {"system": "phone", "value": "(555) 555-0100", "use": "work", "rank": 1},
                {"system": "email", "value": "olive@clinic.example.org", "use": "work"},
            ],
        }
    ]
    assert document["comment"] == (
        "Contact person: Sam Front-Desk\nPhone extension: 123\nInstructions: Ask for Dr. Orderly."
    )
    assert "cancelationReason" not in document


def test_a_request_without_a_slot_is_proposed_without_times_or_reviewer() -> None:
    document = to_json(
        appointment_from_booking(view("pending_assignment", start=None, end=None, reviewer=None))
    )
    assert document["status"] == "proposed"
    assert "start" not in document and "end" not in document
    assert [p["actor"]["reference"] for p in document["participant"]] == ["#requester"]
    Appointment.model_validate(document)


def test_a_cancelled_booking_says_why() -> None:
    document = to_json(
        appointment_from_booking(
            view(
                "cancelled",
                cancel_reason_code="provider_unavailable",
                cancel_reason_text="Surgeon in theatre",
            )
        )
    )
    assert document["cancelationReason"] == {
        "coding": [{"system": "urn:p2p-scheduler:cancel-reason", "code": "provider_unavailable"}],
        "text": "Surgeon in theatre",
    }
    without_words = to_json(
        appointment_from_booking(view("cancelled", cancel_reason_code="provider_unavailable"))
    )
    assert without_words["cancelationReason"]["text"] == "provider unavailable"


def test_a_problem_as_an_operation_outcome() -> None:
    outcome = to_json(
        operation_outcome(
            "slot-taken",
            "Slot taken",
            "Someone booked this time a moment ago; pick another.",
            problem_type="https://p2p-scheduler.org/problems/slot-taken",
            fields=[("start", "is taken")],
        )
    )
    assert outcome == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "conflict",
                "details": {
                    "coding": [
                        {"system": "https://p2p-scheduler.org/problems/", "code": "slot-taken"}
                    ],
                    "text": "Slot taken",
                },
                "diagnostics": "Someone booked this time a moment ago; pick another.",
            },
            {
                "severity": "error",
                "code": "conflict",
                "diagnostics": "is taken",
                "expression": ["start"],
            },
        ],
    }


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", fullmatch=True))
def test_every_reviewer_id_is_a_valid_fhir_id_that_reads_back(reviewer_id: str) -> None:
    """/v1 reviewer ids admit '_', FHIR ids do not: the escape keeps each one valid (letters,
    digits, '-', '.', at most 64) and, when it fits, exactly reversible."""
    written = fhir_id(reviewer_id)
    assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", written), written
    if not written.startswith("x-"):
        assert reviewer_id_of(written) == reviewer_id
    assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", slot_id(reviewer_id, "20261207T1400"))
