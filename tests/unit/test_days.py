"""Business days with US federal holidays, end of day and windows across DST (SPEC §9)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from p2p_scheduler.domain.model import Urgency
from p2p_scheduler.domain.policy.days import (
    Unit,
    add_business_days,
    end_of_day,
    is_business_day,
    local_date,
    next_business_day,
    to_utc,
    window_end,
)

NY_ZONE = "America/New_York"
NY = ZoneInfo(NY_ZONE)
EST = timezone(timedelta(hours=-5))
EDT = timezone(timedelta(hours=-4))


# ---- business days -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 6, 15), True),  # Monday
        (date(2026, 6, 13), False),  # Saturday
        (date(2026, 6, 14), False),  # Sunday
        (date(2026, 6, 19), False),  # Juneteenth, a Friday
        (date(2026, 7, 3), False),  # Independence Day observed (July 4 is a Saturday)
        (date(2026, 7, 4), False),  # Independence Day itself, a Saturday
        (date(2026, 11, 26), False),  # Thanksgiving
        (date(2026, 11, 27), True),  # the Friday after Thanksgiving is not a federal holiday
        (date(2026, 11, 11), False),  # Veterans Day, a Wednesday
        (date(2027, 12, 31), False),  # New Year's Day 2028 (a Saturday) observed
        (date(2026, 12, 24), True),  # Christmas Eve is not a federal holiday
    ],
)
def test_is_business_day(day, expected) -> None:
    assert is_business_day(day) is expected


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        # Wed before Thanksgiving: Thu 11-26 skipped → Fri (1), Mon (2).
        (date(2026, 11, 25), 1, date(2026, 11, 27)),
        (date(2026, 11, 25), 2, date(2026, 11, 30)),
        # Saturday counts from Monday: Mon is day 0, Tue (1), Wed (2).
        (date(2026, 6, 13), 0, date(2026, 6, 15)),
        (date(2026, 6, 13), 2, date(2026, 6, 17)),
        (date(2026, 6, 14), 1, date(2026, 6, 16)),
        # Thu 2026-07-02: Fri 07-03 is observed Independence Day → Mon (1), Tue (2).
        (date(2026, 7, 2), 1, date(2026, 7, 6)),
        (date(2026, 7, 2), 2, date(2026, 7, 7)),
        # Received on the observed holiday itself counts from Monday.
        (date(2026, 7, 3), 1, date(2026, 7, 7)),
        # Across the year end: Fri 2027-12-31 observed New Year → Mon 2028-01-03.
        (date(2027, 12, 30), 1, date(2028, 1, 3)),
        # Juneteenth (Fri 2026-06-19) skipped.
        (date(2026, 6, 18), 1, date(2026, 6, 22)),
        # A plain business day with count 0 is itself.
        (date(2026, 6, 16), 0, date(2026, 6, 16)),
        # 15 business days from Mon 2026-06-01 (Juneteenth skipped) → Tue 2026-06-23.
        (date(2026, 6, 1), 15, date(2026, 6, 23)),
    ],
)
def test_add_business_days(start, count, expected) -> None:
    assert add_business_days(start, count) == expected


def test_next_business_day() -> None:
    assert next_business_day(date(2026, 11, 26)) == date(2026, 11, 27)
    assert next_business_day(date(2026, 7, 3)) == date(2026, 7, 6)
    assert next_business_day(date(2026, 7, 6)) == date(2026, 7, 6)


# ---- end of day, local dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected_utc", "offset"),
    [
        (date(2026, 10, 31), datetime(2026, 11, 1, 3, 59, 59, tzinfo=UTC), EDT),
        (date(2026, 11, 1), datetime(2026, 11, 2, 4, 59, 59, tzinfo=UTC), EST),  # fall-back day
        (date(2026, 11, 8), datetime(2026, 11, 9, 4, 59, 59, tzinfo=UTC), EST),
        (date(2026, 3, 8), datetime(2026, 3, 9, 3, 59, 59, tzinfo=UTC), EDT),  # spring-forward
        (date(2026, 3, 7), datetime(2026, 3, 8, 4, 59, 59, tzinfo=UTC), EST),
    ],
)
def test_end_of_day_is_the_last_local_second(day, expected_utc, offset) -> None:
    result = end_of_day(day, NY_ZONE)

    assert result == expected_utc
    assert result.tzinfo is UTC
    assert result == datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=offset)


def test_end_of_day_in_another_zone() -> None:
    assert end_of_day(date(2026, 6, 15), "America/Los_Angeles") == datetime(
        2026, 6, 16, 6, 59, 59, tzinfo=UTC
    )


def test_local_date_uses_the_zone_not_utc() -> None:
    late_evening = datetime(2026, 6, 11, 2, 30, tzinfo=UTC)  # Wed 06-10 22:30 EDT

    assert local_date(late_evening, NY_ZONE) == date(2026, 6, 10)
    assert local_date(late_evening, "UTC") == date(2026, 6, 11)


def test_to_utc_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_utc(datetime(2026, 6, 15, 10, 0))


def test_to_utc_keeps_the_instant_and_microseconds() -> None:
    local = datetime(2026, 6, 15, 10, 0, 0, 123456, tzinfo=NY)

    result = to_utc(local)

    assert result == datetime(2026, 6, 15, 14, 0, 0, 123456, tzinfo=UTC)
    assert result.tzinfo is UTC
    assert type(result) is datetime


# ---- windows across DST --------------------------------------------------------------------------


def test_14_calendar_days_across_fall_back_end_in_est() -> None:
    # Sun 2026-10-25 10:00 EDT; DST ends Sun 2026-11-01.
    anchor = datetime(2026, 10, 25, 14, 0, tzinfo=UTC)

    result = window_end(anchor, 14, Unit.CALENDAR_DAYS, NY_ZONE)

    assert result == datetime(2026, 11, 9, 4, 59, 59, tzinfo=UTC)
    assert result == datetime(2026, 11, 8, 23, 59, 59, tzinfo=EST)


def test_14_calendar_days_before_the_change_end_in_edt() -> None:
    anchor = datetime(2026, 10, 10, 14, 0, tzinfo=UTC)

    result = window_end(anchor, 14, Unit.CALENDAR_DAYS, NY_ZONE)

    assert result == datetime(2026, 10, 25, 3, 59, 59, tzinfo=UTC)
    assert result == datetime(2026, 10, 24, 23, 59, 59, tzinfo=EDT)


def test_72_hours_across_spring_forward_are_72_elapsed_hours() -> None:
    # Sat 2026-03-07 12:00 EST; clocks spring forward Sun 2026-03-08.
    anchor = datetime(2026, 3, 7, 12, 0, tzinfo=EST)

    result = window_end(anchor, 72, Unit.HOURS, NY_ZONE)

    assert result == datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
    assert result - anchor == timedelta(hours=72)
    # On the wall clock it is 13:00 EDT, not 12:00.
    assert result.astimezone(NY).replace(tzinfo=None) == datetime(2026, 3, 10, 13, 0)


def test_business_days_across_fall_back() -> None:
    # Fri 2026-10-30 15:00 EDT → Mon 11-02 (1), Tue 11-03 (2) ends 23:59:59 EST.
    anchor = datetime(2026, 10, 30, 19, 0, tzinfo=UTC)

    result = window_end(anchor, 2, Unit.BUSINESS_DAYS, NY_ZONE)

    assert result == datetime(2026, 11, 4, 4, 59, 59, tzinfo=UTC)


def test_calendar_days_count_from_the_local_date() -> None:
    # 2026-06-13 01:30 UTC is Friday 2026-06-12 21:30 EDT: 2 business days → Tue 06-16.
    anchor = datetime(2026, 6, 13, 1, 30, tzinfo=UTC)

    assert window_end(anchor, 2, Unit.BUSINESS_DAYS, NY_ZONE) == datetime(
        2026, 6, 17, 3, 59, 59, tzinfo=UTC
    )
    assert window_end(anchor, 0, Unit.CALENDAR_DAYS, NY_ZONE) == datetime(
        2026, 6, 13, 3, 59, 59, tzinfo=UTC
    )


# ---- the same rules through eligibility ---------------------------------------------------------


def test_received_before_thanksgiving_decision_due_the_following_monday(
    make_case, evaluate
) -> None:
    # Received Wed 2026-11-25 10:00 EST.
    case = make_case(status="in_review", received_at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC))

    result = evaluate(case, now=datetime(2026, 11, 25, 16, 0, tzinfo=UTC))

    assert result.valid_until == datetime(2026, 12, 1, 4, 59, 59, tzinfo=UTC)
    assert result.valid_until == datetime(2026, 11, 30, 23, 59, 59, tzinfo=EST)
    assert result.messages[0].startswith(
        "Pre-Decision P2P allowed until Mon 11/30/2026 11:59 pm EST."
    )


def test_received_on_a_saturday_counts_from_monday(make_case, evaluate) -> None:
    # Received Sat 2026-06-13 11:00 EDT → Mon is day 0 → Wed 2026-06-17.
    case = make_case(status="in_review", received_at=datetime(2026, 6, 13, 15, 0, tzinfo=UTC))

    result = evaluate(case, now=datetime(2026, 6, 15, 14, 0, tzinfo=UTC))

    assert result.valid_until == datetime(2026, 6, 18, 3, 59, 59, tzinfo=UTC)


def test_received_before_observed_independence_day(make_case, evaluate) -> None:
    # Received Thu 2026-07-02 10:00 EDT; Fri 07-03 observed → Mon (1), Tue (2).
    case = make_case(status="in_review", received_at=datetime(2026, 7, 2, 14, 0, tzinfo=UTC))

    result = evaluate(case, now=datetime(2026, 7, 2, 15, 0, tzinfo=UTC))

    assert result.valid_until == datetime(2026, 7, 8, 3, 59, 59, tzinfo=UTC)
    assert result.valid_until == datetime(2026, 7, 7, 23, 59, 59, tzinfo=EDT)


def test_reconsideration_window_across_fall_back(make_case, evaluate) -> None:
    case = make_case(
        status="denied",
        determination_at=datetime(2026, 10, 25, 14, 0, tzinfo=UTC),
        date_of_service=date(2026, 12, 1),
    )

    result = evaluate(case, now=datetime(2026, 10, 26, 14, 0, tzinfo=UTC))

    assert result.valid_until == datetime(2026, 11, 9, 4, 59, 59, tzinfo=UTC)
    assert result.messages == ("Reconsideration allowed until Sun 11/8/2026 11:59 pm EST.",)


def test_urgent_across_spring_forward_is_exactly_72_elapsed_hours(make_case, evaluate) -> None:
    received = datetime(2026, 3, 7, 12, 0, tzinfo=EST)
    case = make_case(status="in_review", urgency=Urgency.URGENT, received_at=received)

    result = evaluate(case, now=datetime(2026, 3, 8, 15, 0, tzinfo=UTC))

    assert result.valid_until == datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
    assert result.valid_until - received == timedelta(hours=72)
    assert result.messages[0].startswith(
        "Pre-Decision P2P allowed until Tue 3/10/2026 1:00 pm EDT."
    )
