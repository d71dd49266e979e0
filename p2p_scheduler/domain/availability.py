"""Weekly hours − busy time → free slots, a week at a time (SPEC §3, §7, §9).

Pure: the caller gathers what is blocked (bookings widened by the buffer, live holds, time
off), the daily counts and the limits computed from its clock; nothing here reads a clock.

Time zones. Working hours are wall-clock times in the reviewer's zone: they are expanded
per *local date* with pendulum (``09:00–17:00`` stays ``09:00–17:00`` local across DST),
never by adding 24 hours to an instant. On a DST-change day pendulum resolves a wall time
that does not exist by moving it forward (``02:30`` → ``03:30`` EDT) and an ambiguous one to
its second occurrence (``01:30`` → ``01:30`` EST), so a ``00:00–06:00`` block lasts 5 real
hours on the spring-forward day and 7 on the fall-back day. ``24:00`` is the next local
midnight. Blocks of one local date that touch (``09:00–12:00`` and ``12:00–15:00``) are one
stretch of working time, so a slot may run across the seam.

The week and the preferences are the requester's: the week is ``[week_start 00:00,
week_start + 7 days 00:00)`` in their zone and a slot matches when its start falls on a
preferred weekday in a preferred hourly bin there.

Speed. Everything runs on integer UTC seconds: each working block is cut down by the limits
and by the (merged) busy intervals, and only the gaps left are stepped through on the
15-minute grid, checking a precomputed per-quarter preference mask of the week. Expanded
wall times and masks are cached, so a week for fifty reviewers takes a few milliseconds.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from operator import attrgetter
from zoneinfo import ZoneInfo

import pendulum

from p2p_scheduler.domain.model import ReviewerProfile, Weekday, WorkingHours
from p2p_scheduler.domain.qualification import tier_label
from p2p_scheduler.domain.time_text import slot_label

#: Slots start on the quarter hours (UTC minutes % 15 == 0: the local quarter hour in every
#: zone whose offset is a multiple of 15 minutes, which is every zone in use today).
GRID_SECONDS = 15 * 60
_DAY = timedelta(days=1)
_start = attrgetter("start")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ---- plain values --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span ``[start, end)`` of aware instants (UTC)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class ReviewerCalendar:
    """One qualified reviewer and what already blocks their time.

    ``busy`` is everything blocked (bookings widened by the buffer on both sides, live
    holds, time off); ``busy_seconds`` is more of the same as ``(start, end)`` UTC epoch
    seconds, the form a database read of thousands of bookings gives most cheaply;
    ``booked_per_day`` counts consultations already booked per reviewer-local date (the
    daily cap, SPEC §9).
    """

    profile: ReviewerProfile
    tier: int
    busy: tuple[Interval, ...] = ()
    booked_per_day: Mapping[date, int] = field(default_factory=dict)
    busy_seconds: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SlotQuery:
    """What the requester asks for, with the limits already computed by the caller.

    ``not_before`` = now + minimum notice; ``not_after`` = the latest allowed *end* of the
    consultation (min of the request's valid-until and now + horizon); ``week_start`` is a
    Monday in ``requester_zone``; ``days`` / ``hours`` are the preferences in that zone.
    """

    duration_minutes: int
    not_before: datetime
    not_after: datetime
    week_start: date
    requester_zone: str
    days: frozenset[Weekday]
    hours: frozenset[int]


@dataclass(frozen=True, slots=True)
class Slot:
    """A free ``[start, end)`` of one reviewer, UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class LabelledSlot:
    """A slot as the requester sees it: ``start``/``end`` in their zone, ``"6:30 pm EDT"``."""

    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True, slots=True)
class DaySlots:
    date: date  # requester-local
    slots: list[LabelledSlot]  # ascending: all of the day's, or its earliest (``label``)
    total: int  # how many the day has in all


@dataclass(frozen=True, slots=True)
class ReviewerSlots:
    reviewer_id: str
    name: str
    credentials: str
    days: list[DaySlots]
    specialty: str = ""


@dataclass(frozen=True, slots=True)
class TierGroup:
    tier: int
    label: str
    reviewers: list[ReviewerSlots]


# ---- time helpers --------------------------------------------------------------------------------


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=16384)
def _wall_time(zone: str, day: date, hhmm: str) -> int:
    """UTC epoch seconds of the wall-clock time ``hhmm`` on local ``day`` in ``zone``.

    pendulum resolves times that do not exist (moved forward) or exist twice (the later).
    """
    hour, minute = int(hhmm[:2]), int(hhmm[3:5])
    if hour == 24:
        if minute:
            raise ValueError(f"bad wall-clock time {hhmm!r}")
        day, hour = day + _DAY, 0
    local = pendulum.datetime(day.year, day.month, day.day, hour, minute, tz=zone)
    return int(local.timestamp())


def _local_midnight(zone: str, day: date) -> int:
    return _wall_time(zone, day, "00:00")


def _local_date(seconds: int, zone: str) -> date:
    return datetime.fromtimestamp(seconds, _zone(zone)).date()


def _seconds(instant: datetime, *, up: bool) -> int:
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; give an offset")
    value = (instant - _EPOCH).total_seconds()
    return math.ceil(value) if up else math.floor(value)


def _instant(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


@lru_cache(maxsize=1 << 16)
def _slot(start: int, duration: int) -> Slot:
    """The (immutable, hence shareable) slot starting at epoch second ``start``.

    Reviewers of one query share most of their starts, so building each slot once is what
    keeps a week for many reviewers fast.
    """
    return Slot(_instant(start), _instant(start + duration))


@lru_cache(maxsize=1024)
def _by_weekday(hours: tuple[WorkingHours, ...]) -> dict[int, tuple[tuple[str, str], ...]]:
    """ISO weekday → the day's blocks as (start, end) wall times, sorted by start."""
    grouped: dict[int, list[tuple[str, str]]] = {}
    for block in hours:
        grouped.setdefault(Weekday(block.weekday).iso, []).append((block.start, block.end))
    return {day: tuple(sorted(blocks)) for day, blocks in grouped.items()}


@lru_cache(maxsize=256)
def _week_mask(
    week_start: date, zone: str, days: frozenset[Weekday], hours: frozenset[int]
) -> tuple[int, int, int, bytes]:
    """The requester's week and, per quarter-hour start in it, whether preferences allow it.

    Returns (week start, week end — both epoch seconds —, index of the first quarter, mask).
    """
    week_lo = _local_midnight(zone, week_start)
    week_hi = _local_midnight(zone, week_start + timedelta(days=7))
    first = -(-week_lo // GRID_SECONDS)
    last = -(-week_hi // GRID_SECONDS)  # exclusive
    iso_days = {Weekday(day).iso for day in days}
    tz = _zone(zone)
    mask = bytearray(last - first)
    for index in range(last - first):
        local = datetime.fromtimestamp((first + index) * GRID_SECONDS, tz)
        if local.isoweekday() in iso_days and local.hour in hours:
            mask[index] = 1
    return week_lo, week_hi, first, bytes(mask)


def per_local_day(starts: Iterable[int], zone: str) -> dict[date, int]:
    """How many of the epoch-second ``starts`` fall on each local date of ``zone``."""
    counts: dict[date, int] = {}
    day_lo = day_hi = 0
    day = date.min
    for start in sorted(starts):
        if not day_lo <= start < day_hi:
            day = _local_date(start, zone)
            day_lo = _local_midnight(zone, day)
            day_hi = _local_midnight(zone, day + _DAY)
        counts[day] = counts.get(day, 0) + 1
    return counts


def _merged_busy(
    busy: Iterable[Interval], busy_seconds: Iterable[tuple[int, int]] = ()
) -> tuple[list[int], list[int]]:
    """Busy intervals as sorted, disjoint (starts, ends) in epoch seconds."""
    spans = [
        (_seconds(item.start, up=False), _seconds(item.end, up=True))
        for item in busy
        if item.end > item.start
    ]
    spans.extend(span for span in busy_seconds if span[1] > span[0])
    spans.sort()
    starts: list[int] = []
    ends: list[int] = []
    for start, end in spans:
        if ends and start <= ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


# ---- free slots ----------------------------------------------------------------------------------


def free_slots(calendar: ReviewerCalendar, query: SlotQuery) -> list[Slot]:
    """The reviewer's free starts in the query's week, on the 15-minute grid, ascending.

    A start qualifies when ``[start, start + duration)`` lies inside the reviewer's working
    time of one local date, overlaps nothing busy, starts at or after ``not_before``, ends
    at or before ``not_after``, starts inside the requester's week on a preferred day and
    hour (requester zone), and the reviewer's local date is under the daily cap.
    """
    if query.duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    if query.week_start.isoweekday() != 1:
        raise ValueError("week_start must be a Monday")
    profile = calendar.profile
    duration = query.duration_minutes * 60
    week_lo, week_hi, first_quarter, mask = _week_mask(
        query.week_start, query.requester_zone, query.days, query.hours
    )
    lo = max(week_lo, _seconds(query.not_before, up=True))
    end_cap = _seconds(query.not_after, up=False)
    # The last start: inside the week and early enough to end by not_after.
    last_start = min(week_hi - 1, end_cap - duration)
    if lo > last_start or not profile.working_hours or not any(mask):
        return []

    zone = profile.time_zone
    blocks_by_day = _by_weekday(profile.working_hours)
    cap = profile.max_consults_per_day
    booked = calendar.booked_per_day
    busy_starts, busy_ends = _merged_busy(calendar.busy, calendar.busy_seconds)

    starts: list[int] = []
    day = _local_date(lo, zone)
    last_day = _local_date(last_start, zone)
    while day <= last_day:
        blocks = blocks_by_day.get(day.isoweekday())
        if blocks and booked.get(day, 0) < cap:
            for block_lo, block_hi in _day_stretches(zone, day, blocks):
                # Clip the block to the limits: start ≥ lo, start ≤ last_start.
                a = max(block_lo, lo)
                b = min(block_hi, last_start + duration)
                if b - a < duration:
                    continue
                _gap_starts(a, b, duration, busy_starts, busy_ends, first_quarter, mask, starts)
        day += _DAY

    starts.sort()
    return [_slot(start, duration) for start in starts]


def _day_stretches(zone: str, day: date, blocks: tuple[tuple[str, str], ...]) -> list[list[int]]:
    """A local date's working blocks in epoch seconds, touching or overlapping ones merged."""
    stretches: list[list[int]] = []
    for start, end in blocks:
        lo = _wall_time(zone, day, start)
        hi = _wall_time(zone, day, end)
        if hi <= lo:
            continue
        if stretches and lo <= stretches[-1][1]:
            stretches[-1][1] = max(stretches[-1][1], hi)
        else:
            stretches.append([lo, hi])
    return stretches


def _gap_starts(
    a: int,
    b: int,
    duration: int,
    busy_starts: list[int],
    busy_ends: list[int],
    first_quarter: int,
    mask: bytes,
    out: list[int],
) -> None:
    """Append the grid starts s with [s, s + duration) ⊆ [a, b) minus busy, allowed by mask."""
    # First busy interval that ends after a (ends are ascending: intervals are disjoint).
    index = bisect_right(busy_ends, a)
    cursor = a
    count = len(busy_starts)
    while cursor < b:
        if index < count and busy_starts[index] < b:
            gap_end = busy_starts[index]
            next_cursor = busy_ends[index]
            index += 1
        else:
            gap_end = b
            next_cursor = b
        if gap_end - cursor >= duration:
            q = -(-cursor // GRID_SECONDS)
            q_last = (gap_end - duration) // GRID_SECONDS
            for quarter in range(q, q_last + 1):
                if mask[quarter - first_quarter]:
                    out.append(quarter * GRID_SECONDS)
        cursor = max(cursor, next_cursor)


# ---- plain time spans for the optimizer ---------------------------------------------------------


def working_stretches(
    profile: ReviewerProfile, start: datetime, end: datetime
) -> list[tuple[date, int, int]]:
    """The reviewer's working time inside ``[start, end)``: (local date, lo, hi) in epoch
    seconds, one entry per stretch (touching blocks of a date merged), clipped to the span."""
    lo, hi = _seconds(start, up=True), _seconds(end, up=False)
    if hi <= lo or not profile.working_hours:
        return []
    zone = profile.time_zone
    blocks_by_day = _by_weekday(profile.working_hours)
    found: list[tuple[date, int, int]] = []
    day, last = _local_date(lo, zone) - _DAY, _local_date(hi, zone)
    while day <= last:
        blocks = blocks_by_day.get(day.isoweekday())
        if blocks:
            for a, b in _day_stretches(zone, day, blocks):
                a, b = max(a, lo), min(b, hi)
                if b > a:
                    found.append((day, a, b))
        day += _DAY
    return found


def preferred_windows(
    zone: str, days: frozenset[Weekday], hours: frozenset[int], start: datetime, end: datetime
) -> list[tuple[int, int]]:
    """The requester's preferred hourly bins inside ``[start, end)`` in epoch seconds (a
    start inside one counts as preferred), adjacent bins merged."""
    lo, hi = _seconds(start, up=True), _seconds(end, up=False)
    iso_days = {Weekday(day).iso for day in days}
    windows: list[tuple[int, int]] = []
    day, last = _local_date(lo, zone), _local_date(hi, zone)
    while day <= last:
        if day.isoweekday() in iso_days:
            for hour in sorted(hours):
                a = _wall_time(zone, day, f"{hour:02d}:00")
                b = _wall_time(zone, day, f"{hour + 1:02d}:00")
                a, b = max(a, lo), min(b, hi)
                if b <= a:
                    continue
                if windows and a <= windows[-1][1]:
                    windows[-1] = (windows[-1][0], max(b, windows[-1][1]))
                else:
                    windows.append((a, b))
        day += _DAY
    return windows


# ---- presentation --------------------------------------------------------------------------------


def week_bounds(week_start: date | None, zone: str, now: datetime) -> tuple[date, date, date, date]:
    """(week_start, week_end, previous_week_start, next_week_start) in ``zone`` (SPEC §9).

    Without ``week_start``: the Monday of the week containing ``now`` in ``zone``.
    """
    if week_start is None:
        today = now.astimezone(_zone(zone)).date()
        week_start = today - timedelta(days=today.weekday())
    elif week_start.isoweekday() != 1:
        raise ValueError("week_start must be a Monday")
    try:
        return (
            week_start,
            week_start + timedelta(days=6),
            week_start - timedelta(days=7),
            week_start + timedelta(days=7),
        )
    except OverflowError:
        raise ValueError("week_start is too close to the edge of the calendar") from None


@lru_cache(maxsize=1 << 16)
def _labelled(start: datetime, end: datetime, zone: str) -> LabelledSlot:
    tz = _zone(zone)
    local_start = start.astimezone(tz)
    return LabelledSlot(start=local_start, end=end.astimezone(tz), label=slot_label(start, zone))


@dataclass(frozen=True, slots=True)
class RankedReviewer:
    """A reviewer's slots in the order the answer lists them, not yet labelled: ``slots``
    ascending, ``days`` as (requester-local date, start, end) slices of ``slots``."""

    calendar: ReviewerCalendar
    slots: list[Slot]
    days: list[tuple[date, int, int]]


RankedTier = tuple[int, list[RankedReviewer]]


def group_by_tier(
    calendars_and_slots: Sequence[tuple[ReviewerCalendar, list[Slot]]], zone: str
) -> list[TierGroup]:
    """Slots by skill tier, then reviewer, then requester-local day (SPEC §3, §7).

    Tiers ascend; inside a tier reviewers are ordered by their earliest slot, then id;
    reviewers and days without slots are left out; slots ascend inside a day.
    """
    return label(rank_by_tier(calendars_and_slots, zone), zone)


def rank_by_tier(
    calendars_and_slots: Sequence[tuple[ReviewerCalendar, list[Slot]]], zone: str
) -> list[RankedTier]:
    """``group_by_tier``'s order and days, without labelling a slot: enough to count what
    each day holds (``availability_cut``) before labelling only what an answer lists."""
    by_tier: dict[int, list[RankedReviewer]] = {}
    for calendar, slots in calendars_and_slots:
        if not slots:
            continue
        ordered = sorted(slots, key=_start)  # linear when already ascending (free_slots)
        reviewer = RankedReviewer(calendar, ordered, _days(ordered, zone))
        by_tier.setdefault(calendar.tier, []).append(reviewer)
    return [
        (tier, sorted(entries, key=lambda r: (r.slots[0].start, r.calendar.profile.reviewer_id)))
        for tier, entries in sorted(by_tier.items())
    ]


def _days(ordered: list[Slot], zone: str) -> list[tuple[date, int, int]]:
    """The requester-local dates of ascending ``ordered`` slots as slices, found by bisecting
    at each next local midnight (its first occurrence: ``fold=0``, which is also where a
    date starts when its midnight falls in a DST gap)."""
    tz = _zone(zone)
    days: list[tuple[date, int, int]] = []
    lo, count = 0, len(ordered)
    while lo < count:
        day = ordered[lo].start.astimezone(tz).date()
        midnight = datetime.combine(day + _DAY, time(), tzinfo=tz).astimezone(UTC)
        hi = bisect_left(ordered, midnight, lo=lo, key=_start)
        days.append((day, lo, hi))
        lo = hi
    return days


def label(
    ranked: Sequence[RankedTier],
    zone: str,
    shown: Callable[[int], int | None] = lambda rank: None,
) -> list[TierGroup]:
    """The ranked slots as the requester reads them, each day cut to its earliest
    ``shown(rank)`` slots (None: all) for the reviewer at ``rank`` in its tier; only those
    are labelled, so the work follows the answer's size rather than the week's."""
    # Reviewers of one week share most starts and ``free_slots`` shares their Slot objects,
    # so each is labelled once per call (keyed by identity: the slots outlive this call).
    labelled_slots: dict[int, LabelledSlot] = {}

    def labelled(slot: Slot) -> LabelledSlot:
        if (known := labelled_slots.get(id(slot))) is None:
            known = labelled_slots[id(slot)] = _labelled(slot.start, slot.end, zone)
        return known

    def reviewer(ranked: RankedReviewer, limit: int | None) -> ReviewerSlots:
        profile = ranked.calendar.profile
        return ReviewerSlots(
            reviewer_id=profile.reviewer_id,
            name=profile.name,
            credentials=profile.credentials,
            specialty=profile.specialty,
            days=[
                DaySlots(
                    day,
                    [
                        labelled(s)
                        for s in ranked.slots[lo : hi if limit is None else min(hi, lo + limit)]
                    ],
                    hi - lo,
                )
                for day, lo, hi in ranked.days
            ],
        )

    return [
        TierGroup(
            tier=tier,
            label=tier_label(tier),
            reviewers=[reviewer(r, shown(rank)) for rank, r in enumerate(reviewers)],
        )
        for tier, reviewers in ranked
    ]
