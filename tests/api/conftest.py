"""API tests: every error the app answers must be problem+json, whatever the test checks."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import PROBLEM_BASE, PROBLEM_MEDIA_TYPE


async def _every_error_is_a_problem(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    await response.aread()
    request = response.request
    where = f"{request.method} {request.url.path} → {response.status_code}"
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
