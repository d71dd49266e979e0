"""A booking as plain values: what is stored, what the API and the calendars show.

The use cases work on these and the stores in ``db/`` map them to and from rows, so no
module outside ``db/`` holds an ORM object (a changed attribute on a live row is a write
nobody sees in the code). ``StoredBooking`` mirrors the ``bookings`` table one field per
column; it is also the state the audit trail records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.model import ReviewerProfile, Weekday

#: every start and every claimed stretch of a reviewer's time lies on this grid
GRID_MINUTES = 15
#: the longest ``attention`` text a booking keeps (the column's size)
ATTENTION_LENGTH = 300


class LimitSettings(Protocol):
    min_notice_minutes: int
    max_horizon_days: int
    hold_minutes: int
    buffer_minutes: int
    no_show_rebooks: int
    availability_max_slots: int


@dataclass(frozen=True, slots=True)
class Limits:
    """The availability limits of SPEC §3, from settings."""

    min_notice_minutes: int = 120
    max_horizon_days: int = 30
    hold_minutes: int = 5
    buffer_minutes: int = 0
    #: bookings a case may still get after the provider failed to answer (SPEC §9)
    no_show_rebooks: int = 1
    #: the most slots one availability answer lists (SPEC §9 "Abuse limits")
    availability_max_slots: int = 2000

    @classmethod
    def from_settings(cls, settings: LimitSettings) -> Limits:
        return cls(
            min_notice_minutes=settings.min_notice_minutes,
            max_horizon_days=settings.max_horizon_days,
            hold_minutes=settings.hold_minutes,
            buffer_minutes=settings.buffer_minutes,
            no_show_rebooks=settings.no_show_rebooks,
            availability_max_slots=settings.availability_max_slots,
        )

    def claimed_until(self, start: datetime, end: datetime) -> datetime:
        """Where a consultation of [start, end) stops blocking its reviewer's cells: the
        buffer after it, rounded up to the grid."""
        grid = timedelta(minutes=GRID_MINUTES)
        until = end + timedelta(minutes=self.buffer_minutes)
        rest = (until - start) % grid
        return until if rest == timedelta(0) else until + (grid - rest)


def grid_cells(start: datetime, end: datetime) -> list[datetime]:
    """The 15-minute cells covering [start, end) (both on the grid)."""
    cells = []
    cell = start
    while cell < end:
        cells.append(cell)
        cell += timedelta(minutes=GRID_MINUTES)
    return cells


@dataclass(frozen=True, slots=True)
class Contact:
    provider_name: str
    provider_role: str
    phone: str
    email: str
    contact_name: str = ""
    contact_location: str = ""
    phone_ext: str = ""
    alt_phone: str = ""
    alt_phone_ext: str = ""
    instructions: str = ""


@dataclass(frozen=True, slots=True)
class SlotRequest:
    """Cases (number, member DOB) + reviewer + start + the requester's zone."""

    cases: tuple[tuple[str, date], ...]
    reviewer_id: str
    start: datetime
    time_zone: str


@dataclass(frozen=True, slots=True)
class HoldView:
    hold_id: str
    reviewer_id: str
    start: datetime
    end: datetime
    expires_at: datetime
    time_zone: str


@dataclass(frozen=True, slots=True)
class StoredHold:
    id: str
    reviewer_id: str
    start_at: datetime
    end_at: datetime
    expires_at: datetime
    case_numbers: tuple[str, ...]
    time_zone: str
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class BookedCase:
    case_number: str
    level_of_review: str
    valid_until: datetime


@dataclass(frozen=True, slots=True)
class ReviewerSummary:
    """Who will call, as the booking discloses them to the provider (SPEC §11)."""

    reviewer_id: str
    name: str
    credentials: str
    specialty: str = ""
    npi: str | None = None
    licensed_states: tuple[str, ...] = ()

    @classmethod
    def of(cls, profile: ReviewerProfile) -> ReviewerSummary:
        return cls(
            reviewer_id=profile.reviewer_id,
            name=profile.name,
            credentials=profile.credentials,
            specialty=profile.specialty,
            npi=profile.npi,
            licensed_states=tuple(sorted(profile.licensed_states)),
        )


@dataclass(frozen=True, slots=True)
class StoredBooking:
    """One ``bookings`` row as plain values (field names are the column names)."""

    id: str
    status: BookingStatus
    duration_minutes: int
    time_zone: str
    valid_until: datetime
    provider_name: str
    provider_role: str
    phone: str
    provider_email: str
    created_at: datetime
    updated_at: datetime
    reviewer_id: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    sequence: int = 0
    contact_name: str = ""
    contact_location: str = ""
    phone_ext: str = ""
    alt_phone: str = ""
    alt_phone_ext: str = ""
    instructions: str = ""
    cancel_reason_code: str | None = None
    cancel_reason_text: str | None = None
    outcome: str | None = None
    outcome_notes: str | None = None
    outcome_recorded_at: datetime | None = None
    no_show_party: str | None = None
    #: a request without a slot: the requester's preferred weekdays and starting hours
    preferred_days: tuple[Weekday, ...] | None = None
    preferred_hours: tuple[int, ...] | None = None
    attention: str | None = None
    invite_link_version: int = 0
    manage_link_version: int = 0
    created_by: str = ""
    provider_org: str | None = None

    @property
    def contact(self) -> Contact:
        return Contact(
            provider_name=self.provider_name,
            provider_role=self.provider_role,
            phone=self.phone,
            email=self.provider_email,
            contact_name=self.contact_name,
            contact_location=self.contact_location,
            phone_ext=self.phone_ext,
            alt_phone=self.alt_phone,
            alt_phone_ext=self.alt_phone_ext,
            instructions=self.instructions,
        )


@dataclass(frozen=True, slots=True)
class BookingView:
    id: str
    status: str
    start: datetime | None
    end: datetime | None
    time_zone: str
    sequence: int
    duration_minutes: int
    valid_until: datetime
    reviewer: ReviewerSummary | None
    cases: tuple[BookedCase, ...]
    contact: Contact
    created_at: datetime
    invite_link_version: int = 0
    manage_link_version: int = 0
    attention: str | None = None
    updated_at: datetime | None = None
    provider_org: str | None = None
    #: the recorded outcome code and when; never the reviewer's notes (SPEC §14)
    outcome: str | None = None
    outcome_recorded_at: datetime | None = None
    #: why a cancelled booking was cancelled (its code and the words given); None otherwise
    cancel_reason_code: str | None = None
    cancel_reason_text: str | None = None

    @classmethod
    def of(
        cls,
        booking: StoredBooking,
        cases: tuple[BookedCase, ...],
        reviewer: ReviewerSummary | None,
    ) -> BookingView:
        return cls(
            id=booking.id,
            status=booking.status,
            start=booking.start_at,
            end=booking.end_at,
            time_zone=booking.time_zone,
            sequence=booking.sequence,
            duration_minutes=booking.duration_minutes,
            valid_until=booking.valid_until,
            reviewer=reviewer,
            cases=cases,
            contact=booking.contact,
            created_at=booking.created_at,
            invite_link_version=booking.invite_link_version,
            manage_link_version=booking.manage_link_version,
            attention=booking.attention,
            updated_at=booking.updated_at,
            provider_org=booking.provider_org,
            outcome=booking.outcome if booking.status == BookingStatus.COMPLETED else None,
            outcome_recorded_at=booking.outcome_recorded_at,
            cancel_reason_code=booking.cancel_reason_code,
            cancel_reason_text=booking.cancel_reason_text,
        )
