"""The availability use case: stored reviewers, bookings, holds and time off → slots by tier.

The pure work (expanding weekly hours in each reviewer's zone, subtracting busy time,
filtering by the requester's preferences, grouping) is ``availability``; this module only
gathers the week's data in one read transaction and computes the limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pendulum
from sqlalchemy import Engine, func
from sqlmodel import select

from p2p_scheduler import availability, qualification
from p2p_scheduler.booking import GRID_MINUTES, Limits, booked_per_day, check_request
from p2p_scheduler.db import repo
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import ReviewerRow, ReviewerSkillRow, SlotCellRow, TimeOffRow
from p2p_scheduler.domain import Weekday
from p2p_scheduler.errors import InvalidInput
from p2p_scheduler.policy import Policy


@dataclass(frozen=True, slots=True)
class Availability:
    time_zone: str
    week_start: date
    week_end: date
    previous_week_start: date
    next_week_start: date
    duration_minutes: int
    valid_until: datetime
    tiers: list[availability.TierGroup]


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
) -> Availability:
    """Open slots for the request in the requester's week, grouped by tier, reviewer and day."""
    try:
        start_day, end_day, previous, following = availability.week_bounds(
            week_start, time_zone, now
        )
    except ValueError as error:
        raise InvalidInput(str(error), field="week_start") from None
    week = availability.Interval(
        _midnight(start_day, time_zone), _midnight(start_day + timedelta(days=7), time_zone)
    )
    with transaction(engine) as session:
        request = check_request(session, policy=policy, now=now, cases=cases)
        assert request.valid_until is not None
        skills = {case.skill for case in request.cases}
        candidates = session.exec(
            select(ReviewerSkillRow.reviewer_id)
            .join(ReviewerRow, ReviewerRow.reviewer_id == ReviewerSkillRow.reviewer_id)  # type: ignore[arg-type]
            .where(ReviewerSkillRow.skill.in_(skills), ReviewerRow.active)  # type: ignore[attr-defined]
            .group_by(ReviewerSkillRow.reviewer_id)
            .having(func.count() == len(skills))
        ).all()
        profiles = [p for rid in candidates if (p := repo.get_reviewer(session, rid)) is not None]
        qualified = [
            (profile, tier)
            for profile in profiles
            if (tier := qualification.tier_for(profile, request.cases)) is not None
        ]
        ids = [profile.reviewer_id for profile, _ in qualified]
        reach = availability.Interval(week.start - timedelta(days=1), week.end + timedelta(days=1))
        busy: dict[str, list[availability.Interval]] = {rid: [] for rid in ids}
        for row in session.exec(
            select(TimeOffRow).where(
                TimeOffRow.reviewer_id.in_(ids),  # type: ignore[attr-defined]
                TimeOffRow.end_at > reach.start,
                TimeOffRow.start_at < reach.end,
            )
        ):
            busy[row.reviewer_id].append(availability.Interval(row.start_at, row.end_at))
        buffer = timedelta(minutes=limits.buffer_minutes)
        for cell in session.exec(
            select(SlotCellRow).where(
                SlotCellRow.reviewer_id.in_(ids),  # type: ignore[attr-defined]
                SlotCellRow.cell_at >= reach.start,
                SlotCellRow.cell_at < reach.end,
            )
        ):
            if cell.expires_at is not None and cell.expires_at <= now:
                continue  # an expired hold frees its time by itself
            # cells already hold the buffer after a booking; widen backwards so a new
            # consultation also leaves the buffer before the next one
            busy[cell.reviewer_id].append(
                availability.Interval(
                    cell.cell_at - buffer, cell.cell_at + timedelta(minutes=GRID_MINUTES)
                )
            )
        calendars = [
            availability.ReviewerCalendar(
                profile=profile,
                tier=tier,
                busy=tuple(busy[profile.reviewer_id]),
                booked_per_day=booked_per_day(
                    session,
                    reviewer_id=profile.reviewer_id,
                    zone=profile.time_zone,
                    window=reach,
                    ignore=None,
                ),
            )
            for profile, tier in qualified
        ]
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
    return Availability(
        time_zone=time_zone,
        week_start=start_day,
        week_end=end_day,
        previous_week_start=previous,
        next_week_start=following,
        duration_minutes=request.duration_minutes,
        valid_until=request.valid_until,
        tiers=availability.group_by_tier(found, time_zone),
    )


def _midnight(day: date, zone: str) -> datetime:
    local = pendulum.datetime(day.year, day.month, day.day, tz=zone)
    return datetime.fromtimestamp(local.timestamp(), UTC)
