"""The service's own views as FHIR R4 resources (SPEC §13): pure functions, no I/O.

Every resource is built with the ``fhir.resources`` models, so a field of the wrong type or
cardinality fails here, in the tests, rather than in an EHR. The models are the package's
R4B ones (4.3.0): ``fhir.resources`` 8.x has no 4.0.1 package and 6.x, the last with one, is
pydantic 1. Appointment, Slot, Schedule, Practitioner, PractitionerRole, Bundle,
OperationOutcome, Parameters and CapabilityStatement have the same elements in 4.0.1 and
4.3.0, so what these build is valid R4 (4.0.1), which is the version the service declares.

Member data never appears: a booking's cases travel as identifiers (their case numbers),
never the member's name, date of birth or member id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot

from api.fhir.ids import fhir_id, slot_id
from p2p_scheduler.domain.bookings import BookingView, Contact
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.model import ReviewerProfile

FHIR_VERSION = "4.0.1"
FHIR_MEDIA_TYPE = "application/fhir+json"
#: identifier systems of the service's own ids (URNs: they name no host that could move)
BOOKING_SYSTEM = "urn:p2p-scheduler:booking"
CASE_SYSTEM = "urn:p2p-scheduler:case"
REVIEWER_SYSTEM = "urn:p2p-scheduler:reviewer"
CANCEL_REASON_SYSTEM = "urn:p2p-scheduler:cancel-reason"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
#: the contained Practitioner that stands for the requesting provider (SPEC §13)
REQUESTER_ID = "requester"

#: a booking's status → Appointment.status (SPEC §13)
APPOINTMENT_STATUS: Mapping[BookingStatus, str] = {
    BookingStatus.SCHEDULED: "booked",
    BookingStatus.COMPLETED: "fulfilled",
    BookingStatus.CANCELLED: "cancelled",
    BookingStatus.NO_SHOW: "noshow",
    BookingStatus.PENDING_ASSIGNMENT: "proposed",
}
#: Appointment.status → the booking statuses it stands for (a search's ``status=``); the
#: other FHIR codes name states no booking is in (a hold is ``pending``, and holds are not
#: bookings), so they find nothing rather than being refused
BOOKING_STATUSES: Mapping[str, tuple[BookingStatus, ...]] = {
    "proposed": (BookingStatus.PENDING_ASSIGNMENT,),
    "pending": (),
    "booked": (BookingStatus.SCHEDULED,),
    "arrived": (),
    "fulfilled": (BookingStatus.COMPLETED,),
    "cancelled": (BookingStatus.CANCELLED,),
    "noshow": (BookingStatus.NO_SHOW,),
    "entered-in-error": (),
    "checked-in": (),
    "waitlist": (),
}


def instant(moment: datetime) -> str:
    """A FHIR ``instant``: UTC, to the second, with ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_json(resource: Resource) -> dict[str, Any]:
    """The resource as FHIR JSON (no empty elements)."""
    return resource.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- Appointment -----------------------------------------------------------------------


def _comment(contact: Contact) -> str | None:
    """The rest of the requester's contact (SPEC §13), one labelled line each."""
    lines = [
        ("Contact person", contact.contact_name),
        ("Location", contact.contact_location),
        ("Phone extension", contact.phone_ext),
        ("Alternate phone extension", contact.alt_phone_ext if contact.alt_phone else ""),
        ("Instructions", contact.instructions),
    ]
    text = "\n".join(f"{label}: {value}" for label, value in lines if value)
    return text or None


def _requester(contact: Contact) -> dict[str, Any]:
    telecom: list[dict[str, Any]] = [
        {"system": "phone", "value": contact.phone, "use": "work", "rank": 1},
    ]
    if contact.alt_phone:
        telecom.append({"system": "phone", "value": contact.alt_phone, "use": "work", "rank": 2})
    if contact.email:
        telecom.append({"system": "email", "value": contact.email, "use": "work"})
    return {
        "resourceType": "Practitioner",
        "id": REQUESTER_ID,
        "name": [{"text": contact.provider_name}],
        "telecom": telecom,
    }


def appointment_from_booking(view: BookingView) -> Appointment:
    """A booking as an Appointment (SPEC §13): its status mapped, its time, the reviewer and
    the requesting provider as participants, the booking id and case numbers as
    identifiers; the cancellation reason of a cancelled one."""
    status = APPOINTMENT_STATUS[BookingStatus(view.status)]
    participants: list[dict[str, Any]] = []
    if view.reviewer is not None:
        participants.append(
            {
                "actor": {
                    "reference": f"Practitioner/{fhir_id(view.reviewer.reviewer_id)}",
                    "display": view.reviewer.name,
                },
                "required": "required",
                "status": "accepted",
            }
        )
    participants.append(
        {
            "type": [{"text": view.contact.provider_role}],
            "actor": {"reference": f"#{REQUESTER_ID}", "display": view.contact.provider_name},
            "required": "required",
            "status": "accepted",
        }
    )
    document: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": view.id,
        "contained": [_requester(view.contact)],
        "identifier": [
            {"system": BOOKING_SYSTEM, "value": view.id},
            *({"system": CASE_SYSTEM, "value": case.case_number} for case in view.cases),
        ],
        "status": status,
        "description": "Peer-to-peer consultation",
        "minutesDuration": view.duration_minutes,
        "created": instant(view.created_at),
        "comment": _comment(view.contact),
        "participant": participants,
    }
    if view.updated_at is not None:
        document["meta"] = {"lastUpdated": instant(view.updated_at)}
    if view.start is not None and view.end is not None:
        document["start"] = instant(view.start)
        document["end"] = instant(view.end)
    if status == "cancelled" and view.cancel_reason_code:
        document["cancelationReason"] = {
            "coding": [{"system": CANCEL_REASON_SYSTEM, "code": view.cancel_reason_code}],
            "text": view.cancel_reason_text or view.cancel_reason_code.replace("_", " "),
        }
    return Appointment.model_validate({k: v for k, v in document.items() if v is not None})


# --- Practitioner, PractitionerRole, Schedule, Slot --------------------------------------


def practitioner_from_reviewer(profile: ReviewerProfile) -> Practitioner:
    """A reviewer as a Practitioner: name, credentials as ``qualification``, the NPI."""
    identifiers = [{"system": REVIEWER_SYSTEM, "value": profile.reviewer_id}]
    if profile.npi:
        identifiers.append({"system": NPI_SYSTEM, "value": profile.npi})
    document: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": fhir_id(profile.reviewer_id),
        "identifier": identifiers,
        "active": profile.active,
        "name": [{"text": profile.name}],
    }
    if profile.credentials:
        document["qualification"] = [{"code": {"text": profile.credentials}}]
    return Practitioner.model_validate(document)


def practitioner_role_from_reviewer(profile: ReviewerProfile) -> PractitionerRole:
    """A reviewer's role: what they review (specialty) and where they are licensed."""
    document: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": fhir_id(profile.reviewer_id),
        "active": profile.active,
        "practitioner": {"reference": f"Practitioner/{fhir_id(profile.reviewer_id)}"},
        "code": [{"text": "Peer-to-peer reviewer"}],
    }
    if profile.specialty:
        document["specialty"] = [{"text": profile.specialty}]
    if profile.licensed_states:
        document["location"] = [
            {"display": f"Licensed in {state}"} for state in sorted(profile.licensed_states)
        ]
    return PractitionerRole.model_validate(document)


def schedule_from_reviewer(profile: ReviewerProfile) -> Schedule:
    """One Schedule per reviewer (its id is the reviewer's): their consultation hours."""
    return Schedule.model_validate(
        {
            "resourceType": "Schedule",
            "id": fhir_id(profile.reviewer_id),
            "active": profile.active,
            "actor": [
                {
                    "reference": f"Practitioner/{fhir_id(profile.reviewer_id)}",
                    "display": profile.name,
                }
            ],
            "comment": f"Peer-to-peer consultation hours ({profile.time_zone})",
        }
    )


@dataclass(frozen=True, slots=True)
class SlotTime:
    """One 15-minute cell of a reviewer's hours and what holds it."""

    start: datetime
    end: datetime
    #: ``free``, ``busy`` (a booking) or ``busy-tentative`` (a hold)
    status: str


def slot_resource(reviewer_id: str, cell: SlotTime) -> Slot:
    """A cell as a Slot; its id names the reviewer and the start, so it reads the same on
    every search."""
    return Slot.model_validate(
        {
            "resourceType": "Slot",
            "id": slot_id(reviewer_id, f"{cell.start.astimezone(UTC):%Y%m%dT%H%M}"),
            "schedule": {"reference": f"Schedule/{fhir_id(reviewer_id)}"},
            "status": cell.status,
            "start": instant(cell.start),
            "end": instant(cell.end),
        }
    )


# --- Bundle, OperationOutcome, CapabilityStatement --------------------------------------


def searchset(
    resources: Sequence[Resource], *, total: int | None, self_url: str, next_url: str | None
) -> Bundle:
    """A search answer: the page's resources, the total when counted, self and next links."""
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    document: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {
                "fullUrl": _full_url(self_url, resource),
                "resource": to_json(resource),
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }
    if total is not None:
        document["total"] = total
    return Bundle.model_validate(document)


def _full_url(self_url: str, resource: Resource) -> str:
    base = self_url.split("?", 1)[0].rsplit("/", 1)[0]
    return f"{base}/{resource.get_resource_type()}/{resource.id}"


#: our problem kinds → OperationOutcome issue codes (FHIR value set ``issue-type``)
ISSUE_CODES: Mapping[str, str] = {
    "validation": "invalid",
    "unauthorized": "login",
    "forbidden": "forbidden",
    "not-found": "not-found",
    "link-revoked": "not-found",
    "link-used": "not-found",
    "link-expired": "expired",
    "method-not-allowed": "not-supported",
    "unsupported-media-type": "not-supported",
    "slot-taken": "conflict",
    "case-already-booked": "duplicate",
    "invalid-transition": "business-rule",
    "call-not-started": "business-rule",
    "not-eligible": "business-rule",
    "not-qualified": "business-rule",
    "idempotency-key-reused": "conflict",
    "request-in-progress": "transient",
    "payload-too-large": "too-costly",
    "request-timeout": "timeout",
    "rate-limited": "throttled",
    "internal": "exception",
    "not-ready": "transient",
}


def operation_outcome(
    kind: str,
    title: str,
    detail: str,
    *,
    problem_type: str,
    fields: Iterable[tuple[str, str]] = (),
) -> OperationOutcome:
    """A problem as an OperationOutcome: ``issue[0].diagnostics`` is the problem's plain
    words and its ``details`` code the problem's type (so ``slot-taken`` and
    ``case-already-booked`` stay apart); one more issue per failing field."""
    severity = "fatal" if kind == "internal" else "error"
    code = ISSUE_CODES.get(kind, "processing")
    issues: list[dict[str, Any]] = [
        {
            "severity": severity,
            "code": code,
            "details": {
                "coding": [{"system": problem_type.removesuffix(kind), "code": kind}],
                "text": title,
            },
            "diagnostics": detail,
        }
    ]
    issues.extend(
        {"severity": "error", "code": code, "diagnostics": message, "expression": [field]}
        for field, message in fields
    )
    return OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": issues})


@dataclass(frozen=True, slots=True)
class Served:
    """What the interface serves of one resource type (the CapabilityStatement's rows)."""

    resource: str
    interactions: tuple[str, ...]
    #: (name, FHIR search-param type, what it does)
    search: tuple[tuple[str, str, str], ...] = ()
    #: (name, canonical of its OperationDefinition)
    operations: tuple[tuple[str, str], ...] = ()


def capability_statement(
    served: Sequence[Served], *, version: str, now: date
) -> CapabilityStatement:
    """What this server does, from the same table the routes are declared by."""
    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": now.isoformat(),
            "publisher": "P2P Scheduler",
            "kind": "instance",
            "software": {"name": "P2P Scheduler", "version": version},
            "implementation": {
                "description": "Peer-to-peer consultation scheduling for prior authorization"
            },
            "fhirVersion": FHIR_VERSION,
            "format": [FHIR_MEDIA_TYPE, "json"],
            "rest": [
                {
                    "mode": "server",
                    "security": {
                        "service": [{"text": "Bearer API key or OpenID Connect access token"}],
                        "description": "The same keys and tokens as /v1 (SPEC §10).",
                    },
                    "resource": [
                        {
                            "type": row.resource,
                            "interaction": [{"code": code} for code in row.interactions],
                            **(
                                {
                                    "searchParam": [
                                        {"name": name, "type": kind, "documentation": words}
                                        for name, kind, words in row.search
                                    ]
                                }
                                if row.search
                                else {}
                            ),
                            **(
                                {
                                    "operation": [
                                        {"name": name, "definition": definition}
                                        for name, definition in row.operations
                                    ]
                                }
                                if row.operations
                                else {}
                            ),
                        }
                        for row in served
                    ],
                }
            ],
        }
    )
