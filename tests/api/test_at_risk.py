"""The at-risk list (SPEC §12, issue 19): ``GET /v1/cases/at-risk?within=`` lists the cases
eligible now, held by no active booking or pending request, whose P2P window closes within
the period (default PT24H, at most P30D), earliest first, with ``hours_left`` rounded down to
a tenth of an hour. No member data. Read by ``ops`` and ``admin``.

NOW is Monday 2026-11-23T15:00Z (10:00 in New York). The ``R`` cases are pre-decision cases
in review whose explicit hold due time is their window's end.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    ADMIN,
    MEMBER_DOB,
    MEMBER_ID,
    MEMBER_NAME,
    PORTAL,
    assert_problem,
    booked,
    cancel,
    contact_body,
    lookup,
    ny,
    push_case,
    push_reviewer,
)
from tests.support import OPS_KEY, auth

pytestmark = pytest.mark.anyio

OPS = auth(OPS_KEY)


async def in_review(client: httpx.AsyncClient, number: str, hold_due_at: str) -> None:
    await push_case(
        client, number, status="in_review", determination_at=None, hold_due_at=hold_due_at
    )


async def at_risk(client: httpx.AsyncClient, query: str = "", headers: Any = OPS) -> Any:
    response = await client.get(f"/v1/cases/at-risk{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def world(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    await in_review(client, "R1", "2026-11-24T01:00:00Z")  # 10 h from NOW
    await in_review(client, "R2", "2026-11-23T20:30:00Z")  # 5 h 30 min
    await in_review(client, "R3", "2026-11-24T14:59:00Z")  # 23 h 59 min
    await in_review(client, "R4", "2026-11-24T16:00:00Z")  # 25 h
    await in_review(client, "CLOSED", "2026-11-23T14:00:00Z")  # closed an hour ago
    await push_case(client, "DONE", status="approved")
    await push_case(client, "D1")  # denied 3 days ago: reconsideration until 2026-12-05T04:59:59Z
    # held by a booking, by a pending request; and one whose booking was cancelled
    await in_review(client, "BOOKED", "2026-11-24T01:00:00Z")
    await booked(client, "BOOKED", "rev-a", ny("2026-11-23", "13:00"))
    await in_review(client, "PENDING", "2026-11-24T01:00:00Z")
    response = await client.post(
        "/v1/p2p-requests",
        json={
            "cases": [lookup("PENDING")],
            "time_zone": "America/New_York",
            "contact": contact_body(),
        },
        headers=PORTAL,
    )
    assert response.status_code == 201, response.text
    await in_review(client, "FREED", "2026-11-24T03:00:00Z")  # 12 h
    freed = await booked(client, "FREED", "rev-a", ny("2026-11-23", "14:00"))
    assert (await cancel(client, freed["id"])).status_code == 200


async def test_the_default_period_lists_what_closes_within_24_hours_earliest_first(
    client: httpx.AsyncClient,
) -> None:
    await world(client)
    body = await at_risk(client)
    assert body == {
        "items": [
            {
                "case_number": "R2",
                "level_of_review": "pre_decision",
                "valid_until": "2026-11-23T20:30:00Z",
                "hours_left": 5.5,
            },
            {
                "case_number": "R1",
                "level_of_review": "pre_decision",
                "valid_until": "2026-11-24T01:00:00Z",
                "hours_left": 10.0,
            },
            {
                "case_number": "FREED",
                "level_of_review": "pre_decision",
                "valid_until": "2026-11-24T03:00:00Z",
                "hours_left": 12.0,
            },
            {  # 23 h 59 min: rounded down, never up to 24.0
                "case_number": "R3",
                "level_of_review": "pre_decision",
                "valid_until": "2026-11-24T14:59:00Z",
                "hours_left": 23.9,
            },
        ]
    }
    assert await at_risk(client, "?within=PT24H") == body
    assert await at_risk(client, "?within=", headers=ADMIN) == body  # empty: the default
    for phi in (MEMBER_NAME, MEMBER_DOB, MEMBER_ID):
        assert phi not in str(body)


async def test_a_longer_period_reaches_further_and_a_shorter_one_less(
    client: httpx.AsyncClient,
) -> None:
    await world(client)
    numbers = [item["case_number"] for item in (await at_risk(client, "?within=PT25H"))["items"]]
    assert numbers == ["R2", "R1", "FREED", "R3", "R4"]
    items = (await at_risk(client, "?within=P12D"))["items"]
    assert [item["case_number"] for item in items] == ["R2", "R1", "FREED", "R3", "R4", "D1"]
    # 11 days 13 h 59 min 59 s to the end of 2026-12-04 in New York
    assert items[-1] == {
        "case_number": "D1",
        "level_of_review": "reconsideration",
        "valid_until": "2026-12-05T04:59:59Z",
        "hours_left": 277.9,
    }
    shorter = (await at_risk(client, "?within=pt6h"))["items"]  # codes in any case (SPEC §9)
    assert [item["case_number"] for item in shorter] == ["R2"]
    assert (await at_risk(client, "?within=PT5H"))["items"] == []


@pytest.mark.parametrize(
    ("within", "words"),
    [
        ("banana", "'banana' is not an ISO 8601 duration like PT24H or PT30M"),
        ("P1M", "P1M counts months or years, which have no fixed length; use days"),
        ("PT0S", "PT0S is not a positive duration"),
        ("P31D", "P31D is longer than 30 days (P30D)"),
    ],
)
async def test_a_bad_period_is_a_422_in_plain_words(
    client: httpx.AsyncClient, within: str, words: str
) -> None:
    response = await client.get(f"/v1/cases/at-risk?within={within}", headers=OPS)
    body = assert_problem(response, 422, "validation", fields={"within"})
    assert words in body["detail"]


async def test_the_longest_period_is_30_days(client: httpx.AsyncClient) -> None:
    await push_case(client, "D1")
    items = (await at_risk(client, "?within=P30D"))["items"]
    assert [item["case_number"] for item in items] == ["D1"]
