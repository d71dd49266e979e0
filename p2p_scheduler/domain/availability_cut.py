"""How much of a week's availability one answer lists (SPEC §9 "Abuse limits").

A week of many reviewers open around the clock holds hundreds of thousands of slots (500
reviewers × 7 days × 96 quarters): tens of megabytes of JSON that nobody reads. An answer
lists at most ``max_slots``, cut so that what a requester needs to pick a time stays:

1. Every reviewer's day lists its earliest ``per_day`` slots, the largest number for which
   the whole answer fits (and no more than the caller's own ``slots_per_day``). Every tier,
   reviewer and day stays, in the same order; only lists of later times get shorter.
2. Only when the week has more reviewer-days than ``max_slots`` (one slot each would not
   fit) does a reviewer list nothing: each tier keeps its first ``reviewers_per_tier``
   reviewers (by earliest slot, the tier's order) with one slot a day, every tier alike, so
   no tier gives way to a later one. The others still appear, with their days and
   ``total_slots``, so the page can offer them.

The rest is a request away: the same request for one reviewer (``reviewer_id``) lists that
reviewer's week, at most 7 × 96 = 672 slots, whole unless the cap is below that (then one
weekday more: a day holds at most 96, and the cap is never below that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p2p_scheduler.domain.availability import RankedTier

#: slots per day, per reviewer, per tier: in the answer's order
DayCounts = Sequence[Sequence[Sequence[int]]]

#: The most slots a reviewer's day can hold on the 15-minute grid; the smallest cap allowed,
#: so that one reviewer's day is never cut.
SLOTS_PER_DAY_MAX = 96


@dataclass(frozen=True, slots=True)
class Cut:
    """What an answer lists: ``per_day`` slots of each reviewer's day, for the first
    ``reviewers_per_tier`` reviewers of each tier (None: all), none for the others."""

    per_day: int | None
    reviewers_per_tier: int | None = None
    #: slots the week holds in all, and whether the cap (not the caller's ``slots_per_day``)
    #: left some of them out
    total_slots: int = 0
    truncated: bool = False

    def shown(self, rank: int) -> int | None:
        """How many slots of each day the reviewer at ``rank`` (0-based, in its tier)
        lists; None: all."""
        if self.reviewers_per_tier is not None and rank >= self.reviewers_per_tier:
            return 0
        return self.per_day


def day_counts(ranked: Sequence[RankedTier]) -> list[list[list[int]]]:
    """How many slots each reviewer's day of ``availability.rank_by_tier`` holds."""
    return [[[hi - lo for _, lo, hi in r.days] for r in reviewers] for _, reviewers in ranked]


def plan(tiers: DayCounts, max_slots: int, slots_per_day: int | None = None) -> Cut:
    """The cut of a week (its ``day_counts``) that lists at most ``max_slots`` slots (see
    the module)."""
    counts = [n for reviewers in tiers for days in reviewers for n in days]
    total = sum(counts)
    asked = total if slots_per_day is None else sum(min(slots_per_day, n) for n in counts)
    if asked <= max_slots:
        return Cut(per_day=slots_per_day, total_slots=total)
    # the largest per-day count that fits: sum(min(k, n)) grows with k, so bisect
    low, high = 0, min(slots_per_day or SLOTS_PER_DAY_MAX, max(counts))
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(middle, n) for n in counts) <= max_slots:
            low = middle
        else:
            high = middle - 1
    if low:
        return Cut(per_day=low, total_slots=total, truncated=True)
    return Cut(
        per_day=1,
        reviewers_per_tier=_reviewers_per_tier(tiers, max_slots),
        total_slots=total,
        truncated=True,
    )


def _reviewers_per_tier(tiers: DayCounts, max_slots: int) -> int:
    """The most reviewers per tier whose days, one slot each, fit in ``max_slots``."""
    listed = 0
    rank = 0
    while True:
        more = sum(len(reviewers[rank]) for reviewers in tiers if rank < len(reviewers))
        if not more or listed + more > max_slots:
            return rank
        listed += more
        rank += 1
