"""``slots_per_day``: a few times per reviewer's day and a count of all ("Show more…"), on
``POST /v1/availability`` and ``POST /v1/bookings/{id}/availability``, through the real app on
both databases.

NOW is Monday 2026-11-23 10:00 EST; minimum notice 2 h, so Monday's first start is 12:00 EST.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    PORTAL,
    assert_problem,
    availability_body,
    book,
    push_case,
    push_reviewer,
    weekly,
)

pytestmark = pytest.mark.anyio

TUE_0915 = "2026-11-24T09:15:00-05:00"


async def ask(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=PORTAL)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def days_of(found: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (reviewer_id, date, day) of an answer, in answer order."""
    return [
        (reviewer["reviewer_id"], day["date"], day)
        for tier in found["tiers"]
        for reviewer in tier["reviewers"]
        for day in reviewer["days"]
    ]


def assert_first_of(limited: dict[str, Any], full: dict[str, Any], n: int) -> None:
    """``limited`` is ``full`` with each day cut to its first ``n`` slots, nothing else."""
    assert {k: v for k, v in limited.items() if k != "tiers"} == {
        k: v for k, v in full.items() if k != "tiers"
    }
    assert [(t["tier"], t["label"]) for t in limited["tiers"]] == [
        (t["tier"], t["label"]) for t in full["tiers"]
    ]
    limited_days, full_days = days_of(limited), days_of(full)
    assert [(r, d) for r, d, _ in limited_days] == [(r, d) for r, d, _ in full_days]
    for (_, _, short), (_, _, whole) in zip(limited_days, full_days, strict=True):
        assert whole["total_slots"] == len(whole["slots"])
        assert short["total_slots"] == len(whole["slots"])
        assert short["slots"] == whole["slots"][:n]
        assert len(short["slots"]) == min(n, short["total_slots"])


async def test_each_day_lists_its_earliest_slots_and_counts_them_all(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")  # 09:00–17:00 New York
    await push_reviewer(client, "rev-short", working_hours=weekly("09:00", "09:30"))
    await push_reviewer(client, "rev-la", time_zone="America/Los_Angeles")
    assert (await book(client, "A100", "rev-ny", TUE_0915)).status_code == 201
    await push_case(client, "A200")

    full = await ask(client, "/v1/availability", availability_body("A200"))
    body = availability_body("A200")
    body["slots_per_day"] = 4
    limited = await ask(client, "/v1/availability", body)

    assert_first_of(limited, full, 4)
    days = {(r, d): day for r, d, day in days_of(limited)}
    tuesday = days["rev-ny", "2026-11-24"]
    # the booking at 09:15 is not there; the next free ones are, earliest first
    assert [s["label"] for s in tuesday["slots"]] == [
        "9:00 am EST",
        "9:30 am EST",
        "9:45 am EST",
        "10:00 am EST",
    ]
    assert tuesday["total_slots"] == 31
    # Monday starts after the 2-hour notice
    assert days["rev-ny", "2026-11-23"]["slots"][0]["label"] == "12:00 pm EST"
    assert days["rev-ny", "2026-11-23"]["total_slots"] == 20
    # a day with fewer slots than the limit lists them all
    short = days["rev-short", "2026-11-24"]
    assert (len(short["slots"]), short["total_slots"]) == (2, 2)


@pytest.mark.parametrize("n", [1, 3, 96])
async def test_any_limit_is_the_same_as_cutting_the_full_answer(
    client: httpx.AsyncClient, n: int
) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    await push_reviewer(client, "rev-phx", time_zone="America/Phoenix")
    full = await ask(client, "/v1/availability", availability_body("A100"))
    body = availability_body("A100")
    body["slots_per_day"] = n
    assert_first_of(await ask(client, "/v1/availability", body), full, n)


async def test_without_a_limit_nothing_changes_but_the_count(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    absent = await ask(client, "/v1/availability", availability_body("A100"))
    body = availability_body("A100")
    body["slots_per_day"] = None
    assert await ask(client, "/v1/availability", body) == absent  # null = absent (SPEC §9)
    for _, _, day in days_of(absent):
        assert set(day) == {"date", "slots", "total_slots"}
        assert day["total_slots"] == len(day["slots"])
    assert sum(day["total_slots"] for _, _, day in days_of(absent)) == 20 + 4 * 32


@pytest.mark.parametrize("value", [0, 97, -1, "x", 2.5, [4], {"n": 4}])
async def test_a_bad_limit_is_a_422_naming_the_field(client: httpx.AsyncClient, value: Any) -> None:
    await push_case(client, "A100")
    body = availability_body("A100")
    body["slots_per_day"] = value
    response = await client.post("/v1/availability", json=body, headers=PORTAL)
    problem = assert_problem(response, 422, "validation", fields={"slots_per_day"})
    assert "slots_per_day" in problem["detail"]


async def test_moving_a_booking_takes_the_limit_too(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    made = await book(client, "A100", "rev-ny", TUE_0915)
    assert made.status_code == 201, made.text
    path = f"/v1/bookings/{made.json()['id']}/availability"
    every = {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": list(range(24))}

    full = await ask(client, path, {"preferences": every})
    limited = await ask(client, path, {"preferences": every, "slots_per_day": 2})
    assert_first_of(limited, full, 2)
    days = {(r, d): day for r, d, day in days_of(limited)}
    # the booking's own time does not block it
    assert [s["start"] for s in days["rev-ny", "2026-11-24"]["slots"]] == [
        "2026-11-24T09:00:00-05:00",
        TUE_0915,
    ]
    assert days["rev-ny", "2026-11-24"]["total_slots"] == 32

    bad = await client.post(path, json={"slots_per_day": 0}, headers=PORTAL)
    assert_problem(bad, 422, "validation", fields={"slots_per_day"})


async def test_the_openapi_documents_the_limit_and_the_count(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    for request in ("AvailabilityIn", "MoveAvailabilityIn"):
        field = schemas[request]["properties"]["slots_per_day"]
        assert "slots_per_day" not in schemas[request].get("required", [])
        [number, null] = field["anyOf"]
        assert (number["type"], number["minimum"], number["maximum"]) == ("integer", 1, 96)
        assert null == {"type": "null"}
        assert "total_slots" in field["description"] and "Show more" in field["description"]
    day = schemas["DayOut"]
    assert set(day["required"]) == {"date", "slots", "total_slots"}
    assert day["properties"]["total_slots"]["type"] == "integer"


async def test_show_more_asks_for_the_day_without_the_limit(client: httpx.AsyncClient) -> None:
    """The page's "Show more…": the same request for that weekday only, without the limit."""
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    body = availability_body("A100")
    body["slots_per_day"] = 4
    limited = await ask(client, "/v1/availability", body)
    [wednesday] = [day for r, d, day in days_of(limited) if d == "2026-11-25"]
    assert len(wednesday["slots"]) < wednesday["total_slots"]

    more = await ask(client, "/v1/availability", availability_body("A100", days=["wed"]))
    [(_, date, day)] = days_of(more)
    assert date == "2026-11-25"
    assert len(day["slots"]) == day["total_slots"] == wednesday["total_slots"]
    assert day["slots"][:4] == wednesday["slots"]
