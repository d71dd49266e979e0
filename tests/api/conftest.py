"""API tests: every error the app answers must be problem+json, whatever the test checks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from api.negotiation import prefers_html
from p2p_scheduler.config import Settings
from tests.api.helpers import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, Clock
from tests.support import NOW


async def _every_error_is_a_problem(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    await response.aread()
    request = response.request
    if prefers_html(request.headers.get("accept")):  # a browser gets a page saying why
        return
    where = f"{request.method} {request.url.path} → {response.status_code}"
    if request.url.path.startswith("/fhir/"):  # SPEC §13: the FHIR interface's problems
        assert response.headers.get("content-type") == "application/fhir+json", where
        if request.method != "HEAD":
            outcome = response.json()
            assert outcome["resourceType"] == "OperationOutcome", where
            assert outcome["issue"][0]["diagnostics"].strip(), where
        return
    assert response.headers.get("content-type") == PROBLEM_MEDIA_TYPE, where
    if request.method == "HEAD":  # no body to check
        return
    body = response.json()
    assert body["type"].startswith(PROBLEM_BASE), where
    assert body["status"] == response.status_code, where
    assert body["detail"].strip(), where


@pytest.fixture
def client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The shared client, with a hook that checks every 4xx/5xx response's shape."""
    client.event_hooks["response"].append(_every_error_is_a_problem)
    return client


@pytest.fixture
def clock() -> Clock:
    """NOW, which a test may move forward (``clock.advance``): the clock of ``client_at_clock``."""
    return Clock(NOW)


@pytest.fixture
async def client_at_clock(
    settings: Settings, engine: Engine, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    """``client`` (the real app and database, the same check of every error) on an app whose
    clock is ``clock``. A module whose tests move time makes it its ``client``."""
    app = create_app(settings, engine=engine, clock=clock)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        event_hooks={"response": [_every_error_is_a_problem]},
    ) as http:
        yield http
