"""Open slots over a period rather than a week: what FHIR ``Appointment/$find`` asks
(SPEC §13) — the same availability use case, a requester-week at a time.

``availability_search.search`` answers one week in the requester's zone, grouped by tier,
reviewer and day; a period search calls it for every week the period touches and keeps the
slots whose start falls inside the period, in the order ``POST /v1/availability`` gives
them (best tier first, reviewers in the search's order, each reviewer's slots ascending).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from p2p_scheduler.db.engine import Engine
from p2p_scheduler.domain.availability import TierGroup, week_bounds
from p2p_scheduler.domain.bookings import Limits
from p2p_scheduler.domain.model import Weekday
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.services import availability_search


@dataclass(frozen=True, slots=True)
class Proposal:
    """One bookable time: the reviewer, their tier for the request, and the slot (start and
    end in the requester's zone)."""

    tier: int
    tier_label: str
    reviewer_id: str
    reviewer_name: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class PeriodAvailability:
    proposals: list[Proposal]
    #: whether the answer's cap (``limits.availability_max_slots``) left some out
    truncated: bool
    duration_minutes: int


def search_period(
    *,
    engine: Engine,
    policy: Policy,
    limits: Limits,
    now: datetime,
    cases: tuple[tuple[str, date], ...],
    time_zone: str,
    start: datetime,
    end: datetime,
) -> PeriodAvailability:
    """Every open slot starting in ``[start, end)`` for the cases, any day and hour (a
    FHIR client has no preference grid). The caller bounds the period; eligibility,
    qualification, notice, horizon and valid-until are the week search's; the first week
    is searched even when the period is over, so a case that cannot be booked is a 422
    rather than an empty answer."""
    monday, *_ = week_bounds(None, time_zone, max(start, now))
    zone = ZoneInfo(time_zone)
    grouped: dict[tuple[int, str], list[Proposal]] = {}
    truncated = False
    duration = 0
    while True:  # the first week always: it checks the cases even for an empty period
        found = availability_search.search(
            engine=engine,
            policy=policy,
            limits=limits,
            now=now,
            cases=cases,
            time_zone=time_zone,
            days=frozenset(Weekday),
            hours=frozenset(range(24)),
            week_start=monday,
        )
        truncated = truncated or found.truncated
        duration = found.duration_minutes
        for proposal in _proposals(found.tiers):
            if start <= proposal.start < end:
                grouped.setdefault((proposal.tier, proposal.reviewer_id), []).append(proposal)
        monday = found.next_week_start
        if datetime.combine(monday, datetime.min.time(), zone) >= end:
            break
    # dicts keep first-seen order and sorting is stable: reviewers keep the search's order
    ordered = [p for key in sorted(grouped, key=lambda k: k[0]) for p in grouped[key]]
    cap = availability_search.answer_cap(None, limits)
    if len(ordered) > cap:
        ordered, truncated = ordered[:cap], True
    return PeriodAvailability(ordered, truncated, duration)


def _proposals(tiers: Iterable[TierGroup]) -> Iterator[Proposal]:
    for group in tiers:
        for reviewer in group.reviewers:
            for day in reviewer.days:
                for slot in day.slots:
                    yield Proposal(
                        tier=group.tier,
                        tier_label=group.label,
                        reviewer_id=reviewer.reviewer_id,
                        reviewer_name=reviewer.name,
                        start=slot.start,
                        end=slot.end,
                    )
