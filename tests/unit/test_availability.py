"""Free slots from weekly hours, busy time and limits, in both parties' zones (SPEC §3, §7, §9).

Expected instants are written out as UTC or with the offset in force (EST −5, EDT −4,
MST −7, PDT −7, CDT −5) and checked against labels in the requester's zone; the DST dates
are the 2026 US changes (spring forward Sun 2026-03-08, fall back Sun 2026-11-01).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache, partial
from zoneinfo import ZoneInfo

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p2p_scheduler.domain.availability import (
    DaySlots,
    Interval,
    LabelledSlot,
    ReviewerCalendar,
    ReviewerSlots,
    Slot,
    SlotQuery,
    TierGroup,
    free_slots,
    group_by_tier,
    per_local_day,
    preferred_windows,
    slot_label,
    week_bounds,
)
from p2p_scheduler.domain.availability import working_stretches as stretches_in
from p2p_scheduler.domain.model import ReviewerProfile, Weekday, WorkingHours

NEW_YORK = "America/New_York"
LOS_ANGELES = "America/Los_Angeles"
PHOENIX = "America/Phoenix"
CHICAGO = "America/Chicago"
EST = timezone(timedelta(hours=-5))
EDT = timezone(timedelta(hours=-4))
PDT = timezone(timedelta(hours=-7))
MST = timezone(timedelta(hours=-7))

WEEKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
ALL_DAYS = frozenset(Weekday)
ALL_HOURS = frozenset(range(24))

SUMMER_WEEK = date(2026, 6, 15)  # Monday, EDT/PDT all week
WINTER_WEEK = date(2026, 1, 12)  # Monday, EST/PST all week
SPRING_WEEK = date(2026, 3, 2)  # Monday; its Sunday 2026-03-08 springs forward
SPRING_NEXT = date(2026, 3, 9)
FALL_WEEK = date(2026, 10, 26)  # Monday; its Sunday 2026-11-01 falls back
FALL_NEXT = date(2026, 11, 2)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def profile(
    zone: str = NEW_YORK,
    hours: tuple[WorkingHours, ...] | None = None,
    *,
    reviewer_id: str = "dr-ames",
    cap: int = 8,
) -> ReviewerProfile:
    if hours is None:
        hours = weekly("09:00", "17:00")
    return ReviewerProfile(
        reviewer_id=reviewer_id,
        name=f"Dr {reviewer_id}",
        credentials="MD",
        email=f"{reviewer_id}@example.org",
        time_zone=zone,
        skills={"msk_spine": 1},
        licensed_states=frozenset({"PA"}),
        working_hours=hours,
        max_consults_per_day=cap,
    )


def weekly(start: str, end: str, days: tuple[Weekday, ...] = WEEKDAYS) -> tuple[WorkingHours, ...]:
    return tuple(WorkingHours(day, start, end) for day in days)


def calendar(
    reviewer: ReviewerProfile | None = None,
    *,
    tier: int = 1,
    busy: tuple[Interval, ...] = (),
    booked: dict[date, int] | None = None,
    busy_seconds: tuple[tuple[int, int], ...] = (),
) -> ReviewerCalendar:
    return ReviewerCalendar(
        profile=reviewer or profile(),
        tier=tier,
        busy=busy,
        booked_per_day=booked or {},
        busy_seconds=busy_seconds,
    )


def query(
    week: date = SUMMER_WEEK,
    *,
    zone: str = NEW_YORK,
    duration: int = 15,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    days: frozenset[Weekday] = ALL_DAYS,
    hours: frozenset[int] = ALL_HOURS,
) -> SlotQuery:
    """A query with limits wide open unless given (a week from 10 days before the week)."""
    opened = datetime.combine(week, datetime.min.time(), tzinfo=UTC)
    return SlotQuery(
        duration_minutes=duration,
        not_before=not_before or opened - timedelta(days=10),
        not_after=not_after or opened + timedelta(days=30),
        week_start=week,
        requester_zone=zone,
        days=days,
        hours=hours,
    )


def labels(slots: list[Slot], zone: str = NEW_YORK) -> list[str]:
    return [slot_label(slot.start, zone) for slot in slots]


def on_day(slots: list[Slot], day: date, zone: str = NEW_YORK) -> list[Slot]:
    tz = ZoneInfo(zone)
    return [slot for slot in slots if slot.start.astimezone(tz).date() == day]


# ---- labels --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        (utc(2026, 6, 15, 22, 30), NEW_YORK, "6:30 pm EDT"),
        (utc(2026, 1, 12, 23, 30), NEW_YORK, "6:30 pm EST"),
        (utc(2026, 6, 15, 16, 0), PHOENIX, "9:00 am MST"),
        (utc(2026, 1, 12, 16, 0), PHOENIX, "9:00 am MST"),
        (utc(2026, 6, 15, 22, 30), LOS_ANGELES, "3:30 pm PDT"),
        (utc(2026, 1, 12, 22, 30), LOS_ANGELES, "2:30 pm PST"),
        (utc(2026, 6, 15, 22, 30), CHICAGO, "5:30 pm CDT"),
        (utc(2026, 6, 15, 4, 0), NEW_YORK, "12:00 am EDT"),
        (utc(2026, 6, 15, 16, 15), NEW_YORK, "12:15 pm EDT"),
        (utc(2026, 6, 15, 14, 5), NEW_YORK, "10:05 am EDT"),
        (datetime(2026, 6, 15, 18, 30, tzinfo=EDT), NEW_YORK, "6:30 pm EDT"),
        (utc(2026, 11, 1, 5, 30), NEW_YORK, "1:30 am EDT"),
        (utc(2026, 11, 1, 6, 30), NEW_YORK, "1:30 am EST"),
    ],
)
def test_slot_label(instant, zone, expected) -> None:
    assert slot_label(instant, zone) == expected


@settings(max_examples=200, deadline=None)
@given(
    instant=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(
        [NEW_YORK, CHICAGO, "America/Denver", PHOENIX, LOS_ANGELES, "Pacific/Honolulu", "UTC"]
    ),
)
def test_slot_label_is_pendulums_format_with_a_lowercase_meridiem(instant, zone) -> None:
    expected = pendulum.instance(instant).in_timezone(zone).format("h:mm A zz")
    assert slot_label(instant, zone) == expected.replace(" AM ", " am ").replace(" PM ", " pm ")


# ---- reviewer's zone seen from the requester's ---------------------------------------------------


@pytest.mark.parametrize(
    ("week", "abbreviation", "first_utc"),
    [(SUMMER_WEEK, "EDT", utc(2026, 6, 15, 16, 0)), (WINTER_WEEK, "EST", utc(2026, 1, 12, 17, 0))],
)
def test_los_angeles_reviewer_seen_from_new_york(week, abbreviation, first_utc) -> None:
    slots = free_slots(calendar(profile(LOS_ANGELES)), query(week))

    assert len(slots) == 5 * 32  # Mon–Fri, 8 hours of quarter hours
    assert slots[0].start == first_utc
    assert slots[0].end == first_utc + timedelta(minutes=15)
    assert labels(slots)[0] == f"12:00 pm {abbreviation}"
    assert labels(slots)[-1] == f"7:45 pm {abbreviation}"
    assert slots[-1].end - slots[-1].start == timedelta(minutes=15)
    for day in range(5):
        daily = labels(on_day(slots, week + timedelta(days=day)))
        assert daily[0] == f"12:00 pm {abbreviation}"
        assert daily[-1] == f"7:45 pm {abbreviation}"
        assert len(daily) == 32
    assert slots == sorted(slots, key=lambda slot: slot.start)


def test_slots_are_utc_and_on_the_grid() -> None:
    slots = free_slots(calendar(profile(LOS_ANGELES)), query())
    assert all(slot.start.utcoffset() == timedelta(0) for slot in slots)
    assert all(slot.start.minute % 15 == 0 and slot.start.second == 0 for slot in slots)


def test_phoenix_reviewer_across_spring_forward_seen_from_new_york() -> None:
    every_day = weekly("09:00", "17:00", tuple(Weekday))
    phoenix = calendar(profile(PHOENIX, every_day))
    new_york = calendar(profile(NEW_YORK, every_day))

    before = free_slots(phoenix, query(SPRING_WEEK))
    after = free_slots(phoenix, query(SPRING_NEXT))

    # Phoenix keeps MST (UTC−7): 09:00 MST is 16:00 UTC on both sides of the change.
    saturday = on_day(before, date(2026, 3, 7))
    sunday = on_day(before, date(2026, 3, 8))
    assert saturday[0].start == datetime(2026, 3, 7, 9, 0, tzinfo=MST)
    assert labels(saturday)[0] == "11:00 am EST"
    assert labels(saturday)[-1] == "6:45 pm EST"
    assert sunday[0].start == datetime(2026, 3, 8, 9, 0, tzinfo=MST)
    assert labels(sunday)[0] == "12:00 pm EDT"
    assert labels(sunday)[-1] == "7:45 pm EDT"
    assert labels(on_day(before, date(2026, 3, 2)))[0] == "11:00 am EST"
    assert labels(on_day(after, date(2026, 3, 9)))[0] == "12:00 pm EDT"
    assert len(before) == len(after) == 7 * 32

    # A New York reviewer's 09:00 stays 9:00 am local.
    ny_before = free_slots(new_york, query(SPRING_WEEK))
    ny_after = free_slots(new_york, query(SPRING_NEXT))
    assert labels(on_day(ny_before, date(2026, 3, 7)))[0] == "9:00 am EST"
    assert labels(on_day(ny_before, date(2026, 3, 8)))[0] == "9:00 am EDT"
    assert labels(on_day(ny_after, date(2026, 3, 9)))[0] == "9:00 am EDT"
    assert ny_before[0].start == datetime(2026, 3, 2, 9, 0, tzinfo=EST)
    assert ny_after[0].start == datetime(2026, 3, 9, 9, 0, tzinfo=EDT)


def test_phoenix_reviewer_across_fall_back_seen_from_new_york() -> None:
    every_day = weekly("09:00", "17:00", tuple(Weekday))
    phoenix = calendar(profile(PHOENIX, every_day))
    new_york = calendar(profile(NEW_YORK, every_day))

    week = free_slots(phoenix, query(FALL_WEEK))
    assert labels(on_day(week, date(2026, 10, 31)))[0] == "12:00 pm EDT"
    assert labels(on_day(week, date(2026, 11, 1)))[0] == "11:00 am EST"
    assert labels(on_day(free_slots(phoenix, query(FALL_NEXT)), FALL_NEXT))[0] == "11:00 am EST"

    ny_week = free_slots(new_york, query(FALL_WEEK))
    assert labels(on_day(ny_week, date(2026, 10, 31)))[0] == "9:00 am EDT"
    assert labels(on_day(ny_week, date(2026, 11, 1)))[0] == "9:00 am EST"
    assert on_day(ny_week, date(2026, 11, 1))[0].start == utc(2026, 11, 1, 14, 0)


# ---- the DST-change days themselves --------------------------------------------------------------


def sunday_hours(start: str, end: str) -> ReviewerCalendar:
    return calendar(profile(NEW_YORK, (WorkingHours(Weekday.SUN, start, end),)))


def test_spring_forward_night_block_has_five_real_hours() -> None:
    slots = free_slots(sunday_hours("00:00", "06:00"), query(SPRING_WEEK))

    assert len(slots) == 5 * 4
    assert slots[0].start == datetime(2026, 3, 8, 0, 0, tzinfo=EST)
    assert slots[-1].end == datetime(2026, 3, 8, 6, 0, tzinfo=EDT)
    assert "1:45 am EST" in labels(slots)
    assert labels(slots)[labels(slots).index("1:45 am EST") + 1] == "3:00 am EDT"
    assert not any(label.startswith("2:") for label in labels(slots))
    # The ordinary Sunday before and after has 6 hours.
    assert len(free_slots(sunday_hours("00:00", "06:00"), query(SPRING_NEXT))) == 6 * 4


def test_fall_back_night_block_has_seven_real_hours() -> None:
    slots = free_slots(sunday_hours("00:00", "06:00"), query(FALL_WEEK))

    assert len(slots) == 7 * 4
    assert slots[0].start == datetime(2026, 11, 1, 0, 0, tzinfo=EDT)
    assert slots[-1].end == datetime(2026, 11, 1, 6, 0, tzinfo=EST)
    assert labels(slots)[4:12] == [
        "1:00 am EDT",
        "1:15 am EDT",
        "1:30 am EDT",
        "1:45 am EDT",
        "1:00 am EST",
        "1:15 am EST",
        "1:30 am EST",
        "1:45 am EST",
    ]
    assert len(free_slots(sunday_hours("00:00", "06:00"), query(FALL_NEXT))) == 6 * 4


def test_block_starting_at_a_wall_time_that_does_not_exist_starts_when_the_clock_resumes() -> None:
    # 02:00 does not exist on 2026-03-08 in New York: pendulum moves it to 03:00 EDT.
    slots = free_slots(sunday_hours("02:00", "04:00"), query(SPRING_WEEK))
    assert labels(slots) == ["3:00 am EDT", "3:15 am EDT", "3:30 am EDT", "3:45 am EDT"]
    assert slots[0].start == utc(2026, 3, 8, 7, 0)


def test_block_ending_at_a_wall_time_that_does_not_exist() -> None:
    # 01:30 EST → "02:30" = 03:30 EDT: one real hour.
    slots = free_slots(sunday_hours("01:30", "02:30"), query(SPRING_WEEK))
    assert labels(slots) == ["1:30 am EST", "1:45 am EST", "3:00 am EDT", "3:15 am EDT"]


def test_block_starting_at_an_ambiguous_wall_time_takes_the_second_occurrence() -> None:
    # 01:00 happens twice on 2026-11-01; pendulum takes the later one (01:00 EST).
    slots = free_slots(sunday_hours("01:00", "03:00"), query(FALL_WEEK))
    assert len(slots) == 8
    assert slots[0].start == utc(2026, 11, 1, 6, 0)
    assert labels(slots)[0] == "1:00 am EST"


def test_block_ending_at_an_ambiguous_wall_time_ends_at_its_second_occurrence() -> None:
    slots = free_slots(sunday_hours("00:00", "01:30"), query(FALL_WEEK))
    assert slots[-1].end == datetime(2026, 11, 1, 1, 30, tzinfo=EST)
    assert len(slots) == 10  # 00:00 EDT → 01:30 EST is 2.5 hours


def test_requester_preferences_across_their_own_dst_change() -> None:
    # Requester in New York wants the 1 am bin on the fall-back Sunday: both 1 am hours match.
    slots = free_slots(
        sunday_hours("00:00", "06:00"),
        query(FALL_WEEK, days=frozenset({Weekday.SUN}), hours=frozenset({1})),
    )
    assert len(slots) == 8
    # On the spring-forward Sunday there is no 2 am bin at all.
    none = free_slots(sunday_hours("00:00", "06:00"), query(SPRING_WEEK, hours=frozenset({2})))
    assert none == []


def test_midnight_end_is_the_next_local_midnight() -> None:
    slots = free_slots(
        calendar(profile(NEW_YORK, (WorkingHours(Weekday.SAT, "23:00", "24:00"),))),
        query(FALL_WEEK),
    )
    assert slots[-1].end == datetime(2026, 11, 1, 0, 0, tzinfo=EDT)
    assert len(slots) == 4


def test_touching_blocks_of_a_day_form_one_stretch() -> None:
    hours = (
        WorkingHours(Weekday.MON, "09:00", "10:00"),
        WorkingHours(Weekday.MON, "10:00", "11:00"),
    )
    slots = free_slots(calendar(profile(NEW_YORK, hours)), query(duration=60))
    assert labels(slots) == [
        "9:00 am EDT",
        "9:15 am EDT",
        "9:30 am EDT",
        "9:45 am EDT",
        "10:00 am EDT",
    ]


# ---- busy time and limits ------------------------------------------------------------------------

MONDAY_MORNING = (WorkingHours(Weekday.MON, "09:00", "12:00"),)


def monday_morning(**kwargs) -> ReviewerCalendar:
    return calendar(profile(NEW_YORK, MONDAY_MORNING), **kwargs)


def ny(hour: int, minute: int = 0, day: date = SUMMER_WEEK) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=EDT)


def test_busy_interval_removes_the_slots_it_overlaps() -> None:
    busy = (Interval(ny(10, 0), ny(10, 30)),)
    slots = free_slots(monday_morning(busy=busy), query())
    assert len(slots) == 12 - 2
    assert "10:00 am EDT" not in labels(slots)
    assert "10:15 am EDT" not in labels(slots)
    assert "9:45 am EDT" in labels(slots)
    assert "10:30 am EDT" in labels(slots)


def test_longer_duration_needs_every_quarter_free() -> None:
    busy = (Interval(ny(10, 0), ny(10, 30)),)
    slots = free_slots(monday_morning(busy=busy), query(duration=30))
    # 11 possible starts 09:00–11:30; 09:45, 10:00 and 10:15 touch the busy half hour.
    assert labels(slots) == [
        "9:00 am EDT",
        "9:15 am EDT",
        "9:30 am EDT",
        "10:30 am EDT",
        "10:45 am EDT",
        "11:00 am EDT",
        "11:15 am EDT",
        "11:30 am EDT",
    ]
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in slots)


def test_busy_off_the_grid_blocks_every_quarter_it_touches() -> None:
    busy = (Interval(ny(10, 5), ny(10, 20)),)
    slots = free_slots(monday_morning(busy=busy), query())
    assert "10:00 am EDT" not in labels(slots)
    assert "10:15 am EDT" not in labels(slots)
    assert len(slots) == 10


def test_overlapping_busy_intervals_and_busy_outside_hours() -> None:
    busy = (
        Interval(ny(9, 0), ny(9, 45)),
        Interval(ny(9, 30), ny(10, 0)),
        Interval(ny(11, 45), ny(13, 0)),
        Interval(ny(6, 0), ny(7, 0)),
    )
    slots = free_slots(monday_morning(busy=busy), query())
    assert labels(slots)[0] == "10:00 am EDT"
    assert labels(slots)[-1] == "11:30 am EDT"
    assert len(slots) == 7


def test_busy_whole_day() -> None:
    busy = (Interval(ny(0, 0), ny(0, 0, SUMMER_WEEK + timedelta(days=1))),)
    assert free_slots(monday_morning(busy=busy), query()) == []


def test_minimum_notice_cuts_earlier_starts() -> None:
    slots = free_slots(monday_morning(), query(not_before=ny(10, 7)))
    assert labels(slots)[0] == "10:15 am EDT"
    exact = free_slots(monday_morning(), query(not_before=ny(10, 0)))
    assert labels(exact)[0] == "10:00 am EDT"


def test_not_after_is_the_latest_end() -> None:
    slots = free_slots(monday_morning(), query(duration=30, not_after=ny(11, 0)))
    assert labels(slots)[-1] == "10:30 am EDT"
    assert slots[-1].end == ny(11, 0)
    assert free_slots(monday_morning(), query(not_after=ny(9, 10))) == []


def test_limits_that_leave_nothing() -> None:
    assert free_slots(monday_morning(), query(not_before=ny(11, 50), not_after=ny(12, 0))) == []
    assert free_slots(monday_morning(), query(not_before=ny(12, 0), not_after=ny(9, 0))) == []


def test_daily_cap_removes_the_reviewer_local_day_only() -> None:
    reviewer = profile(NEW_YORK, cap=2)
    full = free_slots(calendar(reviewer, booked={date(2026, 6, 16): 2}), query())
    assert on_day(full, date(2026, 6, 16)) == []
    assert len(on_day(full, date(2026, 6, 15))) == 32
    assert len(on_day(full, date(2026, 6, 17))) == 32
    under = free_slots(calendar(reviewer, booked={date(2026, 6, 16): 1}), query())
    assert len(on_day(under, date(2026, 6, 16))) == 32


def test_daily_cap_counts_the_reviewer_local_date_not_the_requesters() -> None:
    # Los Angeles evening 20:00–22:00 PDT is 23:00–01:00 in New York: two NY dates.
    reviewer = profile(LOS_ANGELES, (WorkingHours(Weekday.MON, "20:00", "22:00"),), cap=1)
    open_slots = free_slots(calendar(reviewer), query())
    assert len(open_slots) == 8
    assert len(on_day(open_slots, date(2026, 6, 15))) == 4
    assert len(on_day(open_slots, date(2026, 6, 16))) == 4

    # Capped on LA Monday: every slot of that evening goes, including NY-Tuesday ones.
    assert free_slots(calendar(reviewer, booked={date(2026, 6, 15): 1}), query()) == []
    # A booking on LA Tuesday leaves the Monday evening alone.
    assert free_slots(calendar(reviewer, booked={date(2026, 6, 16): 1}), query()) == open_slots


def test_preferences_filter_in_the_requester_zone() -> None:
    # LA reviewer 09–17 PDT = 12–20 EDT; the requester prefers Mon and Wed, the 9 and 14 bins.
    slots = free_slots(
        calendar(profile(LOS_ANGELES)),
        query(days=frozenset({Weekday.MON, Weekday.WED}), hours=frozenset({9, 14})),
    )
    assert labels(slots) == [f"2:{m:02d} pm EDT" for m in (0, 15, 30, 45)] * 2
    assert {slot.start.date() for slot in slots} == {date(2026, 6, 15), date(2026, 6, 17)}


def test_preferences_of_a_requester_west_of_the_reviewer() -> None:
    # NY reviewer 09–17 EDT seen from Los Angeles is 06–14 PDT; the 6 am bin is 9 am in NY.
    slots = free_slots(
        calendar(profile(NEW_YORK)),
        query(zone=LOS_ANGELES, days=frozenset({Weekday.FRI}), hours=frozenset({6})),
    )
    assert labels(slots, LOS_ANGELES) == [f"6:{m:02d} am PDT" for m in (0, 15, 30, 45)]
    assert slots[0].start == ny(9, 0, date(2026, 6, 19))


def test_the_start_decides_the_preferred_bin() -> None:
    # A 45-minute consultation at 10:45 matches the 10 bin though it ends at 11:30.
    slots = free_slots(monday_morning(), query(duration=45, hours=frozenset({10})))
    assert labels(slots) == ["10:00 am EDT", "10:15 am EDT", "10:30 am EDT", "10:45 am EDT"]


def test_no_preferred_days_means_no_slots() -> None:
    assert free_slots(calendar(), query(days=frozenset())) == []
    assert free_slots(calendar(), query(hours=frozenset())) == []


def test_reviewer_without_hours_has_no_slots() -> None:
    assert free_slots(calendar(profile(hours=())), query()) == []


# ---- weeks ---------------------------------------------------------------------------------------


def test_week_is_bounded_in_the_requester_zone() -> None:
    # LA Sunday 20:00–22:00 PDT = Sunday 23:00 → Monday 01:00 in New York.
    reviewer = profile(LOS_ANGELES, (WorkingHours(Weekday.SUN, "20:00", "22:00"),))
    slots = free_slots(calendar(reviewer), query(SUMMER_WEEK))
    assert [slot_label(slot.start, NEW_YORK) for slot in slots] == [
        "12:00 am EDT",  # Monday 06-15, from the reviewer's Sunday 06-14
        "12:15 am EDT",
        "12:30 am EDT",
        "12:45 am EDT",
        "11:00 pm EDT",  # Sunday 06-21, the last day of the week
        "11:15 pm EDT",
        "11:30 pm EDT",
        "11:45 pm EDT",
    ]
    assert slots[0].start == ny(0, 0, date(2026, 6, 15))
    assert slots[-1].start == ny(23, 45, date(2026, 6, 21))
    # Monday 06-22 00:00 EDT is the next week's.
    following = free_slots(calendar(reviewer), query(SUMMER_WEEK + timedelta(days=7)))
    assert following[0].start == ny(0, 0, date(2026, 6, 22))


def test_week_start_must_be_a_monday() -> None:
    with pytest.raises(ValueError, match="week_start must be a Monday"):
        week_bounds(date(2026, 6, 17), NEW_YORK, utc(2026, 6, 17, 12))
    with pytest.raises(ValueError, match="week_start must be a Monday"):
        free_slots(calendar(), query(date(2026, 6, 16)))


def test_week_bounds_of_a_given_week() -> None:
    assert week_bounds(SUMMER_WEEK, NEW_YORK, utc(2026, 1, 1)) == (
        date(2026, 6, 15),
        date(2026, 6, 21),
        date(2026, 6, 8),
        date(2026, 6, 22),
    )
    # Across a month and year end.
    assert week_bounds(date(2026, 12, 28), NEW_YORK, utc(2026, 1, 1)) == (
        date(2026, 12, 28),
        date(2027, 1, 3),
        date(2026, 12, 21),
        date(2027, 1, 4),
    )


def test_default_week_contains_now_in_the_requester_zone() -> None:
    # Monday 2026-06-22 03:30 UTC is still Sunday 06-21 23:30 in New York.
    now = utc(2026, 6, 22, 3, 30)
    assert week_bounds(None, NEW_YORK, now)[0] == date(2026, 6, 15)
    assert week_bounds(None, "UTC", now)[0] == date(2026, 6, 22)
    assert week_bounds(None, "Asia/Tokyo", utc(2026, 6, 21, 15, 30))[0] == date(2026, 6, 22)
    assert week_bounds(None, NEW_YORK, utc(2026, 6, 15, 4, 0)) == (
        date(2026, 6, 15),
        date(2026, 6, 21),
        date(2026, 6, 8),
        date(2026, 6, 22),
    )


# ---- grouping ------------------------------------------------------------------------------------


def test_group_by_tier_orders_tiers_reviewers_days_and_slots() -> None:
    early = calendar(profile(NEW_YORK, reviewer_id="dr-zed"), tier=2)
    late = calendar(profile(LOS_ANGELES, reviewer_id="dr-amy"), tier=2)
    same_time = calendar(profile(NEW_YORK, reviewer_id="dr-bob"), tier=2)
    best = calendar(profile(LOS_ANGELES, reviewer_id="dr-cal"), tier=1)
    idle = calendar(profile(NEW_YORK, reviewer_id="dr-idle"), tier=3)
    q = query(hours=frozenset({9, 12}), days=frozenset({Weekday.MON, Weekday.TUE}))
    pairs = [
        (cal, list(reversed(free_slots(cal, q)))) for cal in (late, early, idle, best, same_time)
    ]
    pairs[2] = (idle, [])

    groups = group_by_tier(pairs, NEW_YORK)

    assert [group.tier for group in groups] == [1, 2]
    assert [group.label for group in groups] == ["1st Priority by Skill", "2nd Priority by Skill"]
    assert [r.reviewer_id for r in groups[0].reviewers] == ["dr-cal"]
    # dr-bob and dr-zed both start at 9:00 am EDT (id breaks the tie); dr-amy starts at noon.
    assert [r.reviewer_id for r in groups[1].reviewers] == ["dr-bob", "dr-zed", "dr-amy"]
    zed = groups[1].reviewers[1]
    assert isinstance(zed, ReviewerSlots)
    assert (zed.name, zed.credentials) == ("Dr dr-zed", "MD")
    assert [day.date for day in zed.days] == [date(2026, 6, 15), date(2026, 6, 16)]
    monday = zed.days[0]
    assert isinstance(monday, DaySlots)
    assert [slot.label for slot in monday.slots] == [
        "9:00 am EDT",
        "9:15 am EDT",
        "9:30 am EDT",
        "9:45 am EDT",
        "12:00 pm EDT",
        "12:15 pm EDT",
        "12:30 pm EDT",
        "12:45 pm EDT",
    ]
    first = monday.slots[0]
    assert isinstance(first, LabelledSlot)
    assert first.start == ny(9, 0)
    assert first.start.utcoffset() == timedelta(hours=-4)
    assert first.end == ny(9, 15)
    assert first.end.utcoffset() == timedelta(hours=-4)
    assert first.start.isoformat() == "2026-06-15T09:00:00-04:00"


def test_group_days_are_requester_local_dates() -> None:
    # LA Monday 20:00–22:00 PDT splits over two New York dates.
    reviewer = calendar(profile(LOS_ANGELES, (WorkingHours(Weekday.MON, "20:00", "22:00"),)))
    groups = group_by_tier([(reviewer, free_slots(reviewer, query()))], NEW_YORK)
    days = groups[0].reviewers[0].days
    assert [(day.date, len(day.slots)) for day in days] == [
        (date(2026, 6, 15), 4),
        (date(2026, 6, 16), 4),
    ]
    assert days[1].slots[0].label == "12:00 am EDT"
    # Seen from Los Angeles the same slots are one day.
    groups = group_by_tier([(reviewer, free_slots(reviewer, query(zone=LOS_ANGELES)))], LOS_ANGELES)
    assert [(day.date, len(day.slots)) for day in groups[0].reviewers[0].days] == [
        (date(2026, 6, 15), 8)
    ]
    assert groups[0].reviewers[0].days[0].slots[0].label == "8:00 pm PDT"


def test_group_of_nothing() -> None:
    assert group_by_tier([], NEW_YORK) == []
    assert group_by_tier([(calendar(), [])], NEW_YORK) == []
    assert isinstance(
        group_by_tier([(calendar(), free_slots(calendar(), query()))], NEW_YORK)[0], TierGroup
    )


# ---- property: every slot returned obeys every rule, and none is missing ------------------------

ZONES = [NEW_YORK, CHICAGO, "America/Denver", PHOENIX, LOS_ANGELES, "Pacific/Honolulu"]
WEEKS = [SUMMER_WEEK, WINTER_WEEK, SPRING_WEEK, SPRING_NEXT, FALL_WEEK, FALL_NEXT]
QUARTER = timedelta(minutes=15)


@st.composite
def scenarios(draw):
    reviewer_zone = draw(st.sampled_from(ZONES))
    requester_zone = draw(st.sampled_from(ZONES))
    week = draw(st.sampled_from(WEEKS))
    blocks = []
    for _ in range(draw(st.integers(1, 10))):
        start = draw(st.integers(0, 95))
        end = draw(st.integers(start + 1, min(96, start + 48)))
        blocks.append(
            WorkingHours(
                draw(st.sampled_from(list(Weekday))),
                f"{start // 4:02d}:{start % 4 * 15:02d}",
                f"{end // 4:02d}:{end % 4 * 15:02d}",
            )
        )
    week_utc = datetime.combine(week, datetime.min.time(), tzinfo=UTC)
    busy = []
    for _ in range(draw(st.integers(0, 12))):
        start = week_utc + timedelta(minutes=draw(st.integers(-24 * 60, 8 * 24 * 60)))
        busy.append(Interval(start, start + timedelta(minutes=draw(st.integers(1, 240)))))
    cap = draw(st.integers(1, 4))
    booked = {
        week + timedelta(days=offset): draw(st.integers(0, 5))
        for offset in draw(st.sets(st.integers(-1, 7), max_size=3))
    }
    # Limits drawn independently (an empty window included), often wider than the week.
    not_before = week_utc + timedelta(minutes=draw(st.integers(-2 * 24 * 60, 4 * 24 * 60)))
    not_after = week_utc + timedelta(minutes=draw(st.integers(24 * 60, 9 * 24 * 60)))
    days = draw(st.one_of(st.just(ALL_DAYS), st.sets(st.sampled_from(list(Weekday)), min_size=1)))
    hours = draw(st.one_of(st.just(ALL_HOURS), st.sets(st.integers(0, 23), min_size=1)))
    reviewer = ReviewerProfile(
        reviewer_id="dr-prop",
        name="Dr Prop",
        credentials="MD",
        email="prop@example.org",
        time_zone=reviewer_zone,
        working_hours=tuple(blocks),
        max_consults_per_day=cap,
    )
    return (
        ReviewerCalendar(reviewer, 1, tuple(busy), booked),
        SlotQuery(
            duration_minutes=draw(st.sampled_from([15, 30, 45, 60, 90])),
            not_before=not_before,
            not_after=not_after,
            week_start=week,
            requester_zone=requester_zone,
            days=frozenset(days),
            hours=frozenset(hours),
        ),
    )


def working_stretches(reviewer: ReviewerProfile, day: date) -> list[tuple[datetime, datetime]]:
    """The reviewer's working time on a local date, expanded independently with pendulum."""

    def wall(hhmm: str) -> datetime:
        hour, minute = map(int, hhmm.split(":"))
        if hour == 24:
            nxt = day + timedelta(days=1)
            moment = pendulum.datetime(nxt.year, nxt.month, nxt.day, tz=reviewer.time_zone)
        else:
            moment = pendulum.datetime(
                day.year, day.month, day.day, hour, minute, tz=reviewer.time_zone
            )
        return moment.in_timezone("UTC")

    spans = sorted(
        (wall(block.start), wall(block.end))
        for block in reviewer.working_hours
        if block.weekday.iso == day.isoweekday()
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def expected_slots(cal: ReviewerCalendar, q: SlotQuery) -> list[datetime]:
    """Brute force: every UTC quarter hour of the week, each rule checked one by one."""
    requester = ZoneInfo(q.requester_zone)
    reviewer = ZoneInfo(cal.profile.time_zone)
    week_lo = pendulum.datetime(
        q.week_start.year, q.week_start.month, q.week_start.day, tz=q.requester_zone
    )
    week_end = q.week_start + timedelta(days=7)
    week_hi = pendulum.datetime(week_end.year, week_end.month, week_end.day, tz=q.requester_zone)
    duration = timedelta(minutes=q.duration_minutes)
    stretches = cache(partial(working_stretches, cal.profile))  # per reviewer-local date
    found = []
    # plain UTC datetimes from here on: stepping a pendulum instant costs 50 times more
    start = datetime.fromtimestamp(week_lo.timestamp(), UTC)
    while start < week_hi:
        end = start + duration
        local = start.astimezone(requester)
        day = start.astimezone(reviewer).date()
        if (
            start >= q.not_before
            and end <= q.not_after
            and list(Weekday)[local.weekday()] in q.days
            and local.hour in q.hours
            and cal.booked_per_day.get(day, 0) < cal.profile.max_consults_per_day
            and any(lo <= start and end <= hi for lo, hi in stretches(day))
            and not any(b.start < end and start < b.end for b in cal.busy)
        ):
            found.append(start)
        start += QUARTER
    return found


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_free_slots_match_the_rules_one_by_one(scenario) -> None:
    cal, q = scenario
    slots = free_slots(cal, q)

    duration = timedelta(minutes=q.duration_minutes)
    stretches = cache(partial(working_stretches, cal.profile))  # per reviewer-local date
    for slot in slots:
        assert slot.start.minute % 15 == 0 and slot.start.second == 0
        assert slot.end - slot.start == duration
        assert q.not_before <= slot.start and slot.end <= q.not_after
        assert not any(b.start < slot.end and slot.start < b.end for b in cal.busy)
        day = slot.start.astimezone(ZoneInfo(cal.profile.time_zone)).date()
        assert any(lo <= slot.start and slot.end <= hi for lo, hi in stretches(day))
        local = slot.start.astimezone(ZoneInfo(q.requester_zone))
        monday = local.date() - timedelta(days=local.weekday())
        assert monday == q.week_start
    assert [slot.start for slot in slots] == expected_slots(cal, q)


def test_per_local_day_counts_by_the_reviewers_date_across_fall_back() -> None:
    # 2026-11-01 in New York lasts 25 hours: 00:30 EDT and 23:30 EST are the same date.
    starts = [
        int(datetime(2026, 11, 1, 4, 30, tzinfo=UTC).timestamp()),  # 00:30 EDT Nov 1
        int(datetime(2026, 11, 2, 4, 30, tzinfo=UTC).timestamp()),  # 23:30 EST Nov 1
        int(datetime(2026, 11, 2, 5, 15, tzinfo=UTC).timestamp()),  # 00:15 EST Nov 2
        int(datetime(2026, 11, 1, 3, 45, tzinfo=UTC).timestamp()),  # 23:45 EDT Oct 31
    ]
    assert per_local_day(starts, NEW_YORK) == {
        date(2026, 10, 31): 1,
        date(2026, 11, 1): 2,
        date(2026, 11, 2): 1,
    }
    assert per_local_day(starts, "UTC") == {date(2026, 11, 1): 2, date(2026, 11, 2): 2}
    assert per_local_day([], NEW_YORK) == {}


def test_busy_seconds_block_like_busy_intervals() -> None:
    """The epoch-second form the database read gives blocks exactly what an Interval does."""
    busy = Interval(ny(10, 0), ny(11, 30))
    as_seconds = (int(busy.start.timestamp()), int(busy.end.timestamp()))
    q = query()
    with_intervals = free_slots(calendar(busy=(busy,)), q)
    with_seconds = free_slots(calendar(busy_seconds=(as_seconds,)), q)
    assert with_seconds == with_intervals
    assert len(with_seconds) < len(free_slots(calendar(), q))


# ---- plain spans for the optimizer --------------------------------------------------------------


def test_working_stretches_follow_local_hours_across_fall_back() -> None:
    # 09:00–17:00 New York on Fri 2026-10-30 (EDT) and Mon 2026-11-02 (EST): 8 hours each,
    # at different UTC times; the weekend in between has no hours.
    reviewer = profile(
        NEW_YORK,
        hours=(
            WorkingHours(Weekday.FRI, "09:00", "17:00"),
            WorkingHours(Weekday.MON, "09:00", "17:00"),
        ),
    )
    found = stretches_in(
        reviewer,
        datetime(2026, 10, 30, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 3, 0, 0, tzinfo=UTC),
    )
    as_utc = [
        (day, datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi, UTC))
        for day, lo, hi in found
    ]
    assert as_utc == [
        (
            date(2026, 10, 30),
            datetime(2026, 10, 30, 13, tzinfo=UTC),
            datetime(2026, 10, 30, 21, tzinfo=UTC),
        ),
        (
            date(2026, 11, 2),
            datetime(2026, 11, 2, 14, tzinfo=UTC),
            datetime(2026, 11, 2, 22, tzinfo=UTC),
        ),
    ]


def test_working_stretches_are_clipped_and_merge_touching_blocks() -> None:
    reviewer = profile(
        NEW_YORK,
        hours=(
            WorkingHours(Weekday.MON, "09:00", "12:00"),
            WorkingHours(Weekday.MON, "12:00", "15:00"),
        ),
    )
    found = stretches_in(reviewer, ny(10, 30), ny(23, 0))
    assert found == [(SUMMER_WEEK, int(ny(10, 30).timestamp()), int(ny(15, 0).timestamp()))]
    assert stretches_in(reviewer, ny(16, 0), ny(23, 0)) == []


def test_preferred_windows_are_the_requesters_hours_merged() -> None:
    windows = preferred_windows(
        NEW_YORK,
        frozenset({Weekday.MON}),
        frozenset({9, 10, 14}),
        ny(0, 0),
        ny(0, 0) + timedelta(days=7),
    )
    assert windows == [
        (int(ny(9).timestamp()), int(ny(11).timestamp())),
        (int(ny(14).timestamp()), int(ny(15).timestamp())),
    ]
    # the last bin of the day ends at the next local midnight
    late = preferred_windows(
        NEW_YORK, frozenset({Weekday.MON}), frozenset({23}), ny(0), ny(0) + timedelta(days=1)
    )
    assert late == [(int(ny(23).timestamp()), int((ny(0) + timedelta(days=1)).timestamp()))]
