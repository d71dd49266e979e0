"""Launch links (SPEC §14): ``POST /v1/launch-links`` makes a single-use URL, valid 15
minutes, that opens the provider pages with cases looked up; ``POST /v1/launch-links/redeem``
opens it once. On both databases, with API keys and provider sign-ins."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine, text

from api.app import create_app
from p2p_scheduler.config import Settings, load_settings
from tests.api.conftest import _every_error_is_a_problem
from tests.api.helpers import (
    MEMBER_DOB,
    NEW_YORK,
    PORTAL,
    REVIEWER,
    Clock,
    assert_problem,
    booked,
    check,
    lookup,
    ny,
    push_case,
    push_reviewer,
)
from tests.support import NOW, auth
from tests.tokens import ORG_A, ORG_B, TestIssuer, provider

pytestmark = pytest.mark.anyio

DOB_SPELLINGS = (MEMBER_DOB, MEMBER_DOB.replace("-", ""), "05/17/1970", "5/17/1970", "17.05.1970")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def client(
    token_settings: Settings, engine: Engine, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on both databases, accepting the test issuer's tokens, on a clock the
    test moves; every error is checked to be a problem document."""
    app = create_app(token_settings, engine=engine, clock=clock)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        event_hooks={"response": [_every_error_is_a_problem]},
    ) as http:
        yield http


async def make(
    client: httpx.AsyncClient, *numbers: str, headers: dict[str, str] = PORTAL, **extra: Any
) -> httpx.Response:
    body = {"cases": [lookup(n) for n in numbers or ("L1",)], **extra}
    return await client.post("/v1/launch-links", json=body, headers=headers)


def link_id_of(made: httpx.Response) -> str:
    assert made.status_code == 201, made.text
    fragment = urlsplit(made.json()["url"]).fragment
    assert fragment.startswith("launch=")
    return fragment.removeprefix("launch=")


async def redeem(
    client: httpx.AsyncClient, link_id: str, headers: dict[str, str] = PORTAL
) -> httpx.Response:
    return await client.post("/v1/launch-links/redeem", json={"link_id": link_id}, headers=headers)


async def test_a_link_is_an_opaque_url_of_the_pages_valid_15_minutes(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "L1")
    made = await make(client, "L1", time_zone=NEW_YORK)
    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) == {"url", "expires_at"}
    assert datetime.fromisoformat(body["expires_at"]) == NOW + timedelta(minutes=15)
    url = urlsplit(body["url"])
    assert (url.scheme, url.netloc, url.path, url.query) == ("http", "testserver", "/portal/", "")
    link_id = link_id_of(made)
    # The id is 32 random bytes and nothing else, so no case number or DOB can ride in it (a
    # substring check on random text would fail by chance about once in a hundred runs).
    assert len(base64.urlsafe_b64decode(link_id + "=" * (-len(link_id) % 4))) == 32
    assert body["url"] == f"http://testserver/portal/#launch={link_id}"
    assert made.headers["cache-control"] == "no-store"
    other = await make(client, "L1")
    assert link_id_of(other) != link_id_of(made)


async def test_a_link_opens_once_with_the_look_up_then_says_it_was_used(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "L1")
    await push_case(client, "L2")
    link_id = link_id_of(await make(client, "L1", "L2", time_zone=NEW_YORK))
    opened = await redeem(client, link_id)
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert body["cases"] == [lookup("L1"), lookup("L2")]
    assert body["time_zone"] == NEW_YORK
    looked_up = await check(client, lookup("L1"), lookup("L2"))
    assert body["eligibility"] == looked_up.json()
    assert body["eligibility"]["eligible"] is True
    assert opened.headers["cache-control"] == "no-store"

    again = assert_problem(await redeem(client, link_id), 410, "link-used")
    assert "already used" in again["detail"]
    assert "new link" in again["detail"]
    for secret in (*DOB_SPELLINGS, link_id):
        assert secret not in str(again)


async def test_a_link_for_a_case_that_does_not_match_opens_onto_the_same_answer_as_typing_it(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "L1")
    made = await client.post(
        "/v1/launch-links",
        json={"cases": [lookup("L1", "1970-05-18"), lookup("NOPE")]},
        headers=PORTAL,
    )
    opened = (await redeem(client, link_id_of(made))).json()
    assert [c["found"] for c in opened["eligibility"]["cases"]] == [False, False]
    assert opened["time_zone"] is None


async def test_a_link_expires_after_15_minutes_and_says_so(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await push_case(client, "L1")
    early = link_id_of(await make(client))
    late = link_id_of(await make(client))
    clock.advance(minutes=14, seconds=59)
    assert (await redeem(client, early)).status_code == 200
    clock.advance(seconds=1)
    gone = assert_problem(await redeem(client, late), 410, "link-expired")
    assert "expired" in gone["detail"] and "15 minutes" in gone["detail"]
    clock.advance(days=1)
    assert_problem(await redeem(client, late), 410, "link-expired")


@pytest.mark.parametrize(
    "link_id",
    [
        "A" * 43,  # the right shape, never handed out
        "short",
        "has/slash/and-is-long-enough-to-be-an-id-ok",
        "x" * 500,
        "",
    ],
)
async def test_an_unknown_or_malformed_link_is_not_found(
    client: httpx.AsyncClient, link_id: str
) -> None:
    gone = assert_problem(await redeem(client, link_id), 404, "not-found")
    assert "new link" in gone["detail"]


async def test_concurrent_redeems_open_the_link_exactly_once(client: httpx.AsyncClient) -> None:
    await push_case(client, "L1")
    link_id = link_id_of(await make(client))
    answers = await asyncio.gather(*(redeem(client, link_id) for _ in range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [410] * 7, [a.text for a in answers]


async def test_a_providers_link_opens_only_for_its_organisation(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    await push_case(client, "L1")
    org_a, org_b = auth(issuer.mint(provider(ORG_A))), auth(issuer.mint(provider(ORG_B)))
    link_id = link_id_of(await make(client, headers=org_a))
    assert_problem(await redeem(client, link_id, org_b), 404, "not-found")
    assert (await redeem(client, link_id, org_a)).status_code == 200  # the 404 used nothing up

    refused = await make(client, headers=org_a, provider_org=ORG_B)
    assert_problem(refused, 422, "validation", fields={"provider_org"})

    for_b = link_id_of(await make(client, provider_org=ORG_B))  # a back end names the practice
    assert_problem(await redeem(client, for_b, org_a), 404, "not-found")
    assert (await redeem(client, for_b, org_b)).status_code == 200

    anyone = link_id_of(await make(client))  # a back end's link for no practice in particular
    assert (await redeem(client, anyone, org_b)).status_code == 200

    portal = link_id_of(await make(client, headers=org_a))  # a trusted back end opens any
    assert (await redeem(client, portal, PORTAL)).status_code == 200


async def test_who_may_make_and_open_links(client: httpx.AsyncClient) -> None:
    await push_case(client, "L1")
    assert_problem(await make(client, headers={}), 401, "unauthorized")
    assert_problem(await make(client, headers=REVIEWER), 403, "forbidden")
    link_id = link_id_of(await make(client))
    assert_problem(await redeem(client, link_id, {}), 401, "unauthorized")
    assert_problem(await redeem(client, link_id, REVIEWER), 403, "forbidden")
    assert (await redeem(client, link_id)).status_code == 200


async def test_requests_are_checked_as_every_request_is(client: httpx.AsyncClient) -> None:
    await push_case(client, "L1")
    nulls = await make(client, time_zone=None, provider_org=None)
    assert nulls.status_code == 201, nulls.text  # null is absent (SPEC §9)
    bad = [
        ({"cases": [lookup("L1\x00")]}, {"cases[0].case_number"}),
        ({"cases": [lookup("L1")], "time_zone": "localtime"}, {"time_zone"}),
        ({"cases": [lookup("L1")], "time_zone": "America/New_York\u2028"}, {"time_zone"}),
        ({"cases": [lookup("L1", "1970-13-01")]}, {"cases[0].member_dob"}),
        ({"cases": []}, {"cases"}),
        ({"cases": None}, {"cases"}),
        ({"cases": [lookup("L1"), lookup("L1")]}, {"cases"}),
        ({"cases": [lookup("L1")], "surprise": 1}, {"surprise"}),
    ]
    for body, fields in bad:
        answer = await client.post("/v1/launch-links", json=body, headers=PORTAL)
        assert_problem(answer, 422, "validation", fields=fields)
    for link_id in ("ab\x00cd", "A" * 42 + "\x85", None):
        answer = await client.post(
            "/v1/launch-links/redeem", json={"link_id": link_id}, headers=PORTAL
        )
        assert_problem(answer, 422, "validation", fields={"link_id"})


async def test_the_database_holds_neither_the_link_nor_the_date_of_birth(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    await push_case(client, "L1")
    link_id = link_id_of(await make(client))

    def stored() -> list[Any]:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT * FROM launch_links")).one())

    row = stored()
    dump = repr(row).encode() + b"".join(bytes(v) for v in row if isinstance(v, bytes | memoryview))
    assert link_id.encode() not in dump
    for secret in (*DOB_SPELLINGS, "L1"):
        assert secret.encode() not in dump
    await redeem(client, link_id)
    with engine.connect() as connection:
        sealed = connection.execute(text("SELECT sealed FROM launch_links")).scalar_one()
    assert sealed is None  # used: the cases are gone


async def test_expired_links_lose_their_cases_and_are_forgotten_after_a_week(
    client: httpx.AsyncClient, engine: Engine, clock: Clock
) -> None:
    await push_case(client, "L1")
    old = link_id_of(await make(client))
    clock.advance(minutes=16)
    await make(client)  # making a link clears out the expired ones
    with engine.connect() as connection:
        sealed = connection.execute(text("SELECT sealed FROM launch_links ORDER BY created_at"))
        assert [value is None for (value,) in sealed] == [True, False]
    clock.advance(days=8)
    await make(client)
    assert_problem(await redeem(client, old), 404, "not-found")


async def test_neither_the_date_of_birth_nor_the_link_reaches_a_log_line(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    await push_case(client, "L1")
    with caplog.at_level(logging.DEBUG):
        link_id = link_id_of(await make(client))
        await redeem(client, link_id)
        await redeem(client, link_id)
        await redeem(client, link_id[:-1] + ("B" if link_id[-1] != "B" else "C"))
    assert any(r.name == "p2p_scheduler.access" for r in caplog.records)
    logged = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    for secret in (*DOB_SPELLINGS, link_id):
        assert secret not in logged


async def test_guessing_link_ids_is_throttled_per_address(
    database_url: str, engine: Engine
) -> None:
    settings = load_settings(
        Settings,
        database_url=database_url,
        api_keys="portal:test-portal-key-0001",
        secret_key="test-secret-key-0123456789",
        base_url="http://testserver",
        auth_failures_per_minute=3,
    )
    app = create_app(settings, engine=engine, clock=lambda: NOW)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for guess in range(3):
            assert (await redeem(http, f"{guess}" * 43)).status_code == 404
        blocked = assert_problem(await redeem(http, "9" * 43), 429, "rate-limited")
        assert "Retry-After" in (await redeem(http, "8" * 43)).headers or blocked


async def test_a_link_to_a_case_already_in_a_p2p_opens_onto_that_p2p_as_the_look_up_does(
    client: httpx.AsyncClient,
) -> None:
    """The redeem answers exactly what ``POST /v1/eligibility`` answers in the link's zone:
    the case names its P2P and offers no new one (SPEC §14), rather than an eligible case
    whose hold would then be refused with 409."""
    await push_reviewer(client, "rev-a")
    await push_case(client, "L1")
    made = await booked(client, "L1", "rev-a", ny("2026-11-24", "10:00"))

    opened = await redeem(client, link_id_of(await make(client, "L1", time_zone=NEW_YORK)))
    assert opened.status_code == 200, opened.text
    eligibility = opened.json()["eligibility"]
    typed = await client.post(
        "/v1/eligibility", json={"cases": [lookup("L1")], "time_zone": NEW_YORK}, headers=PORTAL
    )
    assert eligibility == typed.json()
    case = eligibility["cases"][0]
    assert eligibility["eligible"] is False
    assert case["p2p"] == {
        "booking_id": made["id"],
        "status": "scheduled",
        "start": "2026-11-24T15:00:00Z",
    }
    assert case["reason"] == "p2p_scheduled"
    assert "Tue 11/24/2026 10:00 am EST" in case["messages"][0]
