"""A reviewer's week of P2Ps in the reviewer's own zone: the medical director's day view.

The week runs Monday to Sunday in the reviewer's zone (where their working hours live), so
"today" and the days of the week are the reviewer's, whoever is asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from p2p_scheduler.db import bookings, repo
from p2p_scheduler.db.engine import Engine, transaction
from p2p_scheduler.domain.access import Scope
from p2p_scheduler.domain.bookings import BookingView
from p2p_scheduler.domain.enums import CALENDAR_STATUSES
from p2p_scheduler.domain.errors import NotFound
from p2p_scheduler.domain.model import ReviewerProfile
from p2p_scheduler.services.availability_search import local_week


@dataclass(frozen=True, slots=True)
class Agenda:
    reviewer: ReviewerProfile
    today: date
    week_start: date
    week_end: date
    previous_week_start: date
    next_week_start: date
    bookings: list[BookingView]


def week(
    *, engine: Engine, reviewer_id: str, week_start: date | None, now: datetime, scope: Scope
) -> Agenda:
    """The reviewer's scheduled, completed and no-show P2Ps of one week, earliest first.
    Another reviewer's agenda is outside a reviewer's ``scope``: not found, like an unknown one."""
    with transaction(engine) as session:
        profile = (
            repo.get_reviewer(session, reviewer_id) if scope.admits_reviewer(reviewer_id) else None
        )
        if profile is None:
            raise NotFound(f"No reviewer {reviewer_id!r} exists.")
        zone = profile.time_zone
        first, last, previous, following, window = local_week(week_start, zone, now)
        found = bookings.of_reviewer(
            session, reviewer_id, starting=(window.start, window.end), statuses=CALENDAR_STATUSES
        )
        views = bookings.views(session, found)
    return Agenda(
        reviewer=profile,
        today=now.astimezone(ZoneInfo(zone)).date(),
        week_start=first,
        week_end=last,
        previous_week_start=previous,
        next_week_start=following,
        bookings=views,
    )
