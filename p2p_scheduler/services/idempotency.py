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

from p2p_scheduler.db import idempotency_store as keys
from p2p_scheduler.db.engine import Engine, WriteConflict, transaction
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
            found = keys.get(session, key_id, key)
            if found is not None:
                if found.request_hash != request_hash:
                    raise IdempotencyKeyReused(
                        "This Idempotency-Key was already used with a different request body. "
                        "Use a new key for a new request.",
                        field="Idempotency-Key",
                    )
                if found.state == "done":
                    assert found.status_code is not None and found.response_body is not None
                    return found.status_code, found.response_body
                if now - found.created_at < STALE_AFTER:
                    raise RequestInProgress(
                        "The first request with this Idempotency-Key is still being processed. "
                        "Retry in a moment."
                    )
                keys.take_over(session, key_id, key, now=now)  # the first attempt's process died
            else:
                keys.start(session, key_id, key, request_hash=request_hash, now=now)
    except WriteConflict:  # another attempt inserted the key between our read and write
        raise RequestInProgress(
            "The first request with this Idempotency-Key is still being processed. Retry in a moment."
        ) from None
    try:
        status, body = work()
    except BaseException:
        with transaction(engine) as session:
            keys.forget(session, key_id, key)
        raise
    with transaction(engine) as session:
        keys.finish(session, key_id, key, status_code=status, body=body)
    return status, body
