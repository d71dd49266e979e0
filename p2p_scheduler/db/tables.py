"""SQLModel tables. Only the persistence package imports SQLModel (ARCHITECTURE.md).

Reviewer skills, licences and hours are child rows, not JSON, so that availability can
ask the database "who holds skill X and a licence in state Y" directly. Constraint names
follow one convention so Alembic migrations stay portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from p2p_scheduler.db.types import UTCDateTime

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    email: str = Field(max_length=254)
    time_zone: str = Field(max_length=64)
    max_consults_per_day: int = 8
    active: bool = True
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
