"""A reviewer's schedule as 15-minute cells: free, booked, held or time off (SPEC §13 Slots).

Reads the same calendar stores, with the same buffer, as availability and the booking
checks (``reviewer_calendars``), so a cell shown free is one those would not refuse for an
overlap. It is the reviewer's calendar, not an offer: the notice, horizon, daily cap and the
cases' own rules are availability's (``$find``, ``POST /v1/availability``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from p2p_scheduler.db import calendar_reads, repo
from p2p_scheduler.db.engine import Engine, transaction
from p2p_scheduler.domain.availability import Interval
from p2p_scheduler.domain.bookings import Limits
from p2p_scheduler.domain.calendar_cells import Cell, cells_of
from p2p_scheduler.domain.errors import InvalidInput, NotFound
from p2p_scheduler.domain.model import ReviewerProfile

#: the longest period one question may cover: a month of cells is about 3,000
MAX_PERIOD = timedelta(days=31)


def check_period(window: Interval) -> None:
    """``InvalidInput`` for a period longer than ``MAX_PERIOD`` or one that ends before it
    starts."""
    if window.end <= window.start:
        raise InvalidInput("The period ends before it starts; give a later end.", field="start")
    if window.end - window.start > MAX_PERIOD:
        raise InvalidInput(
            f"Ask for at most {MAX_PERIOD.days} days of slots at a time.", field="start"
        )


def cells(
    *, engine: Engine, reviewer_id: str, window: Interval, now: datetime, limits: Limits
) -> tuple[ReviewerProfile, list[Cell]]:
    """The reviewer and the cells of their hours starting inside ``window``.

    ``NotFound`` for an unknown reviewer; ``check_period``'s refusals."""
    check_period(window)
    buffer = limits.buffer_minutes * 60
    with transaction(engine) as session:
        profile = repo.get_reviewer(session, reviewer_id)
        if profile is None:
            raise NotFound(f"No reviewer {reviewer_id!r} exists.")
        ids = [reviewer_id]
        # a booking that ends (with its buffer) inside the window may start before it
        wide = Interval(window.start - timedelta(days=1), window.end + timedelta(days=1))
        booked = calendar_reads.scheduled_spans(session, ids, wide)
        held = calendar_reads.held_spans(session, ids, wide, now=now)
        away = calendar_reads.time_off(session, ids, window).get(reviewer_id, [])
    return profile, cells_of(
        profile,
        window,
        booked=[(start - buffer, end + buffer) for _, start, end in booked],
        held=[(start - buffer, end + buffer) for _, start, end in held],
        time_off=away,
    )
