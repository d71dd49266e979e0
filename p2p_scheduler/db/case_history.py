"""A case's P2P history (SPEC §12): offers, window alerts, its bookings with their events and
the determinations the audit trail saw, as plain values for ``services.case_records`` and
``services.at_risk``.

Offers and alerts are inserted "if absent" in the caller's transaction: the primary key
decides, so two processes recording the same offer or alert leave one row, and only the one
whose insert took place is told so.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from p2p_scheduler.db.tables import (
    AuditRow,
    BookingCaseRow,
    BookingEventRow,
    BookingRow,
    P2POfferRow,
    WindowAlertRow,
)
from p2p_scheduler.db.types import UTCDateTime
from p2p_scheduler.domain.p2p_record import BookingEvent, CaseBooking

_OFFERS = P2POfferRow.__table__  # type: ignore[attr-defined]
_ALERTS = WindowAlertRow.__table__  # type: ignore[attr-defined]
_BOOKINGS = BookingRow.__table__  # type: ignore[attr-defined]
_CASES = BookingCaseRow.__table__  # type: ignore[attr-defined]
_EVENTS = BookingEventRow.__table__  # type: ignore[attr-defined]
_AUDIT = AuditRow.__table__  # type: ignore[attr-defined]


def period_key(determination_at: datetime | None) -> str:
    """The determination as the offers table keys it: ``""`` before any determination."""
    if determination_at is None:
        return ""
    return determination_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _insert_if_absent(session: Session, table: Any, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on the primary key; True when this row was written."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = next(iter(table.primary_key.columns))
    # RETURNING, not rowcount: psycopg's rowcount after a skipped or written row is not to be
    # relied on (-1); a returned key is this insert's row, on both databases
    statement = insert(table).values(values).on_conflict_do_nothing().returning(key)
    return session.execute(statement).first() is not None


def record_offer(
    session: Session, case_number: str, determination_at: datetime | None, *, now: datetime
) -> bool:
    """The case's P2P was offered at ``now`` for the determination of ``determination_at``;
    a later offer for the same determination changes nothing. True when this was the first.

    Read first: a case is looked up far more often than it is first offered, and a read takes
    no write lock (SQLite's is the whole database's); the insert still decides a race."""
    period = period_key(determination_at)
    known = select(_OFFERS.c.period).where(
        _OFFERS.c.case_number == case_number, _OFFERS.c.period == period
    )
    if session.execute(known).first() is not None:
        return False
    return _insert_if_absent(
        session,
        _OFFERS,
        {
            "case_number": case_number,
            "period": period,
            "determination_at": determination_at,
            "offered_at": now,
        },
    )


def claim_window_alert(
    session: Session, case_number: str, valid_until: datetime, *, event_id: str, now: datetime
) -> bool:
    """Claim the ``case.window_closing`` webhook of this case and window; False when it was
    claimed before (by this process or any other): then nothing must be sent."""
    return _insert_if_absent(
        session,
        _ALERTS,
        {
            "case_number": case_number,
            "valid_until": valid_until,
            "event_id": event_id,
            "alerted_at": now,
        },
    )


def offers(session: Session, case_number: str) -> dict[datetime | None, datetime]:
    """When a P2P of the case was first offered, by determination (None: before any)."""
    rows = session.execute(
        select(_OFFERS.c.determination_at, _OFFERS.c.offered_at).where(
            _OFFERS.c.case_number == case_number
        )
    )
    return {determination_at: offered_at for determination_at, offered_at in rows}


def determinations(session: Session, case_number: str) -> list[datetime]:
    """Every determination instant the case's snapshots carried, as the audit trail kept them
    (each PUT of the case is there with its state after), oldest first."""
    found: set[datetime] = set()
    rows = session.execute(
        select(_AUDIT.c.after).where(
            _AUDIT.c.entity == "case",
            _AUDIT.c.entity_id == case_number,
            _AUDIT.c.after.is_not(None),
        )
    )
    for (after,) in rows:
        value = json.loads(after).get("determination_at")
        if value:
            instant = datetime.fromisoformat(value)
            found.add(instant.astimezone(UTC) if instant.tzinfo else instant.replace(tzinfo=UTC))
    return sorted(found)


def case_bookings(session: Session, case_number: str) -> list[CaseBooking]:
    """Every booking that ever held the case, oldest first, with its history (two queries)."""
    rows = list(
        session.execute(
            select(
                _BOOKINGS.c.id,
                _BOOKINGS.c.status,
                _BOOKINGS.c.start_at,
                _BOOKINGS.c.reviewer_id,
                _BOOKINGS.c.outcome,
                _BOOKINGS.c.no_show_party,
                _BOOKINGS.c.cancel_reason_code,
                _BOOKINGS.c.created_at,
                func.coalesce(_CASES.c.level_since, _BOOKINGS.c.created_at, type_=UTCDateTime),
            )
            .join(_CASES, _CASES.c.booking_id == _BOOKINGS.c.id)
            .where(_CASES.c.case_number == case_number)
            .order_by(_BOOKINGS.c.created_at, _BOOKINGS.c.id)
        )
    )
    events: dict[str, list[BookingEvent]] = {}
    if rows:
        for booking_id, event, status, start_at, at in session.execute(
            select(
                _EVENTS.c.booking_id,
                _EVENTS.c.event,
                _EVENTS.c.status,
                _EVENTS.c.start_at,
                _EVENTS.c.at,
            )
            .where(_EVENTS.c.booking_id.in_([row[0] for row in rows]))
            .order_by(_EVENTS.c.at, _EVENTS.c.id)
        ):
            events.setdefault(booking_id, []).append(BookingEvent(event, status, start_at, at))
    return [
        CaseBooking(
            booking_id=row[0],
            status=row[1],
            start_at=row[2],
            reviewer_id=row[3],
            outcome=row[4],
            no_show_party=row[5],
            cancel_reason_code=row[6],
            created_at=row[7],
            booked_at=row[8],
            events=tuple(events.get(row[0], ())),
        )
        for row in rows
    ]
