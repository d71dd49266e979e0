"""One case cannot hold a reviewer's week (SPEC §9 "Abuse limits", issue 16 finding 4).

The attack: a portal caller holds slot after slot for one case (286 holds in 3 s hid two
reviewers' week). The rule: a case is in at most one live hold; holding another slot for the
same case releases the earlier hold; a second hold of the slot it already holds → 409 and the
first stands.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.api.helpers import (
    PORTAL,
    assert_problem,
    availability_of,
    booking_body,
    push_case,
    push_reviewer,
    slot_body,
)

pytestmark = pytest.mark.anyio

TUE = "2026-11-24"


def at(clock: str) -> str:
    return f"{TUE}T{clock}:00-05:00"


def offered(week: dict) -> set[str]:
    return {
        slot["start"]
        for tier in week["tiers"]
        for reviewer in tier["reviewers"]
        for day in reviewer["days"]
        for slot in day["slots"]
    }


async def hold(client: httpx.AsyncClient, case: str, start: str) -> httpx.Response:
    return await client.post("/v1/holds", json=slot_body(case, "rev-a", start), headers=PORTAL)


async def test_one_case_holds_one_slot_at_a_time(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "H1")
    await push_case(client, "H2")
    starts = [at(f"{hour}:{minute}") for hour in (10, 11, 12, 13) for minute in ("00", "30")]
    made = []
    for start in starts:  # the attack: every slot of the day for one case
        response = await hold(client, "H1", start)
        assert response.status_code == 201, response.text
        made.append(response.json()["hold_id"])
    # only the last hold is live: every earlier slot is offered again to everyone else
    week = offered(await availability_of(client, "H2"))
    assert set(starts[:-1]) <= week
    assert starts[-1] not in week
    # the earlier holds are gone (released, not merely hidden): deleting one is a 404
    gone = await client.delete(f"/v1/holds/{made[0]}", headers=PORTAL)
    assert gone.status_code == 404, gone.text
    # the live one still books
    body = booking_body("H1", "rev-a", starts[-1], hold_id=made[-1])
    booked = await client.post("/v1/bookings", json=body, headers=PORTAL)
    assert booked.status_code == 201, booked.text


async def test_holding_the_same_slot_again_is_refused_and_the_first_hold_stands(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "H3")
    first = await hold(client, "H3", at("10:00"))
    assert first.status_code == 201, first.text
    again = await hold(client, "H3", at("10:00"))
    assert_problem(again, 409, "slot-taken")
    body = booking_body("H3", "rev-a", at("10:00"), hold_id=first.json()["hold_id"])
    booked = await client.post("/v1/bookings", json=body, headers=PORTAL)
    assert booked.status_code == 201, booked.text


async def test_concurrent_holds_of_one_case_leave_one_live_hold(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "H4")
    await push_case(client, "H5")
    starts = [at(f"{hour}:00") for hour in (10, 11, 12, 13, 14, 15, 16)]
    answers = await asyncio.gather(*(hold(client, "H4", start) for start in starts))
    assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
    assert any(a.status_code == 201 for a in answers)
    week = offered(await availability_of(client, "H5"))
    assert len([start for start in starts if start not in week]) == 1


async def test_a_hold_of_other_cases_is_untouched(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    for number in ("H6", "H7", "H8"):
        await push_case(client, number)
    theirs = await hold(client, "H6", at("10:00"))
    mine = await hold(client, "H7", at("11:00"))
    assert theirs.status_code == mine.status_code == 201
    await hold(client, "H7", at("12:00"))  # releases my 11:00, not their 10:00
    week = offered(await availability_of(client, "H8"))
    assert at("10:00") not in week and at("11:00") in week and at("12:00") not in week
