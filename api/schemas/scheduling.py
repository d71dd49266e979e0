"""Availability, holds and bookings (SPEC §7 shapes; fields may be added, none renamed)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    TypeAdapter,
    WithJsonSchema,
    field_validator,
)

from api.schemas.common import (
    IDENTIFIER,
    Code,
    Email,
    Instant,
    ReviewerId,
    Strict,
    Text,
    TimeZoneName,
    multi_line,
    single_line,
)
from api.schemas.eligibility import CaseLookup
from p2p_scheduler.domain import availability
from p2p_scheduler.domain.booking_document import BookingOut
from p2p_scheduler.domain.enums import CancelReason, Outcome, Party
from p2p_scheduler.domain.model import Weekday
from p2p_scheduler.services.availability_search import Availability
from p2p_scheduler.services.booking import Contact, HoldView, SlotRequest

DEFAULT_DAYS = [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI]
DEFAULT_HOURS = list(range(7, 19))

_PHONE = re.compile(r"^\+?[0-9 ().-]+$")


def _phone(value: str) -> str:
    """E.164-ish: digits with the usual punctuation, 10 to 15 digits in all."""
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE.match(value) or not 10 <= digits <= 15:
        raise ValueError(
            "Enter a phone number with 10 to 15 digits, like (555) 555-5555 or +15555555555"
        )
    return value


Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=32),
    AfterValidator(_phone),
    Field(examples=["(555) 555-5555", "+15555555555"]),
]


def _extension(value: str) -> str:
    """One message for every wrong extension: a ninth digit is as wrong as a letter."""
    if value and not (value.isascii() and value.isdigit() and len(value) <= 8):
        raise ValueError("Enter the extension in digits only (up to 8), like 12345")
    return value


Extension = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(_extension),
    Field(json_schema_extra={"maxLength": 8}),
]
Note = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500), BeforeValidator(multi_line)
]

#: Who holds the call. The codes are the policy's (``Policy.provider_roles``: a plan may add
#: its own), so this type cannot list them; ``api.app`` fills in the ``enum`` of the app's
#: policy wherever the OpenAPI carries this marker.
PROVIDER_ROLES_MARKER = "x-p2p-policy-provider-roles"
ProviderRole = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    BeforeValidator(single_line),
    Field(
        description="who holds the call, one of the policy's provider roles (any case)",
        examples=["ordering_provider"],
        json_schema_extra={PROVIDER_ROLES_MARKER: True},
    ),
]


def declare_provider_roles(document: Any, roles: Sequence[str]) -> None:
    """Turn every ``ProviderRole`` of an OpenAPI document into an ``enum`` of ``roles``."""
    if isinstance(document, dict):
        if document.pop(PROVIDER_ROLES_MARKER, False):
            document["enum"] = list(roles)
        for value in document.values():
            declare_provider_roles(value, roles)
    elif isinstance(document, list):
        for value in document:
            declare_provider_roles(value, roles)


class Preferences(Strict):
    days: list[Code[Weekday]] = Field(default_factory=lambda: list(DEFAULT_DAYS), max_length=7)
    hours: list[Annotated[int, Field(ge=0, le=23)]] = Field(
        default_factory=lambda: list(DEFAULT_HOURS),
        max_length=24,
        description="starting hours of the preferred hourly bins, in the requester's zone",
    )


#: The most slots a day can hold on the 15-minute grid (24 h × 4), and so the largest
#: ``slots_per_day`` that can cut anything.
MAX_SLOTS_PER_DAY = 96
SlotsPerDay = Annotated[
    int | None,
    Field(
        ge=1,
        le=MAX_SLOTS_PER_DAY,
        description=(
            "At most this many slots in each reviewer's day (the earliest ones), for a page "
            "that shows a few times per day with a 'Show more…' link; every day still says "
            "how many it has in `total_slots`, so the page knows when to offer more and can "
            "ask again without this field (for one day: with `preferences.days` set to its "
            "weekday). 1 to 96; absent or null: every slot (the default), as far as the "
            "answer's cap allows (see `max_slots`). Only the answer is shortened: which reviewers and days appear, and in what "
            "order, is the same as without it."
        ),
        examples=[4],
    ),
]
MaxSlots = Annotated[
    int | None,
    Field(
        ge=1,
        description=(
            "At most this many slots in the whole answer: at most the service's cap "
            "(`P2P_AVAILABILITY_MAX_SLOTS`, default 2000; more is a 422). Absent or null: "
            "the cap. A week with more slots than that lists the earliest of every "
            "reviewer's day, as many per day as fit, and says `truncated: true`; each day's "
            "`total_slots` still counts them all, and the same request with `reviewer_id` "
            "lists one reviewer's week ('Show more…')."
        ),
        examples=[500],
    ),
]
OneReviewer = Annotated[
    ReviewerId | None,
    Field(
        description="only this reviewer's times (a 'Show more…' of an answer that was cut); "
        "a reviewer who does not qualify for the cases has none"
    ),
]


class AvailabilityIn(Strict):
    cases: list[CaseLookup] = Field(min_length=1, max_length=50)
    time_zone: TimeZoneName
    preferences: Preferences = Field(default_factory=Preferences)
    week_start: date | None = Field(None, description="a Monday in the requester's zone")
    slots_per_day: SlotsPerDay = None
    max_slots: MaxSlots = None
    reviewer_id: OneReviewer = None


#: An instant already rendered as pydantic renders a ``datetime`` (RFC 3339, the requester's
#: offset). A week can hold thousands of slots sharing a few hundred instants: rendering
#: each once costs a quarter of serialising them all as datetimes.
RenderedInstant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
_INSTANT = TypeAdapter(datetime)


class SlotOut(BaseModel):
    start: RenderedInstant = Field(examples=["2026-05-18T18:30:00-04:00"])
    end: RenderedInstant = Field(examples=["2026-05-18T18:45:00-04:00"])
    label: str = Field(examples=["6:30 pm EDT"])

    @classmethod
    def of(cls, slot: availability.LabelledSlot) -> SlotOut:
        return cls(
            start=_INSTANT.dump_python(slot.start, mode="json"),
            end=_INSTANT.dump_python(slot.end, mode="json"),
            label=slot.label,
        )


class DayOut(BaseModel):
    date: date
    slots: list[SlotOut] = Field(description="ascending by start; the earliest `slots_per_day`")
    total_slots: int = Field(
        description="how many slots the day has in all: more than `slots` lists when the "
        "request's `slots_per_day` shortened it (a page's 'Show more…')",
        examples=[27],
    )


class ReviewerSlotsOut(BaseModel):
    reviewer_id: str
    name: str
    credentials: str
    specialty: str = Field("", description="'' when the profile gives none")
    days: list[DayOut]


class TierOut(BaseModel):
    tier: int
    label: str = Field(examples=["1st Priority by Skill"])
    reviewers: list[ReviewerSlotsOut]


class AvailabilityOut(BaseModel):
    time_zone: str
    week_start: date
    week_end: date
    duration_minutes: int
    valid_until: datetime
    previous_week_start: date
    next_week_start: date
    tiers: list[TierOut]
    total_slots: int = Field(
        description="how many slots the week has in all (the sum of the days' `total_slots`)",
        examples=[480],
    )
    max_slots: int = Field(
        description="the most slots this answer may list (the request's `max_slots` or the "
        "service's cap)",
        examples=[2000],
    )
    truncated: bool = Field(
        description="true when the cap left slots out that the request asked for: each "
        "reviewer's day lists only its earliest ones (when there are more reviewer-days "
        "than the cap, later reviewers of every tier list none); a day with fewer `slots` "
        "than `total_slots` has more, which the same request with `reviewer_id` lists "
        "('Show more…'). The request's own `slots_per_day` never sets it."
    )

    @classmethod
    def of(cls, found: Availability) -> AvailabilityOut:
        """The answer as the search cut it (``availability_search.search``)."""
        # Reviewers of one week share most slots (the same LabelledSlot objects), so each
        # becomes a SlotOut once.
        slots: dict[int, SlotOut] = {}

        def slot(s: availability.LabelledSlot) -> SlotOut:
            if (out := slots.get(id(s))) is None:
                out = slots[id(s)] = SlotOut.of(s)
            return out

        return cls(
            time_zone=found.time_zone,
            week_start=found.week_start,
            week_end=found.week_end,
            duration_minutes=found.duration_minutes,
            valid_until=found.valid_until,
            previous_week_start=found.previous_week_start,
            next_week_start=found.next_week_start,
            tiers=[
                TierOut(
                    tier=group.tier,
                    label=group.label,
                    reviewers=[
                        ReviewerSlotsOut(
                            reviewer_id=r.reviewer_id,
                            name=r.name,
                            credentials=r.credentials,
                            specialty=r.specialty,
                            days=[
                                DayOut(
                                    date=d.date,
                                    slots=[slot(s) for s in d.slots],
                                    total_slots=d.total,
                                )
                                for d in r.days
                            ],
                        )
                        for r in group.reviewers
                    ],
                )
                for group in found.tiers
            ],
            total_slots=found.total_slots,
            max_slots=found.max_slots,
            truncated=found.truncated,
        )


class SlotIn(Strict):
    cases: list[CaseLookup] = Field(min_length=1, max_length=50)
    reviewer_id: ReviewerId
    start: Instant = Field(description="on the 15-minute grid, with an offset")
    time_zone: TimeZoneName

    def slot(self) -> SlotRequest:
        return SlotRequest(
            cases=tuple((c.case_number, c.member_dob) for c in self.cases),
            reviewer_id=self.reviewer_id,
            start=self.start,
            time_zone=self.time_zone,
        )


class HoldIn(SlotIn):
    """``POST /v1/holds`` body: a booking request without contact details."""


class HoldOut(BaseModel):
    hold_id: str
    expires_at: datetime
    reviewer_id: str
    start: datetime
    end: datetime

    @classmethod
    def of(cls, view: HoldView) -> HoldOut:
        return cls(
            hold_id=view.hold_id,
            expires_at=view.expires_at,
            reviewer_id=view.reviewer_id,
            start=_in_zone(view.start, view.time_zone),
            end=_in_zone(view.end, view.time_zone),
        )


class ContactIn(Strict):
    provider_name: Text = Field(description="name of the provider requesting the P2P")
    provider_role: ProviderRole
    contact_name: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=200), BeforeValidator(single_line)
    ] = ""
    contact_location: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=200), BeforeValidator(single_line)
    ] = ""
    phone: Phone
    phone_ext: Extension = ""
    alt_phone: Phone | None = None
    alt_phone_ext: Extension = ""
    email: Email
    instructions: Note = ""

    def contact(self, provider_roles: Sequence[str]) -> Contact:
        """The contact for the use cases, its role spelled as the policy's ``provider_roles``
        spell it (any case is accepted; an unknown role is left for the use case to refuse)."""
        role = next(
            (r for r in provider_roles if r.lower() == self.provider_role.lower()),
            self.provider_role,
        )
        return Contact(
            provider_name=self.provider_name,
            provider_role=role,
            phone=self.phone,
            email=self.email,
            contact_name=self.contact_name,
            contact_location=self.contact_location,
            phone_ext=self.phone_ext,
            alt_phone=self.alt_phone or "",
            alt_phone_ext=self.alt_phone_ext,
            instructions=self.instructions,
        )


PROVIDER_ORG_DESCRIPTION = (
    "the provider organisation (practice, group or TIN) the booking belongs to; a provider "
    "sign-in's own organisation is used (another one is refused), a portal key may set any"
)


class BookingIn(SlotIn):
    hold_id: str | None = Field(None, max_length=36)
    contact: ContactIn
    provider_org: str | None = Field(None, pattern=IDENTIFIER, description=PROVIDER_ORG_DESCRIPTION)

    @field_validator("hold_id")
    @classmethod
    def _uuid(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 36:
            raise ValueError("is not a hold id from POST /v1/holds")
        return value


def _in_zone(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


class BookingPage(BaseModel):
    items: list[BookingOut]
    next_cursor: str | None


class RescheduleIn(Strict):
    start: Instant = Field(description="on the 15-minute grid, with an offset")
    reviewer_id: ReviewerId | None = None


class CancelIn(Strict):
    reason_code: Code[CancelReason] = Field(description="why; 'other' needs a reason_text")
    reason_text: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=500), BeforeValidator(multi_line)
    ] = ""


class CompleteIn(Strict):
    outcome: Code[Outcome] = Field(description="what the call decided")
    notes: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=1000), BeforeValidator(multi_line)
    ] = ""


class NoShowIn(Strict):
    party: Code[Party] = Field(description="who did not answer")
    notes: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=1000), BeforeValidator(multi_line)
    ] = ""


class MoveAvailabilityIn(Strict):
    """``POST /v1/bookings/{id}/availability``: times to move a booking to. Its cases (and
    their dates of birth) are the booking's own."""

    time_zone: TimeZoneName | None = Field(None, description="default: the booking's zone")
    preferences: Preferences = Field(default_factory=Preferences)
    week_start: date | None = Field(None, description="a Monday in the requester's zone")
    slots_per_day: SlotsPerDay = None
    max_slots: MaxSlots = None
    reviewer_id: OneReviewer = None


class AgendaOut(BaseModel):
    """A reviewer's week, Monday to Sunday in the reviewer's zone (``today`` is theirs too)."""

    reviewer_id: str
    name: str
    credentials: str
    time_zone: str
    today: date
    week_start: date
    week_end: date
    previous_week_start: date
    next_week_start: date
    calendar_feed_url: str
    bookings: list[BookingOut] = Field(
        description="scheduled, completed and no-show P2Ps starting this week, earliest first"
    )
    now: datetime = Field(
        description="the service's clock when it answered (UTC): a call whose start is after "
        "it cannot have its outcome or no-show recorded yet (409 call-not-started), so the day "
        "view offers neither",
    )


class TimeOffIn(Strict):
    start: Instant
    end: Instant
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=200), BeforeValidator(single_line)
    ] = ""


class AffectedOut(BaseModel):
    booking_id: str
    action: str = Field(description="reassigned, moved or needs_attention")


class TimeOffOut(BaseModel):
    affected: list[AffectedOut]


class P2PRequestIn(Strict):
    """``POST /v1/p2p-requests``: a booking request without a slot, with preferences."""

    cases: list[CaseLookup] = Field(min_length=1, max_length=50)
    time_zone: TimeZoneName
    preferences: Preferences = Field(default_factory=Preferences)
    contact: ContactIn
    provider_org: str | None = Field(None, pattern=IDENTIFIER, description=PROVIDER_ORG_DESCRIPTION)


class UnassignedOut(BaseModel):
    booking_id: str
    reason: str = Field(
        description="no_qualified_reviewer, no_free_time_before_deadline, "
        "lost_to_higher_priority, not_eligible, slot_taken_meanwhile or no_longer_pending"
    )


class OptimizerRunOut(BaseModel):
    status: str = Field(description="optimal, feasible, infeasible or timed_out_without_solution")
    assigned: list[str] = Field(description="booking ids now scheduled")
    unassigned: list[UnassignedOut]
    objective: int
    bound: int
    solve_seconds: float
    gap_pct: float | None = None
    method: str = Field(description="cp_sat, or the repaired greedy answer when none came in time")
