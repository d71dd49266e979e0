"""Use cases for the records the UM system pushes: case snapshots and reviewer profiles.

Each call owns one transaction. Date-only deadlines are turned into the end of that day in
the policy's zone here, once, so everything stored is a UTC instant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from p2p_scheduler.db import repo
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.domain import CaseSnapshot, ReviewerProfile
from p2p_scheduler.errors import NotFound

T = TypeVar("T")


def _retry_on_conflict(work: Callable[[], T]) -> T:
    """Run an upsert again when a concurrent one inserted the same key first.

    Two first PUTs of one id both see no row and both insert; the loser's primary-key
    violation means the row now exists, so its second attempt updates it.
    """
    try:
        return work()
    except IntegrityError:
        return work()


def put_case(*, engine: Engine, case: CaseSnapshot) -> tuple[CaseSnapshot, bool]:
    """Upsert a case snapshot; returns what is stored and whether it was new."""

    def work() -> tuple[CaseSnapshot, bool]:
        with transaction(engine) as session:
            created = repo.save_case(session, case)
            stored = repo.get_case(session, case.case_number)
        assert stored is not None
        return stored, created

    return _retry_on_conflict(work)


def get_case(*, engine: Engine, case_number: str) -> CaseSnapshot:
    with transaction(engine) as session:
        case = repo.get_case(session, case_number)
    if case is None:
        raise NotFound(
            f"No case {case_number!r} exists. Push it with PUT /v1/cases/{case_number} first."
        )
    return case


def put_reviewer(*, engine: Engine, profile: ReviewerProfile) -> tuple[ReviewerProfile, bool]:
    """Upsert a reviewer with skills, licences and hours; returns what is stored and if new."""

    def work() -> tuple[ReviewerProfile, bool]:
        with transaction(engine) as session:
            created = repo.save_reviewer(session, profile)
            stored = repo.get_reviewer(session, profile.reviewer_id)
        assert stored is not None
        return stored, created

    return _retry_on_conflict(work)


def get_reviewer(*, engine: Engine, reviewer_id: str) -> ReviewerProfile:
    with transaction(engine) as session:
        profile = repo.get_reviewer(session, reviewer_id)
    if profile is None:
        raise NotFound(
            f"No reviewer {reviewer_id!r} exists. Create it with PUT /v1/reviewers/{reviewer_id}."
        )
    return profile


def load_if_empty(
    *, engine: Engine, reviewers: list[ReviewerProfile], cases: list[CaseSnapshot]
) -> int:
    """Store ``reviewers`` and ``cases`` in one transaction if the database holds none yet.

    Returns how many records were stored (0 when the database already had data), so that
    ``serve --demo`` never overwrites what an operator pushed.
    """
    with transaction(engine) as session:
        if repo.count_rows(session):
            return 0
        for profile in reviewers:
            repo.save_reviewer(session, profile)
        for case in cases:
            repo.save_case(session, case)
    return len(reviewers) + len(cases)
