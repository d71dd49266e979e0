"""One availability answer is bounded (issue 16 finding 11): a week of 200 reviewers open
around the clock holds 124,800 slots (megabytes of JSON); the answer lists at most
``P2P_AVAILABILITY_MAX_SLOTS`` (default 2000), the earliest of every reviewer's day, says it
was cut, and the rest is a request away (``reviewer_id``, ``week_start``). Through the real
app on both databases.

NOW is Monday 2026-11-23 10:00 EST; minimum notice 2 h, so this week every reviewer has
48 slots on Monday (12:00–24:00) and 96 on each other day: 624 a week.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from p2p_scheduler.config import Settings
from p2p_scheduler.domain.clock import fixed_clock
from p2p_scheduler.domain.model import Weekday, WorkingHours
from p2p_scheduler.services import records
from tests.api.helpers import (
    PORTAL,
    assert_problem,
    availability_body,
    book,
    push_case,
    push_reviewer,
)
from tests.db.factories import make_reviewer
from tests.support import NOW

pytestmark = pytest.mark.anyio

REVIEWERS = 200
PER_WEEK = 48 + 6 * 96
ROUND_THE_CLOCK = tuple(WorkingHours(day, "00:00", "24:00") for day in Weekday)


def open_all_week(engine: Engine, count: int = REVIEWERS) -> None:
    """``count`` reviewers in New York, open 24/7, qualified for the test case: even ones in
    tier 1, odd ones in tier 2 (stored directly: 200 admin PUTs would only be slower)."""
    profiles = [
        replace(
            make_reviewer(f"rev-{n:03d}"),
            name=f"Dr. Reviewer {n:03d}",
            email=f"rev-{n:03d}@example.org",
            skills={"msk_spine": 1 + n % 2},
            licensed_states=frozenset({"PA"}),
            working_hours=ROUND_THE_CLOCK,
            max_consults_per_day=96,
        )
        for n in range(count)
    ]
    assert records.load_if_empty(engine=engine, reviewers=profiles, cases=[]) == count


async def ask(
    client: httpx.AsyncClient, body: dict[str, Any], path: str = "/v1/availability"
) -> tuple[dict[str, Any], int]:
    """The answer and its size in bytes as JSON."""
    response = await client.post(path, json=body, headers=PORTAL)
    assert response.status_code == 200, response.text
    return response.json(), len(response.content)


def days_of(found: dict[str, Any]) -> list[tuple[int, str, dict[str, Any]]]:
    """Every (tier, reviewer_id, day) of an answer, in answer order."""
    return [
        (tier["tier"], reviewer["reviewer_id"], day)
        for tier in found["tiers"]
        for reviewer in tier["reviewers"]
        for day in reviewer["days"]
    ]


def listed(found: dict[str, Any]) -> int:
    return sum(len(day["slots"]) for _, _, day in days_of(found))


@pytest.fixture
async def big(client: httpx.AsyncClient, engine: Engine) -> httpx.AsyncClient:
    open_all_week(engine)
    await push_case(client, "A100")
    return client


async def test_a_huge_week_is_cut_to_the_earliest_slot_of_every_reviewers_day(
    big: httpx.AsyncClient,
) -> None:
    found, size = await ask(big, availability_body("A100"))

    assert found["truncated"] is True
    assert found["max_slots"] == 2000
    assert listed(found) <= 2000
    assert size < 1_000_000, f"{size} bytes"
    assert found["total_slots"] == REVIEWERS * PER_WEEK
    # nothing a requester picks from is dropped: both tiers, every reviewer, every day,
    # each with its earliest time (1,400 reviewer-days: one slot each fits, two do not)
    assert [t["tier"] for t in found["tiers"]] == [1, 2]
    assert [len(t["reviewers"]) for t in found["tiers"]] == [100, 100]
    days = days_of(found)
    assert len(days) == REVIEWERS * 7
    for _, _, day in days:
        assert len(day["slots"]) == 1
        assert day["total_slots"] == (48 if day["date"] == "2026-11-23" else 96)
        expected = "12:00 pm EST" if day["date"] == "2026-11-23" else "12:00 am EST"
        assert day["slots"][0]["label"] == expected


async def test_show_more_for_one_reviewer_lists_the_rest_of_their_week(
    big: httpx.AsyncClient,
) -> None:
    found, _ = await ask(big, availability_body("A100"))
    shown = {s["start"] for _, r, day in days_of(found) if r == "rev-007" for s in day["slots"]}

    body = {**availability_body("A100"), "reviewer_id": "rev-007"}
    more, _ = await ask(big, body)

    assert more["truncated"] is False
    assert [(t, r) for t, r, _ in days_of(more)] == [(2, "rev-007")] * 7
    starts = [s["start"] for _, _, day in days_of(more) for s in day["slots"]]
    assert len(starts) == more["total_slots"] == PER_WEEK
    assert shown < set(starts)
    assert len(set(starts) - shown) == PER_WEEK - 7, "the later times not shown before"
    # the same day as before: the one time shown first, then the rest
    [tuesday] = [day for _, _, day in days_of(more) if day["date"] == "2026-11-24"]
    assert tuesday["slots"][0]["label"] == "12:00 am EST"
    assert tuesday["slots"][1]["label"] == "12:15 am EST"


async def test_the_next_week_is_a_request_away_and_cut_the_same_way(
    big: httpx.AsyncClient,
) -> None:
    found, _ = await ask(big, availability_body("A100"))
    following, size = await ask(big, availability_body("A100", week_start=found["next_week_start"]))

    assert following["week_start"] == "2026-11-30"
    assert following["truncated"] is True and listed(following) <= 2000 and size < 1_000_000
    earlier = {s["start"] for _, _, day in days_of(found) for s in day["slots"]}
    later = {s["start"] for _, _, day in days_of(following) for s in day["slots"]}
    assert later and max(earlier) < min(later)


async def test_when_even_one_slot_a_day_is_too_many_every_tier_keeps_its_first_reviewers(
    big: httpx.AsyncClient,
) -> None:
    """1,400 reviewer-days, 500 slots: the first 35 reviewers of each tier list one slot a
    day (2 tiers × 35 × 7 = 490); the later ones stay in the answer with their counts."""
    found, _ = await ask(big, {**availability_body("A100"), "max_slots": 500})

    assert found["truncated"] is True and found["max_slots"] == 500
    assert listed(found) == 490
    for tier in found["tiers"]:
        assert len(tier["reviewers"]) == 100
        for rank, reviewer in enumerate(tier["reviewers"]):
            assert len(reviewer["days"]) == 7
            for day in reviewer["days"]:
                assert len(day["slots"]) == (1 if rank < 35 else 0)
                assert day["total_slots"] > 0


async def test_slots_per_day_below_the_cap_is_not_a_cut(big: httpx.AsyncClient) -> None:
    found, _ = await ask(
        big, {**availability_body("A100", days=["tue"], hours=[9]), "slots_per_day": 4}
    )
    assert found["truncated"] is False
    assert listed(found) == REVIEWERS * 4
    assert found["total_slots"] == REVIEWERS * 4


async def test_moving_a_booking_is_cut_and_paged_the_same_way(big: httpx.AsyncClient) -> None:
    made = await book(big, "A100", "rev-000", "2026-11-24T09:00:00-05:00")
    assert made.status_code == 201, made.text
    path = f"/v1/bookings/{made.json()['id']}/availability"
    every = {"days": [d.value for d in Weekday], "hours": list(range(24))}

    found, size = await ask(big, {"preferences": every}, path)
    assert found["truncated"] is True and listed(found) <= 2000 and size < 1_000_000

    mine, _ = await ask(big, {"preferences": every, "reviewer_id": "rev-000"}, path)
    assert mine["truncated"] is False
    [tuesday] = [day for _, _, day in days_of(mine) if day["date"] == "2026-11-24"]
    assert "9:00 am EST" in [s["label"] for s in tuesday["slots"]], "its own time is free"


@pytest.mark.parametrize("value", [2001, 10**9])
async def test_asking_for_more_than_the_cap_is_a_422_naming_the_field(
    big: httpx.AsyncClient, value: int
) -> None:
    response = await big.post(
        "/v1/availability", json={**availability_body("A100"), "max_slots": value}, headers=PORTAL
    )
    problem = assert_problem(response, 422, "validation", fields={"max_slots"})
    assert "max_slots can be at most 2000" in problem["detail"]


@pytest.mark.parametrize("value", [0, -1, "many"])
async def test_a_bad_max_slots_is_a_422(client: httpx.AsyncClient, value: Any) -> None:
    await push_case(client, "A100")
    body = {**availability_body("A100"), "max_slots": value}
    response = await client.post("/v1/availability", json=body, headers=PORTAL)
    assert_problem(response, 422, "validation", fields={"max_slots"})


async def test_the_cap_is_a_setting(settings: Settings, engine: Engine) -> None:
    open_all_week(engine, 10)
    capped = settings.model_copy(update={"availability_max_slots": 300})
    app = create_app(capped, engine=engine, clock=fixed_clock(NOW))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await push_case(http, "A100")
        found, _ = await ask(http, availability_body("A100"))
    # 70 reviewer-days: four slots each (280) fit in 300, five (350) do not
    assert (found["max_slots"], found["truncated"], listed(found)) == (300, True, 280)
    assert {len(day["slots"]) for _, _, day in days_of(found)} == {4}


async def test_a_small_week_is_listed_whole_as_before(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")  # 09:00–17:00 Mon–Fri New York
    await push_reviewer(client, "rev-la", time_zone="America/Los_Angeles")

    found, _ = await ask(client, availability_body("A100"))

    assert found["truncated"] is False
    # New York from 12:00 on Monday; Los Angeles works 12:00–20:00 New York time
    assert found["total_slots"] == listed(found) == (20 + 4 * 32) + (32 + 4 * 32)
    for _, _, day in days_of(found):
        assert len(day["slots"]) == day["total_slots"] > 0
        assert set(day) == {"date", "slots", "total_slots"}
