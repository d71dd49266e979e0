"""Holds and the reviewer's 15-minute cells: the claim on a reviewer's time.

A booking or a hold owns one ``slot_cells`` row per 15 minutes it blocks; the cells'
primary key (reviewer, instant) is what makes double booking impossible on SQLite and
PostgreSQL alike: of two transactions claiming an overlapping cell, exactly one commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from p2p_scheduler.db.tables import HeldCaseRow, HoldRow, SlotCellRow
from p2p_scheduler.domain.bookings import StoredHold
from p2p_scheduler.domain.errors import SlotTaken

_HOLDS = HoldRow.__table__  # type: ignore[attr-defined]
_CELLS = SlotCellRow.__table__  # type: ignore[attr-defined]
_HELD = HeldCaseRow.__table__  # type: ignore[attr-defined]


def claim(
    session: Session,
    *,
    reviewer_id: str,
    cells: Sequence[datetime],
    now: datetime,
    booking_id: str | None = None,
    hold_id: str | None = None,
    expires_at: datetime | None = None,
) -> None:
    """Claim the reviewer's ``cells`` for a booking or a hold; 409 when any is taken or held
    by someone else. Expired holds give their time back first (their cells go with them:
    ON DELETE CASCADE)."""
    session.execute(
        delete(_HOLDS).where(_HOLDS.c.reviewer_id == reviewer_id, _HOLDS.c.expires_at <= now)
    )
    taken = session.execute(
        select(_CELLS.c.booking_id)
        .where(_CELLS.c.reviewer_id == reviewer_id, _CELLS.c.cell_at.in_(list(cells)))
        .limit(1)
    ).first()
    if taken is not None:
        raise SlotTaken(_taken_message(taken[0]))
    try:
        session.execute(
            insert(_CELLS),
            [
                {
                    "reviewer_id": reviewer_id,
                    "cell_at": cell,
                    "booking_id": booking_id,
                    "hold_id": hold_id,
                    "expires_at": expires_at,
                }
                for cell in cells
            ],
        )
    except IntegrityError:
        raise SlotTaken(
            "Someone else booked or held this time a moment ago. Pick another time."
        ) from None


def _taken_message(booking_id: str | None) -> str:
    if booking_id is not None:
        return (
            f"This time overlaps another P2P of this reviewer (booking {booking_id}). "
            "Pick another time."
        )
    return "This time is being held by someone else for a few minutes. Pick another time."


def release_booking(session: Session, booking_id: str) -> None:
    """The booking's time is free again."""
    session.execute(delete(_CELLS).where(_CELLS.c.booking_id == booking_id))


def release_other_holds_of(
    session: Session, case_numbers: Sequence[str], *, keep: tuple[str, datetime], now: datetime
) -> None:
    """A case is in one live hold at a time (SPEC §9): holding another slot for a case
    releases its earlier holds, and expired ones go; a live hold of the very slot ``keep``
    (reviewer, start) stands and the new one is refused (409)."""
    found = session.execute(
        select(_HOLDS.c.id, _HOLDS.c.reviewer_id, _HOLDS.c.start_at, _HOLDS.c.expires_at)
        .join(_HELD, _HELD.c.hold_id == _HOLDS.c.id)
        .where(_HELD.c.case_number.in_(list(case_numbers)))
    ).all()
    for hold_id, reviewer_id, start_at, expires_at in found:
        if expires_at > now and (reviewer_id, start_at) == keep:
            raise SlotTaken(_taken_message(None))
        remove(session, hold_id)


def add(session: Session, hold: StoredHold) -> None:
    """Store the hold and its cases; 409 when a concurrent hold of one of its cases won."""
    session.execute(
        insert(_HOLDS).values(
            id=hold.id,
            reviewer_id=hold.reviewer_id,
            start_at=hold.start_at,
            end_at=hold.end_at,
            expires_at=hold.expires_at,
            case_numbers=list(hold.case_numbers),
            time_zone=hold.time_zone,
            created_by=hold.created_by,
        )
    )
    try:
        session.execute(
            insert(_HELD),
            [{"case_number": number, "hold_id": hold.id} for number in hold.case_numbers],
        )
    except IntegrityError:
        raise SlotTaken(
            "A case of this request was held for another time a moment ago. Pick the time again."
        ) from None


def get(session: Session, hold_id: str, *, lock: bool = False) -> StoredHold | None:
    query = select(_HOLDS).where(_HOLDS.c.id == hold_id)
    row = session.execute(query.with_for_update() if lock else query).first()
    if row is None:
        return None
    return StoredHold(
        id=row.id,
        reviewer_id=row.reviewer_id,
        start_at=row.start_at,
        end_at=row.end_at,
        expires_at=row.expires_at,
        case_numbers=tuple(row.case_numbers),
        time_zone=row.time_zone,
        created_by=row.created_by,
    )


def remove(session: Session, hold_id: str) -> None:
    """Release the hold, its cells and its cases."""
    session.execute(delete(_CELLS).where(_CELLS.c.hold_id == hold_id))
    session.execute(delete(_HELD).where(_HELD.c.hold_id == hold_id))
    session.execute(delete(_HOLDS).where(_HOLDS.c.id == hold_id))
