"""The manage link (SPEC §11 "Manage page", §9 "Links and caching"): one URL, a page for a
browser and the booking's JSON for an API client; and the link alone (no key) lets its
provider see the times the booking can move to, move it and cancel it — that booking only.

On both databases, through the real app, as a browser or a script holding only the e-mail's
link would.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.api.helpers import (
    PORTAL,
    assert_problem,
    booked,
    booking_of,
    ny,
    push_case,
    push_reviewer,
    slot_starts,
)

pytestmark = pytest.mark.anyio

REVIEWER = "rev-manage"
TUE, WED = "2026-11-24", "2026-11-25"
BASE = "http://testserver"
#: what Chromium and Firefox send when a link is opened
BROWSER = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
    "image/webp,*/*;q=0.8"
}
JSON = {"Accept": "application/json"}


def local(url: str) -> str:
    return url.removeprefix(BASE)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def a_booking(client: httpx.AsyncClient, case_number: str, start: str) -> dict[str, Any]:
    await push_reviewer(client, REVIEWER)
    await push_case(client, case_number)
    return await booked(client, case_number, REVIEWER, start)


def with_token(booking: dict[str, Any], suffix: str, token: str | None = None) -> str:
    return f"/v1/bookings/{booking['id']}{suffix}?token={token or token_of(booking['links']['manage'])}"


async def test_a_browser_gets_the_page_and_a_client_the_json(client: httpx.AsyncClient) -> None:
    made = await a_booking(client, "MG-1", ny(TUE, "10:00"))
    manage = local(made["links"]["manage"])

    page = await client.get(manage, headers=BROWSER)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"  # the token is in the URL
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "Accept" in page.headers["vary"]
    assert '<script type="module" src="/portal/static/manage.js">' in page.text
    # the page is a shell: the booking comes through the API, nothing of it is in the HTML
    for private in (made["contact"]["email"], made["contact"]["phone"], "MG-1", made["id"]):
        assert private not in page.text
    assert (await client.get("/portal/static/manage.js")).status_code == 200

    for accept in (JSON, {"Accept": "*/*"}, {}, {"Accept": "text/html;q=0.5, application/json"}):
        answer = await client.get(manage, headers=accept)
        assert answer.status_code == 200, accept
        assert answer.headers["content-type"] == "application/json", accept
        assert answer.json()["id"] == made["id"]
        assert answer.json()["links"]["manage"] == made["links"]["manage"]
        assert answer.headers["cache-control"] == "no-store"


async def test_a_bad_link_in_a_browser_is_a_page_in_plain_words(client: httpx.AsyncClient) -> None:
    made = await a_booking(client, "MG-2", ny(TUE, "11:00"))
    garbage = await client.get(f"/v1/bookings/{made['id']}?token=not-a-token", headers=BROWSER)
    assert garbage.status_code == 404
    assert garbage.headers["content-type"].startswith("text/html")
    assert "This link is not valid" in garbage.text
    assert garbage.headers["cache-control"] == "no-store"
    # an API client still gets the problem
    assert_problem(
        await client.get(f"/v1/bookings/{made['id']}?token=not-a-token", headers=JSON),
        404,
        "not-found",
    )

    cancelled = await client.post(
        with_token(made, "/cancel"), json={"reason_code": "provider_unavailable"}
    )
    assert cancelled.status_code == 200, cancelled.text
    gone = await client.get(local(made["links"]["manage"]), headers=BROWSER)
    assert gone.status_code == 410
    assert gone.headers["content-type"].startswith("text/html")
    assert "This P2P was cancelled on Monday, November 23, 2026" in gone.text
    assert "look the case up again" in gone.text
    assert made["contact"]["email"] not in gone.text
    problem = assert_problem(await client.get(local(made["links"]["manage"])), 410, "link-revoked")
    assert problem["cancelled_at"]


async def test_the_link_alone_moves_the_booking_and_keeps_working(
    client: httpx.AsyncClient,
) -> None:
    made = await a_booking(client, "MG-3", ny(TUE, "10:00"))
    times = await client.post(with_token(made, "/availability"), json={})
    assert times.status_code == 200, times.text
    starts = slot_starts(times.json(), REVIEWER)
    target = next(start for start in starts if start.startswith(WED))

    moved = await client.post(with_token(made, "/reschedule"), json={"start": target})
    assert moved.status_code == 200, moved.text
    assert moved.json()["start"] == target
    assert moved.json()["sequence"] == made["sequence"] + 1
    # the same link still opens the booking, now at its new time
    again = await client.get(local(made["links"]["manage"]), headers=JSON)
    assert again.status_code == 200
    assert again.json()["start"] == target
    history = await client.get(f"/v1/bookings/{made['id']}/history", headers=PORTAL)
    assert history.status_code == 200
    [move] = [entry for entry in history.json()["items"] if entry["action"] == "rescheduled"]
    assert move["actor"] == {"role": "manage-link", "id": made["id"]}  # who moved it: the link


async def test_the_link_is_for_its_own_booking_only(client: httpx.AsyncClient) -> None:
    mine = await a_booking(client, "MG-4", ny(TUE, "13:00"))
    other = await a_booking(client, "MG-5", ny(TUE, "14:00"))
    other_token = token_of(other["links"]["manage"])
    for suffix, body in (
        ("/availability", {}),
        ("/reschedule", {"start": ny(WED, "09:00")}),
        ("/cancel", {"reason_code": "duplicate"}),
        ("/cancel", {"reason_code": "bogus"}),  # scope before the body, as with a key
    ):
        refused = await client.post(with_token(mine, suffix, other_token), json=body)
        assert_problem(refused, 404, "not-found")
    assert (await booking_of(client, mine["id"]))["status"] == "scheduled"
    assert (await booking_of(client, mine["id"]))["start"] == mine["start"]

    # a replaced link (links/rotate) is refused: 403, as on the GET
    rotated = await client.post(f"/v1/bookings/{mine['id']}/links/rotate", headers=PORTAL)
    assert rotated.status_code == 200
    for suffix, body in (
        ("/availability", {}),
        ("/reschedule", {"start": ny(WED, "09:00")}),
        ("/cancel", {"reason_code": "duplicate"}),
    ):
        assert_problem(await client.post(with_token(mine, suffix), json=body), 403, "forbidden")
    fresh = rotated.json()
    assert (await client.post(with_token(fresh, "/availability"), json={})).status_code == 200

    # after a cancel through the link, the link is gone for its actions too (410)
    done = await client.post(with_token(fresh, "/cancel"), json={"reason_code": "duplicate"})
    assert done.status_code == 200, done.text
    assert done.json()["links"]["manage"] is None
    again = await client.post(with_token(fresh, "/cancel"), json={"reason_code": "duplicate"})
    assert_problem(again, 410, "link-revoked")


async def test_add_to_calendar_is_a_copy_to_keep(client: httpx.AsyncClient) -> None:
    """The page's "Add to calendar" (``invite.ics?download=1``): a PUBLISH that asks nobody
    to respond, saved as ``p2p-<date>.ics``; the invite link itself stays the REQUEST that
    e-mails carry. HEAD answers as GET does, without the body (calendar apps probe with it)."""
    made = await a_booking(client, "MG-6", ny(WED, "10:00"))
    invite = local(made["links"]["invite_ics"])

    saved = await client.get(f"{invite}&download=1")
    assert saved.status_code == 200, saved.text
    assert saved.headers["content-disposition"] == f'attachment; filename="p2p-{WED}.ics"'
    assert b"METHOD:PUBLISH" in saved.content
    assert b"RSVP" not in saved.content and b"ATTENDEE" not in saved.content
    assert b"ORGANIZER" in saved.content

    sent = await client.get(invite)
    assert b"METHOD:REQUEST" in sent.content
    assert sent.headers["content-disposition"] == 'inline; filename="invite.ics"'

    probed = await client.head(f"{invite}&download=1")
    assert probed.status_code == 200
    assert probed.headers["content-type"].startswith("text/calendar")
    assert probed.headers["etag"] == saved.headers["etag"]
