"""SQLModel tables. Only the persistence package (db/) imports SQLModel, SQLAlchemy or this
module; import-linter enforces it (docs/architecture.md).

Reviewer skills, licences and hours are child rows, not JSON, so that availability can
ask the database "who holds skill X and a licence in state Y" directly. Constraint names
follow one convention so Alembic migrations stay portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlmodel import Field, SQLModel

from p2p_scheduler.db.types import UTCDateTime
from p2p_scheduler.domain.bookings import ATTENTION_LENGTH

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: who did something: an API key's id (``portal-2``), one of the service's jobs, or a token's
#: ``<role>:<sub>`` — a role of at most 8 characters and an OpenID Connect ``sub`` of at most
#: 255 (OpenID Connect Core §2)
ACTOR_LENGTH = 8 + 1 + 255
#: whose ``Idempotency-Key`` it is: an actor, or for a provider ``provider@<org>:<sub>``
#: (an organisation is at most 64 characters)
KEY_OWNER_LENGTH = 8 + 1 + 64 + 1 + 255


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_version() -> str:
    return uuid.uuid4().hex


def _counter() -> object:
    """An integer starting at 0; the server default fills rows that existed before it."""
    return Field(default=0, sa_column_kwargs={"server_default": text("0")})


def _instant(nullable: bool = True) -> object:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable)


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(
            "line_of_business IN ('commercial','medicare','medicaid')", name="line_of_business"
        ),
        CheckConstraint(
            "status IN ('in_review','pending_info','approved','partially_approved','denied','withdrawn')",
            name="status",
        ),
        CheckConstraint("urgency IN ('standard','urgent')", name="urgency"),
        Index("ix_cases_status", "status"),
    )

    case_number: str = Field(primary_key=True, max_length=64)
    member_name: str = Field(max_length=200)
    member_dob: date
    member_state: str = Field(max_length=2)
    member_id: str = Field(max_length=64)
    health_plan: str = Field(max_length=200)
    line_of_business: str = Field(max_length=16)
    case_type: str = Field(max_length=200)
    skill: str = Field(max_length=64)
    status: str = Field(max_length=32)
    urgency: str = Field(default="standard", max_length=16)
    program: str | None = Field(default=None, max_length=64)
    received_at: datetime | None = _instant()  # type: ignore[assignment]
    hold_due_at: datetime | None = _instant()  # type: ignore[assignment]
    additional_info_received_at: datetime | None = _instant()  # type: ignore[assignment]
    determination_at: datetime | None = _instant()  # type: ignore[assignment]
    determined_by: str | None = Field(default=None, max_length=64)
    date_of_service: date | None = None
    appeal_filed_at: datetime | None = _instant()  # type: ignore[assignment]
    post_decision_delegated: bool = True
    appeals_delegated: bool = True
    retrospective: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ReviewerRow(SQLModel, table=True):
    __tablename__ = "reviewers"
    __table_args__ = (CheckConstraint("max_consults_per_day >= 1", name="max_consults_per_day"),)

    reviewer_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    credentials: str = Field(default="", max_length=64)
    specialty: str = Field(
        default="", max_length=100, sa_column_kwargs={"server_default": text("''")}
    )
    npi: str | None = Field(default=None, max_length=10)
    email: str = Field(max_length=254)
    time_zone: str = Field(max_length=64)
    max_consults_per_day: int = 8
    active: bool = True
    #: A fresh random token on every save of the profile (this row and its skills, licences
    #: and hours, in one transaction): processes cache profiles by (reviewer_id, version).
    version: str = Field(default_factory=new_version, max_length=32)
    #: Bumped to revoke the reviewer's calendar feed URL (not part of the cached profile).
    feed_link_version: int = _counter()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _reviewer_fk() -> object:
    return Field(
        sa_column=Column(
            String(64),
            ForeignKey("reviewers.reviewer_id", ondelete="CASCADE"),
            primary_key=True,
        )
    )


class ReviewerSkillRow(SQLModel, table=True):
    __tablename__ = "reviewer_skills"
    __table_args__ = (
        CheckConstraint("priority >= 1", name="priority"),
        Index("ix_reviewer_skills_skill", "skill"),
    )

    reviewer_id: str = _reviewer_fk()  # type: ignore[assignment]
    skill: str = Field(primary_key=True, max_length=64)
    priority: int


class ReviewerLicenseRow(SQLModel, table=True):
    __tablename__ = "reviewer_licenses"
    __table_args__ = (Index("ix_reviewer_licenses_state", "state"),)

    reviewer_id: str = _reviewer_fk()  # type: ignore[assignment]
    state: str = Field(primary_key=True, max_length=2)


class ReviewerHoursRow(SQLModel, table=True):
    __tablename__ = "reviewer_working_hours"
    __table_args__ = (
        CheckConstraint("weekday IN ('mon','tue','wed','thu','fri','sat','sun')", name="weekday"),
        CheckConstraint("end_time > start_time", name="end_after_start"),
        Index("ix_reviewer_working_hours_reviewer_id", "reviewer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reviewer_id: str = Field(
        sa_column=Column(
            String(64), ForeignKey("reviewers.reviewer_id", ondelete="CASCADE"), nullable=False
        )
    )
    weekday: str = Field(max_length=3)
    start_time: str = Field(max_length=5)
    end_time: str = Field(max_length=5)


class TimeOffRow(SQLModel, table=True):
    __tablename__ = "reviewer_time_off"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        Index("ix_reviewer_time_off_reviewer_id", "reviewer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reviewer_id: str = Field(
        sa_column=Column(
            String(64), ForeignKey("reviewers.reviewer_id", ondelete="CASCADE"), nullable=False
        )
    )
    start_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    end_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    reason: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class BookingRow(SQLModel, table=True):
    """One appointment for one or more cases. Times are UTC; ``time_zone`` is the requester's."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending_assignment','scheduled','completed','cancelled','no_show')",
            name="status",
        ),
        CheckConstraint("sequence >= 0", name="sequence"),
        Index("ix_bookings_reviewer_id_start_at", "reviewer_id", "start_at"),
        Index("ix_bookings_provider_email", "provider_email"),
        Index("ix_bookings_provider_org", "provider_org"),
        Index("ix_bookings_created_at", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    status: str = Field(max_length=24)
    reviewer_id: str | None = Field(
        default=None,
        sa_column=Column(String(64), ForeignKey("reviewers.reviewer_id"), nullable=True),
    )
    start_at: datetime | None = _instant()  # type: ignore[assignment]
    end_at: datetime | None = _instant()  # type: ignore[assignment]
    duration_minutes: int
    time_zone: str = Field(max_length=64)
    sequence: int = 0
    valid_until: datetime = Field(sa_type=UTCDateTime, nullable=False)
    provider_name: str = Field(max_length=200)
    provider_role: str = Field(max_length=40)
    contact_name: str = Field(default="", max_length=200)
    contact_location: str = Field(default="", max_length=200)
    phone: str = Field(max_length=32)
    phone_ext: str = Field(default="", max_length=10)
    alt_phone: str = Field(default="", max_length=32)
    alt_phone_ext: str = Field(default="", max_length=10)
    provider_email: str = Field(max_length=254)
    #: The provider organisation (practice, group or TIN) the booking belongs to: a provider
    #: token sees only its own organisation's bookings (SPEC §10).
    provider_org: str | None = Field(default=None, max_length=64)
    instructions: str = Field(default="", max_length=500)
    cancel_reason_code: str | None = Field(default=None, max_length=40)
    cancel_reason_text: str | None = Field(default=None, max_length=500)
    outcome: str | None = Field(default=None, max_length=40)
    outcome_notes: str | None = Field(default=None, max_length=1000)
    #: When the outcome was last recorded (an admin's correction records it again).
    outcome_recorded_at: datetime | None = _instant()  # type: ignore[assignment]
    no_show_party: str | None = Field(default=None, max_length=16)
    #: A request without a slot (``pending_assignment``): the requester's preferred weekdays
    #: (["mon", "tue"]) and starting hours ([7, 8, 9]) in ``time_zone``, for the optimizer.
    preferred_days: list[str] | None = Field(default=None, sa_type=JSON)
    preferred_hours: list[int] | None = Field(default=None, sa_type=JSON)
    #: Why a person must look at this scheduled booking (its reviewer is off at its time and
    #: no reassignment was found); cleared by the next change of status, time or reviewer.
    attention: str | None = Field(default=None, max_length=ATTENTION_LENGTH)
    #: Bumped to revoke the booking's signed links (the manage link on cancel; both on rotate).
    invite_link_version: int = _counter()
    manage_link_version: int = _counter()
    created_by: str = Field(default="", max_length=ACTOR_LENGTH)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


#: the operations report's period test (SPEC §12: a booking belongs to the period of its start,
#: a pending request to that of its creation; ``db.report_store``); migration 0017
Index(
    "ix_bookings_report_at",
    func.coalesce(BookingRow.__table__.c.start_at, BookingRow.__table__.c.created_at),  # type: ignore[attr-defined]
)


class BookingCaseRow(SQLModel, table=True):
    """A case inside a booking. ``active`` rows are unique per case: one live booking per case."""

    __tablename__ = "booking_cases"
    __table_args__ = (
        Index(
            "uq_booking_cases_active_case",
            "case_number",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        # every check of a case's history (completed P2P, provider no-shows) starts here
        Index("ix_booking_cases_case_number", "case_number"),
    )

    booking_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
        )
    )
    case_number: str = Field(
        sa_column=Column(String(64), ForeignKey("cases.case_number"), primary_key=True)
    )
    position: int = 0
    level_of_review: str = Field(max_length=24)
    valid_until: datetime = Field(sa_type=UTCDateTime, nullable=False)
    active: bool = True
    #: when a case update moved the case to this level (SPEC §14 relabel); None: the level it
    #: was booked at. The P2P then belongs to the determination in force since (SPEC §9).
    level_since: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class HoldRow(SQLModel, table=True):
    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_expires_at", "expires_at"),)

    id: str = Field(primary_key=True, max_length=36)
    reviewer_id: str = Field(
        sa_column=Column(
            String(64), ForeignKey("reviewers.reviewer_id", ondelete="CASCADE"), nullable=False
        )
    )
    start_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    end_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    #: in request order; nullable only because a column added by ALTER TABLE on SQLite must be
    #: (migration 0009): the store always writes it
    case_numbers: list[str] | None = Field(default=None, sa_type=JSON, nullable=True)
    time_zone: str = Field(max_length=64)
    created_by: str = Field(default="", max_length=ACTOR_LENGTH)


class HeldCaseRow(SQLModel, table=True):
    """A case in a live hold. The primary key makes a case be in at most one hold at a time
    (SPEC §9 "Abuse limits"): one case cannot hold every slot of a reviewer."""

    __tablename__ = "held_cases"

    case_number: str = Field(primary_key=True, max_length=64)
    hold_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("holds.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class SlotCellRow(SQLModel, table=True):
    """One occupied 15-minute cell of one reviewer, by a booking or a live hold.

    The primary key (reviewer, cell) is what makes double booking impossible on every
    database: two transactions claiming an overlapping time collide on a cell.
    """

    __tablename__ = "slot_cells"
    __table_args__ = (
        CheckConstraint("(booking_id IS NULL) <> (hold_id IS NULL)", name="one_owner"),
        Index("ix_slot_cells_booking_id", "booking_id"),
        Index("ix_slot_cells_hold_id", "hold_id"),
    )

    reviewer_id: str = Field(
        sa_column=Column(
            String(64), ForeignKey("reviewers.reviewer_id", ondelete="CASCADE"), primary_key=True
        )
    )
    cell_at: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    booking_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("bookings.id", ondelete="CASCADE"), nullable=True),
    )
    hold_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("holds.id", ondelete="CASCADE"), nullable=True),
    )
    expires_at: datetime | None = _instant()  # type: ignore[assignment]


class BookingEventRow(SQLModel, table=True):
    """The booking's history: every state change with what it was changed to."""

    __tablename__ = "booking_events"
    __table_args__ = (
        Index("ix_booking_events_booking_id", "booking_id"),
        # the report counts one kind of event (``rescheduled``) of a period's bookings
        Index("ix_booking_events_event_booking_id", "event", "booking_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    booking_id: str = Field(
        sa_column=Column(String(36), ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False)
    )
    sequence: int
    event: str = Field(max_length=24)
    status: str = Field(max_length=24)
    reviewer_id: str | None = Field(default=None, max_length=64)
    start_at: datetime | None = _instant()  # type: ignore[assignment]
    end_at: datetime | None = _instant()  # type: ignore[assignment]
    actor: str = Field(default="", max_length=ACTOR_LENGTH)
    detail: str = Field(default="", max_length=1000)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class IdempotencyRow(SQLModel, table=True):
    """``Idempotency-Key`` records: the first response to replay, per API key."""

    __tablename__ = "idempotency_keys"

    key_id: str = Field(primary_key=True, max_length=KEY_OWNER_LENGTH)
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    state: str = Field(max_length=12)
    status_code: int | None = None
    response_body: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OutboxRow(SQLModel, table=True):
    """A notification, written in the same transaction as the booking change it announces.

    One row per recipient (an email address or a webhook URL), so that one failing
    recipient is retried without resending to the others. ``body`` is the whole message as
    rendered at the time of the change (RFC 5322 text, or the webhook's JSON). A worker
    claims due rows by setting ``locked_until`` (a lease: a worker that dies mid-delivery
    lets it lapse and another takes the row over), then marks them sent or schedules a
    retry with exponential backoff.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("channel IN ('email','webhook')", name="channel"),
        Index("ix_outbox_due", "sent_at", "next_attempt_at"),
        Index("ix_outbox_booking_id", "booking_id"),
    )

    id: str = Field(primary_key=True, max_length=36)
    channel: str = Field(max_length=8)
    #: The event this message announces; a webhook's ``id``, the same across redeliveries.
    event_id: str = Field(max_length=36)
    event_type: str = Field(max_length=32)
    booking_id: str | None = Field(default=None, max_length=36)
    recipient: str = Field(max_length=2048)
    body: str = Field(sa_type=Text)
    attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    locked_until: datetime | None = _instant()  # type: ignore[assignment]
    sent_at: datetime | None = _instant()  # type: ignore[assignment]
    gave_up_at: datetime | None = _instant()  # type: ignore[assignment]
    last_error: str = Field(default="", max_length=1000)


class AuditRow(SQLModel, table=True):
    """Every change to cases, reviewers and bookings: who (API key role and id, or the
    service's own job), what, when, why, and the object before and after as JSON.

    Append-only: database triggers refuse UPDATE and DELETE (migration 0008), so not even a
    bug in this service can rewrite the past.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity", "entity_id"),
        Index("ix_audit_events_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor_role: str = Field(max_length=16)
    actor_id: str = Field(max_length=255)
    entity: str = Field(max_length=16)
    entity_id: str = Field(max_length=64)
    action: str = Field(max_length=32)
    reason: str = Field(default="", max_length=1000)
    before: str | None = Field(default=None, sa_type=Text)
    after: str | None = Field(default=None, sa_type=Text)


class LaunchLinkRow(SQLModel, table=True):
    """A launch link (SPEC §14), keyed by its id's SHA-256: the id itself is never stored.
    ``sealed`` holds the cases (with their dates of birth) encrypted under a key derived from
    the id; it is emptied when the link is used or found expired, and the row goes a week
    after expiry (``domain.launch_links``)."""

    __tablename__ = "launch_links"
    __table_args__ = (Index("ix_launch_links_expires_at", "expires_at"),)

    digest: str = Field(primary_key=True, max_length=64)
    sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    provider_org: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=ACTOR_LENGTH)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = _instant()  # type: ignore[assignment]


class WindowAlertRow(SQLModel, table=True):
    """A ``case.window_closing`` webhook written to the outbox (SPEC §12): one per case and
    window. The primary key is the guarantee: of two workers announcing the same window, the
    second's insert finds the row and it writes nothing, whatever their timing."""

    __tablename__ = "window_alerts"

    case_number: str = Field(primary_key=True, max_length=64)
    #: the window that was closing; a new determination with a new window gets its own row
    valid_until: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    event_id: str = Field(max_length=36)
    alerted_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class P2POfferRow(SQLModel, table=True):
    """When the service first told someone a P2P is available for a case (SPEC §12: an
    eligible look-up, an availability search or a request), per determination. Written once,
    when it happens; never the member's date of birth or anything else the look-up carried."""

    __tablename__ = "p2p_offers"

    case_number: str = Field(primary_key=True, max_length=64)
    #: the determination as a key: ``""`` before any, else its instant (UTC, ISO 8601)
    period: str = Field(primary_key=True, max_length=40)
    determination_at: datetime | None = _instant()  # type: ignore[assignment]
    offered_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
