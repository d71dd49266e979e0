"""Use cases for the records the UM system pushes: case snapshots and reviewer profiles.

Each call owns one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from p2p_scheduler.db import bookings, repo
from p2p_scheduler.db.engine import Engine, Session, WriteConflict, transaction
from p2p_scheduler.domain.bookings import BookedCase, StoredBooking
from p2p_scheduler.domain.enums import ACTIVE_STATUSES
from p2p_scheduler.domain.errors import NotFound
from p2p_scheduler.domain.model import CaseSnapshot, ReviewerProfile
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.domain.policy.days import end_of_day
from p2p_scheduler.services import audit, case_followup
from p2p_scheduler.services.booking import record_event
from p2p_scheduler.services.notifications import Notifier

T = TypeVar("T")


def _upsert(
    engine: Engine,
    save: Callable[[Any], bool],
    read: Callable[[Any], T | None],
    audited: Callable[[Any, T, bool], None],
) -> tuple[T, bool]:
    """Save, read back and audit in one transaction; returns what is stored and whether it
    was new.

    Two first PUTs of one id both see no row and both insert; the loser's primary-key
    violation means the row now exists, so it runs once more and updates it.
    """
    for attempt in (1, 2):
        try:
            with transaction(engine) as session:
                created = save(session)
                stored = read(session)
                assert stored is not None
                audited(session, stored, created)
        except WriteConflict:
            if attempt == 2:
                raise
            continue
        return stored, created
    raise AssertionError("unreachable")  # pragma: no cover


def put_case(
    *,
    engine: Engine,
    case: CaseSnapshot,
    policy_zone: str,
    actor: str,
    now: datetime,
    policy: Policy | None = None,
    announcer: Notifier | None = None,
) -> tuple[CaseSnapshot, bool]:
    """Upsert a case snapshot; a date-only ``hold_due_at`` becomes the end of that day in
    ``policy_zone`` here, once, so that everything stored is a UTC instant.

    With ``policy``, the bookings holding the case follow it (SPEC §14) in this same
    transaction (``case_followup``): the case never commits without them."""
    hold_due = case.hold_due_at
    if hold_due is not None and not isinstance(hold_due, datetime):
        case = replace(case, hold_due_at=end_of_day(hold_due, policy_zone))

    def audited(session: Session, stored: CaseSnapshot, created: bool) -> None:
        audit.record(
            session,
            actor=actor,
            entity="case",
            entity_id=stored.case_number,
            action="created" if created else "replaced",
            now=now,
            after=audit.case_state(stored),
        )
        if policy is not None and not created:
            case_followup.follow(
                session, stored.case_number, policy=policy, now=now, announcer=announcer
            )

    return _upsert(
        engine,
        lambda session: repo.save_case(session, case),
        lambda session: repo.get_case(session, case.case_number),
        audited,
    )


def get_case(*, engine: Engine, case_number: str) -> CaseSnapshot:
    with transaction(engine) as session:
        case = repo.get_case(session, case_number)
    if case is None:
        raise NotFound(
            f"No case {case_number!r} exists. Push it with PUT /v1/cases/{case_number} first."
        )
    return case


def put_reviewer(
    *, engine: Engine, profile: ReviewerProfile, actor: str, now: datetime
) -> tuple[ReviewerProfile, bool]:
    """Upsert a reviewer with skills, licences and hours; returns what is stored and if new."""
    return _upsert(
        engine,
        lambda session: repo.save_reviewer(session, profile),
        lambda session: repo.get_reviewer(session, profile.reviewer_id),
        lambda session, stored, created: audit.record(
            session,
            actor=actor,
            entity="reviewer",
            entity_id=stored.reviewer_id,
            action="created" if created else "replaced",
            now=now,
            after=audit.reviewer_state(stored),
        ),
    )


def get_reviewer(*, engine: Engine, reviewer_id: str) -> ReviewerProfile:
    with transaction(engine) as session:
        profile = repo.get_reviewer(session, reviewer_id)
    if profile is None:
        raise NotFound(
            f"No reviewer {reviewer_id!r} exists. Create it with PUT /v1/reviewers/{reviewer_id}."
        )
    return profile


def reviewers(
    *, engine: Engine, reviewer_ids: list[str] | None, after: str | None, limit: int
) -> tuple[list[ReviewerProfile], str | None]:
    """Reviewers by id in id order: those named (unknown ones left out), or a page of all of
    them ``limit`` at a time after the id ``after``; and the cursor of the next page."""
    with transaction(engine) as session:
        if reviewer_ids is None:
            ids = repo.reviewer_ids(session, after=after, limit=limit + 1)
        else:
            ids = sorted(i for i in set(reviewer_ids) if after is None or i > after)[: limit + 1]
        found = repo.get_reviewers(session, ids[:limit])
    profiles = [found[i] for i in ids[:limit] if i in found]
    return profiles, (ids[limit - 1] if len(ids) > limit else None)


@dataclass(frozen=True, slots=True)
class PastStep:
    """One change of a past booking: its state after the change, who made it and when."""

    event: str
    at: datetime
    booking: StoredBooking
    actor: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PastP2P:
    """A booking that is over (completed, no-show or cancelled): its cases and its history,
    oldest first; the last step's state is what is stored."""

    cases: tuple[BookedCase, ...]
    steps: tuple[PastStep, ...]

    @property
    def booking(self) -> StoredBooking:
        return self.steps[-1].booking


def load_if_empty(
    *,
    engine: Engine,
    reviewers: list[ReviewerProfile],
    cases: list[CaseSnapshot],
    past: Sequence[PastP2P] = (),
) -> int:
    """Store ``reviewers`` and ``cases`` in one transaction if the database holds none yet,
    and the ``past`` bookings of those cases (the demo's history, for the reports).

    Returns how many reviewers and cases were stored (0 when the database already had data),
    so that ``serve --demo`` never overwrites what an operator pushed.

    A past booking goes in as its use cases would have left it: the booking, its cases (no
    longer holding them: it is over), and one history and audit entry per step. No slot cells:
    a booking that is over holds no time. Its calls lie in the past, which the booking use
    cases rightly refuse, so this is the one writer of them.
    """
    with transaction(engine) as session:
        if repo.count_rows(session):
            return 0
        for profile in reviewers:
            repo.save_reviewer(session, profile)
        for case in cases:
            repo.save_case(session, case)
        for p2p in past:
            _store_past(session, p2p)
    return len(reviewers) + len(cases)


def _store_past(session: Session, p2p: PastP2P) -> None:
    final = p2p.booking
    if final.status in ACTIVE_STATUSES:
        raise ValueError(f"past booking {final.id} is still {final.status}: only closed ones")
    bookings.insert_booking(session, final, p2p.cases)
    bookings.close_cases(session, final.id)
    for number, step in enumerate(p2p.steps):
        record_event(
            session,
            step.booking,
            step.event,
            actor=step.actor,
            now=step.at,
            detail=step.detail,
            created=number == 0,
        )
