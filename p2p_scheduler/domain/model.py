"""Plain values the domain works on: case snapshots and reviewer profiles.

These are what the pure functions (policy, eligibility) take, so they carry no session
and no HTTP: the persistence layer maps its rows to them and the API maps JSON to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from p2p_scheduler.domain.enums import BookingStatus


class LineOfBusiness(StrEnum):
    COMMERCIAL = "commercial"
    MEDICARE = "medicare"
    MEDICAID = "medicaid"


class CaseStatus(StrEnum):
    IN_REVIEW = "in_review"
    PENDING_INFO = "pending_info"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


class Urgency(StrEnum):
    STANDARD = "standard"
    URGENT = "urgent"


class LevelOfReview(StrEnum):
    PRE_DECISION = "pre_decision"
    RECONSIDERATION = "reconsideration"
    APPEAL = "appeal"
    CONSULTATIVE_ONLY = "consultative_only"


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def iso(self) -> int:
        """ISO weekday number, Monday = 1."""
        return list(Weekday).index(self) + 1


#: USPS codes of the states, DC and the territories where a reviewer may be licensed.
US_STATES: frozenset[str] = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
    ]
)


@dataclass(frozen=True, slots=True)
class Member:
    """The member a case is about. PHI: never leaves the look-up and admin screens."""

    name: str
    dob: date
    state: str
    member_id: str
    health_plan: str


@dataclass(frozen=True, slots=True)
class CaseSnapshot:
    """A prior-authorization case as the UM system last pushed it (all instants UTC-aware)."""

    case_number: str
    member: Member
    line_of_business: LineOfBusiness
    case_type: str
    skill: str
    status: CaseStatus
    urgency: Urgency = Urgency.STANDARD
    #: the UM program the case belongs to (``oncology``, ``radiology`` …), lower case; None =
    #: none given. Policy rows may be keyed by it, so a program's own windows apply.
    program: str | None = None
    received_at: datetime | None = None
    #: a date alone means the end of that day in the policy's zone (stored as that instant)
    hold_due_at: datetime | date | None = None
    additional_info_received_at: datetime | None = None
    determination_at: datetime | None = None
    determined_by: str | None = None
    date_of_service: date | None = None
    appeal_filed_at: datetime | None = None
    post_decision_delegated: bool = True
    appeals_delegated: bool = True
    retrospective: bool = False
    #: set by the caller from stored bookings: a P2P was completed for this determination
    p2p_completed: bool = False
    #: set by the caller from stored bookings: the P2P a look-up shows (SPEC §14)
    p2p: CaseP2P | None = None

    def determination_covers(self, booked_at: datetime) -> bool:
        """Whether a P2P booked at ``booked_at`` belongs to the case's current determination
        (SPEC §9): a P2P belongs to the determination in force when it was booked, so one
        booked before a later ``determination_at`` belongs to an earlier one; before any
        determination every P2P belongs to the (pre-decision) present."""
        return self.determination_at is None or booked_at >= self.determination_at


@dataclass(frozen=True, slots=True)
class CaseP2P:
    """A booking of a case, as a look-up shows it. ``active``: the booking holds the case
    (another booking of it is refused, 409 ``case-already-booked``); ``visible``: the caller's
    scope admits the booking (SPEC §10), so its id may be named."""

    booking_id: str
    status: BookingStatus
    start: datetime | None
    booked_at: datetime
    active: bool
    visible: bool


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """One block of weekly wall-clock hours in the reviewer's own zone."""

    weekday: Weekday
    start: str  # "HH:MM"
    end: str  # "HH:MM", after start


@dataclass(frozen=True, slots=True)
class ReviewerProfile:
    reviewer_id: str
    name: str
    credentials: str
    email: str
    time_zone: str
    skills: dict[str, int] = field(default_factory=dict)
    licensed_states: frozenset[str] = frozenset()
    working_hours: tuple[WorkingHours, ...] = ()
    max_consults_per_day: int = 8
    active: bool = True
    #: disclosed to the provider before the call (SPEC §11); "" when not given
    specialty: str = ""
    #: the reviewer's National Provider Identifier, when disclosed (SPEC §11)
    npi: str | None = None
