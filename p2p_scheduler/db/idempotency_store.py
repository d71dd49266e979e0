"""``Idempotency-Key`` records: the first response to replay, per API key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from p2p_scheduler.db.tables import IdempotencyRow

_KEYS = IdempotencyRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class KeyRecord:
    request_hash: str
    state: str  # in_flight | done
    created_at: datetime
    status_code: int | None
    response_body: str | None


def _this(key_id: str, key: str) -> object:
    return (_KEYS.c.key_id == key_id) & (_KEYS.c.key == key)


def get(session: Session, key_id: str, key: str) -> KeyRecord | None:
    """The key's record, locked until the transaction ends (PostgreSQL)."""
    row = session.execute(
        select(
            _KEYS.c.request_hash,
            _KEYS.c.state,
            _KEYS.c.created_at,
            _KEYS.c.status_code,
            _KEYS.c.response_body,
        )
        .where(_this(key_id, key))
        .with_for_update()
    ).first()
    return KeyRecord(*row) if row is not None else None


def start(session: Session, key_id: str, key: str, *, request_hash: str, now: datetime) -> None:
    """The first attempt is in flight (a concurrent first insert fails on the primary key)."""
    session.execute(
        insert(_KEYS).values(
            key_id=key_id, key=key, request_hash=request_hash, state="in_flight", created_at=now
        )
    )


def take_over(session: Session, key_id: str, key: str, *, now: datetime) -> None:
    """An attempt whose process died is restarted by this one."""
    session.execute(update(_KEYS).where(_this(key_id, key)).values(created_at=now))


def forget(session: Session, key_id: str, key: str) -> None:
    session.execute(delete(_KEYS).where(_this(key_id, key)))


def finish(session: Session, key_id: str, key: str, *, status_code: int, body: str) -> None:
    session.execute(
        update(_KEYS)
        .where(_this(key_id, key))
        .values(state="done", status_code=status_code, response_body=body)
    )
