"""Reviewer time off over booked consultations, through the real app on both databases
(SPEC §4: the same time with another qualified reviewer first; else the nearest time that
still meets the deadline and preferences; else flagged for a person).

NOW is Monday 2026-11-23T15:00Z (10:00 EST); minimum notice 2 h, so the first bookable start
is Monday 12:00 EST. Reviewers work 09:00–17:00 New York time, Mon–Fri; single-case
consultations last 15 minutes; the default case is a commercial PA reconsideration valid
until the end of 2026-12-04 in New York.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import select

from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.outbox_store import messages_of
from p2p_scheduler.db.tables import BookingEventRow
from tests.api.helpers import (
    assert_problem,
    booked,
    booking_of,
    contact_body,
    lookup,
    ny,
    push_case,
    push_reviewer,
    reschedule,
)
from tests.support import ADMIN_KEY, PORTAL_KEY, auth

pytestmark = pytest.mark.anyio

ADMIN, PORTAL = auth(ADMIN_KEY), auth(PORTAL_KEY)
MON, TUE, WED = "2026-11-23", "2026-11-24", "2026-11-25"
#: a reconsideration window that closes at the end of Thursday 2026-11-26 in New York
DENIED_EARLY = "2026-11-12T10:00:00-05:00"


async def time_off(
    client: httpx.AsyncClient, reviewer: str, start: str, end: str
) -> dict[str, str]:
    """Post the period; answer {booking id: action}."""
    response = await client.post(
        f"/v1/reviewers/{reviewer}/time-off",
        json={"start": start, "end": end, "reason": "Conference"},
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    return {a["booking_id"]: a["action"] for a in response.json()["affected"]}


def where(booking: dict[str, Any]) -> tuple[str, str, int]:
    return booking["reviewer"]["reviewer_id"], booking["start"], booking["sequence"]


def events(engine: Engine, booking_id: str) -> list[tuple[str, str]]:
    with transaction(engine) as session:
        rows = session.exec(
            select(BookingEventRow)
            .where(BookingEventRow.booking_id == booking_id)
            .order_by(BookingEventRow.id)  # type: ignore[arg-type]
        )
        return [(row.event, row.actor) for row in rows]


async def test_the_same_time_goes_to_the_best_tier_and_everyone_is_told(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    await push_reviewer(client, "rev-a")
    await push_reviewer(client, "rev-b", skills={"msk_spine": 2})
    await push_reviewer(client, "rev-c")
    await push_case(client, "T1")
    made = await booked(client, "T1", "rev-a", ny(TUE, "10:00"))

    assert await time_off(client, "rev-a", ny(TUE, "09:00"), ny(TUE, "12:00")) == {
        made["id"]: "reassigned"
    }

    moved = await booking_of(client, made["id"])
    assert where(moved) == ("rev-c", ny(TUE, "10:00"), 1)
    assert (moved["status"], moved["attention"]) == ("scheduled", None)
    assert [event for event, _ in events(engine, made["id"])] == ["scheduled", "rescheduled"]
    assert events(engine, made["id"])[-1] == ("rescheduled", "admin-1")
    # one update: the invite (same UID, SEQUENCE 1) to the provider and rev-c, a
    # cancellation to rev-a, who will not be there
    with transaction(engine) as session:
        mails = [m for m in messages_of(session, made["id"]) if m.channel == "email"]
    sent = {(m.event_type, m.recipient) for m in mails if m.event_type != "booking.reminder"}
    assert sent == {
        ("booking.scheduled", contact_body()["email"]),
        ("booking.scheduled", "rev-a@example.org"),
        ("booking.rescheduled", contact_body()["email"]),
        ("booking.rescheduled", "rev-c@example.org"),
        ("booking.cancelled", "rev-a@example.org"),
    }
    invite = await client.get(moved["links"]["invite_ics"].removeprefix("http://testserver"))
    text = invite.text.replace("\r\n ", "")
    assert "METHOD:REQUEST" in text and "SEQUENCE:1" in text
    assert f"UID:{made['id']}@p2p-scheduler" in text
    assert "rev-c@example.org" in text and "rev-a@example.org" not in text


async def test_two_bookings_are_matched_to_the_free_reviewers_together(
    client: httpx.AsyncClient,
) -> None:
    # rev-b, the better tier, is the only one licensed in Texas and takes one consultation a
    # day. Taking the Pennsylvania booking first (first come, first served) would leave the
    # Texas one without a reviewer; together, rev-c takes the first and rev-b the second.
    await push_reviewer(client, "rev-a", licensed_states=["PA", "TX"])
    await push_reviewer(client, "rev-b", licensed_states=["PA", "TX"], max_consults_per_day=1)
    await push_reviewer(client, "rev-c", skills={"msk_spine": 2})
    await push_case(client, "T1")
    await push_case(client, "T2", member={"state": "TX"})
    pa = await booked(client, "T1", "rev-a", ny(TUE, "10:00"))
    tx = await booked(client, "T2", "rev-a", ny(TUE, "11:00"))

    answer = await time_off(client, "rev-a", ny(TUE, "00:00"), ny(WED, "00:00"))

    assert answer == {pa["id"]: "reassigned", tx["id"]: "reassigned"}
    assert where(await booking_of(client, pa["id"])) == ("rev-c", ny(TUE, "10:00"), 1)
    assert where(await booking_of(client, tx["id"])) == ("rev-b", ny(TUE, "11:00"), 1)


async def test_without_a_free_reviewer_then_the_nearest_later_time_is_taken(
    client: httpx.AsyncClient,
) -> None:
    # Monday afternoon would be the earliest time; the provider planned for Tuesday 10:00,
    # and 10:30 with rev-b is the nearest (rev-b is booked at 10:00, rev-a is off to 13:00).
    await push_reviewer(client, "rev-a")
    await push_reviewer(client, "rev-b", skills={"msk_spine": 2})
    await push_case(client, "T1")
    await push_case(client, "T2")
    made = await booked(client, "T1", "rev-a", ny(TUE, "10:00"))
    await booked(client, "T2", "rev-b", ny(TUE, "10:15"))
    await push_case(client, "T3")
    await booked(client, "T3", "rev-b", ny(TUE, "10:00"))

    assert await time_off(client, "rev-a", ny(TUE, "09:30"), ny(TUE, "13:00")) == {
        made["id"]: "moved"
    }
    assert where(await booking_of(client, made["id"])) == ("rev-b", ny(TUE, "10:30"), 1)


async def test_at_equal_times_the_original_reviewer_keeps_the_call(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a", skills={"msk_spine": 2})
    await push_reviewer(client, "rev-b")  # a better tier, but a stranger to the case
    await push_case(client, "T1")
    await push_case(client, "T2")
    made = await booked(client, "T1", "rev-a", ny(TUE, "10:00"))
    await booked(client, "T2", "rev-b", ny(TUE, "10:00"))

    assert await time_off(client, "rev-a", ny(TUE, "10:00"), ny(TUE, "10:15")) == {
        made["id"]: "moved"
    }
    assert where(await booking_of(client, made["id"])) == ("rev-a", ny(TUE, "10:15"), 1)


async def test_a_moved_request_keeps_to_its_preferred_days_and_hours(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "T1")
    request = {
        "cases": [lookup("T1")],
        "time_zone": "America/New_York",
        "contact": contact_body(),
        "preferences": {"days": ["wed"], "hours": [14]},
    }
    pending = await client.post("/v1/p2p-requests", json=request, headers=PORTAL)
    assert pending.status_code == 201, pending.text
    booking_id = pending.json()["id"]
    run = await client.post("/v1/optimizer/runs", headers=ADMIN)
    assert run.json()["assigned"] == [booking_id]
    assert where(await booking_of(client, booking_id)) == ("rev-a", ny(WED, "14:00"), 0)

    # Wednesday 15:00 is nearer, but outside the requester's hours; next Wednesday is inside
    # them and still before the window closes (2026-12-04).
    assert await time_off(client, "rev-a", ny(WED, "13:00"), ny(WED, "15:00")) == {
        booking_id: "moved"
    }
    assert where(await booking_of(client, booking_id)) == ("rev-a", "2026-12-02T14:00:00-05:00", 1)


async def test_when_no_later_time_meets_the_deadline_an_earlier_one_is_taken(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "T1", determination_at=DENIED_EARLY)
    made = await booked(client, "T1", "rev-a", ny(WED, "10:00"))

    assert await time_off(client, "rev-a", ny(WED, "09:00"), "2026-12-01T00:00:00-05:00") == {
        made["id"]: "moved"
    }
    # the earliest time before it: today, once the two hours' notice have passed
    assert where(await booking_of(client, made["id"])) == ("rev-a", ny(MON, "12:00"), 1)


async def test_a_booking_nobody_can_take_is_flagged_for_a_person(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "T1", determination_at=DENIED_EARLY)
    await push_case(client, "T2")
    stuck = await booked(client, "T1", "rev-a", ny(WED, "10:00"))
    fine = await booked(client, "T2", "rev-a", "2026-12-01T10:00:00-05:00")

    answer = await time_off(client, "rev-a", ny(MON, "00:00"), "2026-11-28T00:00:00-05:00")

    assert answer == {stuck["id"]: "needs_attention"}
    kept = await booking_of(client, stuck["id"])
    assert where(kept) == ("rev-a", ny(WED, "10:00"), 0)  # unchanged: a person decides
    assert kept["status"] == "scheduled"
    assert "no qualified reviewer is free" in kept["attention"]
    assert events(engine, stuck["id"])[-1] == ("needs_attention", "admin-1")
    flagged = await client.get("/v1/bookings?needs_attention=true", headers=PORTAL)
    assert [b["id"] for b in flagged.json()["items"]] == [stuck["id"]]
    others = await client.get("/v1/bookings?needs_attention=false", headers=PORTAL)
    assert [b["id"] for b in others.json()["items"]] == [fine["id"]]

    # a person finds another reviewer: the flag goes with the change
    await push_reviewer(client, "rev-b")
    response = await reschedule(client, stuck["id"], ny(WED, "10:00"), reviewer_id="rev-b")
    assert response.status_code == 200, response.text
    assert response.json()["attention"] is None
    flagged = await client.get("/v1/bookings?needs_attention=true", headers=PORTAL)
    assert flagged.json()["items"] == []


async def test_time_off_of_an_unknown_reviewer_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "T1")
    made = await booked(client, "T1", "rev-a", ny(TUE, "10:00"))
    response = await client.post(
        "/v1/reviewers/rev-zz/time-off",
        json={"start": ny(TUE, "09:00"), "end": ny(TUE, "12:00")},
        headers=ADMIN,
    )
    assert_problem(response, 404, "not-found")
    assert where(await booking_of(client, made["id"])) == ("rev-a", ny(TUE, "10:00"), 0)
