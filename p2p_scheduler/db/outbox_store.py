"""The outbox table's reads and writes: add in the caller's transaction, claim, settle.

Claiming takes a lease (``locked_until``) in its own short transaction and commits it before
anything is sent, so a delivery never holds a database transaction open across SMTP or HTTP.
On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers claim disjoint rows at once;
on SQLite the write lock taken by every transaction does the same job. A worker that dies
after claiming leaves the lease to lapse, and the row becomes due again: at least once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, or_, update
from sqlmodel import Session, select

from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import OutboxRow


@dataclass(frozen=True, slots=True)
class Message:
    """A notification to write: one recipient on one channel."""

    channel: str  # "email" | "webhook"
    event_id: str
    event_type: str
    booking_id: str | None
    recipient: str
    body: str
    #: not to be sent before this (a reminder); None: at once. The row is dated then too
    #: (``created_at``), so that a planned message is not counted as waiting before it is due.
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    id: str
    channel: str
    event_type: str
    booking_id: str | None
    recipient: str
    body: str
    attempts: int  # including this one


def add(session: Session, messages: list[Message], *, now: datetime) -> None:
    """Write ``messages`` in the caller's transaction (they commit or vanish with the change)."""
    session.add_all(
        OutboxRow(
            id=str(uuid.uuid4()),
            channel=message.channel,
            event_id=message.event_id,
            event_type=message.event_type,
            booking_id=message.booking_id,
            recipient=message.recipient,
            body=message.body,
            created_at=message.due_at or now,
            next_attempt_at=message.due_at or now,
        )
        for message in messages
    )


def drop_unsent(
    session: Session, booking_id: str, event_type: str, *, planned_after: datetime | None = None
) -> None:
    """Delete a booking's unsent messages of ``event_type`` in the caller's transaction (its
    reminders, when the call moved or ended). ``planned_after``: only those planned for
    later than it and never tried, leaving any already due to go out. A worker holding one
    of them finds it gone when it renews its lease, and skips it."""
    conditions = [
        OutboxRow.booking_id == booking_id,
        OutboxRow.event_type == event_type,
        OutboxRow.sent_at.is_(None),  # type: ignore[union-attr]
        OutboxRow.gave_up_at.is_(None),  # type: ignore[union-attr]
    ]
    if planned_after is not None:
        conditions += [OutboxRow.attempts == 0, OutboxRow.next_attempt_at > planned_after]
    session.exec(delete(OutboxRow).where(*conditions))  # type: ignore[call-overload, arg-type]


def _due(now: datetime, channels: frozenset[str]) -> list[object]:
    return [
        OutboxRow.sent_at.is_(None),  # type: ignore[union-attr]
        OutboxRow.gave_up_at.is_(None),  # type: ignore[union-attr]
        OutboxRow.next_attempt_at <= now,
        or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now),  # type: ignore[union-attr, operator]
        OutboxRow.channel.in_(channels),  # type: ignore[attr-defined]
    ]


def claim(
    engine: Engine, *, now: datetime, lease: timedelta, limit: int, channels: frozenset[str]
) -> list[Claimed]:
    """Lease up to ``limit`` due messages of ``channels``, oldest first."""
    with transaction(engine) as session:
        rows = list(
            session.exec(
                select(OutboxRow)
                .where(*_due(now, channels))  # type: ignore[arg-type]
                .order_by(OutboxRow.next_attempt_at, OutboxRow.created_at)  # type: ignore[arg-type]
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        for row in rows:
            row.locked_until = now + lease
            row.attempts += 1
            session.add(row)
        return [
            Claimed(
                row.id,
                row.channel,
                row.event_type,
                row.booking_id,
                row.recipient,
                row.body,
                row.attempts,
            )
            for row in rows
        ]


def _ours(message: Claimed) -> list[object]:
    """The row is still as our claim left it: ``attempts`` is the claim's fencing token
    (every claim increments it), and nobody has finished it."""
    return [
        OutboxRow.id == message.id,
        OutboxRow.attempts == message.attempts,
        OutboxRow.sent_at.is_(None),  # type: ignore[union-attr]
        OutboxRow.gave_up_at.is_(None),  # type: ignore[union-attr]
    ]


def renew(engine: Engine, message: Claimed, *, now: datetime, lease: timedelta) -> bool:
    """Extend the lease of a claimed message just before sending it; ``False`` when it is no
    longer ours (our lease lapsed and another worker claimed it, or it was finished)."""
    with transaction(engine) as session:
        result = session.exec(  # type: ignore[call-overload]
            update(OutboxRow).where(*_ours(message)).values(locked_until=now + lease)
        )
        return bool(result.rowcount == 1)


def release(engine: Engine, messages: list[Claimed]) -> None:
    """Give claimed but unsent messages back at once (a worker shutting down), without
    counting the attempt that never happened."""
    with transaction(engine) as session:
        for message in messages:
            session.exec(  # type: ignore[call-overload]
                update(OutboxRow)
                .where(*_ours(message))
                .values(locked_until=None, attempts=message.attempts - 1)
            )


def mark_sent(engine: Engine, message_id: str, *, now: datetime) -> None:
    with transaction(engine) as session:
        session.exec(  # type: ignore[call-overload]
            update(OutboxRow)
            .where(OutboxRow.id == message_id)  # type: ignore[arg-type]
            .values(sent_at=now, locked_until=None, last_error="")
        )


def mark_failed(
    engine: Engine, message_id: str, *, now: datetime, retry_at: datetime | None, error: str
) -> None:
    """Schedule another attempt at ``retry_at``, or give up when it is ``None``."""
    values: dict[str, object] = {"locked_until": None, "last_error": error[:1000]}
    if retry_at is None:
        values["gave_up_at"] = now
    else:
        values["next_attempt_at"] = retry_at
    with transaction(engine) as session:
        session.exec(update(OutboxRow).where(OutboxRow.id == message_id).values(**values))  # type: ignore[call-overload, arg-type]


@dataclass(frozen=True, slots=True)
class Depth:
    pending: int
    gave_up: int
    oldest_pending_at: datetime | None


def depth(engine: Engine, now: datetime | None = None) -> Depth:
    """What is still waiting (for health checks and metrics). ``now``: messages planned for
    later (reminders) are not waiting yet and are left out; None: every unsent one."""
    waiting = [
        OutboxRow.sent_at.is_(None),  # type: ignore[union-attr]
        OutboxRow.gave_up_at.is_(None),  # type: ignore[union-attr]
    ]
    if now is not None:
        waiting.append(OutboxRow.created_at <= now)
    with transaction(engine) as session:
        pending, oldest = session.exec(
            select(func.count(), func.min(OutboxRow.created_at)).where(*waiting)  # type: ignore[arg-type]
        ).one()
        gave_up = session.exec(
            select(func.count()).where(OutboxRow.gave_up_at.is_not(None))  # type: ignore[union-attr]
        ).one()
    return Depth(int(pending), int(gave_up), oldest)


def messages_of(session: Session, booking_id: str) -> list[OutboxRow]:
    """A booking's messages in the order they were written (for tests and the audit)."""
    return list(
        session.exec(
            select(OutboxRow)
            .where(OutboxRow.booking_id == booking_id)
            .order_by(OutboxRow.created_at, OutboxRow.id)  # type: ignore[arg-type]
        )
    )
