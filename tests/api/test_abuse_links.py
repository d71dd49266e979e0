"""Abuse of signed links (issue 16, findings 7 and 9; SPEC §9 "Links and caching", §10).

7. A cancel revokes the manage link for good: the cancel's answer and every later one carry
   ``links.manage: null`` (the invite link stays and serves the CANCEL), and the old manage
   link answers 410 ``link-revoked``. A genuine link revoked by ``links/rotate`` is refused
   (403), cancelled or not.
9. A calendar or manage URL with a wrong or forged token answers exactly as an unknown id does
   (404, the same words), so guessing reviewer ids or booking ids through the feed, invite and
   manage URLs finds nothing.

On both databases, through the real app, as an attacker holding only URLs would.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from p2p_scheduler.domain.links import Purpose, Signer
from tests.api.helpers import (
    ADMIN,
    PORTAL,
    assert_problem,
    booked,
    booking_of,
    cancel,
    ny,
    push_case,
    push_reviewer,
)
from tests.support import NOW

pytestmark = pytest.mark.anyio

REVIEWER = "rev-links"
TUE, WED = "2026-11-24", "2026-11-25"
BASE = "http://testserver"
#: a secret that is not the service's: tokens signed with it are forgeries
FORGER = Signer("an-attackers-guess-at-the-secret-0123456789")


def local(url: str) -> str:
    return url.removeprefix(BASE)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def rotate_links(client: httpx.AsyncClient, booking_id: str) -> dict[str, Any]:
    response = await client.post(f"/v1/bookings/{booking_id}/links/rotate", headers=PORTAL)
    assert response.status_code == 200, response.text
    return response.json()


async def a_booking(client: httpx.AsyncClient, case_number: str, start: str) -> dict[str, Any]:
    await push_case(client, case_number)
    return await booked(client, case_number, REVIEWER, start)


# ---- 7: a cancel revokes the manage link for good ---------------------------------------------


async def test_a_cancel_takes_the_manage_link_away_for_good(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, REVIEWER)
    made = await a_booking(client, "LK-1", ny(TUE, "10:00"))
    old_manage, invite = made["links"]["manage"], made["links"]["invite_ics"]
    assert (await client.get(local(old_manage))).status_code == 200

    cancelled = await cancel(client, made["id"])
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["links"]["manage"] is None
    assert cancelled.json()["links"]["invite_ics"]

    # the invite link (the booking's first, and the cancel answer's) serves the CANCEL
    for url in (invite, cancelled.json()["links"]["invite_ics"]):
        served = await client.get(local(url))
        assert served.status_code == 200, served.text
        assert b"METHOD:CANCEL" in served.content

    # every later answer: the portal's read, its list, a rotate of the cancelled booking
    assert (await booking_of(client, made["id"]))["links"]["manage"] is None
    listed = await client.get("/v1/bookings", params={"case_number": "LK-1"}, headers=PORTAL)
    assert [item["links"]["manage"] for item in listed.json()["items"]] == [None]
    rotated = await rotate_links(client, made["id"])
    assert rotated["links"]["manage"] is None
    assert rotated["links"]["invite_ics"] != invite

    served = await client.get(local(rotated["links"]["invite_ics"]))
    assert served.status_code == 200, served.text
    assert b"METHOD:CANCEL" in served.content

    # the old manage link: gone, saying why, even after the rotate
    gone = await client.get(local(old_manage))
    problem = assert_problem(gone, 410, "link-revoked")
    assert "cancelled" in problem["detail"]
    assert "olive" not in gone.text.lower()  # no contact details in the refusal


async def test_a_rotated_manage_link_is_refused(client: httpx.AsyncClient) -> None:
    """Revoked by ``links/rotate``, not by a cancel: 403 (its holder was sent it, so it may
    know the booking exists; a garbage token gets the unknown-id 404); and it stays 403 once
    the booking is cancelled (only the link it had then answers 410)."""
    await push_reviewer(client, REVIEWER)
    made = await a_booking(client, "LK-2", ny(TUE, "11:00"))
    first = made["links"]["manage"]
    second = (await rotate_links(client, made["id"]))["links"]["manage"]
    assert second and second != first
    garbage = await client.get(f"/v1/bookings/{made['id']}", params={"token": "not-a-token"})
    assert_problem(garbage, 404, "not-found")
    rotated_away = await client.get(local(first))
    refused = assert_problem(rotated_away, 403, "forbidden")
    assert (await client.get(local(second))).status_code == 200

    assert (await cancel(client, made["id"])).status_code == 200
    assert assert_problem(await client.get(local(first)), 403, "forbidden") == refused
    assert_problem(await client.get(local(second)), 410, "link-revoked")


# ---- 9: bad calendar tokens answer as unknown ids ---------------------------------------------


def _shape(response: httpx.Response, subject: str) -> tuple[Any, ...]:
    """Status, media type and body with the id written out: what tells one answer from another."""
    body = response.json()
    return (
        response.status_code,
        response.headers["content-type"],
        tuple(sorted((key, str(value).replace(subject, "{id}")) for key, value in body.items())),
    )


async def test_guessing_reviewer_ids_through_feed_urls_finds_nothing(
    client: httpx.AsyncClient,
) -> None:
    """20 made-up reviewer ids and 20 real ones, each with wrong tokens: one answer."""
    real = [f"rev-{n:03d}" for n in range(1, 21)]
    feeds = {}
    for reviewer_id in real:
        feeds[reviewer_id] = (await push_reviewer(client, reviewer_id))["calendar_feed_url"]
    guessed = [f"rev-{n:03d}" for n in range(21, 41)]
    # a real feed URL works; the one a rotate replaced is one more bad token
    assert (await client.get(local(feeds["rev-001"]))).status_code == 200
    rotated = await client.post("/v1/reviewers/rev-001/calendar-feed/rotate", headers=ADMIN)
    assert rotated.status_code == 200, rotated.text
    valid = token_of(feeds["rev-002"])

    shapes = set()
    for reviewer_id in [*real, *guessed]:
        for token in (
            "not-a-token",
            FORGER.issue(Purpose.FEED, reviewer_id, 0, NOW),  # forged
            valid,  # genuine, another reviewer's (rev-002's own: skipped)
            token_of(feeds["rev-001"]),  # genuine, rotated away (another's for the rest)
        ):
            if token == valid and reviewer_id == "rev-002":
                continue
            path = f"/v1/calendars/reviewers/{reviewer_id}.ics"
            answer = await client.get(path, params={"token": token})
            assert_problem(answer, 404, "not-found")
            shapes.add(_shape(answer, reviewer_id))
        # no token at all: the same refusal whoever the id names (the token is required)
        missing = await client.get(f"/v1/calendars/reviewers/{reviewer_id}.ics")
        assert missing.status_code == 422, missing.text
        shapes.add(("no token", missing.status_code, missing.json()["detail"]))
    assert (await client.get(local(feeds["rev-002"]))).status_code == 200
    # one answer for any bad token, one for a missing one
    assert len(shapes) == 2, shapes


async def test_guessing_booking_ids_through_invite_and_manage_urls_finds_nothing(
    client: httpx.AsyncClient,
) -> None:
    """20 made-up booking ids and 20 real bookings' ids, with wrong tokens: one answer."""
    await push_reviewer(client, REVIEWER)
    made = []
    for n in range(20):
        day, hour, minute = (TUE, WED)[n // 10], 9 + n % 10 // 2, 30 * (n % 2)
        made.append(await a_booking(client, f"LK-I{n:02d}", ny(day, f"{hour:02d}:{minute:02d}")))
    real = [booking["id"] for booking in made]
    guessed = [str(uuid.uuid4()) for _ in range(20)]
    replaced = made[0]["links"]["invite_ics"]
    await rotate_links(client, real[0])
    other = token_of(made[1]["links"]["invite_ics"])

    shapes, manage_shapes = set(), set()
    for booking_id in [*real, *guessed]:
        for token in (
            "not-a-token",
            FORGER.issue(Purpose.INVITE, booking_id, 0, NOW),  # forged
            token_of(made[1]["links"]["manage"]),  # genuine, another purpose
            other,  # genuine, another booking's
            token_of(replaced),  # genuine, rotated away
        ):
            if token == other and booking_id == real[1]:
                continue
            answer = await client.get(
                f"/v1/bookings/{booking_id}/invite.ics", params={"token": token}
            )
            assert_problem(answer, 404, "not-found")
            shapes.add(_shape(answer, booking_id))
        for token in (
            "not-a-token",
            FORGER.issue(Purpose.MANAGE, booking_id, 0, NOW),  # forged
            token_of(made[1]["links"]["invite_ics"]),  # genuine, another purpose
            token_of(made[1]["links"]["manage"]),  # genuine, another booking's
        ):
            if booking_id == real[1] and token == token_of(made[1]["links"]["manage"]):
                continue
            answer = await client.get(f"/v1/bookings/{booking_id}", params={"token": token})
            assert_problem(answer, 404, "not-found")
            manage_shapes.add(_shape(answer, booking_id))
    assert len(shapes) == 1, shapes
    assert len(manage_shapes) == 1, manage_shapes
    assert (await client.get(local(made[1]["links"]["invite_ics"]))).status_code == 200
