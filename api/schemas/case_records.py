"""The at-risk list and a case's P2P record as the API shows them (SPEC §12). No member
name, date of birth or member id: case numbers are what operations act on."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from p2p_scheduler.domain.at_risk import AtRiskItem
from p2p_scheduler.domain.model import LevelOfReview
from p2p_scheduler.domain.p2p_record import Period
from p2p_scheduler.services.p2p_record import P2PRecord


class AtRiskItemOut(BaseModel):
    case_number: str
    level_of_review: LevelOfReview
    valid_until: datetime = Field(description="when the case's P2P window closes (UTC)")
    hours_left: float = Field(
        description="hours from now to valid_until, rounded down to a tenth of an hour"
    )

    @classmethod
    def of(cls, item: AtRiskItem) -> AtRiskItemOut:
        return cls(
            case_number=item.case_number,
            level_of_review=LevelOfReview(item.level_of_review),
            valid_until=item.valid_until,
            hours_left=item.hours_left,
        )


class AtRiskOut(BaseModel):
    items: list[AtRiskItemOut] = Field(description="earliest valid_until first")


class NoShowOut(BaseModel):
    party: str = Field(description="provider or reviewer: who could not be reached")
    at: datetime = Field(description="when the no-show was recorded")


class CancelOut(BaseModel):
    reason_code: str
    at: datetime = Field(description="when the booking was cancelled")


class PeriodOut(BaseModel):
    determination_at: datetime | None = Field(
        description="the determination this P2P belongs to; null: before any determination"
    )
    offered_at: datetime | None = Field(
        description="first eligible look-up, availability search or request for the case"
    )
    requested_at: datetime | None = Field(description="first booking or pending request")
    scheduled_at: datetime | None = Field(description="first time a request had a slot")
    held_at: datetime | None = Field(description="start of the call that was completed")
    outcome: str | None
    reviewer_id: str | None = Field(description="the reviewer who held the completed call")
    booking_ids: list[str] = Field(description="the period's bookings, oldest first")
    no_shows: list[NoShowOut]
    cancels: list[CancelOut]

    @classmethod
    def of(cls, period: Period) -> PeriodOut:
        return cls(
            determination_at=period.determination_at,
            offered_at=period.offered_at,
            requested_at=period.requested_at,
            scheduled_at=period.scheduled_at,
            held_at=period.held_at,
            outcome=period.outcome,
            reviewer_id=period.reviewer_id,
            booking_ids=list(period.booking_ids),
            no_shows=[NoShowOut(party=n.party, at=n.at) for n in period.no_shows],
            cancels=[CancelOut(reason_code=c.reason_code, at=c.at) for c in period.cancels],
        )


class P2PRecordOut(BaseModel):
    case_number: str
    periods: list[PeriodOut] = Field(description="one per determination, oldest first")

    @classmethod
    def of(cls, record: P2PRecord) -> P2PRecordOut:
        return cls(
            case_number=record.case_number,
            periods=[PeriodOut.of(period) for period in record.periods],
        )
