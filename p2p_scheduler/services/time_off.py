"""Reviewer time off, and what happens to the consultations it covers (SPEC §4, §6).

A reviewer who will be away must not leave providers waiting on a call nobody takes. Each
booking the period overlaps is handled in the order SPEC §4 gives:

1. **reassigned** — the same time with another qualified reviewer (best skill tier first);
2. **moved** — the nearest time that still meets the deadline and the requester's preferred
   days and hours (SPEC §6's rule: outside them only when nothing inside them is left),
   first the nearest *later* time (the provider planned for the original time; a later one
   keeps the notice they were given), else the earliest time before it. Any qualified
   reviewer may take it, the original one first at equal times; the skill tier no longer
   ranks times here, because the time is what the provider was promised;
3. **needs_attention** — neither exists (or the booking has already begun): the booking stays
   as it is, flagged with the reason (``attention``, listed by ``GET /v1/bookings?
   needs_attention=true``), a ``needs_attention`` history event and a
   ``booking.needs_attention`` webhook, for a person to sort out.

Each step is one small optimizer problem over *all* the affected bookings (``optimizer
.problem_for`` with the window reshaped), so that two bookings at the same hour are matched
to the free reviewers jointly, not first come first served. Moves go through
``lifecycle.reschedule``: same id and calendar UID, SEQUENCE + 1, every check of a manual
reschedule, invites and webhooks through the outbox.

The time off and the flags are written in one transaction before any move, so a crash in
between leaves every affected booking flagged, never silently on an absent reviewer's
calendar; each move clears its flag in its own transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import solver
from p2p_scheduler.db import bookings, calendar_reads, repo
from p2p_scheduler.db.engine import Engine, transaction
from p2p_scheduler.domain.access import EVERYTHING
from p2p_scheduler.domain.bookings import Limits, StoredBooking
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.errors import InvalidInput, NotFound
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.services import audit, lifecycle, optimizer
from p2p_scheduler.services.notifications import Notifier

PENDING = "The reviewer is off at this time; the service is looking for another reviewer or time."
UNPLACED = (
    "The reviewer is off at this time, and no qualified reviewer is free then nor at any other "
    "time before the P2P window closes within the requester's preferences. Reschedule or "
    "cancel it."
)
STARTED = "The reviewer is off at this time, and the consultation has already begun."


@dataclass(frozen=True, slots=True)
class Affected:
    booking_id: str
    action: str  # reassigned | moved | needs_attention


#: One question asked of the solver about a booking of ``off_reviewer`` starting at minute
#: ``start``: the request reshaped so that only the answers to that question remain.
Question = Callable[[solver.Request, int, str], solver.Request]


def _same_time(request: solver.Request, start: int, off_reviewer: str) -> solver.Request:
    return dataclasses.replace(
        request,
        earliest_start=max(request.earliest_start, start),
        deadline=min(request.deadline, start + request.duration),
        eligible=tuple(e for e in request.eligible if e.reviewer_id != off_reviewer),
        preferred=(),
        original_reviewer=None,
        favour_original=False,
    )


def _any_reviewer(request: solver.Request, off_reviewer: str) -> solver.Request:
    """Every qualified reviewer counts the same (time decides), the original one breaks ties."""
    return dataclasses.replace(
        request,
        eligible=tuple(solver.Eligible(e.reviewer_id, 1) for e in request.eligible),
        original_reviewer=off_reviewer,
        favour_original=any(e.reviewer_id == off_reviewer for e in request.eligible),
    )


def _later(request: solver.Request, start: int, off_reviewer: str) -> solver.Request:
    shaped = _any_reviewer(request, off_reviewer)
    return dataclasses.replace(shaped, earliest_start=max(request.earliest_start, start))


def _earlier(request: solver.Request, start: int, off_reviewer: str) -> solver.Request:
    shaped = _any_reviewer(request, off_reviewer)
    last_start = start - solver.GRID_MINUTES
    return dataclasses.replace(
        shaped, deadline=min(request.deadline, last_start + request.duration)
    )


#: SPEC §4's order: (action reported, question).
STEPS: tuple[tuple[str, Question], ...] = (
    ("reassigned", _same_time),
    ("moved", _later),
    ("moved", _earlier),
)


def add(
    *,
    engine: Engine,
    policy: Policy,
    limits: Limits,
    now: datetime,
    reviewer_id: str,
    start: datetime,
    end: datetime,
    reason: str,
    time_limit_seconds: float,
    workers: int,
    actor: str,
    announcer: Notifier | None = None,
) -> list[Affected]:
    """Block the period, then reassign or move every scheduled booking it overlaps.

    ``actor`` (the admin key) is who made every resulting change, in history and audit."""
    if end <= start:
        raise InvalidInput("The time off must end after it starts.", field="end")
    with transaction(engine) as session:
        if repo.get_reviewer(session, reviewer_id) is None:
            raise NotFound(f"No reviewer {reviewer_id!r} exists.")
        calendar_reads.add_time_off(
            session, reviewer_id=reviewer_id, start=start, end=end, reason=reason, now=now
        )
        audit.record(
            session,
            actor=actor,
            entity="reviewer",
            entity_id=reviewer_id,
            action="time_off_added",
            now=now,
            reason=f"off {start.isoformat()} to {end.isoformat()}"
            + (f": {reason}" if reason else ""),
        )
        covered = bookings.scheduled(
            session, reviewer_id=reviewer_id, overlapping=(start, end), lock=True
        )
        for row in covered:
            bookings.save(session, dataclasses.replace(row, attention=PENDING))
    settings = solver.SolverSettings(time_limit_seconds=time_limit_seconds, num_workers=workers)
    outcome: dict[str, str] = {}
    waiting = [row.id for row in covered if row.start_at and row.start_at > now]
    for action, question in STEPS:
        if not waiting:
            break
        placed = _ask(engine, policy, limits, now, waiting, question, settings, actor, announcer)
        outcome.update(dict.fromkeys(placed, action))
        waiting = [booking_id for booking_id in waiting if booking_id not in placed]
    for row in covered:
        if row.id not in outcome:
            why = UNPLACED if row.id in waiting else STARTED
            _flag(engine, now, row.id, why, actor, announcer)
    return [Affected(row.id, outcome.get(row.id, "needs_attention")) for row in covered]


def _ask(
    engine: Engine,
    policy: Policy,
    limits: Limits,
    now: datetime,
    booking_ids: list[str],
    question: Question,
    settings: solver.SolverSettings,
    actor: str,
    announcer: Notifier | None,
) -> set[str]:
    """Solve one step for the waiting bookings and reschedule what it places."""
    epoch = optimizer.floor_to_grid(now)
    with transaction(engine) as session:
        rows = bookings.scheduled(session, ids=booking_ids)

        def reshape(row: StoredBooking, request: solver.Request) -> solver.Request:
            assert row.start_at is not None and row.reviewer_id is not None
            start = optimizer.minutes_since(row.start_at, epoch)
            return question(request, start, row.reviewer_id)

        problem, _ = optimizer.problem_for(
            session, policy, limits, now, epoch, rows, reshape=reshape, ignore=booking_ids
        )
    result = solver.solve(problem, settings)
    solver.check(problem, result)

    def move(booking_id: str, reviewer_id: str, start: datetime) -> None:
        lifecycle.reschedule(
            engine=engine,
            policy=policy,
            limits=limits,
            now=now,
            booking_id=booking_id,
            start=start,
            reviewer_id=reviewer_id,
            actor=actor,
            scope=EVERYTHING,
            announcer=announcer,
        )

    assigned, _ = optimizer.commit(result, epoch, move)
    return set(assigned)


def _flag(
    engine: Engine,
    now: datetime,
    booking_id: str,
    why: str,
    actor: str,
    announcer: Notifier | None,
) -> None:
    with transaction(engine) as session:
        found = bookings.get(session, booking_id, scope=EVERYTHING, lock=True)
        if found is None or found.status != BookingStatus.SCHEDULED:
            return
        lifecycle.flag(session, found, why, actor=actor, now=now, announcer=announcer)
