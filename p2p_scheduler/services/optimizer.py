"""The optimizer bridge: pending requests from the database → ``solver`` → bookings (SPEC §6).

Reading: every ``pending_assignment`` booking is re-evaluated (its window may have closed);
the reviewers qualified for each (skill tier, licence, exclusions) are read with their weekly
hours resolved in their own zone into working stretches, tagged with their local date (the
daily cap's day), minus what already blocks them (bookings widened by the buffer, live holds,
time off); the requester's preferred days and hours are resolved in the requester's zone.
All of it becomes integer minutes since a quarter-hour epoch, which is all ``solver`` sees.

Writing: each assignment is booked in its own transaction through the same checks as a
manual booking (``check_slot`` re-reads hours, time off and the daily cap; the cells' primary
key refuses an overlap), so a booking made by hand while the solver ran is never overlapped:
that request simply stays pending for the next run. Every result is validated against its
problem (``solver.check``) before anything is written.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import solver
from p2p_scheduler import metrics
from p2p_scheduler.db import bookings
from p2p_scheduler.db.engine import Engine, Session, WriteConflict, transaction
from p2p_scheduler.domain import availability
from p2p_scheduler.domain.access import EVERYTHING
from p2p_scheduler.domain.bookings import Limits, SlotRequest, StoredBooking
from p2p_scheduler.domain.eligibility import RequestEligibility
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.errors import DomainError, SlotTaken
from p2p_scheduler.domain.model import LevelOfReview, ReviewerProfile
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.domain.policy.model import OriginalReviewer
from p2p_scheduler.services import reviewer_calendars
from p2p_scheduler.services.booking import (
    check_request,
    check_slot,
    claim_cells,
    record_event,
)
from p2p_scheduler.services.notifications import Notifier

GRID = timedelta(minutes=solver.GRID_MINUTES)
#: levels of review at which the case's original reviewer is preferred (SPEC §6)
FAVOUR_ORIGINAL = {LevelOfReview.PRE_DECISION, LevelOfReview.RECONSIDERATION}


@dataclass(frozen=True, slots=True)
class Unplaced:
    booking_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class RunReport:
    """SPEC §7's optimizer run answer, plus the solver's own figures."""

    status: str
    assigned: list[str]
    unassigned: list[Unplaced]
    objective: int
    bound: int
    solve_seconds: float
    gap_pct: float | None
    method: str


def run(
    *,
    engine: Engine,
    policy: Policy,
    limits: Limits,
    now: datetime,
    time_limit_seconds: float,
    workers: int,
    announcer: Notifier | None = None,
) -> RunReport:
    """Assign every pending request that can be placed; report why the others cannot."""
    epoch = floor_to_grid(now)
    with transaction(engine) as session:
        problem, refused = problem_for(
            session, policy, limits, now, epoch, bookings.pending(session)
        )
    settings = solver.SolverSettings(time_limit_seconds=time_limit_seconds, num_workers=workers)
    result = solver.solve(problem, settings)
    solver.check(problem, result)

    def book(booking_id: str, reviewer_id: str, start: datetime) -> None:
        _book(engine, policy, limits, now, booking_id, reviewer_id, start, announcer)

    assigned, lost = commit(result, epoch, book)
    metrics.OPTIMIZER_RUNS.labels(result.status.value).inc()
    metrics.OPTIMIZER_ASSIGNED.inc(len(assigned))
    metrics.OPTIMIZER_SECONDS.observe(result.timings.solve_seconds)
    return RunReport(
        status=result.status.value,
        assigned=assigned,
        unassigned=[
            *refused,
            *(Unplaced(u.request_id, u.reason.value) for u in result.unassigned),
            *lost,
        ],
        objective=int(result.objective),
        bound=int(result.best_bound),
        solve_seconds=round(result.timings.solve_seconds, 3),
        gap_pct=result.gap_pct,
        method=result.method.value,
    )


def commit(
    result: solver.Result, epoch: datetime, book: Callable[[str, str, datetime], None]
) -> tuple[list[str], list[Unplaced]]:
    """Write each assignment with ``book`` (its own transaction, re-checking the slot), earliest
    first; an assignment that the database now refuses is reported, not retried."""
    assigned: list[str] = []
    lost: list[Unplaced] = []
    for assignment in sorted(result.assignments, key=lambda a: (a.start, a.request_id)):
        start = epoch + timedelta(minutes=assignment.start)
        try:
            book(assignment.request_id, assignment.reviewer_id, start)
        except DomainError as error:
            reason = "no_longer_pending" if isinstance(error, _Gone) else "slot_taken_meanwhile"
            lost.append(Unplaced(assignment.request_id, reason))
        else:
            assigned.append(assignment.request_id)
    return assigned, lost


def floor_to_grid(instant: datetime) -> datetime:
    """The quarter hour at or before ``instant``: the epoch of a run's integer minutes."""
    seconds = math.floor(instant.timestamp() / GRID.total_seconds()) * GRID.total_seconds()
    return datetime.fromtimestamp(seconds, UTC)


def minutes_since(instant: datetime, epoch: datetime) -> int:
    return _minutes(instant.timestamp(), epoch)


def _minutes(epoch_seconds: float, epoch: datetime) -> int:
    return math.floor((epoch_seconds - epoch.timestamp()) / 60)


#: Adjusts one booking's request for a particular question (e.g. "the same time, another
#: reviewer"); ``None`` leaves the booking out.
Reshape = Callable[[StoredBooking, solver.Request], solver.Request | None]


def problem_for(
    session: Session,
    policy: Policy,
    limits: Limits,
    now: datetime,
    epoch: datetime,
    rows: list[StoredBooking],
    *,
    reshape: Reshape | None = None,
    ignore: Collection[str] = (),
) -> tuple[solver.Problem, list[Unplaced]]:
    """The solver problem of ``rows`` (in arrival order), and those that cannot be requests.

    ``ignore``: bookings whose own time must not block anyone (they are the ones being moved).
    """
    earliest = now + timedelta(minutes=limits.min_notice_minutes)
    horizon = now + timedelta(days=limits.max_horizon_days)
    refused: list[Unplaced] = []
    requests: list[solver.Request] = []
    profiles: dict[str, ReviewerProfile] = {}
    for arrival, row in enumerate(rows):
        try:
            request = check_request(
                session, policy=policy, now=now, cases=bookings.lookups(session, row.id)
            )
        except DomainError:
            refused.append(Unplaced(row.id, "not_eligible"))
            continue
        qualified = reviewer_calendars.qualified(session, request)
        profiles.update((profile.reviewer_id, profile) for profile, _ in qualified)
        made = _request(row, request, qualified, arrival, earliest, horizon, epoch)
        if reshape is not None and (made := reshape(row, made)) is None:
            continue
        requests.append(made)
    reviewer_ids = sorted({e.reviewer_id for r in requests for e in r.eligible})
    reviewers = _reviewers(
        session,
        [profiles[rid] for rid in reviewer_ids],
        limits,
        now,
        earliest,
        horizon,
        epoch,
        ignore=ignore,
    )
    problem = solver.Problem(
        reviewers=tuple(reviewers),
        requests=tuple(requests),
        epoch=epoch,
        buffer_minutes=_buffer(limits),
    )
    return problem, refused


def _request(
    row: StoredBooking,
    request: RequestEligibility,
    qualified: list[reviewer_calendars.Qualified],
    arrival: int,
    earliest: datetime,
    horizon: datetime,
    epoch: datetime,
) -> solver.Request:
    assert request.valid_until is not None
    tiers = {profile.reviewer_id: tier for profile, tier in qualified}
    days = frozenset(row.preferred_days or ())
    hours = frozenset(row.preferred_hours or ())
    deadline = min(request.valid_until, horizon)
    case = request.cases[0]
    favour = case.level_of_review in FAVOUR_ORIGINAL or (
        case.reviewer_rule is not None
        and case.reviewer_rule.original_reviewer is OriginalReviewer.PREFER
    )
    excluded = frozenset(
        c.original_reviewer
        for c in request.cases
        if c.original_reviewer
        and c.reviewer_rule is not None
        and c.reviewer_rule.original_reviewer is OriginalReviewer.EXCLUDE
    )
    return solver.Request(
        id=row.id,
        arrival=arrival,
        duration=request.duration_minutes,
        earliest_start=max(0, math.ceil((earliest - epoch).total_seconds() / 60)),
        deadline=minutes_since(deadline, epoch),
        eligible=tuple(solver.Eligible(rid, tier) for rid, tier in sorted(tiers.items())),
        urgent=any(c.urgent for c in request.cases),
        preferred=tuple(
            solver.Interval(_minutes(a, epoch), _minutes(b, epoch))
            for a, b in availability.preferred_windows(
                row.time_zone, days, hours, earliest, deadline
            )
        ),
        original_reviewer=case.original_reviewer if favour else None,
        favour_original=favour and case.original_reviewer is not None,
        excluded_reviewers=excluded,
    )


def _buffer(limits: Limits) -> int:
    grid = solver.GRID_MINUTES
    return -(-limits.buffer_minutes // grid) * grid


def _reviewers(
    session: Session,
    profiles: list[ReviewerProfile],
    limits: Limits,
    now: datetime,
    earliest: datetime,
    horizon: datetime,
    epoch: datetime,
    *,
    ignore: Collection[str] = (),
) -> list[solver.Reviewer]:
    """Each reviewer's working stretches and what blocks them, as the solver's minutes."""
    window = availability.Interval(earliest - timedelta(days=1), horizon + timedelta(days=1))
    calendars = reviewer_calendars.read(
        session,
        [(profile, 0) for profile in profiles],  # the tier is each request's, not here
        window,
        now=now,
        limits=limits,
        ignore=ignore,
    )
    reviewers = []
    for calendar in calendars:
        blocked = [
            *calendar.busy_seconds,
            *((i.start.timestamp(), i.end.timestamp()) for i in calendar.busy),
        ]
        reviewers.append(
            solver.Reviewer(
                id=calendar.profile.reviewer_id,
                working=tuple(
                    solver.WorkingInterval(
                        _minutes(lo, epoch), _minutes(hi, epoch), day.toordinal()
                    )
                    for day, lo, hi in availability.working_stretches(
                        calendar.profile, earliest, horizon
                    )
                ),
                blocked=tuple(
                    solver.Interval(_minutes(lo, epoch), math.ceil((hi - epoch.timestamp()) / 60))
                    for lo, hi in blocked
                ),
                daily_cap=calendar.profile.max_consults_per_day,
                booked_per_day={
                    day.toordinal(): count for day, count in calendar.booked_per_day.items()
                },
            )
        )
    return reviewers


def _book(
    engine: Engine,
    policy: Policy,
    limits: Limits,
    now: datetime,
    booking_id: str,
    reviewer_id: str,
    start: datetime,
    announcer: Notifier | None,
) -> None:
    """Give the pending request its reviewer and time, re-checked as a manual booking is."""
    try:
        with transaction(engine) as session:
            pending = bookings.get(session, booking_id, scope=EVERYTHING, lock=True)
            if pending is None or pending.status != BookingStatus.PENDING_ASSIGNMENT:
                raise _Gone()
            slot = SlotRequest(
                cases=bookings.lookups(session, booking_id),
                reviewer_id=reviewer_id,
                start=start,
                time_zone=pending.time_zone,
            )
            request = check_request(session, policy=policy, now=now, cases=slot.cases)
            new_start, new_end, _ = check_slot(
                session, limits=limits, now=now, request=request, slot=slot
            )
            claim_cells(
                session,
                reviewer_id=reviewer_id,
                start=new_start,
                end=new_end,
                limits=limits,
                now=now,
                booking_id=booking_id,
            )
            assert request.valid_until is not None
            scheduled = dataclasses.replace(
                pending,
                status=BookingStatus.SCHEDULED,
                reviewer_id=reviewer_id,
                start_at=new_start,
                end_at=new_end,
                valid_until=request.valid_until,
                updated_at=now,
            )
            bookings.save(session, scheduled)
            record_event(session, scheduled, "scheduled", actor="optimizer", now=now)
            if announcer is not None:
                [view] = bookings.views(session, [scheduled])
                announcer.announce(session, view, "scheduled", now=now)
    except WriteConflict:
        raise SlotTaken("Someone else booked this time while the optimizer ran.") from None


class _Gone(DomainError):
    """The request was cancelled or assigned while the solver ran."""

    kind = "no-longer-pending"
