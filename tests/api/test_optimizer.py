"""Requests without a slot and optimizer runs, through the real app on both databases.

NOW is Monday 2026-11-23T15:00Z (10:00 EST); minimum notice 2 h; the default case is a
commercial PA reconsideration valid until the end of 2026-12-04 in New York.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from p2p_scheduler.config import Settings
from p2p_scheduler.domain.access import EVERYTHING
from p2p_scheduler.domain.links import Signer
from p2p_scheduler.domain.policy import load_policy
from p2p_scheduler.services.booking import get_booking
from p2p_scheduler.services.notifications import Notifier, booking_payload
from tests.api.helpers import (
    ALL_DAYS,
    MEMBER_DOB,
    assert_problem,
    availability_of,
    booking_of,
    contact_body,
    hours,
    lookup,
    push_case,
    push_reviewer,
    reviewer_days,
)
from tests.support import ADMIN_KEY, NOW, PORTAL_KEY, auth

pytestmark = pytest.mark.anyio

ADMIN, PORTAL = auth(ADMIN_KEY), auth(PORTAL_KEY)
TUESDAY_9 = "2026-11-24T09:00:00-05:00"
DENIED_EARLY = "2026-11-12T10:00:00-05:00"


def request_body(*case_numbers: str, **preferences: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cases": [lookup(number) for number in case_numbers],
        "time_zone": "America/New_York",
        "contact": contact_body(),
    }
    if preferences:
        body["preferences"] = preferences
    return body


async def submit(client: httpx.AsyncClient, *case_numbers: str, **preferences: Any) -> dict:
    response = await client.post(
        "/v1/p2p-requests", json=request_body(*case_numbers, **preferences), headers=PORTAL
    )
    assert response.status_code == 201, response.text
    return response.json()


async def run(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/v1/optimizer/runs", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_submitted_request_is_pending_with_its_cases_and_contact(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "P1")
    made = await submit(client, "P1", days=["tue"], hours=[13, 14])
    assert made["status"] == "pending_assignment"
    assert (made["start"], made["end"], made["reviewer"]) == (None, None, None)
    assert [case["case_number"] for case in made["cases"]] == ["P1"]
    assert made["cases"][0]["level_of_review"] == "reconsideration"
    assert made["cases"][0]["level_of_review_label"] == "Reconsideration P2P"
    assert made["duration_minutes"] == 15
    assert made["contact"]["email"] == contact_body()["email"]
    # its case is taken: a manual booking of it now is refused, naming the pending request
    await push_reviewer(client, "rev-a")
    again = await client.post("/v1/p2p-requests", json=request_body("P1"), headers=PORTAL)
    assert_problem(again, 409, "case-already-booked")
    assert made["id"] in again.json()["detail"]


async def test_contested_time_is_shared_so_both_requests_are_scheduled(
    client: httpx.AsyncClient,
) -> None:
    # Two reviewers with one quarter hour on Tuesdays; rev-a is tier 1 for both cases, whose
    # reconsideration windows (14 days after a 2026-11-12 denial) close before next Tuesday.
    # A better tier would wait for rev-a next week; the deadline leaves one way to place both.
    for reviewer, tier in (("rev-a", 1), ("rev-b", 2)):
        await push_reviewer(
            client,
            reviewer,
            skills={"msk_spine": tier},
            working_hours=[hours("tue", "09:00", "09:15")],
        )
    await push_case(client, "P1", determination_at=DENIED_EARLY)
    await push_case(client, "P2", determination_at=DENIED_EARLY)
    first = await submit(client, "P1")
    second = await submit(client, "P2")

    answer = await run(client)

    assert answer["status"] == "optimal"
    assert sorted(answer["assigned"]) == sorted([first["id"], second["id"]])
    assert answer["unassigned"] == []
    assert answer["objective"] <= answer["bound"] or answer["bound"] == answer["objective"]
    placed = {
        (b["reviewer"]["reviewer_id"], b["start"], b["status"], b["sequence"])
        for b in [await booking_of(client, first["id"]), await booking_of(client, second["id"])]
    }
    assert placed == {
        ("rev-a", TUESDAY_9, "scheduled", 0),
        ("rev-b", TUESDAY_9, "scheduled", 0),
    }
    # the time is really taken: availability no longer offers it
    found = await availability_of(client, "P1", days=ALL_DAYS)
    assert found["tiers"] == [] or not reviewer_days(found, "rev-a")


async def test_preferred_hours_are_honoured_when_they_cost_nothing(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")  # 09:00–17:00 New York, weekdays
    await push_case(client, "P1")
    made = await submit(client, "P1", days=["wed"], hours=[14])
    answer = await run(client)
    assert answer["assigned"] == [made["id"]]
    assert (await booking_of(client, made["id"]))["start"] == "2026-11-25T14:00:00-05:00"


async def test_a_request_nobody_can_take_stays_pending_with_the_reason(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-ny", licensed_states=["NY"])  # not licensed in PA
    await push_case(client, "P1")
    made = await submit(client, "P1")
    answer = await run(client)
    assert answer["assigned"] == []
    assert answer["unassigned"] == [{"booking_id": made["id"], "reason": "no_qualified_reviewer"}]
    assert (await booking_of(client, made["id"]))["status"] == "pending_assignment"


async def test_a_pending_request_can_be_cancelled_and_is_then_left_alone(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "P1")
    made = await submit(client, "P1")
    cancelled = await client.post(
        f"/v1/bookings/{made['id']}/cancel",
        json={"reason_code": "case_resolved", "reason_text": ""},
        headers=PORTAL,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    answer = await run(client)
    assert answer["assigned"] == [] and answer["unassigned"] == []


async def test_p2p_requests_refuse_bad_input_and_write_nothing(client: httpx.AsyncClient) -> None:
    await push_case(client, "P1")
    wrong_dob = request_body("P1")
    wrong_dob["cases"][0]["member_dob"] = "1900-01-01"
    answer = await client.post("/v1/p2p-requests", json=wrong_dob, headers=PORTAL)
    assert_problem(answer, 422, "validation")
    bad_hours = request_body("P1", days=["mon"], hours=[24])
    assert (
        await client.post("/v1/p2p-requests", json=bad_hours, headers=PORTAL)
    ).status_code == 422
    no_contact = request_body("P1")
    del no_contact["contact"]
    assert (
        await client.post("/v1/p2p-requests", json=no_contact, headers=PORTAL)
    ).status_code == 422
    listed = await client.get("/v1/bookings", headers=PORTAL)
    assert listed.json()["items"] == []
    assert MEMBER_DOB  # the right DOB still works afterwards
    assert (await submit(client, "P1"))["status"] == "pending_assignment"


async def test_only_admins_run_the_optimizer(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/optimizer/runs", headers=PORTAL)
    assert_problem(answer, 403, "forbidden")


async def test_a_better_tier_is_worth_waiting_for_when_the_deadline_allows(
    client: httpx.AsyncClient,
) -> None:
    # SPEC §6: better tier ≫ earlier start. rev-b (tier 2) is free tomorrow; rev-a (tier 1)
    # works Tuesdays and is off tomorrow, so next Tuesday is inside the window (to 2026-12-04).
    await push_reviewer(client, "rev-a", working_hours=[hours("tue", "09:00", "09:15")])
    await push_reviewer(client, "rev-b", skills={"msk_spine": 2})
    off = await client.post(
        "/v1/reviewers/rev-a/time-off",
        json={"start": "2026-11-24T00:00:00-05:00", "end": "2026-11-25T00:00:00-05:00"},
        headers=ADMIN,
    )
    assert off.status_code == 201, off.text
    await push_case(client, "P1")
    made = await submit(client, "P1")
    await run(client)
    placed = await booking_of(client, made["id"])
    assert (placed["reviewer"]["reviewer_id"], placed["start"]) == (
        "rev-a",
        "2026-12-01T09:00:00-05:00",
    )


async def test_assigned_bookings_carry_a_working_invite_and_match_the_webhook_shape(
    client: httpx.AsyncClient, engine: Engine, settings: Settings
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "P1")
    await push_case(client, "P2")
    ids = [(await submit(client, "P1"))["id"], (await submit(client, "P2"))["id"]]
    assert sorted((await run(client))["assigned"]) == sorted(ids)
    for booking_id in ids:
        shown = await booking_of(client, booking_id)
        invite = await client.get(shown["links"]["invite_ics"].removeprefix("http://testserver"))
        assert invite.status_code == 200
        assert b"METHOD:REQUEST" in invite.content and booking_id.encode() in invite.content
        # the webhook's data is the API's booking, field for field
        view = get_booking(engine=engine, booking_id=booking_id, scope=EVERYTHING)
        notifier = Notifier(
            policy=load_policy(None),
            signer=Signer(settings.secret_key.get_secret_value()),
            base_url="http://testserver",
            organizer_email="p2p@example.org",
        )
        links = notifier.links(view, NOW)
        labels = notifier.policy.level_labels
        assert booking_payload(view, links, labels) == shown
        assert booking_payload(view, links, labels)["cases"][0]["level_of_review_label"]
