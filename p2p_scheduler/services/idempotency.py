"""``Idempotency-Key`` semantics of SPEC §4 for creating requests.

The first request with a key records its body's hash as *in flight* and runs; the use case
writes the response as the key's answer in its own transaction (``Claim.answer``), so the
answer commits together with what it answers, or neither does (SPEC §9 "Idempotency
survives a crash"). A retry with the same key and body gets that answer; the same key with a
different body is refused (422); a retry while the first attempt's transaction runs gets 409.
Keys are scoped to the caller that sent them. A failed first attempt (a 4xx) frees the key so
the caller can fix the request and send it again. An in-flight key whose record no
transaction holds belongs to an attempt that died before committing: a retry takes it over
at once. Should the first attempt still be alive after all, both lock the record in their
transactions (``Claim.enter``), and the later one finds the earlier one's answer and replays it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from p2p_scheduler.db import idempotency_store as keys
from p2p_scheduler.db.engine import Engine, Session, WriteConflict, transaction
from p2p_scheduler.domain.errors import IdempotencyKeyReused, RequestInProgress

IN_PROGRESS = (
    "The first request with this Idempotency-Key is still being processed. Retry in a moment."
)


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(f"{method} {path}\n".encode() + body).hexdigest()


class Answered(Exception):
    """The key already holds an answer: the use case stops and the answer is replayed."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _key_reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused(
        "This Idempotency-Key was already used with a different request body. "
        "Use a new key for a new request.",
        field="Idempotency-Key",
    )


@dataclass(frozen=True, slots=True)
class Claim:
    """One attempt's hold on an ``Idempotency-Key``, passed into the use case so that it
    records its answer in its own transaction."""

    owner: str
    key: str
    request_hash: str
    now: datetime

    def enter(self, session: Session) -> None:
        """First thing in the use case's transaction: lock the key's record until commit;
        ``Answered`` when another attempt with this key committed meanwhile."""
        keys.ensure(session, self.owner, self.key, request_hash=self.request_hash, now=self.now)
        found = keys.get(session, self.owner, self.key)
        assert found is not None
        if found.request_hash != self.request_hash:
            raise _key_reused()
        if found.state == "done":
            assert found.status_code is not None and found.response_body is not None
            raise Answered(found.status_code, found.response_body)

    def answer(self, session: Session, status: int, body: str) -> None:
        """Last thing in the use case's transaction: the response to replay."""
        keys.finish(session, self.owner, self.key, status_code=status, body=body)


def _begin(engine: Engine, claim: Claim) -> tuple[int, str] | None:
    """Mark the key in flight; the stored answer when there is one."""
    try:
        with transaction(engine) as session:
            found = keys.get(session, claim.owner, claim.key, wait=False)
            if found is None:
                keys.start(
                    session, claim.owner, claim.key, request_hash=claim.request_hash, now=claim.now
                )
                return None
            if found.request_hash != claim.request_hash:
                raise _key_reused()
            if found.state == "done":
                assert found.status_code is not None and found.response_body is not None
                return found.status_code, found.response_body
            keys.take_over(session, claim.owner, claim.key, now=claim.now)
            return None
    except (keys.Busy, WriteConflict):  # another attempt's transaction holds the key
        raise RequestInProgress(IN_PROGRESS) from None


def run_once(
    *, engine: Engine, claim: Claim, work: Callable[[Claim], tuple[int, str]]
) -> tuple[int, str]:
    """Run ``work`` (returning status and JSON body, and answering ``claim`` in its
    transaction) at most once per (caller, key)."""
    stored = _begin(engine, claim)
    if stored is not None:
        return stored
    try:
        return work(claim)
    except Answered as answered:
        return answered.status, answered.body
    except BaseException:
        with transaction(engine) as session:
            keys.forget_unanswered(session, claim.owner, claim.key, request_hash=claim.request_hash)
        raise
