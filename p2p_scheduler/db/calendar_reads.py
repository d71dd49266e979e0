"""Reads of what blocks reviewers' time, shaped for the availability computation.

Availability reads every scheduled consultation of fifty-odd reviewers for a week and more
(thousands of rows) on every screen. Turning each stored instant into an aware ``datetime``
and back into the integer seconds that ``availability`` computes with cost more than the
rest of the search together, so bookings and holds are read as UTC epoch seconds computed
by the database itself (``epoch_seconds``). They lie on the 15-minute grid, so no fraction
of a second is lost. Time off (few rows, free-form instants) is read as datetimes.

The reviewer's calendar is also what this store writes: time off, and the version its feed
link is signed at (bookings and holds have their own stores).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import BigInteger, func, insert, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, select

from p2p_scheduler.db.tables import (
    BookingRow,
    HoldRow,
    ReviewerLicenseRow,
    ReviewerRow,
    ReviewerSkillRow,
    TimeOffRow,
)
from p2p_scheduler.domain.availability import Interval
from p2p_scheduler.domain.enums import BookingStatus

#: (reviewer id, start, end) in UTC epoch seconds
Span = tuple[str, int, int]

_BOOKINGS = BookingRow.__table__  # type: ignore[attr-defined]
_HOLDS = HoldRow.__table__  # type: ignore[attr-defined]


class epoch_seconds(FunctionElement[int]):  # a SQL function, named like func.*
    """Whole seconds since 1970-01-01 UTC of a stored instant, computed in SQL."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: object) -> str:
    # Instants are stored as naive UTC text ("2026-11-30 14:15:00.000000"); %s reads it as UTC.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: object) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS BIGINT)"


def candidate_reviewers(
    session: Session, *, skills: Collection[str], licence_states: Iterable[frozenset[str]]
) -> list[str]:
    """Active reviewers holding every skill and, per set given, a licence in one of its states.

    A narrowing in SQL so that only plausible reviewers are loaded; ``qualification`` decides.
    """
    query = (
        select(ReviewerSkillRow.reviewer_id)
        .join(ReviewerRow, ReviewerRow.reviewer_id == ReviewerSkillRow.reviewer_id)  # type: ignore[arg-type]
        .where(ReviewerSkillRow.skill.in_(skills), ReviewerRow.active)  # type: ignore[attr-defined]
        .group_by(ReviewerSkillRow.reviewer_id)
        .having(func.count() == len(set(skills)))
    )
    for states in licence_states:
        query = query.where(
            ReviewerSkillRow.reviewer_id.in_(  # type: ignore[attr-defined]
                select(ReviewerLicenseRow.reviewer_id).where(
                    ReviewerLicenseRow.state.in_(states)  # type: ignore[attr-defined]
                )
            )
        )
    return list(session.exec(query).all())


def time_off(
    session: Session, reviewer_ids: list[str], window: Interval
) -> dict[str, list[Interval]]:
    """Each reviewer's time off overlapping ``window`` (reviewers without any are absent)."""
    found: dict[str, list[Interval]] = {}
    for reviewer_id, start_at, end_at in session.exec(
        select(TimeOffRow.reviewer_id, TimeOffRow.start_at, TimeOffRow.end_at).where(
            TimeOffRow.reviewer_id.in_(reviewer_ids),  # type: ignore[attr-defined]
            TimeOffRow.end_at > window.start,
            TimeOffRow.start_at < window.end,
        )
    ):
        found.setdefault(reviewer_id, []).append(Interval(start_at, end_at))
    return found


def scheduled_spans(
    session: Session, reviewer_ids: list[str], window: Interval, *, ignore: Collection[str] = ()
) -> list[Span]:
    """Scheduled consultations of the reviewers that overlap ``window``, but the bookings in
    ``ignore`` (being moved, so their own time must not block them)."""
    b = _BOOKINGS.c
    query = select(b.reviewer_id, epoch_seconds(b.start_at), epoch_seconds(b.end_at)).where(
        b.reviewer_id.in_(reviewer_ids),
        b.status == BookingStatus.SCHEDULED,
        b.start_at < window.end,
        b.end_at > window.start,
    )
    if ignore:
        query = query.where(b.id.not_in(list(ignore)))
    # Core, not the ORM: thousands of plain tuples, no entity loading
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def held_spans(
    session: Session, reviewer_ids: list[str], window: Interval, *, now: datetime
) -> list[Span]:
    """Live (unexpired) holds of the reviewers that overlap ``window``."""
    h = _HOLDS.c
    query = select(h.reviewer_id, epoch_seconds(h.start_at), epoch_seconds(h.end_at)).where(
        h.reviewer_id.in_(reviewer_ids),
        h.expires_at > now,
        h.start_at < window.end,
        h.end_at > window.start,
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def add_time_off(
    session: Session,
    *,
    reviewer_id: str,
    start: datetime,
    end: datetime,
    reason: str,
    now: datetime,
) -> None:
    session.execute(
        insert(TimeOffRow.__table__).values(  # type: ignore[attr-defined]
            reviewer_id=reviewer_id, start_at=start, end_at=end, reason=reason, created_at=now
        )
    )


def feed_versions(session: Session, reviewer_id: str) -> tuple[int, str] | None:
    """The version the reviewer's feed link is signed at, and the version of the profile
    (renewed by every save of it); None: no such reviewer."""
    found = session.exec(
        select(ReviewerRow.feed_link_version, ReviewerRow.version).where(
            ReviewerRow.reviewer_id == reviewer_id
        )
    ).first()
    return (found[0], found[1]) if found is not None else None


def next_feed_version(session: Session, reviewer_id: str) -> int | None:
    """Revoke the reviewer's feed link: its version + 1 (None: no such reviewer)."""
    found = session.execute(
        update(ReviewerRow.__table__)  # type: ignore[attr-defined]
        .where(ReviewerRow.__table__.c.reviewer_id == reviewer_id)  # type: ignore[attr-defined]
        .values(feed_link_version=ReviewerRow.__table__.c.feed_link_version + 1)  # type: ignore[attr-defined]
        .returning(ReviewerRow.__table__.c.feed_link_version)  # type: ignore[attr-defined]
    ).first()
    return found[0] if found is not None else None
