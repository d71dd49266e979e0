"""The availability use case: stored reviewers, bookings, holds and time off → slots by tier.

The pure work (expanding weekly hours in each reviewer's zone, subtracting busy time,
filtering by the requester's preferences, grouping) is ``availability``; this module only
gathers the week's data in one read transaction and computes the limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from p2p_scheduler.db import bookings
from p2p_scheduler.db.engine import Engine, transaction
from p2p_scheduler.domain import availability, availability_cut
from p2p_scheduler.domain.access import Scope
from p2p_scheduler.domain.bookings import Limits
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.errors import InvalidInput, InvalidTransition, NotFound
from p2p_scheduler.domain.model import Weekday
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.domain.policy.days import start_of_day
from p2p_scheduler.services import p2p_record, reviewer_calendars
from p2p_scheduler.services.booking import check_request

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Availability:
    time_zone: str
    week_start: date
    week_end: date
    previous_week_start: date
    next_week_start: date
    duration_minutes: int
    valid_until: datetime
    #: each reviewer's day lists its earliest slots, as many as the cut allows
    tiers: list[availability.TierGroup]
    #: the most slots the answer may list (the request's ``max_slots`` or the setting)
    max_slots: int
    #: slots the week holds in all
    total_slots: int
    #: whether the cap (not the request's ``slots_per_day``) left some out
    truncated: bool


def search(
    *,
    engine: Engine,
    policy: Policy,
    limits: Limits,
    now: datetime,
    cases: tuple[tuple[str, date], ...],
    time_zone: str,
    days: frozenset[Weekday],
    hours: frozenset[int],
    week_start: date | None,
    moving: str | None = None,
    reviewer_id: str | None = None,
    max_slots: int | None = None,
    slots_per_day: int | None = None,
) -> Availability:
    """Open slots for the request in the requester's week, grouped by tier, reviewer and day.

    ``moving`` names a booking being rescheduled: its own time must not block its new one
    (a move by fifteen minutes overlaps the old time) nor count towards a daily cap.
    ``reviewer_id`` narrows the search to that reviewer (a page's "Show more…" of an answer
    that was cut: only that reviewer's week is computed). ``max_slots`` lowers the answer's
    cap (``limits.availability_max_slots``), never raises it; ``slots_per_day`` lists at
    most that many of each reviewer's day. The week's slots are all found and counted (each
    day says how many it has) but only those listed are labelled (``availability_cut``).
    """
    cap = answer_cap(max_slots, limits)
    start_day, end_day, previous, following, week = local_week(week_start, time_zone, now)
    with transaction(engine) as session:
        request = check_request(session, policy=policy, now=now, cases=cases)
        assert request.valid_until is not None
        if moving is None:  # a booking's own cases were offered before it was made
            p2p_record.record_offers(session, request.cases, now=now)
        qualified = reviewer_calendars.qualified(session, request)
        if reviewer_id is not None:
            qualified = [item for item in qualified if item[0].reviewer_id == reviewer_id]
        calendars = reviewer_calendars.read(
            session,
            qualified,
            availability.Interval(week.start - _DAY, week.end + _DAY),
            now=now,
            limits=limits,
            ignore=(moving,) if moving else (),
        )
    query = availability.SlotQuery(
        duration_minutes=request.duration_minutes,
        not_before=now + timedelta(minutes=limits.min_notice_minutes),
        not_after=min(request.valid_until, now + timedelta(days=limits.max_horizon_days)),
        week_start=start_day,
        requester_zone=time_zone,
        days=days,
        hours=hours,
    )
    found = [(calendar, availability.free_slots(calendar, query)) for calendar in calendars]
    ranked = availability.rank_by_tier(found, time_zone)
    cut = availability_cut.plan(availability_cut.day_counts(ranked), cap, slots_per_day)
    return Availability(
        time_zone=time_zone,
        week_start=start_day,
        week_end=end_day,
        previous_week_start=previous,
        next_week_start=following,
        duration_minutes=request.duration_minutes,
        valid_until=request.valid_until,
        tiers=availability.label(ranked, time_zone, cut.shown),
        max_slots=cap,
        total_slots=cut.total_slots,
        truncated=cut.truncated,
    )


def answer_cap(requested: int | None, limits: Limits) -> int:
    """The most slots an answer lists: the request's ``max_slots`` when it asks for fewer
    than the service allows; asking for more is the caller's 422."""
    ceiling = limits.availability_max_slots
    if requested is None:
        return ceiling
    if requested > ceiling:
        raise InvalidInput(
            f"max_slots can be at most {ceiling}: one answer lists no more slots than that. "
            "Leave it out to get that many, and ask for one reviewer (reviewer_id) or the "
            "next week (week_start) for the rest.",
            field="max_slots",
        )
    return requested


def local_week(
    week_start: date | None, zone: str, now: datetime
) -> tuple[date, date, date, date, availability.Interval]:
    """``availability.week_bounds`` in ``zone`` plus the week as instants (local midnight
    Monday to local midnight the next Monday); a bad ``week_start`` is the caller's 422."""
    try:
        first, last, previous, following = availability.week_bounds(week_start, zone, now)
    except ValueError as error:
        raise InvalidInput(str(error), field="week_start") from None
    span = availability.Interval(start_of_day(first, zone), start_of_day(following, zone))
    return first, last, previous, following, span


@dataclass(frozen=True, slots=True)
class Move:
    """What a search for a booking's new time starts from."""

    cases: tuple[tuple[str, date], ...]
    time_zone: str


def move_of(engine: Engine, booking_id: str, *, scope: Scope) -> Move:
    """The cases (as look-ups for ``search(moving=…)``) and zone of a booking that can be
    rescheduled.

    The portal re-opens a booking without asking for the member's date of birth again: the
    booking already proved it, and the case snapshot holds it.
    """
    with transaction(engine) as session:
        found = bookings.get(session, booking_id, scope=scope)
        if found is None:
            raise NotFound(f"No booking {booking_id!r} exists.")
        if found.status != BookingStatus.SCHEDULED:
            raise InvalidTransition(
                f"A {found.status.replace('_', ' ')} booking cannot be rescheduled; "
                "only a scheduled one can.",
                booking_status=found.status,
            )
        return Move(cases=bookings.lookups(session, booking_id), time_zone=found.time_zone)
