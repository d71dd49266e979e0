"""The rate limit against guessing and runaway link clients (issue 16 finding 8; SPEC §9
"Abuse limits"), through the real app, each caller at its own client address.

- Failed sign-ins (a missing or wrong key or token) count per address; past
  ``P2P_AUTH_FAILURES_PER_MINUTE`` the address gets 429 ``rate-limited`` with Retry-After
  before its key is looked at, a correct key included; other addresses go on.
- Link tokens (feed, invite, manage link): a bad one counts against the caller's address the
  same way; a good one counts against its link (``P2P_RATE_LIMIT_PER_MINUTE``), so a
  stranger's bad tokens never use up a reviewer's feed.
- With ``P2P_RATE_LIMIT_STORAGE_URL`` the counts are shared through Redis: two apps (two
  processes' worth of limiters) allow one key the limit once, not twice; a Redis that does
  not answer lets requests through rather than stopping scheduling.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import Engine

from api.app import create_app
from p2p_scheduler.config import Settings
from p2p_scheduler.domain.clock import fixed_clock
from tests.api.helpers import (
    PORTAL,
    assert_problem,
    booked,
    lookup,
    ny,
    push_case,
    push_reviewer,
)
from tests.e2e.server import free_port
from tests.support import NOW, auth

pytestmark = pytest.mark.anyio

FAILURES = 5
BASE = "http://testserver"
DESK, ATTACKER, CALENDAR_APP = "198.51.100.10", "203.0.113.66", "192.0.2.44"
ELIGIBILITY = {"cases": [lookup("R1")]}

Clients = Callable[[str], httpx.AsyncClient]


def _client(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=BASE)


@pytest.fixture
async def clients(settings: Settings, engine: Engine) -> AsyncIterator[Clients]:
    """Clients of one app (one limiter) at the address each is asked for; the failure budget
    is ``FAILURES`` a minute."""
    tight = settings.model_copy(update={"auth_failures_per_minute": FAILURES})
    app = create_app(tight, engine=engine, clock=fixed_clock(NOW))
    async with AsyncExitStack() as stack:

        def at(address: str) -> httpx.AsyncClient:
            client = _client(app, address)
            stack.push_async_callback(client.aclose)
            return client

        yield at


def _local(url: str) -> str:
    return url.removeprefix(BASE)


def _assert_address_blocked(response: httpx.Response) -> dict[str, Any]:
    problem = assert_problem(response, 429, "rate-limited")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert "failed sign-ins" in problem["detail"]
    assert "Wait" in problem["detail"]
    return problem


async def test_bad_keys_from_one_address_are_stopped_and_other_addresses_go_on(
    clients: Clients,
) -> None:
    attacker, desk = clients(ATTACKER), clients(DESK)
    for guess in range(FAILURES - 1):
        refused = await attacker.post(
            "/v1/eligibility", json=ELIGIBILITY, headers=auth(f"guess-{guess:08d}")
        )
        assert_problem(refused, 401, "unauthorized")
    # no key at all is one more failure
    assert_problem(await attacker.post("/v1/eligibility", json=ELIGIBILITY), 401, "unauthorized")

    stopped = await attacker.post("/v1/eligibility", json=ELIGIBILITY, headers=auth("guess-last"))
    _assert_address_blocked(stopped)
    # blocked for every key: a right guess would be refused the same way, so it tells nothing
    right_key = await attacker.post("/v1/eligibility", json=ELIGIBILITY, headers=PORTAL)
    _assert_address_blocked(right_key)

    # the front desk, at its own address, is not affected
    answered = await desk.post("/v1/eligibility", json=ELIGIBILITY, headers=PORTAL)
    assert answered.status_code == 200, answered.text
    assert_problem(
        await desk.get("/v1/reviewers/rev-x", headers=auth("typo-key-0001")), 401, "unauthorized"
    )


async def test_bad_feed_tokens_are_stopped_and_the_reviewers_own_feed_goes_on(
    clients: Clients,
) -> None:
    desk, attacker, calendar_app = clients(DESK), clients(ATTACKER), clients(CALENDAR_APP)
    feed = (await push_reviewer(desk, "rev-feed"))["calendar_feed_url"]
    path = "/v1/calendars/reviewers/rev-feed.ics"
    for guess in range(FAILURES):
        refused = await attacker.get(path, params={"token": f"guess-{guess}"})
        assert_problem(refused, 404, "not-found")
    _assert_address_blocked(await attacker.get(path, params={"token": "guess-last"}))
    # the genuine link from the blocked address is refused too ...
    _assert_address_blocked(await attacker.get(_local(feed)))
    # ... and still works for the reviewer's calendar app
    served = await calendar_app.get(_local(feed))
    assert served.status_code == 200, served.text
    assert served.headers["content-type"].startswith("text/calendar")


async def test_bad_manage_and_invite_tokens_count_as_failures(clients: Clients) -> None:
    desk, attacker = clients(DESK), clients(ATTACKER)
    await push_reviewer(desk, "rev-links")
    await push_case(desk, "RL-1")
    made = await booked(desk, "RL-1", "rev-links", ny("2026-11-24", "10:00"))
    manage, invite = made["links"]["manage"], made["links"]["invite_ics"]
    booking = f"/v1/bookings/{made['id']}"

    for guess in range(3):
        refused = await attacker.get(booking, params={"token": f"guess-{guess}"})
        assert_problem(refused, 404, "not-found")
    for guess in range(FAILURES - 3):
        refused = await attacker.get(f"{booking}/invite.ics", params={"token": f"guess-{guess}"})
        assert_problem(refused, 404, "not-found")
    _assert_address_blocked(await attacker.get(booking, params={"token": "guess-last"}))
    _assert_address_blocked(await attacker.get(f"{booking}/invite.ics", params={"token": "x"}))

    # the provider's own links still open, from the provider's address
    assert (await desk.get(_local(manage))).status_code == 200
    assert (await desk.get(_local(invite))).status_code == 200


async def test_a_good_link_is_counted_per_link_and_bad_tokens_do_not_use_it_up(
    settings: Settings, engine: Engine
) -> None:
    tight = settings.model_copy(update={"rate_limit_per_minute": 3, "auth_failures_per_minute": 2})
    app = create_app(tight, engine=engine, clock=fixed_clock(NOW))
    async with AsyncExitStack() as stack:
        desk, attacker = _client(app, DESK), _client(app, ATTACKER)
        stack.push_async_callback(desk.aclose)
        stack.push_async_callback(attacker.aclose)
        feed = (await push_reviewer(desk, "rev-busy"))["calendar_feed_url"]
        for guess in range(2):
            bad = await attacker.get(
                "/v1/calendars/reviewers/rev-busy.ics", params={"token": f"guess-{guess}"}
            )
            assert bad.status_code == 404
        # the link has its whole budget, from any address
        for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
            calendar_app = _client(app, address)
            stack.push_async_callback(calendar_app.aclose)
            assert (await calendar_app.get(_local(feed))).status_code == 200
        over = await desk.get(_local(feed))
        problem = assert_problem(over, 429, "rate-limited")
        assert "This link was opened more than 3 times" in problem["detail"]
        assert 1 <= int(over.headers["retry-after"]) <= 60


async def test_two_apps_sharing_redis_allow_a_key_its_limit_once(
    settings: Settings, engine: Engine, redis_url: tuple[str, str]
) -> None:
    url, prefix = redis_url
    shared = settings.model_copy(
        update={
            "rate_limit_per_minute": 4,
            "rate_limit_storage_url": SecretStr(url),
            "rate_limit_key_prefix": prefix,
        }
    )
    apps = [create_app(shared, engine=engine, clock=fixed_clock(NOW)) for _ in range(2)]
    async with AsyncExitStack() as stack:
        pair = [_client(app, DESK) for app in apps]
        for client in pair:
            stack.push_async_callback(client.aclose)
        statuses = [
            (
                await pair[n % 2].post("/v1/eligibility", json=ELIGIBILITY, headers=PORTAL)
            ).status_code
            for n in range(8)
        ]
    assert statuses.count(200) == 4, statuses
    assert statuses.count(429) == 4, statuses


async def test_an_unreachable_redis_lets_requests_through_and_is_counted(
    settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    down = settings.model_copy(
        update={"rate_limit_per_minute": 2, "rate_limit_storage_url": SecretStr(nowhere)}
    )
    app = create_app(down, engine=engine, clock=fixed_clock(NOW))
    before = REGISTRY.get_sample_value("p2p_rate_limit_storage_errors_total") or 0
    async with AsyncExitStack() as stack:
        desk = _client(app, DESK)
        stack.push_async_callback(desk.aclose)
        statuses = [
            (await desk.post("/v1/eligibility", json=ELIGIBILITY, headers=PORTAL)).status_code
            for _ in range(4)
        ]
    assert statuses == [200] * 4  # scheduling goes on, unlimited, while the limiter is down
    after = REGISTRY.get_sample_value("p2p_rate_limit_storage_errors_total") or 0
    assert after > before
    assert any("rate limit storage unavailable" in record.message for record in caplog.records)
    assert nowhere not in caplog.text
