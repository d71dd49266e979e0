"""``Idempotency-Key`` semantics of SPEC §4 for creating requests.

The first request with a key records its body's hash as *in flight*, runs, and stores its
response; a retry with the same key and body gets that stored response; the same key with a
different body is refused (422); a retry while the first is still running gets 409. Keys are
scoped to the API key that sent them. A failed first attempt (a 4xx) frees the key so the
caller can fix the request and send it again. An attempt that has been in flight for longer
than ``STALE_AFTER`` (its process died) is taken over.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError

from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import IdempotencyRow
from p2p_scheduler.domain.errors import IdempotencyKeyReused, RequestInProgress

STALE_AFTER = timedelta(minutes=2)


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(f"{method} {path}\n".encode() + body).hexdigest()


def run_once(
    *,
    engine: Engine,
    key_id: str,
    key: str,
    request_hash: str,
    now: datetime,
    work: Callable[[], tuple[int, str]],
) -> tuple[int, str]:
    """Run ``work`` (returning status and JSON body) at most once per (API key, key)."""
    try:
        with transaction(engine) as session:
            row = session.get(IdempotencyRow, (key_id, key), with_for_update=True)
            if row is not None:
                if row.request_hash != request_hash:
                    raise IdempotencyKeyReused(
                        "This Idempotency-Key was already used with a different request body. "
                        "Use a new key for a new request.",
                        field="Idempotency-Key",
                    )
                if row.state == "done":
                    assert row.status_code is not None and row.response_body is not None
                    return row.status_code, row.response_body
                if now - row.created_at < STALE_AFTER:
                    raise RequestInProgress(
                        "The first request with this Idempotency-Key is still being processed. "
                        "Retry in a moment."
                    )
                row.created_at = now  # the first attempt's process died: take it over
                session.add(row)
            else:
                session.add(
                    IdempotencyRow(
                        key_id=key_id,
                        key=key,
                        request_hash=request_hash,
                        state="in_flight",
                        created_at=now,
                    )
                )
    except IntegrityError:  # another attempt inserted the key between our read and write
        raise RequestInProgress(
            "The first request with this Idempotency-Key is still being processed. Retry in a moment."
        ) from None
    try:
        status, body = work()
    except BaseException:
        with transaction(engine) as session:
            session.exec(  # type: ignore[call-overload]
                delete(IdempotencyRow).where(
                    IdempotencyRow.key_id == key_id, IdempotencyRow.key == key
                )  # type: ignore[arg-type]
            )
        raise
    with transaction(engine) as session:
        session.exec(  # type: ignore[call-overload]
            update(IdempotencyRow)
            .where(IdempotencyRow.key_id == key_id, IdempotencyRow.key == key)  # type: ignore[arg-type]
            .values(state="done", status_code=status, response_body=body)
        )
    return status, body
