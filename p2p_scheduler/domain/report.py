"""The operations report's figures (SPEC §12), computed from plain facts about each booking.

Pure: the store hands in one ``BookingFacts`` per booking of the period and each reviewer's
working minutes; this module groups them and computes every figure. How each figure maps to
the stored data (the choices where SPEC §12 is silent are marked *decision*):

- **Period**: a booking belongs to the period of its start, a booking without a start (a
  pending request, or one cancelled before the optimizer placed it) to that of its creation;
  ``from`` and ``to`` are dates in the policy's zone, both inclusive (``period_bounds``).
  *Decision*: a period is at most ``MAX_PERIOD_DAYS`` (366) days, one leap year.
- **Group**: a multi-case booking counts once, in the group of its first case (position 0):
  ``state`` = that case's member state, ``line_of_business`` and ``skill`` = the case's,
  ``level_of_review`` = the level the booking holds it at, ``reviewer`` = the booking's
  reviewer (``null`` for a request not yet assigned). Without ``group_by``: one group, whose
  key is ``{}``, present even when the period is empty. *Decision*: with ``group_by`` only
  groups with at least one booking appear, ordered by key (``null`` last).
- ``bookings``: every booking of the group in any status; ``scheduled``, ``completed``,
  ``pending`` (``pending_assignment``): those in that status now.
- ``cancelled``: cancelled bookings by ``reason_code``; ``no_show``: no-shows by the party
  recorded; ``outcomes``: completed bookings by outcome. *Decision*: every code of SPEC §9
  is listed, with 0 when none, so that every group (and the CSV header) has the same keys.
- ``overturn_rate`` = (overturned + modified) / completed.
- ``tier_1_share`` = bookings whose reviewer holds the first case's skill at priority 1 /
  bookings with a reviewer (any status). *Decision*: the tier is the reviewer's priority for
  that skill *now* (the profile; no tier is stored with the booking); a reviewer who no
  longer holds the skill counts as not tier 1.
- ``preferred_window_share`` = bookings whose start falls on a preferred day and in a
  preferred hourly bin, both in the requester's zone / bookings with preferences and a start
  (any status). *Decision*: only pending requests carry preferences (a booked slot was
  chosen by a person); bookings without preferences are left out of the denominator.
- ``median_hours_request_to_call``: hours from creation to start. *Decision*: over the
  bookings whose call is or was on a calendar (scheduled, completed, no-show); a cancelled
  booking's call never happened.
- ``mean_reschedules``: ``rescheduled`` history events per booking (a move by the portal, the
  manage page or a time-off reassignment; not the optimizer's first placement), over every
  booking of the group.
- ``reviewer_utilisation`` = booked minutes / working minutes in the period. Booked: the
  durations of scheduled, completed and no-show bookings of the period. Working: each
  reviewer's weekly hours on their own local days, clipped to the period, minus their time
  off (``working_minutes``). Grouped by reviewer, the reviewer's own; otherwise the same
  overall figure in every group (every reviewer who is active or held a booking of the
  period). *Decision*: ``null`` for the group of unassigned requests.
- A ratio with nothing to divide is ``null``. *Decision*: ratios and the mean are rounded to
  4 decimals, the median hours to 1 (half to even, Python's ``round``).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from p2p_scheduler.domain.availability import working_stretches
from p2p_scheduler.domain.enums import BookingStatus, CancelReason, Outcome, Party
from p2p_scheduler.domain.errors import InvalidInput
from p2p_scheduler.domain.model import ReviewerProfile, Weekday, WorkingHours

#: the longest period one report covers, in days (a leap year)
MAX_PERIOD_DAYS = 366
RATIO_DIGITS = 4
HOURS_DIGITS = 1
#: statuses whose call is, or was, on the reviewer's calendar: their minutes are booked time
CALL_STATUSES = frozenset({BookingStatus.SCHEDULED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW})
#: outcomes that changed the decision (SPEC §12 ``overturn_rate``)
OVERTURNS = frozenset({Outcome.OVERTURNED, Outcome.MODIFIED})
#: ``datetime.weekday()`` → the weekday code preferences use
WEEKDAYS = tuple(day.value for day in Weekday)


class GroupBy(StrEnum):
    """What the report's groups are (SPEC §12)."""

    STATE = "state"
    LINE_OF_BUSINESS = "line_of_business"
    LEVEL_OF_REVIEW = "level_of_review"
    REVIEWER = "reviewer"
    SKILL = "skill"


@dataclass(frozen=True, slots=True)
class StatusCount:
    """How many bookings of a group share a status, code and reviewer facts, and their
    minutes. ``key``: the group's value (None without ``group_by``, or no reviewer)."""

    key: str | None
    status: str
    cancel_reason: str | None
    no_show_party: str | None
    outcome: str | None
    #: the booking has a reviewer
    with_reviewer: bool
    #: its reviewer holds the first case's skill at priority 1
    tier_1: bool
    bookings: int
    minutes: int


@dataclass(frozen=True, slots=True)
class PreferredStart:
    """The start of a booking that carries the requester's preferences."""

    key: str | None
    start_epoch: int
    #: the requester's zone, in which preferences are read
    time_zone: str
    days: frozenset[str]
    hours: frozenset[int]


@dataclass(frozen=True, slots=True)
class PeriodFacts:
    """What the store reads of a period's bookings, per group."""

    counts: list[StatusCount]
    #: ``rescheduled`` history events per group
    reschedules: dict[str | None, int]
    #: seconds from creation to start of each booking of ``CALL_STATUSES``, per group
    lead_seconds: dict[str | None, list[int]]
    preferred: list[PreferredStart]


@dataclass(frozen=True, slots=True)
class GroupFigures:
    key: dict[str, str | None]
    bookings: int
    scheduled: int
    completed: int
    pending: int
    cancelled: dict[str, int]
    no_show: dict[str, int]
    outcomes: dict[str, int]
    overturn_rate: float | None
    tier_1_share: float | None
    preferred_window_share: float | None
    median_hours_request_to_call: float | None
    mean_reschedules: float | None
    reviewer_utilisation: float | None


@dataclass(frozen=True, slots=True)
class Period:
    """``from``..``to`` (inclusive dates in ``time_zone``) and its UTC bounds [start, end)."""

    first: date
    last: date
    time_zone: str
    start: datetime
    end: datetime


def parse_group_by(value: str | None) -> GroupBy | None:
    """``group_by`` as sent: any case, surrounding blanks ignored; empty or ``null`` is absent
    (SPEC §9 leniency)."""
    if value is None:
        return None
    folded = value.strip().lower()
    if folded in ("", "null"):
        return None
    try:
        return GroupBy(folded)
    except ValueError:
        choices = ", ".join(g.value for g in GroupBy)
        raise InvalidInput(
            f"group_by {value!r} is not one the report knows; use one of {choices}, "
            "or leave it out for one group.",
            field="group_by",
        ) from None


def period_bounds(first: date, last: date, time_zone: str) -> Period:
    """The period's UTC bounds: from the start of ``first`` to the start of the day after
    ``last``, in ``time_zone`` (a local midnight that DST skips maps forward, as zoneinfo does)."""
    if last < first:
        raise InvalidInput(
            f"'to' ({last.isoformat()}) is before 'from' ({first.isoformat()}); "
            "give the first day of the period as 'from' and the last as 'to'.",
            field="to",
        )
    days = (last - first).days + 1
    if days > MAX_PERIOD_DAYS:
        raise InvalidInput(
            f"The period has {days} days; a report covers at most {MAX_PERIOD_DAYS}. "
            "Ask for a shorter period, one year at a time.",
            field="to",
        )
    zone = ZoneInfo(time_zone)
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return Period(first, last, time_zone, start, end)


def working_minutes(
    profile: ReviewerProfile,
    time_off: Iterable[tuple[datetime, datetime]],
    period: Period,
) -> float:
    """The reviewer's working minutes inside the period: weekly hours on their local days
    (wall-clock across DST), clipped to the period, minus the parts under time off.

    A plain local day has its weekday's minutes; the days the period's bounds cut and the
    days a clock change falls on are expanded exactly (``availability.working_stretches``),
    as is the working time under each (merged) time off. A year for hundreds of reviewers
    is then a count of weekdays, not a few hundred thousand wall-clock conversions.
    """
    zone = profile.time_zone
    tz = _zone(zone)
    per_weekday = _weekday_seconds(profile.working_hours)
    first = period.start.astimezone(tz).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(tz).date()
    changes = _clock_change_days(zone, first, last)
    seconds = 0
    day = first
    while day <= last:
        if day in (first, last) or day in changes:
            lo = max(period.start, datetime.combine(day, time(0), tzinfo=tz))
            hi = min(period.end, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz))
            seconds += _exact(profile, lo, hi)
        else:
            seconds += per_weekday[day.isoweekday()]
        day += timedelta(days=1)
    for lo, hi in _merged((max(a, period.start), min(b, period.end)) for a, b in time_off):
        seconds -= _exact(profile, lo, hi)
    return seconds / 60


def _exact(profile: ReviewerProfile, start: datetime, end: datetime) -> int:
    if end <= start:
        return 0
    return sum(hi - lo for _, lo, hi in working_stretches(profile, start, end))


def _merged(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(span for span in spans if span[1] > span[0]):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _hhmm(value: str) -> int:
    return int(value[:2]) * 3600 + int(value[3:5]) * 60


@lru_cache(maxsize=1024)
def _weekday_seconds(hours: tuple[WorkingHours, ...]) -> dict[int, int]:
    """ISO weekday → working seconds of a plain day (overlapping blocks counted once)."""
    found = {}
    for iso in range(1, 8):
        blocks = sorted(
            (_hhmm(block.start), _hhmm(block.end))
            for block in hours
            if Weekday(block.weekday).iso == iso
        )
        total, reach = 0, 0
        for lo, hi in blocks:
            lo = max(lo, reach)
            if hi > lo:
                total += hi - lo
                reach = hi
        found[iso] = total
    return found


@lru_cache(maxsize=256)
def _clock_change_days(zone: str, first: date, last: date) -> frozenset[date]:
    """The local dates in ``first``..``last`` whose length is not 24 hours (DST changes)."""
    tz = _zone(zone)
    found = set()
    day = first
    offset = datetime.combine(day, time(0), tzinfo=tz).utcoffset()
    while day <= last:
        following = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).utcoffset()
        if following != offset:
            found.add(day)
        offset = following
        day += timedelta(days=1)
    return frozenset(found)


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def in_preferred_window(start: PreferredStart) -> bool:
    """Whether the start falls on a preferred day and in a preferred hourly bin, both in
    the requester's zone (SPEC §9: "a slot matches when its start falls in a preferred bin
    on a preferred day")."""
    local = datetime.fromtimestamp(start.start_epoch, _zone(start.time_zone))
    return WEEKDAYS[local.weekday()] in start.days and local.hour in start.hours


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, RATIO_DIGITS) if denominator else None


@dataclass
class _Tally:
    bookings: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    cancelled: dict[str, int] = field(default_factory=lambda: {c.value: 0 for c in CancelReason})
    no_show: dict[str, int] = field(default_factory=lambda: {p.value: 0 for p in Party})
    outcomes: dict[str, int] = field(default_factory=lambda: {o.value: 0 for o in Outcome})
    with_reviewer: int = 0
    tier_1: int = 0
    with_preferences: int = 0
    in_window: int = 0
    booked_minutes: int = 0

    def add(self, count: StatusCount) -> None:
        n = count.bookings
        self.bookings += n
        self.statuses[count.status] = self.statuses.get(count.status, 0) + n
        if count.status == BookingStatus.CANCELLED and count.cancel_reason is not None:
            self.cancelled[count.cancel_reason] = self.cancelled.get(count.cancel_reason, 0) + n
        if count.status == BookingStatus.NO_SHOW and count.no_show_party is not None:
            self.no_show[count.no_show_party] = self.no_show.get(count.no_show_party, 0) + n
        if count.status == BookingStatus.COMPLETED and count.outcome is not None:
            self.outcomes[count.outcome] = self.outcomes.get(count.outcome, 0) + n
        if count.with_reviewer:
            self.with_reviewer += n
            self.tier_1 += n if count.tier_1 else 0
            if count.status in CALL_STATUSES:
                self.booked_minutes += count.minutes


def _tally(tallies: dict[str | None, _Tally], key: str | None) -> _Tally:
    found = tallies.get(key)
    if found is None:
        found = tallies[key] = _Tally()
    return found


def build_groups(
    facts: PeriodFacts,
    *,
    group_by: GroupBy | None,
    working: Mapping[str, float],
) -> list[GroupFigures]:
    """The report's groups. ``working``: each counted reviewer's working minutes in the
    period (the overall utilisation's denominator is their sum)."""
    tallies: dict[str | None, _Tally] = {}
    if group_by is None:
        tallies[None] = _Tally()
    for count in facts.counts:
        _tally(tallies, count.key).add(count)
    for start in facts.preferred:
        tally = _tally(tallies, start.key)
        tally.with_preferences += 1
        tally.in_window += in_preferred_window(start)
    overall = _ratio(sum(t.booked_minutes for t in tallies.values()), sum(working.values()))
    ordered = sorted(tallies.items(), key=lambda item: (item[0] is None, item[0] or ""))
    groups = []
    for key, tally in ordered:
        if group_by is GroupBy.REVIEWER:
            utilisation = (
                _ratio(tally.booked_minutes, working.get(key, 0)) if key is not None else None
            )
        else:
            utilisation = overall
        completed = tally.statuses.get(BookingStatus.COMPLETED, 0)
        leads = facts.lead_seconds.get(key)
        groups.append(
            GroupFigures(
                key={} if group_by is None else {group_by.value: key},
                bookings=tally.bookings,
                scheduled=tally.statuses.get(BookingStatus.SCHEDULED, 0),
                completed=completed,
                pending=tally.statuses.get(BookingStatus.PENDING_ASSIGNMENT, 0),
                cancelled=tally.cancelled,
                no_show=tally.no_show,
                outcomes=tally.outcomes,
                overturn_rate=_ratio(sum(tally.outcomes[o] for o in OVERTURNS), completed),
                tier_1_share=_ratio(tally.tier_1, tally.with_reviewer),
                preferred_window_share=_ratio(tally.in_window, tally.with_preferences),
                median_hours_request_to_call=(
                    round(statistics.median(leads) / 3600, HOURS_DIGITS) if leads else None
                ),
                mean_reschedules=_ratio(facts.reschedules.get(key, 0), tally.bookings),
                reviewer_utilisation=utilisation,
            )
        )
    return groups


#: the figures' order in the answer and the CSV (SPEC §12)
FIGURES = (
    "bookings",
    "scheduled",
    "completed",
    "pending",
    "cancelled",
    "no_show",
    "outcomes",
    "overturn_rate",
    "tier_1_share",
    "preferred_window_share",
    "median_hours_request_to_call",
    "mean_reschedules",
    "reviewer_utilisation",
)


def csv_rows(
    groups: Sequence[GroupFigures], group_by: GroupBy | None
) -> list[list[str | int | float | None]]:
    """The CSV's rows, header first: the ``group_by`` name (left out without one), then each
    figure, nested counts flattened as ``cancelled.<reason_code>``, ``no_show.<party>``,
    ``outcomes.<outcome>``. ``None`` is an empty cell."""
    nested: dict[str, list[str]] = {}
    for name in ("cancelled", "no_show", "outcomes"):
        codes: list[str] = []
        for group in groups or [_empty_group()]:
            codes += [code for code in getattr(group, name) if code not in codes]
        nested[name] = codes
    header: list[str | int | float | None] = [group_by.value] if group_by else []
    for name in FIGURES:
        header += [f"{name}.{code}" for code in nested[name]] if name in nested else [name]
    rows = [header]
    for group in groups:
        row: list[str | int | float | None] = [group.key[group_by.value]] if group_by else []
        for name in FIGURES:
            value = getattr(group, name)
            row += [value.get(code, 0) for code in nested[name]] if name in nested else [value]
        rows.append(row)
    return rows


def _empty_group() -> GroupFigures:
    tally = _Tally()
    return GroupFigures(
        key={},
        bookings=0,
        scheduled=0,
        completed=0,
        pending=0,
        cancelled=tally.cancelled,
        no_show=tally.no_show,
        outcomes=tally.outcomes,
        overturn_rate=None,
        tier_1_share=None,
        preferred_window_share=None,
        median_hours_request_to_call=None,
        mean_reschedules=None,
        reviewer_utilisation=None,
    )
