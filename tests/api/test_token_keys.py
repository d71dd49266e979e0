"""The issuer's signing keys through the real app (SPEC §10): fetched once and then used
from the cache, and fetched again when a token names a key the cache lacks — at most once
a minute. The issuer here is each test's own (the tests publish keys on it) and the key
set's clock is the test's, so "a minute later" needs no waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from p2p_scheduler.domain.clock import fixed_clock
from tests.api.helpers import assert_problem
from tests.support import NOW, auth
from tests.tokens import TestIssuer, issuer_settings, role

pytestmark = pytest.mark.anyio


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def own_issuer() -> Iterator[TestIssuer]:
    found = TestIssuer()
    yield found
    found.close()


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic()


@pytest.fixture
async def client(
    database_url: str, engine: Engine, own_issuer: TestIssuer, monotonic: Monotonic
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        issuer_settings(database_url, own_issuer.url), engine=engine, clock=fixed_clock(NOW)
    )
    app.state.token_verifier.key_sets[own_issuer.url].clock = monotonic
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def reads(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/v1/bookings", headers=auth(token))


async def test_the_keys_are_fetched_once_for_many_requests(
    client: httpx.AsyncClient, own_issuer: TestIssuer
) -> None:
    for kid in ("rsa-1", "ec-1", "rsa-1", "ec-1") * 5:
        answer = await reads(client, own_issuer.mint(role("portal"), kid=kid))
        assert answer.status_code == 200, answer.text
    assert own_issuer.fetches == 1


async def test_a_rotated_key_is_fetched_on_its_first_use_at_most_once_a_minute(
    client: httpx.AsyncClient, own_issuer: TestIssuer, monotonic: Monotonic
) -> None:
    assert (await reads(client, own_issuer.mint(role("portal")))).status_code == 200
    assert own_issuer.fetches == 1
    rotated = own_issuer.mint(role("portal"), kid="rsa-2")

    # not published yet; a second try within the minute does not fetch again
    monotonic.now += 61
    assert_problem(await reads(client, rotated), 401, "unauthorized")
    assert own_issuer.fetches == 2
    own_issuer.publish("rsa-2")
    monotonic.now += 30
    assert_problem(await reads(client, rotated), 401, "unauthorized")
    assert own_issuer.fetches == 2

    monotonic.now += 31  # a minute after the last fetch: the new key is fetched and used
    answer = await reads(client, rotated)
    assert answer.status_code == 200, answer.text
    assert own_issuer.fetches == 3
    # the keys it had stay usable, without fetching
    assert (await reads(client, own_issuer.mint(role("portal"), kid="ec-1"))).status_code == 200
    assert own_issuer.fetches == 3
