"""PUT/GET /v1/reviewers/{reviewer_id}: profile, skills, licences, weekly hours, daily cap."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.api.helpers import ADMIN, assert_problem, hours, reviewer_body

pytestmark = pytest.mark.anyio

REVIEWER_FIELDS = {
    "reviewer_id",
    "name",
    "credentials",
    "email",
    "time_zone",
    "skills",
    "licensed_states",
    "working_hours",
    "max_consults_per_day",
    "active",
    "calendar_feed_url",
}


async def put(client: httpx.AsyncClient, reviewer_id: str, body: dict[str, Any]) -> httpx.Response:
    return await client.put(f"/v1/reviewers/{reviewer_id}", json=body, headers=ADMIN)


async def get(client: httpx.AsyncClient, reviewer_id: str) -> httpx.Response:
    return await client.get(f"/v1/reviewers/{reviewer_id}", headers=ADMIN)


async def test_put_creates_with_201_and_location_and_get_round_trips(
    client: httpx.AsyncClient,
) -> None:
    body = reviewer_body(
        skills={"msk_spine": 1, "pain_management": 2, "neurosurgery": 3},
        licensed_states=["TX", "PA", "NY"],
        working_hours=[
            hours("tue", "13:00", "17:00"),
            hours("mon", "09:00", "12:00"),
            hours("mon", "13:00", "17:30"),
            hours("sat", "08:00", "24:00"),
        ],
        max_consults_per_day=4,
        active=False,
    )
    created = await put(client, "rev-001", body)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/reviewers/rev-001"
    assert created.headers["content-type"] == "application/json"

    response = await get(client, "rev-001")
    assert response.status_code == 200
    got = response.json()
    assert set(got) >= REVIEWER_FIELDS
    assert "calendar_feed_url" in got
    assert got["reviewer_id"] == "rev-001"
    assert got["name"] == "Dr. Ada Reviewer"
    assert got["credentials"] == "MD"
    assert got["email"] == "ada.reviewer@example.org"
    assert got["time_zone"] == "America/Chicago"
    assert got["skills"] == {"msk_spine": 1, "pain_management": 2, "neurosurgery": 3}
    # licences are a set: the API lists them sorted
    assert got["licensed_states"] == ["NY", "PA", "TX"]
    # working hours come back in the order they were given
    assert got["working_hours"] == body["working_hours"]
    assert got["max_consults_per_day"] == 4
    assert got["active"] is False
    assert created.json() == got


async def test_optional_fields_take_their_defaults(client: httpx.AsyncClient) -> None:
    body = {
        "name": "Dr. Min Imal",
        "email": "min@example.org",
        "time_zone": "America/Phoenix",
        "skills": {"cardiology": 2},
    }
    assert (await put(client, "rev-min", body)).status_code == 201
    got = (await get(client, "rev-min")).json()
    assert got["credentials"] == ""
    assert got["licensed_states"] == []
    assert got["working_hours"] == []
    assert got["max_consults_per_day"] == 8
    assert got["active"] is True
    assert got["skills"] == {"cardiology": 2}
    assert "calendar_feed_url" in got


async def test_replacing_a_reviewer_replaces_skills_licences_and_hours(
    client: httpx.AsyncClient,
) -> None:
    await put(client, "rev-001", reviewer_body())
    replacement = reviewer_body(
        name="Dr. Ada Reviewer-Lovelace",
        time_zone="America/Los_Angeles",
        skills={"cardiology": 3},
        licensed_states=["CA"],
        working_hours=[hours("wed", "10:00", "11:00")],
        max_consults_per_day=2,
        active=False,
    )
    response = await put(client, "rev-001", replacement)
    assert response.status_code == 200
    assert response.headers["location"] == "/v1/reviewers/rev-001"

    got = (await get(client, "rev-001")).json()
    assert got["name"] == "Dr. Ada Reviewer-Lovelace"
    assert got["time_zone"] == "America/Los_Angeles"
    assert got["skills"] == {"cardiology": 3}
    assert got["licensed_states"] == ["CA"]
    assert got["working_hours"] == [hours("wed", "10:00", "11:00")]
    assert got["max_consults_per_day"] == 2
    assert got["active"] is False


async def test_replacing_with_empty_lists_leaves_no_leftovers(client: httpx.AsyncClient) -> None:
    await put(client, "rev-001", reviewer_body())
    response = await put(
        client, "rev-001", reviewer_body(skills={}, licensed_states=[], working_hours=[])
    )
    assert response.status_code == 200
    got = (await get(client, "rev-001")).json()
    assert (got["skills"], got["licensed_states"], got["working_hours"]) == ({}, [], [])


async def test_replacing_one_reviewer_leaves_another_alone(client: httpx.AsyncClient) -> None:
    first = reviewer_body(skills={"msk_spine": 1}, working_hours=[hours("mon", "09:00", "10:00")])
    second = reviewer_body(skills={"cardiology": 2}, working_hours=[hours("fri", "14:00", "15:00")])
    await put(client, "rev-001", first)
    await put(client, "rev-002", second)
    await put(client, "rev-001", reviewer_body(skills={"oncology": 1}, working_hours=[]))

    other = (await get(client, "rev-002")).json()
    assert other["skills"] == {"cardiology": 2}
    assert other["working_hours"] == [hours("fri", "14:00", "15:00")]


async def test_adjacent_blocks_on_one_day_do_not_overlap(client: httpx.AsyncClient) -> None:
    blocks = [hours("thu", "09:00", "12:00"), hours("thu", "12:00", "17:00")]
    assert (await put(client, "rev-001", reviewer_body(working_hours=blocks))).status_code == 201
    assert (await get(client, "rev-001")).json()["working_hours"] == blocks


async def test_an_unknown_reviewer_is_404(client: httpx.AsyncClient) -> None:
    problem = assert_problem(await get(client, "rev-404"), 404, "not-found")
    assert "rev-404" in problem["detail"]


# ---- validation ----------------------------------------------------------------------------

INVALID_REVIEWERS = [
    pytest.param(reviewer_body(time_zone="Mars/Olympus_Mons"), {"time_zone"}, id="tz-made-up"),
    pytest.param(
        reviewer_body(time_zone="Eastern Standard Time"), {"time_zone"}, id="tz-windows-name"
    ),
    pytest.param(reviewer_body(time_zone="+05:00"), {"time_zone"}, id="tz-offset"),
    pytest.param(reviewer_body(time_zone="america/chicago"), {"time_zone"}, id="tz-lowercase"),
    pytest.param(reviewer_body(licensed_states=["XX"]), {"licensed_states[0]"}, id="bad-state"),
    pytest.param(
        reviewer_body(licensed_states=["PA", "tx"]), {"licensed_states[1]"}, id="lowercase-state"
    ),
    pytest.param(
        reviewer_body(working_hours=[hours("monday", "09:00", "17:00")]),
        {"working_hours[0].weekday"},
        id="weekday-spelled-out",
    ),
    pytest.param(
        reviewer_body(working_hours=[hours("xyz", "09:00", "17:00")]),
        {"working_hours[0].weekday"},
        id="weekday-unknown",
    ),
    pytest.param(
        reviewer_body(working_hours=[hours("mon", "9am", "17:00")]),
        {"working_hours[0].start"},
        id="start-9am",
    ),
    pytest.param(
        reviewer_body(working_hours=[hours("mon", "09:00", "25:00")]),
        {"working_hours[0].end"},
        id="end-25:00",
    ),
    pytest.param(
        reviewer_body(working_hours=[hours("mon", "9:00", "17:00")]),
        {"working_hours[0].start"},
        id="start-one-digit-hour",
    ),
    pytest.param(
        reviewer_body(working_hours=[hours("mon", "09:60", "17:00")]),
        {"working_hours[0].start"},
        id="start-60-minutes",
    ),
    pytest.param(
        reviewer_body(
            working_hours=[hours("tue", "09:00", "10:00"), hours("tue", "12:00", "09:00")]
        ),
        {"working_hours[1].end"},
        id="end-before-start",
    ),
    pytest.param(
        reviewer_body(working_hours=[hours("tue", "09:00", "09:00")]),
        {"working_hours[0].end"},
        id="end-equals-start",
    ),
    pytest.param(reviewer_body(skills={"msk_spine": 0}), {"skills.msk_spine"}, id="priority-0"),
    pytest.param(reviewer_body(skills={"msk_spine": -1}), {"skills.msk_spine"}, id="priority-neg"),
    pytest.param(reviewer_body(skills={"msk_spine": 10}), {"skills.msk_spine"}, id="priority-10"),
    pytest.param(reviewer_body(max_consults_per_day=0), {"max_consults_per_day"}, id="cap-0"),
    pytest.param(reviewer_body(email="not-an-email"), {"email"}, id="bad-email"),
    pytest.param(reviewer_body(name=""), {"name"}, id="empty-name"),
    pytest.param(reviewer_body(phone="555-0100"), {"phone"}, id="unknown-field"),
    pytest.param(
        reviewer_body(working_hours=[{**hours("mon", "09:00", "10:00"), "note": "x"}]),
        {"working_hours[0].note"},
        id="unknown-hours-field",
    ),
]


@pytest.mark.parametrize(("body", "fields"), INVALID_REVIEWERS)
async def test_an_invalid_reviewer_is_422_naming_the_field_and_stores_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], fields: set[str]
) -> None:
    assert_problem(await put(client, "rev-001", body), 422, "validation", fields=fields)
    assert_problem(await get(client, "rev-001"), 404, "not-found")


@pytest.mark.parametrize(("body", "fields"), INVALID_REVIEWERS)
async def test_an_invalid_replacement_leaves_the_stored_reviewer_unchanged(
    client: httpx.AsyncClient, body: dict[str, Any], fields: set[str]
) -> None:
    assert (await put(client, "rev-001", reviewer_body())).status_code == 201
    before = (await get(client, "rev-001")).json()
    assert_problem(await put(client, "rev-001", body), 422, "validation", fields=fields)
    assert (await get(client, "rev-001")).json() == before


#: whole-body rules (overlapping hours, a repeated licence)
WHOLE_BODY = [
    pytest.param(
        reviewer_body(
            working_hours=[hours("mon", "09:00", "12:00"), hours("mon", "11:00", "13:00")]
        ),
        "working_hours",
        "overlap",
        id="overlapping-hours",
    ),
    pytest.param(
        reviewer_body(
            working_hours=[
                hours("fri", "13:00", "17:00"),
                hours("mon", "09:00", "10:00"),
                hours("fri", "08:00", "18:00"),
            ]
        ),
        "working_hours",
        "overlap",
        id="overlap-containing-block",
    ),
    pytest.param(
        reviewer_body(licensed_states=["PA", "PA"]),
        "licensed_states",
        "more than once",
        id="repeated-licence",
    ),
]


@pytest.mark.parametrize(("body", "field", "words"), WHOLE_BODY)
async def test_a_whole_body_rule_is_422_naming_its_field_and_stores_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], field: str, words: str
) -> None:
    problem = assert_problem(await put(client, "rev-001", body), 422, "validation", fields={field})
    assert words in problem["detail"]
    assert field in problem["detail"]
    assert_problem(await get(client, "rev-001"), 404, "not-found")


@pytest.mark.parametrize(
    "reviewer_id", ["rev%20001", ".rev", "rev%3A1", "r" * 65], ids=["space", "dot", "colon", "65"]
)
async def test_a_malformed_reviewer_id_in_the_path_is_422(
    client: httpx.AsyncClient, reviewer_id: str
) -> None:
    response = await client.put(f"/v1/reviewers/{reviewer_id}", json=reviewer_body(), headers=ADMIN)
    assert_problem(response, 422, "validation", fields={"reviewer_id"})


async def test_an_invalid_skill_code_is_422_naming_the_skill(client: httpx.AsyncClient) -> None:
    response = await put(client, "rev-001", reviewer_body(skills={"MSK Spine": 1}))
    problem = assert_problem(response, 422, "validation")
    assert [e["field"].startswith("skills.MSK Spine") for e in problem["errors"]] == [True]


async def test_concurrent_replacements_of_a_reviewer_leave_one_whole_profile(
    client: httpx.AsyncClient,
) -> None:
    await put(client, "rev-001", reviewer_body())
    bodies = [
        reviewer_body(
            skills={f"skill_{i}": 1},
            licensed_states=[state],
            working_hours=[hours("mon", f"{9 + i:02d}:00", f"{10 + i:02d}:00")],
        )
        for i, state in enumerate(["CA", "NY", "TX", "FL"])
    ]
    responses = await asyncio.gather(*(put(client, "rev-001", body) for body in bodies))
    assert [r.status_code for r in responses] == [200] * 4
    got = (await get(client, "rev-001")).json()
    winner = bodies[[b["licensed_states"] for b in bodies].index(got["licensed_states"])]
    assert got["skills"] == winner["skills"]
    assert got["working_hours"] == winner["working_hours"]


async def test_concurrent_first_puts_of_one_reviewer_all_succeed(
    client: httpx.AsyncClient,
) -> None:
    for attempt in range(3):
        reviewer_id = f"rev-race-{attempt}"
        responses = await asyncio.gather(
            *(put(client, reviewer_id, reviewer_body()) for _ in range(8))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 7 + [201], statuses
