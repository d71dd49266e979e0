"""gzip through the real app, on both databases: large answers are compressed for clients that
accept it and only for them; small ones never; request ids, metrics, problem documents,
calendar ETags and 304s, and streamed files come through unchanged.

httpx sends ``Accept-Encoding: gzip, deflate`` by default and decodes what it receives, so
each test reads the raw bytes (``aiter_raw``) to see what travelled.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.app import GZIP_MINIMUM_BYTES
from tests.api.helpers import (
    ADMIN,
    PORTAL,
    PROBLEM_MEDIA_TYPE,
    assert_problem,
    availability_body,
    book,
    lookup,
    push_case,
    push_reviewer,
)

pytestmark = pytest.mark.anyio

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
TUE_10 = "2026-11-24T10:00:00-05:00"


async def raw(
    client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str], **kwargs: Any
) -> tuple[httpx.Response, bytes]:
    """The response and the bytes that travelled (not decoded). The client's response hooks
    are off meanwhile: the conftest's problem check reads (and so decodes) error bodies;
    tests check the problems they get here themselves."""
    hooks = client.event_hooks
    client.event_hooks = {**hooks, "response": []}
    try:
        async with client.stream(method, url, headers=headers, **kwargs) as response:
            body = b"".join([chunk async for chunk in response.aiter_raw()])
    finally:
        client.event_hooks = hooks
    return response, body


def assert_gzipped(response: httpx.Response, body: bytes) -> bytes:
    """``body`` is a gzip stream, declared as such; returns what it holds."""
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert body[:2] == b"\x1f\x8b"
    if "content-length" in response.headers:
        assert int(response.headers["content-length"]) == len(body)
    return gzip.decompress(body)


def assert_plain(response: httpx.Response, body: bytes) -> None:
    assert "content-encoding" not in response.headers
    if "content-length" in response.headers:
        assert int(response.headers["content-length"]) == len(body)


async def availability_count(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics")).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "p2p_http_request_duration_seconds_count"
        and sample.labels.get("route") == "/v1/availability"
        and sample.labels.get("status") == "200"
    )


async def test_a_large_answer_is_gzipped_only_for_clients_that_accept_it(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    await push_reviewer(client, "rev-la", time_zone="America/Los_Angeles")
    body = availability_body("A100")
    timed_before = await availability_count(client)

    zipped, zipped_bytes = await raw(
        client, "POST", "/v1/availability", {**PORTAL, **GZIP, "X-Request-ID": "rq-1"}, json=body
    )
    plain, plain_bytes = await raw(
        client, "POST", "/v1/availability", {**PORTAL, **IDENTITY}, json=body
    )
    # a client that names no coding (or only another one) gets it plain too
    bare, bare_bytes = await raw(
        client, "POST", "/v1/availability", {**PORTAL, "Accept-Encoding": "br"}, json=body
    )

    assert zipped.status_code == plain.status_code == bare.status_code == 200
    assert len(plain_bytes) > GZIP_MINIMUM_BYTES
    assert json.loads(assert_gzipped(zipped, zipped_bytes)) == json.loads(plain_bytes)
    assert len(zipped_bytes) < len(plain_bytes) / 5
    assert_plain(plain, plain_bytes)
    assert_plain(bare, bare_bytes)
    assert plain_bytes == bare_bytes
    for response in (zipped, plain):
        assert response.headers["content-type"] == "application/json"
    # the request id and the latency metric are still the outer middleware's
    assert zipped.headers["x-request-id"] == "rq-1"
    assert plain.headers["x-request-id"]
    assert await availability_count(client) == timed_before + 3

    # and the usual client call decodes it transparently
    decoded = await client.post("/v1/availability", json=body, headers=PORTAL)
    assert decoded.headers["content-encoding"] == "gzip"
    assert decoded.json() == json.loads(plain_bytes)


async def test_small_answers_are_not_compressed(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny", working_hours=[])
    for method, url, headers, kwargs in [
        ("GET", "/health", {}, {}),
        ("POST", "/v1/availability", PORTAL, {"json": availability_body("A100")}),  # no slots
        ("GET", "/v1/bookings", {}, {}),  # a 401 problem
        ("GET", "/v1/nothing-here", {}, {}),  # a 404 problem
    ]:
        response, body = await raw(client, method, url, {**headers, **GZIP}, **kwargs)
        assert len(body) < GZIP_MINIMUM_BYTES, url
        assert_plain(response, body)
        assert response.headers["x-request-id"]
    problem, _ = await raw(client, "GET", "/v1/bookings", GZIP)
    assert problem.status_code == 401
    assert problem.headers["content-type"] == PROBLEM_MEDIA_TYPE


async def test_a_large_problem_is_gzipped_and_still_a_problem(client: httpx.AsyncClient) -> None:
    body = {"cases": [lookup(f"A{n}", "17/05/1970") for n in range(50)], "time_zone": "Z"}
    response, travelled = await raw(
        client, "POST", "/v1/availability", {**PORTAL, **GZIP}, json=body
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem = json.loads(assert_gzipped(response, travelled))
    assert problem["type"].endswith("/validation")
    assert len(problem["errors"]) == 51
    # what a client sees: the same problem, decoded
    decoded = await client.post("/v1/availability", json=body, headers=PORTAL)
    assert assert_problem(decoded, 422, "validation") == problem


async def test_calendar_etags_and_304s_work_through_gzip(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    made = await book(client, "A100", "rev-ny", TUE_10)
    assert made.status_code == 201, made.text
    invite = made.json()["links"]["invite_ics"].removeprefix("http://testserver")
    profile = await client.get("/v1/reviewers/rev-ny", headers=ADMIN)
    feed = profile.json()["calendar_feed_url"].removeprefix("http://testserver")

    for url in (invite, feed):
        zipped, zipped_bytes = await raw(client, "GET", url, GZIP)
        plain, plain_bytes = await raw(client, "GET", url, IDENTITY)
        assert zipped.status_code == plain.status_code == 200, url
        assert zipped.headers["content-type"] == "text/calendar; charset=utf-8"
        assert len(plain_bytes) > GZIP_MINIMUM_BYTES, "big enough to be compressed"
        assert assert_gzipped(zipped, zipped_bytes) == plain_bytes
        assert_plain(plain, plain_bytes)
        etag = zipped.headers["etag"]
        assert plain.headers["etag"] == etag  # one ETag for the content, whatever the coding
        assert zipped.headers["cache-control"] == "private, max-age=0, must-revalidate"
        for headers in (GZIP, IDENTITY):
            unchanged, nothing = await raw(client, "GET", url, {**headers, "If-None-Match": etag})
            assert unchanged.status_code == 304, url
            assert nothing == b""
            assert "content-encoding" not in unchanged.headers
            assert unchanged.headers["etag"] == etag
            assert unchanged.headers["vary"] == "Accept-Encoding"  # as its 200's (RFC 9110)
            assert unchanged.headers["x-request-id"]
        stale, stale_bytes = await raw(client, "GET", url, {**GZIP, "If-None-Match": '"stale"'})
        assert stale.status_code == 200
        assert assert_gzipped(stale, stale_bytes) == plain_bytes


async def test_streamed_files_are_compressed_whole_and_head_stays_plain(
    client: httpx.AsyncClient,
) -> None:
    for url in ("/portal/", "/portal/static/portal.js", "/portal/static/portal.css"):
        zipped, zipped_bytes = await raw(client, "GET", url, GZIP)
        plain, plain_bytes = await raw(client, "GET", url, IDENTITY)
        assert zipped.status_code == plain.status_code == 200, url
        assert len(plain_bytes) > GZIP_MINIMUM_BYTES, url
        assert assert_gzipped(zipped, zipped_bytes) == plain_bytes, url
        assert_plain(plain, plain_bytes)
        assert zipped.headers["content-type"] == plain.headers["content-type"]
        assert zipped.headers["content-security-policy"] == plain.headers["content-security-policy"]
    head, nothing = await raw(client, "HEAD", "/portal/", GZIP)
    assert head.status_code == 200 and nothing == b""
    assert "content-encoding" not in head.headers
