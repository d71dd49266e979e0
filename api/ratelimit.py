"""Rate limits (SPEC §9 "Abuse limits"): moving windows of one minute, kept by ``limits``.

Three budgets:

- each API key (or signed-in person) and each link token's subject (a reviewer's feed, a
  booking's invite or manage link) may make ``P2P_RATE_LIMIT_PER_MINUTE`` requests; one
  portal key serves many people, so the default is generous (100 a second): the limit stops
  a runaway client from starving the others, it does not meter users;
- each client address may fail ``P2P_AUTH_FAILURES_PER_MINUTE`` times (a missing or wrong
  key or token, a link token that is not genuine). Past that, *every* request of the address
  that needs a credential is refused before the credential is looked at, a correct one
  included: otherwise a guesser would still learn when a guess was right. Good link tokens
  are counted per link, bad ones per address, so a stranger guessing tokens cannot use up a
  reviewer's feed.

The counts live in ``P2P_RATE_LIMIT_STORAGE_URL`` (Redis), shared by every process of a
deployment, under ``P2P_RATE_LIMIT_KEY_PREFIX``; without it each process counts alone in
memory. When Redis does not answer, requests are let through (logged, counted in
``p2p_rate_limit_storage_errors_total``) and Redis is left alone for a few seconds: an
outage of the limiter must not stop scheduling, and a request must not wait on it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.errors import ApiProblem
from p2p_scheduler.config import Settings
from p2p_scheduler.domain.links import Purpose
from p2p_scheduler.metrics import RATE_LIMIT_STORAGE_ERRORS, RATE_LIMITED
from p2p_scheduler.services import calendars
from p2p_scheduler.services.notifications import Notifier

log = logging.getLogger("p2p_scheduler.ratelimit")
T = TypeVar("T")

#: how long Redis is left alone after it failed to answer (requests pass unlimited meanwhile)
PAUSE_AFTER_STORAGE_ERROR_SECONDS = 5.0
#: the most a request waits on Redis (connecting or answering)
STORAGE_TIMEOUT_SECONDS = 0.25


@dataclass(frozen=True)
class Budget:
    """One kind of count: its name (in keys and metrics), its size, and what a refusal says
    (``{amount}`` and ``{wait}`` are filled in)."""

    name: str
    item: RateLimitItem
    refusal: str


def _budgets(settings: Settings) -> dict[str, Budget]:
    per_minute, failures = settings.rate_limit_per_minute, settings.failure_budget
    found: dict[str, Budget] = {}
    if per_minute:
        found["key"] = Budget(
            "key",
            RateLimitItemPerMinute(per_minute),
            "This API key sent more than {amount} requests in a minute. Wait {wait} seconds, "
            "then retry; spread requests out or ask for a higher limit.",
        )
        found["link"] = Budget(
            "link",
            RateLimitItemPerMinute(per_minute),
            "This link was opened more than {amount} times in a minute. Wait {wait} seconds, "
            "then retry; a calendar app needs to check a link only every few minutes.",
        )
    if failures:
        found["failures"] = Budget(
            "failures",
            RateLimitItemPerMinute(failures),
            "Too many failed sign-ins or bad links came from your network address (more than "
            "{amount} in a minute), so it is blocked for now. Wait {wait} seconds, then retry "
            "with a correct API key, sign-in or link; if it happens again, ask your "
            "administrator to check for a client using a wrong key.",
        )
    return found


def make_storage(settings: Settings) -> Storage:
    """Redis when ``P2P_RATE_LIMIT_STORAGE_URL`` names it, else this process's memory."""
    if settings.rate_limit_storage_url is None:
        return MemoryStorage()
    url = settings.rate_limit_storage_url.get_secret_value()
    if url.startswith("memory://"):
        return MemoryStorage()
    return storage_from_string(
        url,
        key_prefix=settings.rate_limit_key_prefix,
        wrap_exceptions=True,
        socket_connect_timeout=STORAGE_TIMEOUT_SECONDS,
        socket_timeout=STORAGE_TIMEOUT_SECONDS,
    )


class RateLimiter:
    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.budgets = _budgets(settings)
        self.limiter = MovingWindowRateLimiter(storage or make_storage(settings))
        self._paused_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def of(cls, settings: Settings) -> RateLimiter | None:
        """The app's limiter, or None when every budget is turned off (0)."""
        limiter = cls(settings)
        return limiter if limiter.budgets else None

    def check_key(self, key_id: str) -> None:
        """Count one request of an API key or signed-in person; 429 when over."""
        self._hit("key", key_id)

    def check_link(self, purpose: str, subject: str) -> None:
        """Count one request with a genuine link token of ``subject``; 429 when over."""
        self._hit("link", purpose, subject)

    def check_address(self, address: str) -> None:
        """429 when ``address`` has used up its failures, before any credential is checked."""
        budget = self.budgets.get("failures")
        if budget is None:
            return
        allowed = self._storage_call(lambda: self.limiter.test(budget.item, budget.name, address))
        if not allowed:
            self._refuse(budget, address)

    def count_failure(self, address: str) -> None:
        """Count one failed sign-in or bad link token of ``address`` (refused by the caller);
        429 instead when concurrent failures used the budget up after ``check_address``: the
        count is one atomic hit, so no more failures than the budget get their answer."""
        self._hit("failures", address)

    def _hit(self, name: str, *identifiers: str) -> None:
        budget = self.budgets.get(name)
        if budget is None:
            return
        if not self._storage_call(lambda: self.limiter.hit(budget.item, name, *identifiers)):
            self._refuse(budget, *identifiers)

    def _refuse(self, budget: Budget, *identifiers: str) -> None:
        stats = self._storage_call(
            lambda: self.limiter.get_window_stats(budget.item, budget.name, *identifiers)
        )
        reset_at = stats.reset_time if stats is not True else time.time() + 60
        wait = max(1, math.ceil(reset_at - time.time()))
        RATE_LIMITED.labels(budget.name).inc()
        raise ApiProblem(
            "rate-limited",
            budget.refusal.format(amount=budget.item.amount, wait=wait),
            headers={"Retry-After": str(wait)},
        )

    def _storage_call(self, call: Callable[[], T]) -> T | bool:
        """``call``'s answer; ``True`` (let the request through) while the storage is down."""
        if time.monotonic() < self._paused_until:
            RATE_LIMIT_STORAGE_ERRORS.inc()
            return True
        try:
            return call()
        except StorageError as error:
            with self._lock:
                first = time.monotonic() >= self._paused_until
                self._paused_until = time.monotonic() + PAUSE_AFTER_STORAGE_ERROR_SECONDS
            RATE_LIMIT_STORAGE_ERRORS.inc()
            if first:
                log.warning(
                    "rate limit storage unavailable (%s): requests pass unlimited; "
                    "retrying in %.0f s",
                    type(error.storage_error).__name__,
                    PAUSE_AFTER_STORAGE_ERROR_SECONDS,
                )
            return True


def client_address(request: Request) -> str:
    """The address failures are counted against: the connection's peer, as uvicorn reports
    it (it takes ``X-Forwarded-For`` only from ``FORWARDED_ALLOW_IPS``, 127.0.0.1 by default)."""
    return request.client.host if request.client else "unknown"


def limiter_of(request: Request) -> RateLimiter | None:
    return getattr(request.app.state, "rate_limiter", None)


def limit_link(request: Request, purpose: Purpose, subject: str, token: str) -> None:
    """Count a link-token request before the link's route looks anything up: against the
    link when its token is genuine and for ``subject``, else as a failure of the caller's
    address (the route then refuses the token as it always has)."""
    limiter = limiter_of(request)
    if limiter is None:
        return
    address = client_address(request)
    limiter.check_address(address)
    notifier: Notifier = request.app.state.notifier
    signed_for = calendars.link_subject(notifier, purpose, token, now=request.app.state.clock())
    if signed_for == subject:
        limiter.check_link(purpose.value, subject)
    else:
        limiter.count_failure(address)
