"""A case's P2P record (SPEC §12, issue 19; Texas 28 TAC §19.1710): ``GET /v1/cases/{n}/
p2p-record`` answers, per determination, when a P2P was first offered (the first eligible
look-up, availability search or request, recorded when it happened), requested, scheduled
and held, with the outcome, the reviewer, the bookings, no-shows and cancels.

NOW is Monday 2026-11-23T15:00Z (10:00 in New York); case ``A1`` is a commercial PA denial
of 2026-11-20T15:00Z, open for reconsideration until the end of 2026-12-04. The app's clock is
moved by hand, so every instant below is exact.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    ADMIN,
    MEMBER_DOB,
    MEMBER_ID,
    MEMBER_NAME,
    PORTAL,
    WRONG_DOB,
    Clock,
    availability_body,
    booked,
    cancel,
    check,
    complete,
    contact_body,
    lookup,
    no_show,
    ny,
    push_case,
    push_reviewer,
    reschedule,
)
from tests.support import OPS_KEY, auth

pytestmark = pytest.mark.anyio

OPS = auth(OPS_KEY)
DETERMINATION = "2026-11-20T15:00:00Z"


@pytest.fixture
def client(client_at_clock: httpx.AsyncClient) -> httpx.AsyncClient:
    return client_at_clock


def at(clock: Clock, instant: str) -> None:
    clock.instant = datetime.fromisoformat(instant).astimezone(UTC)


async def record(client: httpx.AsyncClient, number: str = "A1") -> Any:
    response = await client.get(f"/v1/cases/{number}/p2p-record", headers=OPS)
    assert response.status_code == 200, response.text
    return response.json()


def period(determination_at: str | None, **fields: Any) -> dict[str, Any]:
    """A period of the record: everything null or empty but ``fields``."""
    return {
        "determination_at": determination_at,
        "offered_at": None,
        "requested_at": None,
        "scheduled_at": None,
        "held_at": None,
        "outcome": None,
        "reviewer_id": None,
        "booking_ids": [],
        "no_shows": [],
        "cancels": [],
        **fields,
    }


async def test_offer_request_schedule_reschedule_no_show_rebook_complete_then_a_new_determination(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "A1")
    assert await record(client) == {"case_number": "A1", "periods": [period(DETERMINATION)]}

    # a look-up with a wrong date of birth offers nothing; the first eligible one does
    assert (await check(client, lookup("A1", WRONG_DOB))).status_code == 200
    at(clock, "2026-11-23T15:01:00Z")
    assert (await check(client, lookup("A1"))).json()["eligible"] is True
    at(clock, "2026-11-23T15:02:00Z")
    response = await client.post("/v1/availability", json=availability_body("A1"), headers=PORTAL)
    assert response.status_code == 200, response.text

    at(clock, "2026-11-23T15:10:00Z")  # a request without a slot
    response = await client.post(
        "/v1/p2p-requests",
        json={"cases": [lookup("A1")], "time_zone": "America/New_York", "contact": contact_body()},
        headers=PORTAL,
    )
    assert response.status_code == 201, response.text
    first = response.json()["id"]
    at(clock, "2026-11-23T15:20:00Z")  # the optimizer gives it a slot
    response = await client.post("/v1/optimizer/runs", headers=ADMIN)
    assert response.status_code == 200 and response.json()["assigned"], response.text
    at(clock, "2026-11-23T15:30:00Z")
    response = await reschedule(client, first, ny("2026-11-25", "11:00"))
    assert response.status_code == 200, response.text
    at(clock, "2026-11-25T16:20:00Z")  # the provider could not be reached
    assert (await no_show(client, first, "provider")).status_code == 200
    at(clock, "2026-11-25T16:30:00Z")  # booked once more (SPEC §9: one rebook after a no-show)
    second = (await booked(client, "A1", "rev-a", ny("2026-11-27", "10:00")))["id"]
    at(clock, "2026-11-27T15:20:00Z")
    assert (await complete(client, second, "overturned")).status_code == 200

    held = period(
        DETERMINATION,
        offered_at="2026-11-23T15:01:00Z",
        requested_at="2026-11-23T15:10:00Z",
        scheduled_at="2026-11-23T15:20:00Z",
        held_at="2026-11-27T15:00:00Z",
        outcome="overturned",
        reviewer_id="rev-a",
        booking_ids=[first, second],
        no_shows=[{"party": "provider", "at": "2026-11-25T16:20:00Z"}],
    )
    body = await record(client)
    assert body == {"case_number": "A1", "periods": [held]}
    for phi in (MEMBER_NAME, MEMBER_DOB, MEMBER_ID):
        assert phi not in str(body)

    # a new determination opens a second period: offered, booked, cancelled
    at(clock, "2026-11-30T15:00:00Z")
    await push_case(client, "A1", determination_at="2026-11-30T14:00:00Z")
    at(clock, "2026-11-30T15:05:00Z")
    assert (await check(client, lookup("A1"))).json()["eligible"] is True
    at(clock, "2026-11-30T15:10:00Z")
    third = (await booked(client, "A1", "rev-a", ny("2026-12-02", "10:00")))["id"]
    at(clock, "2026-11-30T15:15:00Z")
    assert (await cancel(client, third, "scheduled_in_error")).status_code == 200

    assert await record(client) == {
        "case_number": "A1",
        "periods": [
            held,
            period(
                "2026-11-30T14:00:00Z",
                offered_at="2026-11-30T15:05:00Z",
                requested_at="2026-11-30T15:10:00Z",
                scheduled_at="2026-11-30T15:10:00Z",
                booking_ids=[third],
                cancels=[{"reason_code": "scheduled_in_error", "at": "2026-11-30T15:15:00Z"}],
            ),
        ],
    }


async def test_an_offer_before_the_determination_has_a_period_of_its_own(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    """An in-review case offered a P2P, then denied: the offer stays in the period before
    any determination; the denial's period starts empty."""
    held = {"status": "in_review", "hold_due_at": "2026-12-01T00:00:00Z"}
    await push_case(client, "P1", determination_at=None, **held)
    assert await record(client, "P1") == {"case_number": "P1", "periods": [period(None)]}
    at(clock, "2026-11-23T15:05:00Z")
    answer = (await check(client, lookup("P1"))).json()
    assert answer["cases"][0]["level_of_review"] == "pre_decision" and answer["eligible"]
    at(clock, "2026-11-23T16:00:00Z")
    await push_case(client, "P1", status="denied", determination_at="2026-11-23T16:00:00Z")
    assert await record(client, "P1") == {
        "case_number": "P1",
        "periods": [
            period(None, offered_at="2026-11-23T15:05:00Z"),
            period("2026-11-23T16:00:00Z"),
        ],
    }


async def test_a_case_already_booked_is_not_offered_again_and_a_refused_one_never(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    """Only an *eligible* answer is an offer: an approved case's look-up and a booked case's
    look-up ("a P2P is already scheduled") record none."""
    await push_reviewer(client, "rev-a")
    await push_case(client, "X1", status="approved")
    assert (await check(client, lookup("X1"))).json()["eligible"] is False
    assert await record(client, "X1") == {"case_number": "X1", "periods": [period(DETERMINATION)]}

    await push_case(client, "B1")
    at(clock, "2026-11-23T15:07:00Z")  # booked straight away: the request is the offer
    made = (await booked(client, "B1", "rev-a", ny("2026-11-24", "10:00")))["id"]
    at(clock, "2026-11-23T15:09:00Z")
    assert (await check(client, lookup("B1"))).json()["eligible"] is False
    assert (await record(client, "B1"))["periods"] == [
        period(
            DETERMINATION,
            offered_at="2026-11-23T15:07:00Z",
            requested_at="2026-11-23T15:07:00Z",
            scheduled_at="2026-11-23T15:07:00Z",
            booking_ids=[made],
        )
    ]


async def test_opening_a_launch_link_is_the_offer_and_making_one_is_not(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    """A back end making a launch link (SPEC §14) has told nobody anything yet; the provider
    opening it sees the look-up's answer: that is when the P2P was offered."""
    await push_case(client, "L1")
    made = await client.post("/v1/launch-links", json={"cases": [lookup("L1")]}, headers=PORTAL)
    assert made.status_code == 201, made.text
    assert await record(client, "L1") == {"case_number": "L1", "periods": [period(DETERMINATION)]}
    at(clock, "2026-11-23T15:04:00Z")
    link_id = made.json()["url"].split("#launch=", 1)[1]
    opened = await client.post("/v1/launch-links/redeem", json={"link_id": link_id}, headers=PORTAL)
    assert opened.status_code == 200, opened.text
    assert (await record(client, "L1"))["periods"] == [
        period(DETERMINATION, offered_at="2026-11-23T15:04:00Z")
    ]


@pytest.mark.parametrize("number", ["NOPE1", "not a case!", "x" * 65])
async def test_an_unknown_or_impossible_case_is_404(client: httpx.AsyncClient, number: str) -> None:
    response = await client.get(f"/v1/cases/{number}/p2p-record", headers=OPS)
    assert response.status_code == 404, response.text
    assert response.json()["type"].endswith("/not-found")
