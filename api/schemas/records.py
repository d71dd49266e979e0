"""Admin bodies: case snapshots and reviewer profiles (SPEC §7 field names)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, field_validator, model_validator

from api.schemas.common import (
    CalendarDate,
    CaseNumber,
    ClockTime,
    Code,
    Email,
    FieldRuleError,
    Instant,
    Npi,
    ProgramCode,
    ReviewerId,
    ShortText,
    SkillCode,
    Specialty,
    Strict,
    Text,
    TimeZoneName,
    UsState,
)
from p2p_scheduler.domain.model import (
    CaseSnapshot,
    CaseStatus,
    LineOfBusiness,
    Member,
    ReviewerProfile,
    Urgency,
    Weekday,
    WorkingHours,
)

DECIDED = {CaseStatus.DENIED, CaseStatus.PARTIALLY_APPROVED}


class MemberIn(Strict):
    name: Text
    dob: date = Field(
        description="member's date of birth (YYYY-MM-DD); the look-up's knowledge factor"
    )
    state: UsState
    member_id: Annotated[ShortText, Field(min_length=1)]
    health_plan: Text

    @field_validator("dob")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > datetime.now(UTC).date():
            raise ValueError("date of birth cannot be in the future")
        if value.year < 1900:
            raise ValueError("date of birth must be after 1900-01-01")
        return value


class CaseFields(BaseModel):
    member: MemberIn
    line_of_business: Code[LineOfBusiness]
    case_type: Text = Field(examples=["MSK Spine Surgery"])
    skill: SkillCode = Field(
        description="reviewer skill code the case needs", examples=["msk_spine"]
    )
    status: Code[CaseStatus]
    urgency: Code[Urgency] = Urgency.STANDARD
    program: ProgramCode | None = None
    received_at: Instant | None = None
    hold_due_at: Instant | CalendarDate | None = Field(
        None, description="a date alone means the end of that day in the policy's time zone"
    )
    additional_info_received_at: Instant | None = None
    determination_at: Instant | None = None
    determined_by: ReviewerId | None = Field(
        None, description="reviewer id of the determining physician"
    )
    date_of_service: CalendarDate | None = None
    appeal_filed_at: Instant | None = None
    post_decision_delegated: bool = True
    appeals_delegated: bool = True
    retrospective: bool = False


class CaseIn(CaseFields, Strict):
    """``PUT /v1/cases/{case_number}`` body."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.status in DECIDED and self.determination_at is None:
            raise FieldRuleError(
                "determination_at", f"is required when status is {self.status.value}"
            )
        if (
            self.status in {CaseStatus.IN_REVIEW, CaseStatus.PENDING_INFO}
            and self.received_at is None
        ):
            raise FieldRuleError("received_at", f"is required when status is {self.status.value}")
        return self


class CaseOut(CaseFields):
    case_number: CaseNumber
    hold_due_at: Instant | None = None  # type: ignore[assignment]

    @classmethod
    def of(cls, case: CaseSnapshot) -> CaseOut:
        m = case.member
        return cls(
            case_number=case.case_number,
            member=MemberIn(
                name=m.name,
                dob=m.dob,
                state=m.state,
                member_id=m.member_id,
                health_plan=m.health_plan,
            ),
            line_of_business=case.line_of_business,
            case_type=case.case_type,
            skill=case.skill,
            status=case.status,
            urgency=case.urgency,
            program=case.program,
            received_at=case.received_at,
            hold_due_at=case.hold_due_at,
            additional_info_received_at=case.additional_info_received_at,
            determination_at=case.determination_at,
            determined_by=case.determined_by,
            date_of_service=case.date_of_service,
            appeal_filed_at=case.appeal_filed_at,
            post_decision_delegated=case.post_decision_delegated,
            appeals_delegated=case.appeals_delegated,
            retrospective=case.retrospective,
        )


def case_snapshot(case_number: str, body: CaseIn) -> CaseSnapshot:
    m = body.member
    return CaseSnapshot(
        case_number=case_number,
        member=Member(
            name=m.name, dob=m.dob, state=m.state, member_id=m.member_id, health_plan=m.health_plan
        ),
        line_of_business=body.line_of_business,
        case_type=body.case_type,
        skill=body.skill,
        status=body.status,
        urgency=body.urgency,
        program=body.program,
        received_at=body.received_at,
        hold_due_at=body.hold_due_at,
        additional_info_received_at=body.additional_info_received_at,
        determination_at=body.determination_at,
        determined_by=body.determined_by,
        date_of_service=body.date_of_service,
        appeal_filed_at=body.appeal_filed_at,
        post_decision_delegated=body.post_decision_delegated,
        appeals_delegated=body.appeals_delegated,
        retrospective=body.retrospective,
    )


class WorkingHoursIn(Strict):
    weekday: Code[Weekday]
    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.end <= self.start:
            raise FieldRuleError("end", f"end {self.end} must be after start {self.start}")
        return self


class ReviewerFields(BaseModel):
    name: Text
    credentials: ShortText = ""
    specialty: Specialty = Field(
        "",
        description="told to the provider with the name and credentials before the call "
        "(booking, invite, e-mails); optional, '' when not given",
    )
    npi: Npi | None = Field(None, description="the reviewer's NPI, when disclosed")
    email: Email
    time_zone: TimeZoneName
    skills: dict[SkillCode, Annotated[int, Field(ge=1, le=9)]] = Field(
        description="skill code → priority (1 = '1st Priority by Skill')",
        examples=[{"msk_spine": 1, "pain_management": 2}],
    )
    licensed_states: list[UsState] = Field(default_factory=list, max_length=60)
    working_hours: list[WorkingHoursIn] = Field(default_factory=list, max_length=50)
    max_consults_per_day: int = Field(8, ge=1, le=96)
    active: bool = True


class ReviewerIn(ReviewerFields, Strict):
    """``PUT /v1/reviewers/{reviewer_id}`` body."""

    @field_validator("skills", mode="before")
    @classmethod
    def _one_spelling_per_skill(cls, value: Any) -> Any:
        """``MSK_SPINE`` and ``msk_spine`` are one skill: listing both is a mistake to
        report, not a priority to pick silently."""
        if isinstance(value, dict):
            seen: dict[str, str] = {}
            for code in value:
                if not isinstance(code, str):
                    continue
                if (first := seen.setdefault(code.lower(), code)) != code:
                    raise ValueError(
                        f"lists one skill twice, as {first!r} and {code!r} "
                        "(skill codes are the same in upper and lower case)"
                    )
        return value

    @model_validator(mode="after")
    def _no_overlaps(self) -> Self:
        if len(set(self.licensed_states)) != len(self.licensed_states):
            raise FieldRuleError("licensed_states", "lists a state more than once")
        by_day: dict[Weekday, list[WorkingHoursIn]] = {}
        for block in self.working_hours:
            by_day.setdefault(block.weekday, []).append(block)
        for day, blocks in by_day.items():
            blocks.sort(key=lambda b: b.start)
            for first, second in pairwise(blocks):
                if second.start < first.end:
                    raise FieldRuleError(
                        "working_hours",
                        f"hours on {day.value} overlap: {first.start}–{first.end} and "
                        f"{second.start}–{second.end}",
                    )
        return self

    def profile(self, reviewer_id: str) -> ReviewerProfile:
        return ReviewerProfile(
            reviewer_id=reviewer_id,
            name=self.name,
            credentials=self.credentials,
            specialty=self.specialty,
            npi=self.npi or None,
            email=self.email,
            time_zone=self.time_zone,
            skills=dict(self.skills),
            licensed_states=frozenset(self.licensed_states),
            working_hours=tuple(
                WorkingHours(h.weekday, h.start, h.end) for h in self.working_hours
            ),
            max_consults_per_day=self.max_consults_per_day,
            active=self.active,
        )


class ReviewerOut(ReviewerFields):
    reviewer_id: ReviewerId
    time_zone: str  # type: ignore[assignment]  # as stored, even a name no longer accepted
    calendar_feed_url: str | None = Field(
        None,
        description="subscribable ICS feed of this reviewer's P2Ps, signed; "
        "POST …/calendar-feed/rotate revokes it",
    )

    @classmethod
    def of(cls, profile: ReviewerProfile, calendar_feed_url: str | None = None) -> ReviewerOut:
        return cls(
            reviewer_id=profile.reviewer_id,
            calendar_feed_url=calendar_feed_url,
            name=profile.name,
            credentials=profile.credentials,
            specialty=profile.specialty,
            npi=profile.npi,
            email=profile.email,
            time_zone=profile.time_zone,
            skills=profile.skills,
            licensed_states=sorted(profile.licensed_states),
            working_hours=[
                WorkingHoursIn(weekday=h.weekday, start=h.start, end=h.end)
                for h in profile.working_hours
            ],
            max_consults_per_day=profile.max_consults_per_day,
            active=profile.active,
        )


class FeedOut(BaseModel):
    calendar_feed_url: str
