"""The audit trail through the real app on both databases: a booking's history, the admin's
query, no PHI of the member, nothing written for a refused change, and a table that refuses
UPDATE and DELETE.

NOW is Monday 2026-11-23T15:00Z (10:00 EST); minimum notice 2 h.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from tests.api.helpers import (
    MEMBER_DOB,
    MEMBER_ID,
    MEMBER_NAME,
    assert_problem,
    book,
    cancel,
    push_case,
    push_reviewer,
    reschedule,
)
from tests.support import ADMIN_KEY, PORTAL_KEY, REVIEWER_KEY, auth

pytestmark = pytest.mark.anyio

ADMIN, PORTAL, REVIEWER = auth(ADMIN_KEY), auth(PORTAL_KEY), auth(REVIEWER_KEY)
TUE_10 = "2026-11-24T10:00:00-05:00"
WED_11 = "2026-11-25T11:00:00-05:00"


async def history(client: httpx.AsyncClient, booking_id: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/v1/bookings/{booking_id}/history", params=params, headers=PORTAL)
    assert response.status_code == 200, response.text
    return response.json()


async def trail(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/audit", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


async def test_book_reschedule_cancel_leaves_who_what_when_why_before_and_after(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "A1")
    made = await book(client, "A1", "rev-a", TUE_10)
    assert made.status_code == 201, made.text
    booking_id = made.json()["id"]
    moved = await reschedule(client, booking_id, WED_11)
    assert moved.status_code == 200, moved.text
    cancelled = await cancel(client, booking_id, "other", "Surgery ran late")
    assert cancelled.status_code == 200, cancelled.text

    answer = await history(client, booking_id)

    events = answer["items"]
    assert [e["action"] for e in events] == ["scheduled", "rescheduled", "cancelled"]
    assert {(e["actor"]["role"], e["actor"]["id"]) for e in events} == {("portal", "portal-2")}
    assert {e["entity"] for e in events} == {"booking"}
    assert all(e["at"].startswith("2026-11-23T15:00:00") for e in events)
    first, second, third = events
    assert first["before"] is None
    assert (first["after"]["status"], first["after"]["sequence"]) == ("scheduled", 0)
    assert first["after"]["start_at"].startswith("2026-11-24T15:00:00")
    assert second["before"] == first["after"]
    assert second["after"]["start_at"].startswith("2026-11-25T16:00:00")
    assert second["after"]["sequence"] == 1
    assert third["before"] == second["after"]
    assert third["reason"] == "other"
    assert (third["after"]["status"], third["after"]["cancel_reason_text"]) == (
        "cancelled",
        "Surgery ran late",
    )
    assert answer["next_cursor"] is None
    assert PORTAL_KEY not in str(answer)  # the key's id, never its secret


async def test_a_refused_change_writes_nothing(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "A1")
    await push_case(client, "A2")
    made = await book(client, "A1", "rev-a", TUE_10)
    before = await trail(client)
    taken = await book(client, "A2", "rev-a", TUE_10)
    assert_problem(taken, 409, "slot-taken")
    late = await reschedule(client, made.json()["id"], "2026-11-23T10:15:00-05:00")  # in the past
    assert late.status_code == 422
    assert await trail(client) == before


async def test_case_and_reviewer_changes_are_audited_without_the_members_identity(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A1")
    await push_case(client, "A1", urgency="urgent")
    await push_reviewer(client, "rev-a")
    off = await client.post(
        "/v1/reviewers/rev-a/time-off",
        json={"start": TUE_10, "end": WED_11, "reason": "Conference"},
        headers=ADMIN,
    )
    assert off.status_code == 201, off.text
    rotated = await client.post("/v1/reviewers/rev-a/calendar-feed/rotate", headers=ADMIN)
    assert rotated.status_code == 200, rotated.text

    cases = (await trail(client, entity="case", entity_id="A1"))["items"]
    assert [e["action"] for e in cases] == ["created", "replaced"]
    assert (cases[0]["after"]["urgency"], cases[1]["after"]["urgency"]) == ("standard", "urgent")
    assert cases[1]["before"] == cases[0]["after"]
    assert cases[1]["after"]["member"] == {"state": "PA", "health_plan": "Acme Health"}
    assert cases[0]["actor"] == {"role": "admin", "id": "admin-1"}
    everything = str(await trail(client))
    for secret in (MEMBER_NAME, MEMBER_DOB, MEMBER_ID):
        assert secret not in everything

    reviewer = (await trail(client, entity="reviewer"))["items"]
    assert [e["action"] for e in reviewer] == ["created", "time_off_added", "feed_rotated"]
    assert reviewer[0]["after"]["licensed_states"] == ["PA"]
    assert reviewer[1]["reason"] == (
        "off 2026-11-24T10:00:00-05:00 to 2026-11-25T11:00:00-05:00: Conference"
    )
    assert reviewer[1]["before"] is None and reviewer[1]["after"] is None


async def test_the_admin_query_filters_pages_and_is_admin_only(
    client: httpx.AsyncClient,
) -> None:
    for number in ("A1", "A2", "A3"):
        await push_case(client, number)
    first = await trail(client, entity="case", limit=2)
    assert [e["entity_id"] for e in first["items"]] == ["A1", "A2"]
    rest = await trail(client, entity="case", limit=2, cursor=first["next_cursor"])
    assert ([e["entity_id"] for e in rest["items"]], rest["next_cursor"]) == (["A3"], None)
    assert (await trail(client, actor_id="portal-2"))["items"] == []
    assert len((await trail(client, **{"from": "2026-11-23T15:00:00Z"}))["items"]) == 3
    assert (await trail(client, to="2026-11-23T15:00:00Z"))["items"] == []

    for headers in (PORTAL, REVIEWER):
        assert_problem(await client.get("/v1/audit", headers=headers), 403, "forbidden")
    bad = await client.get("/v1/audit", params={"cursor": "nope"}, headers=ADMIN)
    assert_problem(bad, 422, "validation", fields={"cursor"})
    unknown = await client.get(f"/v1/bookings/{uuid.uuid4()}/history", headers=PORTAL)
    assert_problem(unknown, 404, "not-found")


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET reason = 'rewritten'", "DELETE FROM audit_events"]
)
async def test_the_audit_table_refuses_to_change_its_past(
    client: httpx.AsyncClient, engine: Engine, statement: str
) -> None:
    await push_case(client, "A1")
    before = await trail(client)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    assert await trail(client) == before
