"""The report's pure parts (SPEC §12): periods in the policy's zone, working minutes in the
reviewer's, the preferred-window test in the requester's, and the CSV's shape.

DST dates are the 2026 US changes (spring forward Sun 2026-03-08, fall back Sun 2026-11-01).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from p2p_scheduler.domain.errors import InvalidInput
from p2p_scheduler.domain.model import ReviewerProfile, Weekday, WorkingHours
from p2p_scheduler.domain.report import (
    MAX_PERIOD_DAYS,
    GroupBy,
    PeriodFacts,
    PreferredStart,
    build_groups,
    csv_rows,
    in_preferred_window,
    parse_group_by,
    period_bounds,
    working_minutes,
)

NEW_YORK = "America/New_York"


def reviewer(zone: str, *hours: tuple[Weekday, str, str]) -> ReviewerProfile:
    return ReviewerProfile(
        reviewer_id="rev-x",
        name="Dr. X",
        credentials="MD",
        email="x@example.org",
        time_zone=zone,
        working_hours=tuple(WorkingHours(day, start, end) for day, start, end in hours),
    )


def test_a_day_of_the_policy_zone_is_23_hours_on_spring_forward() -> None:
    period = period_bounds(date(2026, 3, 8), date(2026, 3, 8), NEW_YORK)
    assert period.start == datetime(2026, 3, 8, 5, tzinfo=UTC)  # EST midnight
    assert period.end == datetime(2026, 3, 9, 4, tzinfo=UTC)  # EDT midnight


def test_periods_end_after_they_start_and_last_at_most_a_leap_year() -> None:
    assert MAX_PERIOD_DAYS == 366
    period_bounds(date(2028, 1, 1), date(2028, 12, 31), NEW_YORK)  # 366 days
    with pytest.raises(InvalidInput, match="367 days"):
        period_bounds(date(2027, 1, 1), date(2028, 1, 2), NEW_YORK)
    with pytest.raises(InvalidInput, match="before 'from'"):
        period_bounds(date(2026, 3, 9), date(2026, 3, 8), NEW_YORK)


def test_working_minutes_follow_the_wall_clock_across_spring_forward() -> None:
    """Chicago, Sundays 01:00–04:00 local: on 2026-03-08 the clock skips 02:00–03:00, so the
    block lasts 2 hours (07:00Z–09:00Z); the New York day (05:00Z–04:00Z) holds all of it."""
    profile = reviewer("America/Chicago", (Weekday.SUN, "01:00", "04:00"))
    period = period_bounds(date(2026, 3, 8), date(2026, 3, 8), NEW_YORK)
    assert working_minutes(profile, [], period) == 120


def test_working_minutes_are_cut_at_the_period_in_the_policy_zone() -> None:
    """Los Angeles, Mondays 20:00–23:00 PST = Tuesday 04:00–07:00Z; the New York Monday ends
    at 05:00Z, so one hour of it is in Monday's period, two in Tuesday's."""
    profile = reviewer("America/Los_Angeles", (Weekday.MON, "20:00", "23:00"))
    monday = period_bounds(date(2026, 11, 23), date(2026, 11, 23), NEW_YORK)
    tuesday = period_bounds(date(2026, 11, 24), date(2026, 11, 24), NEW_YORK)
    assert working_minutes(profile, [], monday) == 60
    assert working_minutes(profile, [], tuesday) == 120


def test_working_minutes_of_a_year_less_overlapping_time_off() -> None:
    """New York, Mon–Fri 09:00–17:00 (a lunch-break split and an overlap count once): 2026
    has 261 weekdays × 480 minutes; two overlapping time offs cover one Monday 10:00–14:00
    EST (240 minutes) and a Saturday (no working time)."""
    days = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
    profile = reviewer(
        NEW_YORK,
        *[(day, "09:00", "13:00") for day in days],
        *[(day, "12:00", "17:00") for day in days],
    )
    year = period_bounds(date(2026, 1, 1), date(2026, 12, 31), NEW_YORK)
    off = [
        (datetime(2026, 11, 23, 15, tzinfo=UTC), datetime(2026, 11, 23, 18, tzinfo=UTC)),
        (datetime(2026, 11, 23, 17, tzinfo=UTC), datetime(2026, 11, 23, 19, tzinfo=UTC)),
        (datetime(2026, 11, 28, 12, tzinfo=UTC), datetime(2026, 11, 29, 12, tzinfo=UTC)),
    ]
    assert working_minutes(profile, [], year) == 261 * 480
    assert working_minutes(profile, off, year) == 261 * 480 - 240


@pytest.mark.parametrize(
    ("start", "inside"),
    [
        (datetime(2026, 11, 24, 15, 0, tzinfo=UTC), True),  # Tue 10:00 EST
        (datetime(2026, 11, 24, 15, 59, tzinfo=UTC), True),  # Tue 10:59 EST
        (datetime(2026, 11, 24, 16, 0, tzinfo=UTC), False),  # Tue 11:00 EST: the next bin
        (datetime(2026, 11, 25, 15, 0, tzinfo=UTC), False),  # Wed 10:00 EST
        (datetime(2026, 11, 24, 10, 0, tzinfo=UTC), False),  # Tue 05:00 EST
    ],
)
def test_a_start_is_in_the_window_on_a_preferred_day_and_bin_of_the_requester(
    start: datetime, inside: bool
) -> None:
    preferred = PreferredStart(
        key=None,
        start_epoch=int(start.timestamp()),
        time_zone=NEW_YORK,
        days=frozenset({"tue"}),
        hours=frozenset({10}),
    )
    assert in_preferred_window(preferred) is inside


def test_group_by_is_lenient_about_case_and_null() -> None:
    assert parse_group_by(" Reviewer ") is GroupBy.REVIEWER
    assert parse_group_by("null") is None
    assert parse_group_by("") is None
    with pytest.raises(InvalidInput, match="use one of state"):
        parse_group_by("member_id")


def test_an_empty_period_without_group_by_is_one_row_of_zeros_and_blanks() -> None:
    empty = PeriodFacts(counts=[], reschedules={}, median_lead_seconds={}, preferred=[])
    groups = build_groups(empty, group_by=None, working={"rev-x": 480.0})
    rows = csv_rows(groups, None)
    assert len(rows) == 2
    assert dict(zip(rows[0], rows[1], strict=True)) == {
        "bookings": 0,
        "scheduled": 0,
        "completed": 0,
        "pending": 0,
        **{
            f"cancelled.{c}": 0
            for c in (
                "provider_unavailable",
                "reviewer_unavailable",
                "case_resolved",
                "scheduled_in_error",
                "duplicate",
                "other",
            )
        },
        "no_show.provider": 0,
        "no_show.reviewer": 0,
        **{f"outcomes.{o}": 0 for o in ("upheld", "overturned", "modified", "information_only")},
        "overturn_rate": None,
        "tier_1_share": None,
        "preferred_window_share": None,
        "median_hours_request_to_call": None,
        "mean_reschedules": None,
        "reviewer_utilisation": 0.0,  # 0 booked of 480 working minutes
    }
