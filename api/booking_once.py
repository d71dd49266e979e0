"""Booking over HTTP, once per ``Idempotency-Key``: the one path ``POST /v1/bookings`` and
FHIR's ``Appointment/$book`` share.

The answer a key stores is the body the first attempt sent, rendered inside the booking's
transaction (``booking.book``'s ``render``), so a retry replays it byte for byte whichever
face (``/v1`` JSON or a FHIR Appointment) booked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from fastapi.concurrency import run_in_threadpool

from api.auth import Principal
from api.schemas.scheduling import BookingIn
from p2p_scheduler.db.engine import Engine
from p2p_scheduler.domain.bookings import BookingView, Limits
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.services import booking, idempotency
from p2p_scheduler.services.notifications import Notifier

T = TypeVar("T")


def _as_is(work: Callable[[], T]) -> Callable[[], T]:
    return work


async def book_once(
    *,
    engine: Engine,
    policy: Policy,
    limits: Limits,
    now: datetime,
    notifier: Notifier,
    principal: Principal,
    body: BookingIn,
    provider_org: str | None,
    render: Callable[[BookingView], str],
    idempotency_key: str | None,
    path: str,
    raw: bytes,
    guard: Callable[[Callable[[], tuple[int, str]]], Callable[[], tuple[int, str]]] = _as_is,
) -> tuple[int, str]:
    """Book ``body`` and answer (201, the rendered booking); with a key, at most once per key
    and request (``idempotency.run_once``). ``guard`` wraps the work run in a thread (FHIR
    renames the fields its refusals name)."""

    def work(key_claim: idempotency.Claim | None = None) -> tuple[int, str]:
        rendered: list[str] = []  # the body stored as the key's answer is the one sent

        def keep(view: BookingView) -> str:
            rendered.append(render(view))
            return rendered[-1]

        view = booking.book(
            engine=engine,
            policy=policy,
            limits=limits,
            now=now,
            slot=body.slot(),
            contact=body.contact.contact(policy.provider_roles),
            hold_id=body.hold_id,
            actor=principal.key_id,
            provider_org=provider_org,
            scope=principal.scope,
            announcer=notifier,
            key_claim=key_claim,
            render=keep,
        )
        return 201, rendered[-1] if rendered else keep(view)

    if idempotency_key is None:
        return await run_in_threadpool(guard(work))
    claim = idempotency.Claim(
        owner=principal.idempotency_owner,
        key=idempotency_key,
        request_hash=idempotency.fingerprint("POST", path, raw),
        now=now,
    )
    return await run_in_threadpool(
        guard(lambda: idempotency.run_once(engine=engine, claim=claim, work=work))
    )
