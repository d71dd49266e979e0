"""Caching and sniffing headers, and the request log for refused bodies (issue 16, items 3
and 12; SPEC §9 "Links and caching", "Abuse limits").

Every JSON answer (booking documents, lists, problems) says ``Cache-Control: no-store`` — the
manage link needs no ``Authorization`` header, so a shared cache would otherwise be free to
keep a provider's contact details — and every answer says ``X-Content-Type-Options:
nosniff``. Calendar answers keep ``private, max-age=0, must-revalidate`` with their ETag."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from p2p_scheduler.config import Settings
from p2p_scheduler.domain.clock import fixed_clock
from tests.api.helpers import assert_problem, book, push_case, push_reviewer
from tests.support import ADMIN_KEY, NOW, PORTAL_KEY, auth

pytestmark = pytest.mark.anyio

ADMIN, PORTAL = auth(ADMIN_KEY), auth(PORTAL_KEY)
TUE_10 = "2026-11-24T10:00:00-05:00"
CALENDAR_CACHING = "private, max-age=0, must-revalidate"


def _assert_not_stored(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    assert response.headers["cache-control"] == "no-store", where
    assert response.headers["x-content-type-options"] == "nosniff", where


async def test_json_answers_with_booking_data_are_never_stored(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    made = await book(client, "A100", "rev-ny", TUE_10)
    assert made.status_code == 201, made.text
    _assert_not_stored(made)
    booking = made.json()
    manage = booking["links"]["manage"]
    assert "token=" in manage

    # the manage link: no Authorization header at all
    _, _, query = manage.removeprefix("http://testserver").partition("?")
    by_link = await client.get(
        f"/v1/bookings/{booking['id']}?{query}", headers={"Accept": "application/json"}
    )
    assert by_link.status_code == 200, by_link.text
    assert by_link.headers["content-type"].startswith("application/json")
    _assert_not_stored(by_link)

    listed = await client.get("/v1/bookings", headers=PORTAL)
    assert listed.status_code == 200
    _assert_not_stored(listed)
    one = await client.get(f"/v1/bookings/{booking['id']}", headers=PORTAL)
    _assert_not_stored(one)

    # problems too, with or without a key
    anonymous = await client.get("/v1/bookings")
    assert_problem(anonymous, 401, "unauthorized")
    _assert_not_stored(anonymous)
    missing = await client.get("/v1/bookings/bk_nope", headers=PORTAL)
    assert missing.status_code in (404, 422)
    _assert_not_stored(missing)


async def test_calendars_keep_their_caching_and_every_answer_says_nosniff(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    made = await book(client, "A100", "rev-ny", TUE_10)
    invite = made.json()["links"]["invite_ics"].removeprefix("http://testserver")
    profile = await client.get("/v1/reviewers/rev-ny", headers=ADMIN)
    feed = profile.json()["calendar_feed_url"].removeprefix("http://testserver")
    for url in (invite, feed):
        first = await client.get(url)
        assert first.status_code == 200, url
        assert first.headers["cache-control"] == CALENDAR_CACHING, url
        assert first.headers["x-content-type-options"] == "nosniff", url
        etag = first.headers["etag"]
        again = await client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == CALENDAR_CACHING, url
    health = await client.get("/health")
    assert health.headers["x-content-type-options"] == "nosniff"
    page = await client.get("/portal/")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-content-type-options"].count("nosniff") == 1  # not set twice


@pytest.fixture
async def small_bodies(settings: Settings, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """The app with 2 KiB bodies; app exceptions are raised, so a crash fails the test."""
    tight = settings.model_copy(update={"max_body_bytes": 2048})
    app = create_app(tight, engine=engine, clock=fixed_clock(NOW))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/v1/bookings", "/v1/bookings"),
        ("/v1/bookings/bk_1/cancel", "/v1/bookings/{booking_id}/cancel"),
        ("/portal/static/app.css", "/portal/static/{path}"),
        ("/no/such/path", "unmatched"),
    ],
)
async def test_a_declared_body_over_the_limit_is_refused_with_one_access_line(
    small_bodies: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    path: str,
    template: str,
) -> None:
    with caplog.at_level(logging.INFO):
        refused = await small_bodies.post(
            path, content=b"x" * 3000, headers={"content-type": "application/json"}
        )
    assert_problem(refused, 413, "payload-too-large")
    assert refused.headers["connection"] == "close"
    _assert_not_stored(refused)
    access = [r for r in caplog.records if r.name == "p2p_scheduler.access"]
    assert [(r.method, r.route, r.status) for r in access] == [("POST", template, 413)]  # type: ignore[attr-defined]
    assert not [r for r in caplog.records if r.exc_info]
