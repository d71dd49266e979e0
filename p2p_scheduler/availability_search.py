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
from p2p_scheduler.booking import Limits, check_request
from p2p_scheduler.db import repo
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import (
    BookingRow,
    HoldRow,
    ReviewerLicenseRow,
    ReviewerRow,
    ReviewerSkillRow,
    TimeOffRow,
)
from p2p_scheduler.domain import Weekday
from p2p_scheduler.eligibility import RequestEligibility
from p2p_scheduler.errors import InvalidInput
from p2p_scheduler.policy import Policy
from p2p_scheduler.policy.days import local_date


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
        candidates_query = (
            select(ReviewerSkillRow.reviewer_id)
            .join(ReviewerRow, ReviewerRow.reviewer_id == ReviewerSkillRow.reviewer_id)  # type: ignore[arg-type]
            .where(ReviewerSkillRow.skill.in_(skills), ReviewerRow.active)  # type: ignore[attr-defined]
            .group_by(ReviewerSkillRow.reviewer_id)
            .having(func.count() == len(skills))
        )
        # Narrow by licence in SQL where a case needs one in given states, so that only
        # plausible reviewers are loaded; ``qualification.tier_for`` still decides.
        for states in _licence_states(request):
            candidates_query = candidates_query.where(
                ReviewerSkillRow.reviewer_id.in_(  # type: ignore[attr-defined]
                    select(ReviewerLicenseRow.reviewer_id).where(
                        ReviewerLicenseRow.state.in_(states)
                    )  # type: ignore[attr-defined]
                )
            )
        candidates = session.exec(candidates_query).all()
        profiles = list(repo.get_reviewers(session, list(candidates)).values())
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
        # Bookings and live holds as intervals (far fewer rows than their 15-minute cells),
        # widened by the buffer on both sides so a consultation keeps it before and after.
        buffer = timedelta(minutes=limits.buffer_minutes)
        zones = {p.reviewer_id: p.time_zone for p, _ in qualified}
        per_day: dict[str, dict[date, int]] = {rid: {} for rid in ids}
        for reviewer_id, start_at, end_at in session.exec(
            select(BookingRow.reviewer_id, BookingRow.start_at, BookingRow.end_at).where(
                BookingRow.reviewer_id.in_(ids),  # type: ignore[union-attr]
                BookingRow.status == "scheduled",
                BookingRow.start_at < reach.end,  # type: ignore[operator]
                BookingRow.end_at > reach.start - timedelta(days=1),  # type: ignore[operator]
            )
        ):
            busy[reviewer_id].append(availability.Interval(start_at - buffer, end_at + buffer))
            day = local_date(start_at, zones[reviewer_id])
            per_day[reviewer_id][day] = per_day[reviewer_id].get(day, 0) + 1
        for reviewer_id, start_at, end_at in session.exec(
            select(HoldRow.reviewer_id, HoldRow.start_at, HoldRow.end_at).where(
                HoldRow.reviewer_id.in_(ids),  # type: ignore[attr-defined]
                HoldRow.expires_at > now,
                HoldRow.start_at < reach.end,
                HoldRow.end_at > reach.start,
            )
        ):
            busy[reviewer_id].append(availability.Interval(start_at - buffer, end_at + buffer))
        calendars = [
            availability.ReviewerCalendar(
                profile=profile,
                tier=tier,
                busy=tuple(busy[profile.reviewer_id]),
                booked_per_day=per_day[profile.reviewer_id],
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


def _licence_states(request: RequestEligibility) -> list[frozenset[str]]:
    """For each case whose rule names states, the states a reviewer must hold a licence in."""
    required = []
    for case in request.cases:
        rule = case.reviewer_rule
        if rule is None or rule.license == "any_us":
            continue
        if rule.license == "member_state":
            if case.member_state:
                required.append(frozenset({case.member_state}))
        else:
            required.append(frozenset(rule.license))
    return required


def _midnight(day: date, zone: str) -> datetime:
    local = pendulum.datetime(day.year, day.month, day.day, tz=zone)
    return datetime.fromtimestamp(local.timestamp(), UTC)
