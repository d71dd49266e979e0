"""A reviewer's week of P2Ps in the reviewer's own zone: the medical director's day view.

The week runs Monday to Sunday in the reviewer's zone (where their working hours live), so
"today" and the days of the week are the reviewer's, whoever is asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from p2p_scheduler.db import calendar_reads, repo
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.domain.errors import NotFound
from p2p_scheduler.domain.model import ReviewerProfile
from p2p_scheduler.services.availability_search import local_week
from p2p_scheduler.services.booking import BookingView, view_of


@dataclass(frozen=True, slots=True)
class Agenda:
    reviewer: ReviewerProfile
    today: date
    week_start: date
    week_end: date
    previous_week_start: date
    next_week_start: date
    bookings: list[BookingView]


def week(*, engine: Engine, reviewer_id: str, week_start: date | None, now: datetime) -> Agenda:
    """The reviewer's scheduled, completed and no-show P2Ps of one week, earliest first."""
    with transaction(engine) as session:
        profile = repo.get_reviewer(session, reviewer_id)
        if profile is None:
            raise NotFound(f"No reviewer {reviewer_id!r} exists.")
        zone = profile.time_zone
        first, last, previous, following, window = local_week(week_start, zone, now)
        rows = calendar_reads.reviewer_bookings(session, reviewer_id, window)
        bookings = [view_of(session, row) for row in rows]
    return Agenda(
        reviewer=profile,
        today=now.astimezone(ZoneInfo(zone)).date(),
        week_start=first,
        week_end=last,
        previous_week_start=previous,
        next_week_start=following,
        bookings=bookings,
    )
