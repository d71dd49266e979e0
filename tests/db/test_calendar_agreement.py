"""Availability and booking agree, over random reviewer calendars, on both databases.

Availability (which times to offer) and the booking checks (may this start be taken) read a
reviewer's calendar through one reader (``services.reviewer_calendars``); this property says
what that is for: on any calendar — working hours in any zone, daily caps, a buffer, other
P2Ps, other people's holds, time off — every time availability offers can be held and then
booked, and a time of the same week that it does not offer is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from p2p_scheduler.domain.bookings import Contact, Limits, SlotRequest
from p2p_scheduler.domain.errors import DomainError
from p2p_scheduler.domain.model import (
    CaseSnapshot,
    CaseStatus,
    LineOfBusiness,
    Member,
    ReviewerProfile,
    Urgency,
    Weekday,
    WorkingHours,
)
from p2p_scheduler.domain.policy import load_policy
from p2p_scheduler.domain.policy.days import start_of_day
from p2p_scheduler.services import availability_search, booking, records, time_off
from tests.conftest import _clear
from tests.support import NOW

POLICY = load_policy(None)
DOB = date(1970, 5, 17)
ZONES = ("America/New_York", "America/Chicago", "America/Phoenix", "America/Los_Angeles")
WORKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
CONTACT = Contact(
    provider_name="Dr. Olive Orderly",
    provider_role="ordering_provider",
    phone="+12155550100",
    email="office@example.org",
)


def _hhmm(quarters: int) -> str:
    return f"{quarters // 4:02d}:{quarters % 4 * 15:02d}"


@st.composite
def reviewers(draw: st.DrawFn, reviewer_id: str) -> ReviewerProfile:
    hours = []
    for day in WORKDAYS:
        if draw(st.booleans()):
            start = draw(st.integers(6 * 4, 12 * 4))
            length = draw(st.integers(2, 8 * 4))
            hours.append(WorkingHours(day, _hhmm(start), _hhmm(start + length)))
    return ReviewerProfile(
        reviewer_id=reviewer_id,
        name=f"Dr. {reviewer_id}",
        credentials="MD",
        email=f"{reviewer_id}@example.org",
        time_zone=draw(st.sampled_from(ZONES)),
        skills={"msk_spine": draw(st.integers(1, 3))},
        licensed_states=frozenset({"PA"}),
        working_hours=tuple(hours),
        max_consults_per_day=draw(st.integers(1, 4)),
    )


@dataclass(frozen=True)
class World:
    reviewers: list[ReviewerProfile]
    limits: Limits
    requester_zone: str
    #: how many other P2Ps, other people's holds and time offs to place first
    others: int
    holds: int
    time_off: list[tuple[int, int, int]]  # (reviewer index, start hour from now, hours)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    count = draw(st.integers(1, 3))
    return World(
        reviewers=[draw(reviewers(f"rev-{n}")) for n in range(count)],
        limits=Limits(buffer_minutes=draw(st.sampled_from((0, 10, 15, 30)))),
        requester_zone=draw(st.sampled_from(ZONES)),
        others=draw(st.integers(0, 4)),
        holds=draw(st.integers(0, 2)),
        time_off=draw(
            st.lists(
                st.tuples(st.integers(0, count - 1), st.integers(0, 120), st.integers(1, 30)),
                max_size=2,
            )
        ),
    )


def _case(number: str) -> CaseSnapshot:
    return CaseSnapshot(
        case_number=number,
        member=Member(
            name="Jane Q. Member", dob=DOB, state="PA", member_id="M-1", health_plan="Plan"
        ),
        line_of_business=LineOfBusiness.COMMERCIAL,
        case_type="MSK Spine Surgery",
        skill="msk_spine",
        status=CaseStatus.IN_REVIEW,
        urgency=Urgency.STANDARD,
        received_at=NOW - timedelta(hours=2),
        hold_due_at=NOW + timedelta(days=12),
    )


def _offered(engine: Engine, world: World, number: str) -> list[tuple[str, datetime]]:
    return _week(engine, world, number)[0]


def _week(engine: Engine, world: World, number: str) -> tuple[list[tuple[str, datetime]], datetime]:
    """The (reviewer, start) pairs offered this week, and the instant the week ends."""
    found = availability_search.search(
        engine=engine,
        policy=POLICY,
        limits=world.limits,
        now=NOW,
        cases=((number, DOB),),
        time_zone=world.requester_zone,
        days=frozenset(Weekday),
        hours=frozenset(range(24)),
        week_start=None,
    )
    offered = [
        (reviewer.reviewer_id, slot.start.astimezone(UTC))
        for tier in found.tiers
        for reviewer in tier.reviewers
        for day in reviewer.days
        for slot in day.slots
    ]
    return offered, start_of_day(found.next_week_start, world.requester_zone)


def _slot(number: str, reviewer_id: str, start: datetime, zone: str) -> SlotRequest:
    return SlotRequest(((number, DOB),), reviewer_id, start, zone)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds(), data=st.data())
def test_every_offered_time_can_be_held_and_booked_and_no_other_can(
    engine: Engine, world: World, data: st.DataObject
) -> None:
    _clear(engine)
    for profile in world.reviewers:
        records.put_reviewer(engine=engine, profile=profile, actor="test", now=NOW)
    numbers = [f"P{n:03d}" for n in range(world.others + world.holds + 1)]
    for number in numbers:
        records.put_case(
            engine=engine, case=_case(number), policy_zone=POLICY.time_zone, actor="test", now=NOW
        )
    for index, start_hour, hours in world.time_off:
        start = NOW + timedelta(hours=start_hour)
        time_off.add(
            engine=engine,
            policy=POLICY,
            limits=world.limits,
            now=NOW,
            reviewer_id=world.reviewers[index].reviewer_id,
            start=start,
            end=start + timedelta(hours=hours),
            reason="",
            time_limit_seconds=2,
            workers=1,
            actor="test",
        )
    # Other people's P2Ps and holds, each at a time availability offered them.
    others, held, mine = numbers[: world.others], numbers[world.others : -1], numbers[-1]
    for number in [*others, *held]:
        offered = _offered(engine, world, number)
        if not offered:
            break
        reviewer_id, start = data.draw(st.sampled_from(offered))
        slot = _slot(number, reviewer_id, start, world.requester_zone)
        if number in held:
            booking.hold(
                engine=engine, policy=POLICY, limits=world.limits, now=NOW, slot=slot, actor="t"
            )
        else:
            booking.book(
                engine=engine,
                policy=POLICY,
                limits=world.limits,
                now=NOW,
                slot=slot,
                contact=CONTACT,
                hold_id=None,
                actor="t",
            )

    offered, week_end = _week(engine, world, mine)
    shown = set(offered)
    rng = data.draw(st.randoms(use_true_random=False))
    # Times of the same week, on the grid, that availability does not offer are refused;
    # those next to an offered time (where buffers, caps and holds draw the line) first.
    hidden = [
        (profile.reviewer_id, start)
        for profile in world.reviewers
        for q in range(7 * 96)
        if (start := NOW.replace(minute=0) + timedelta(minutes=15 * q)) < week_end
        and (profile.reviewer_id, start) not in shown
    ]
    near = [
        (rid, start)
        for rid, start in hidden
        if any(
            (rid, start + timedelta(minutes=m)) in shown
            for m in (-60, -45, -30, -15, 15, 30, 45, 60)
        )
    ]
    for reviewer_id, start in [
        *rng.sample(near, min(12, len(near))),
        *rng.sample(hidden, min(4, len(hidden))),
    ]:
        with pytest.raises(DomainError):
            booking.hold(
                engine=engine,
                policy=POLICY,
                limits=world.limits,
                now=NOW,
                slot=_slot(mine, reviewer_id, start, world.requester_zone),
                actor="t",
            )
    # Times it offers can be held (and released again) ...
    for reviewer_id, start in rng.sample(offered, min(12, len(offered))):
        held_now = booking.hold(
            engine=engine,
            policy=POLICY,
            limits=world.limits,
            now=NOW,
            slot=_slot(mine, reviewer_id, start, world.requester_zone),
            actor="t",
        )
        booking.release_hold(engine=engine, hold_id=held_now.hold_id)
    # ... and one of them booked with its hold.
    if offered:
        reviewer_id, start = data.draw(st.sampled_from(offered))
        slot = _slot(mine, reviewer_id, start, world.requester_zone)
        hold = booking.hold(
            engine=engine, policy=POLICY, limits=world.limits, now=NOW, slot=slot, actor="t"
        )
        booked = booking.book(
            engine=engine,
            policy=POLICY,
            limits=world.limits,
            now=NOW,
            slot=slot,
            contact=CONTACT,
            hold_id=hold.hold_id,
            actor="t",
        )
        assert (booked.reviewer.reviewer_id if booked.reviewer else None, booked.start) == (
            reviewer_id,
            start,
        )
