"""A booking as it leaves the service: the API's answer and a webhook's ``data`` (SPEC §7, §9).

One document for both, so a portal reading either sees the same fields with the same values;
``notifications.booking_document`` builds it from a use case's booking view. Fields may be
added, none renamed (SPEC §7). The class names are the OpenAPI component names portal
clients have been generated from, hence the API's ``…Out`` naming.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from p2p_scheduler.domain.enums import BookingStatus, Outcome


class ReviewerRef(BaseModel):
    """Who will call, disclosed before the call (SPEC §11; state P2P laws ask for the
    reviewer's name, credentials and specialty, some for licence and NPI)."""

    reviewer_id: str
    name: str
    credentials: str
    specialty: str = Field("", examples=["Orthopaedic surgery"], description="'' when not given")
    npi: str | None = Field(None, examples=["1234567893"])
    licensed_states: list[str] = Field(default_factory=list, examples=[["TX", "LA"]])


class BookedCaseOut(BaseModel):
    case_number: str
    level_of_review: str
    valid_until: datetime
    level_of_review_label: str | None = Field(None, examples=["Reconsideration P2P"])


class ContactOut(BaseModel):
    provider_name: str
    provider_role: str = Field(
        description="who holds the call (the policy's provider roles when it was booked)"
    )
    contact_name: str
    contact_location: str
    phone: str
    phone_ext: str
    alt_phone: str
    alt_phone_ext: str
    email: str
    instructions: str


class Links(BaseModel):
    invite_ics: str | None = Field(
        None,
        description="the booking's current invite (.ics), signed; after a cancel it serves the "
        "CANCEL until it expires",
    )
    manage: str | None = Field(
        None,
        description="read this booking without an API key, signed; null once the booking is "
        "cancelled (the cancel revokes it for good: the old link then answers 410)",
    )


class OutcomeOut(BaseModel):
    """What the call decided, as the provider is told it (SPEC §14). The reviewer's notes
    are internal and never part of it."""

    code: Outcome
    label: str = Field(
        description="the policy's wording of the outcome", examples=["Decision overturned"]
    )
    recorded_at: datetime = Field(description="when the outcome was (last) recorded, UTC")


class BookingOut(BaseModel):
    """A booking or pending P2P request (SPEC §7 "a booking")."""

    id: str
    status: BookingStatus
    start: datetime | None = Field(description="in the requester's zone")
    end: datetime | None
    time_zone: str
    sequence: int
    duration_minutes: int
    valid_until: datetime
    reviewer: ReviewerRef | None
    cases: list[BookedCaseOut]
    contact: ContactOut
    links: Links
    created_at: datetime
    provider_org: str | None = Field(
        default=None,
        description="the provider organisation (practice, group or TIN) the booking belongs "
        "to; null when none was given",
    )
    attention: str | None = Field(
        default=None,
        description="why a person must look at this booking (its reviewer is off at its time "
        "and no other reviewer or time was found, or a case update left a case not eligible at "
        "its start); null when nothing needs doing",
    )
    outcome: OutcomeOut | None = Field(
        default=None,
        description="what the call decided, once the booking is completed; null before (the "
        "reviewer's notes are internal and never shown)",
    )
