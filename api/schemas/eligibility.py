"""``POST /v1/eligibility`` in exactly SPEC §7's shape (plus a few added fields)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from api.schemas.common import CaseNumber, Strict, TimeZoneName
from p2p_scheduler.domain.eligibility import CaseEligibility, RequestEligibility
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.model import CaseP2P, CaseStatus


class CaseLookup(Strict):
    case_number: CaseNumber
    member_dob: date = Field(description="member's date of birth, YYYY-MM-DD")


class EligibilityIn(Strict):
    cases: list[CaseLookup] = Field(min_length=1, max_length=50)
    time_zone: TimeZoneName | None = Field(
        None, description="the zone a booked P2P's time is written in; default: the policy's"
    )


class CaseP2POut(BaseModel):
    """The case's P2P: the booking holding it, or else the completed one of its current
    determination (SPEC §14)."""

    booking_id: str | None = Field(
        description="null when the booking belongs to another organisation (SPEC §10)"
    )
    status: BookingStatus
    start: datetime | None = Field(description="null while a request awaits assignment")

    @classmethod
    def of(cls, p2p: CaseP2P) -> CaseP2POut:
        return cls(
            booking_id=p2p.booking_id if p2p.visible else None, status=p2p.status, start=p2p.start
        )


class CaseEligibilityOut(BaseModel):
    case_number: str
    found: bool
    eligible: bool
    level_of_review: str | None
    valid_until: datetime | None
    decision_can_change: bool | None
    messages: list[str]
    case_type: str | None
    line_of_business: str | None
    member_state: str | None
    level_of_review_label: str | None = Field(None, examples=["Reconsideration P2P"])
    reason: str | None = Field(None, description="machine-readable reason when not eligible")
    status: CaseStatus | None = Field(None, description="the case's status; null when not found")
    p2p: CaseP2POut | None = Field(
        None, description="the case's P2P, if one is active or completed for its determination"
    )

    @classmethod
    def of(cls, result: CaseEligibility) -> CaseEligibilityOut:
        return cls(
            case_number=result.case_number,
            found=result.found,
            eligible=result.eligible,
            level_of_review=result.level_of_review.value if result.level_of_review else None,
            valid_until=result.valid_until,
            decision_can_change=result.decision_can_change,
            messages=list(result.messages),
            case_type=result.case_type,
            line_of_business=result.line_of_business,
            member_state=result.member_state,
            level_of_review_label=result.level_label,
            reason=result.reason,
            status=result.status,
            p2p=CaseP2POut.of(result.p2p) if result.p2p else None,
        )


class EligibilityOut(BaseModel):
    eligible: bool
    valid_until: datetime | None
    duration_minutes: int
    messages: list[str]
    cases: list[CaseEligibilityOut]
    blocking_cases: list[str] = Field(
        default_factory=list, description="case numbers that block the request"
    )

    @classmethod
    def of(cls, result: RequestEligibility) -> EligibilityOut:
        return cls(
            eligible=result.eligible,
            valid_until=result.valid_until,
            duration_minutes=result.duration_minutes,
            messages=list(result.messages),
            cases=[CaseEligibilityOut.of(case) for case in result.cases],
            blocking_cases=list(result.blocking_cases),
        )
