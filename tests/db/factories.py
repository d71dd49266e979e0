"""Domain values the database tests store: a case and a reviewer with every field set."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

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

EST = timezone(timedelta(hours=-5))
EDT = timezone(timedelta(hours=-4))
IST = timezone(timedelta(hours=5, minutes=30))

INSTANT_FIELDS = (
    "received_at",
    "hold_due_at",
    "additional_info_received_at",
    "determination_at",
    "appeal_filed_at",
)


#: the default policy's zone, where a date-only hold_due_at ends
POLICY_ZONE = "America/New_York"


def make_case(case_number: str = "A123456789", **changes: object) -> CaseSnapshot:
    case = CaseSnapshot(
        case_number=case_number,
        member=Member(
            name="Jane Q. Member",
            dob=date(1961, 2, 28),
            state="PA",
            member_id="M-000123",
            health_plan="Keystone Health",
        ),
        line_of_business=LineOfBusiness.COMMERCIAL,
        case_type="MSK Spine Surgery",
        skill="msk_spine",
        status=CaseStatus.DENIED,
        urgency=Urgency.URGENT,
        # 21:30 at -05:00 is 02:30 UTC the next day: the date changes on the way to UTC
        received_at=datetime(2026, 11, 16, 21, 30, 15, 123456, tzinfo=EST),
        hold_due_at=datetime(2026, 12, 31, 23, 59, 59, tzinfo=EST),
        additional_info_received_at=datetime(2026, 7, 4, 8, 0, tzinfo=EDT),
        determination_at=datetime(2026, 11, 20, 10, 0, 0, 1, tzinfo=EST),
        determined_by="dr-house",
        date_of_service=date(2027, 1, 15),
        appeal_filed_at=datetime(2026, 11, 21, 3, 0, tzinfo=IST),
        post_decision_delegated=False,
        appeals_delegated=True,
        retrospective=True,
    )
    return replace(case, **changes)  # type: ignore[arg-type]


def make_reviewer(reviewer_id: str = "dr-house", **changes: object) -> ReviewerProfile:
    profile = ReviewerProfile(
        reviewer_id=reviewer_id,
        name="Gregory House",
        credentials="MD",
        email="house@example.org",
        time_zone="America/New_York",
        skills={"msk_spine": 1, "pain_management": 2, "neurology": 3},
        licensed_states=frozenset({"PA", "NJ", "NY"}),
        working_hours=(
            WorkingHours(Weekday.MON, "09:00", "12:00"),
            WorkingHours(Weekday.MON, "13:00", "17:00"),
            WorkingHours(Weekday.WED, "07:30", "15:45"),
        ),
        max_consults_per_day=6,
        active=True,
    )
    return replace(profile, **changes)  # type: ignore[arg-type]
