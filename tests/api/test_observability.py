"""Limits and observability through the real app: the per-key rate limit (429 with
Retry-After), the body size limit (413), request ids, and the Prometheus metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from api.app import create_app
from p2p_scheduler.config import Settings
from p2p_scheduler.domain.clock import fixed_clock
from tests.api.helpers import assert_problem, book, lookup, push_case, push_reviewer
from tests.support import ADMIN_KEY, NOW, PORTAL_KEY, REVIEWER_KEY, auth

pytestmark = pytest.mark.anyio

ADMIN, PORTAL, REVIEWER = auth(ADMIN_KEY), auth(PORTAL_KEY), auth(REVIEWER_KEY)
TUE_10 = "2026-11-24T10:00:00-05:00"


@pytest.fixture
async def limited(settings: Settings, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """The app with three requests a minute per key and 2 KiB bodies."""
    tight = settings.model_copy(update={"rate_limit_per_minute": 3, "max_body_bytes": 2048})
    app = create_app(tight, engine=engine, clock=fixed_clock(NOW))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_a_key_over_its_rate_gets_429_with_retry_after_and_others_go_on(
    limited: httpx.AsyncClient,
) -> None:
    body = {"cases": [lookup("R1")]}
    for _ in range(3):
        assert (await limited.post("/v1/eligibility", json=body, headers=PORTAL)).status_code == 200
    refused = await limited.post("/v1/eligibility", json=body, headers=PORTAL)
    problem = assert_problem(refused, 429, "rate-limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "Wait" in problem["detail"]
    # another key has its own window; a request without a key is refused before it counts
    assert (await limited.post("/v1/eligibility", json=body, headers=ADMIN)).status_code == 200
    assert (await limited.post("/v1/eligibility", json=body)).status_code == 401


async def test_a_body_over_the_limit_gets_413_and_nothing_is_written(
    limited: httpx.AsyncClient, engine: Engine
) -> None:
    padding = "x" * 3000
    declared = await limited.put(
        "/v1/reviewers/rev-a",
        content=f'{{"name": "{padding}"}}',
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert_problem(declared, 413, "payload-too-large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(4):
            yield b" " * 1000

    streamed = await limited.post(
        "/v1/eligibility",
        content=chunks(),
        headers={**REVIEWER, "content-type": "application/json"},
    )
    assert_problem(streamed, 413, "payload-too-large")
    missing = await limited.get("/v1/reviewers/rev-a", headers=ADMIN)
    assert missing.status_code == 404


async def test_every_answer_carries_a_request_id(client: httpx.AsyncClient) -> None:
    fresh = await client.get("/health")
    assert len(fresh.headers["x-request-id"]) == 32
    assert (await client.get("/health")).headers["x-request-id"] != fresh.headers["x-request-id"]
    mine = await client.get("/health", headers={"X-Request-ID": "portal-abc.123"})
    assert mine.headers["x-request-id"] == "portal-abc.123"
    odd = await client.get("/health", headers={"X-Request-ID": "has spaces and <tags>"})
    assert odd.headers["x-request-id"] != "has spaces and <tags>"
    problem = await client.get("/v1/bookings")  # problems too
    assert problem.status_code == 401 and problem.headers["x-request-id"]


def _samples(text: str) -> Iterator[tuple[str, dict[str, str], float]]:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            yield sample.name, sample.labels, sample.value


async def _metric(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return sum(
        value
        for sample, found, value in _samples(response.text)
        if sample == name and labels.items() <= found.items()
    )


async def test_metrics_count_bookings_by_outcome_latency_by_route_and_the_outbox(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "M1")
    await push_case(client, "M2")
    booked_before = await _metric(client, "p2p_bookings_total", outcome="booked")
    taken_before = await _metric(client, "p2p_bookings_total", outcome="slot-taken")
    route = {"method": "POST", "route": "/v1/bookings", "status": "201"}
    timed_before = await _metric(client, "p2p_http_request_duration_seconds_count", **route)

    assert (await book(client, "M1", "rev-a", TUE_10)).status_code == 201
    assert (await book(client, "M2", "rev-a", TUE_10)).status_code == 409

    assert await _metric(client, "p2p_bookings_total", outcome="booked") == booked_before + 1
    assert await _metric(client, "p2p_bookings_total", outcome="slot-taken") == taken_before + 1
    timed = await _metric(client, "p2p_http_request_duration_seconds_count", **route)
    assert timed == timed_before + 1
    # the booking wrote its invitations (provider and reviewer) to the outbox, and the
    # reminders a day ahead (due now: the call is 24 hours away); nothing delivers them in
    # this app, so they wait. The hour-ahead reminders are not due yet: not counted.
    assert await _metric(client, "p2p_outbox_pending") == 2 + 2
    assert await _metric(client, "p2p_outbox_oldest_pending_seconds") == 0  # NOW, fixed clock
    text = (await client.get("/metrics")).text
    assert TUE_10 not in text and "M1" not in text  # route templates only, no ids or values
