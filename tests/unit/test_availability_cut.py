"""``availability_cut.plan``: how much of a week one answer lists, and the day slices it is
counted on (``availability.rank_by_tier``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from p2p_scheduler.domain.availability import (
    ReviewerCalendar,
    SlotQuery,
    free_slots,
    label,
    rank_by_tier,
)
from p2p_scheduler.domain.availability_cut import Cut, day_counts, plan
from p2p_scheduler.domain.model import ReviewerProfile, Weekday, WorkingHours


def test_a_week_that_fits_is_not_cut() -> None:
    assert plan([[[3, 5], [96]]], 104) == Cut(per_day=None, total_slots=104)
    assert plan([[[3, 5], [96]]], 11, slots_per_day=4) == Cut(per_day=4, total_slots=104)
    assert plan([], 96) == Cut(per_day=None, total_slots=0)


def test_every_day_keeps_as_many_earliest_slots_as_fit() -> None:
    # min(k, n) summed: k=3 → 3+3+3+2 = 11 fits 12; k=4 → 4+4+4+2 = 14 does not
    cut = plan([[[10, 10]], [[10, 2]]], 12)
    assert cut == Cut(per_day=3, total_slots=32, truncated=True)
    assert [cut.shown(rank) for rank in range(3)] == [3, 3, 3]


def test_the_callers_own_limit_is_not_a_truncation_but_a_lower_one_is() -> None:
    assert not plan([[[10, 10]]], 12, slots_per_day=6).truncated
    assert plan([[[10, 10]]], 12, slots_per_day=7) == Cut(per_day=6, total_slots=20, truncated=True)


def test_too_many_reviewer_days_keep_the_first_reviewers_of_every_tier() -> None:
    tiers = [[[5] * 7] * 10, [[5] * 7] * 3, [[5] * 2]]
    cut = plan(tiers, 30)
    # rank 0: 7 + 7 + 2 = 16 days; rank 1: 7 + 7 = 14 more → 30; rank 2 would be 44
    assert cut == Cut(
        per_day=1, reviewers_per_tier=2, total_slots=13 * 7 * 5 + 2 * 5, truncated=True
    )
    assert [cut.shown(rank) for rank in range(4)] == [1, 1, 0, 0]


def _open_all_week(reviewer_id: str) -> ReviewerCalendar:
    profile = ReviewerProfile(
        reviewer_id=reviewer_id,
        name=reviewer_id,
        credentials="MD",
        email=f"{reviewer_id}@example.org",
        time_zone="UTC",
        skills={"msk_spine": 1},
        licensed_states=frozenset({"PA"}),
        working_hours=tuple(WorkingHours(day, "00:00", "24:00") for day in Weekday),
        max_consults_per_day=96,
    )
    return ReviewerCalendar(profile=profile, tier=1)


@pytest.mark.parametrize(
    ("zone", "monday"),
    [
        ("America/Havana", date(2026, 10, 26)),  # clocks go back at 01:00 to 00:00 on Sunday
        ("America/Havana", date(2026, 3, 2)),  # midnight does not exist on Sunday 8 March
        ("America/New_York", date(2026, 11, 23)),
    ],
)
def test_days_are_requester_local_dates_across_a_dst_change_at_midnight(
    zone: str, monday: date
) -> None:
    calendar = _open_all_week("rev")
    query = SlotQuery(
        duration_minutes=15,
        not_before=datetime(2000, 1, 1, tzinfo=UTC),
        not_after=datetime(2100, 1, 1, tzinfo=UTC),
        week_start=monday,
        requester_zone=zone,
        days=frozenset(Weekday),
        hours=frozenset(range(24)),
    )
    ranked = rank_by_tier([(calendar, free_slots(calendar, query))], zone)
    [[_, [reviewer]]] = ranked
    assert [day for day, _, _ in reviewer.days] == [monday + timedelta(n) for n in range(7)]
    [tier] = label(ranked, zone)
    for day in tier.reviewers[0].days:
        assert {slot.start.date() for slot in day.slots} == {day.date}
        assert day.total == len(day.slots)
    assert sum(day_counts(ranked)[0][0]) == len(reviewer.slots)
    # cut to two a day, the earliest two are labelled
    [cut_tier] = label(ranked, zone, lambda rank: 2)
    assert [len(d.slots) for d in cut_tier.reviewers[0].days] == [2] * 7
    assert [d.slots for d in cut_tier.reviewers[0].days] == [
        d.slots[:2] for d in tier.reviewers[0].days
    ]
