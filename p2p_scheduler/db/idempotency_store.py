"""``Idempotency-Key`` records: the first response to replay, per API key.

A record is *in flight* (committed on its own, so that a concurrent retry sees it) until the
use case's transaction writes the answer as *done*, in the same transaction as its effects.
While that transaction runs it holds the record's row lock (PostgreSQL; SQLite serialises
writers anyway): the lock, not a clock, tells a running attempt from one whose process died.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from p2p_scheduler.db.tables import IdempotencyRow

_KEYS = IdempotencyRow.__table__  # type: ignore[attr-defined]

#: PostgreSQL's lock_not_available (SELECT ... FOR UPDATE NOWAIT on a locked row)
_LOCK_NOT_AVAILABLE = "55P03"


class Busy(Exception):
    """Another transaction holds the key's record: its attempt is running right now."""


@dataclass(frozen=True, slots=True)
class KeyRecord:
    request_hash: str
    state: str  # in_flight | done
    created_at: datetime
    status_code: int | None
    response_body: str | None


def _this(key_id: str, key: str) -> object:
    return (_KEYS.c.key_id == key_id) & (_KEYS.c.key == key)


def get(session: Session, key_id: str, key: str, *, wait: bool = True) -> KeyRecord | None:
    """The key's record, locked until the transaction ends (PostgreSQL). With ``wait=False``
    a record locked by another transaction raises ``Busy`` at once instead of waiting."""
    query = (
        select(
            _KEYS.c.request_hash,
            _KEYS.c.state,
            _KEYS.c.created_at,
            _KEYS.c.status_code,
            _KEYS.c.response_body,
        )
        .where(_this(key_id, key))
        .with_for_update(nowait=not wait)
    )
    try:
        row = session.execute(query).first()
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise Busy from error
        raise
    return KeyRecord(*row) if row is not None else None


def start(session: Session, key_id: str, key: str, *, request_hash: str, now: datetime) -> None:
    """The first attempt is in flight (a concurrent first insert fails on the primary key)."""
    session.execute(
        insert(_KEYS).values(
            key_id=key_id, key=key, request_hash=request_hash, state="in_flight", created_at=now
        )
    )


def ensure(session: Session, key_id: str, key: str, *, request_hash: str, now: datetime) -> None:
    """An in-flight record unless one exists (inserted by another attempt meanwhile: kept)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(_KEYS)
        .values(
            key_id=key_id, key=key, request_hash=request_hash, state="in_flight", created_at=now
        )
        .on_conflict_do_nothing()
    )


def take_over(session: Session, key_id: str, key: str, *, now: datetime) -> None:
    """An attempt whose process died is restarted by this one."""
    session.execute(update(_KEYS).where(_this(key_id, key)).values(created_at=now))


def forget_unanswered(session: Session, key_id: str, key: str, *, request_hash: str) -> None:
    """Free the key of a failed attempt; an answer (or another request's record) stays."""
    session.execute(
        delete(_KEYS).where(
            _this(key_id, key),
            _KEYS.c.state == "in_flight",
            _KEYS.c.request_hash == request_hash,
        )
    )


def finish(session: Session, key_id: str, key: str, *, status_code: int, body: str) -> None:
    session.execute(
        update(_KEYS)
        .where(_this(key_id, key))
        .values(state="done", status_code=status_code, response_body=body)
    )
