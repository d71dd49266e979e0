"""The operations report as the API shows it (SPEC §12).

The nested counts are models with one field per code of SPEC §9, built from the code lists
themselves, so the OpenAPI names every key and a new code shows up here by itself.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, create_model

from p2p_scheduler.domain.enums import CancelReason, Outcome, Party
from p2p_scheduler.domain.report import MAX_PERIOD_DAYS, GroupBy
from p2p_scheduler.services.reports import P2PReport


def _counts(name: str, codes: type[StrEnum], what: str) -> type[BaseModel]:
    fields: dict[str, Any] = {
        code.value: (int, Field(ge=0, description=f"{what} {code.value}")) for code in codes
    }
    return create_model(name, **fields)


CancelledCounts = _counts("CancelledCounts", CancelReason, "cancelled with reason_code")
NoShowCounts = _counts("NoShowCounts", Party, "no-shows recorded against the")
OutcomeCounts = _counts("OutcomeCounts", Outcome, "completed with outcome")

RATIO = "rounded to 4 decimals; null when there is nothing to divide by"


class ReportGroupOut(BaseModel):
    key: dict[str, str | None] = Field(
        description="{<group_by>: value} (the first case's; reviewer null for requests not "
        "yet assigned); {} without group_by"
    )
    bookings: int = Field(description="bookings and pending requests of the group, any status")
    scheduled: int = Field(description="in status scheduled now")
    completed: int = Field(description="in status completed now")
    pending: int = Field(description="in status pending_assignment now")
    cancelled: CancelledCounts  # type: ignore[valid-type]
    no_show: NoShowCounts  # type: ignore[valid-type]
    outcomes: OutcomeCounts  # type: ignore[valid-type]
    overturn_rate: float | None = Field(description=f"(overturned + modified) / completed; {RATIO}")
    tier_1_share: float | None = Field(
        description="bookings whose reviewer holds the first case's skill at priority 1 / "
        f"bookings with a reviewer; {RATIO}"
    )
    preferred_window_share: float | None = Field(
        description="bookings starting on a preferred day and hour (requester's zone) / "
        f"bookings with preferences and a start; {RATIO}"
    )
    median_hours_request_to_call: float | None = Field(
        description="median hours from creation to start of scheduled, completed and "
        "no-show bookings; 1 decimal"
    )
    mean_reschedules: float | None = Field(description=f"reschedules per booking; {RATIO}")
    reviewer_utilisation: float | None = Field(
        description="booked minutes / working minutes in the period (the reviewer's own when "
        f"grouped by reviewer, else every reviewer's); {RATIO}"
    )


class P2PReportOut(BaseModel):
    from_: date = Field(alias="from", description="first day of the period (inclusive)")
    to: date = Field(description="last day of the period (inclusive)")
    time_zone: str = Field(description="the policy's zone, in which the days are counted")
    groups: list[ReportGroupOut]

    model_config = {"populate_by_name": True}

    @classmethod
    def of(cls, report: P2PReport) -> P2PReportOut:
        return cls.model_validate(
            {
                "from": report.first,
                "to": report.last,
                "time_zone": report.time_zone,
                "groups": [dataclasses.asdict(group) for group in report.groups],
            }
        )


GROUP_BY_DESCRIPTION = (
    f"one of {', '.join(g.value for g in GroupBy)} (any case); omitted, empty or null: one group"
)
PERIOD_DESCRIPTION = f"at most {MAX_PERIOD_DAYS} days from 'from' to 'to'"
