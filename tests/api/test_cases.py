"""PUT/GET /v1/cases/{case_number}: snapshots from the UM system, stored exactly, in UTC."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    ADMIN,
    MEMBER_DOB,
    MEMBER_ID,
    MEMBER_NAME,
    assert_problem,
    case_body,
    push_case,
)

pytestmark = pytest.mark.anyio


async def put(client: httpx.AsyncClient, number: str, body: dict[str, Any]) -> httpx.Response:
    return await client.put(f"/v1/cases/{number}", json=body, headers=ADMIN)


async def get(client: httpx.AsyncClient, number: str) -> httpx.Response:
    return await client.get(f"/v1/cases/{number}", headers=ADMIN)


def full_case_body() -> dict[str, Any]:
    """Every field set, instants with non-UTC offsets."""
    return case_body(
        line_of_business="medicaid",
        case_type="Cardiology Imaging",
        skill="cardiology",
        status="partially_approved",
        urgency="urgent",
        program="Oncology",
        received_at="2026-11-10T07:30:00-05:00",
        hold_due_at="2026-11-30T18:00:00+01:00",
        additional_info_received_at="2026-11-12T08:15:00-08:00",
        determination_at="2026-11-20T10:00:00-05:00",
        determined_by="rev-007",
        date_of_service="2026-12-15",
        appeal_filed_at="2026-11-21T23:45:00+05:30",
        post_decision_delegated=False,
        appeals_delegated=False,
        retrospective=True,
    )


#: what the API must give back for ``full_case_body()`` stored as A100
FULL_CASE_OUT = {
    "case_number": "A100",
    "member": {
        "name": MEMBER_NAME,
        "dob": MEMBER_DOB,
        "state": "PA",
        "member_id": MEMBER_ID,
        "health_plan": "Acme Health",
    },
    "line_of_business": "medicaid",
    "case_type": "Cardiology Imaging",
    "skill": "cardiology",
    "status": "partially_approved",
    "urgency": "urgent",
    "program": "oncology",
    "received_at": "2026-11-10T12:30:00Z",
    "hold_due_at": "2026-11-30T17:00:00Z",
    "additional_info_received_at": "2026-11-12T16:15:00Z",
    "determination_at": "2026-11-20T15:00:00Z",
    "determined_by": "rev-007",
    "date_of_service": "2026-12-15",
    "appeal_filed_at": "2026-11-21T18:15:00Z",
    "post_decision_delegated": False,
    "appeals_delegated": False,
    "retrospective": True,
}


# ---- create, replace, read ------------------------------------------------------------------


async def test_put_creates_with_201_and_location_then_replaces_with_200(
    client: httpx.AsyncClient,
) -> None:
    created = await put(client, "A100", case_body())
    assert created.status_code == 201
    assert created.headers["location"] == "/v1/cases/A100"
    assert created.headers["content-type"] == "application/json"
    assert created.json()["status"] == "denied"

    replaced = await put(client, "A100", case_body(status="approved"))
    assert replaced.status_code == 200
    assert replaced.headers["location"] == "/v1/cases/A100"
    assert replaced.json()["status"] == "approved"

    assert (await get(client, "A100")).json()["status"] == "approved"


async def test_get_returns_the_snapshot_exactly_with_instants_in_utc(
    client: httpx.AsyncClient,
) -> None:
    put_response = await put(client, "A100", full_case_body())
    assert put_response.status_code == 201
    assert put_response.json() == FULL_CASE_OUT

    response = await get(client, "A100")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == FULL_CASE_OUT


async def test_defaults_and_absent_optional_fields_read_back_as_defaults_and_null(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100")
    body = (await get(client, "A100")).json()
    assert body["urgency"] == "standard"
    assert body["post_decision_delegated"] is True
    assert body["appeals_delegated"] is True
    for name in (
        "hold_due_at",
        "additional_info_received_at",
        "determined_by",
        "date_of_service",
        "appeal_filed_at",
        "program",
    ):
        assert name in body and body[name] is None, name
    assert body["determination_at"] == "2026-11-20T15:00:00Z"
    assert body["received_at"] == "2026-11-10T14:00:00Z"


async def test_a_replacement_is_a_whole_snapshot_not_a_merge(client: httpx.AsyncClient) -> None:
    await put(client, "A100", full_case_body())
    replacement = case_body(status="in_review", member={"state": "TX"})
    replacement.pop("determination_at")
    response = await put(client, "A100", replacement)
    assert response.status_code == 200

    body = (await get(client, "A100")).json()
    assert body["status"] == "in_review"
    assert body["member"]["state"] == "TX"
    assert body["line_of_business"] == "commercial"
    assert body["urgency"] == "standard"
    for name in (
        "hold_due_at",
        "additional_info_received_at",
        "determination_at",
        "determined_by",
        "date_of_service",
        "appeal_filed_at",
    ):
        assert body[name] is None, name
    assert body["retrospective"] is False


async def test_cases_are_independent(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_case(client, "A101", status="approved")
    assert (await get(client, "A100")).json()["status"] == "denied"
    assert (await get(client, "A101")).json()["status"] == "approved"


async def test_fractional_seconds_survive_the_round_trip(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100", received_at="2026-11-10T07:00:00.250-05:00")
    assert (await get(client, "A100")).json()["received_at"] == "2026-11-10T12:00:00.250000Z"


@pytest.mark.parametrize(
    ("number"), ["A100", "a-1", "X.2026_11", "9" * 64], ids=["plain", "dash", "dot", "64-chars"]
)
async def test_case_numbers_of_the_identifier_pattern_are_accepted(
    client: httpx.AsyncClient, number: str
) -> None:
    assert (await put(client, number, case_body())).status_code == 201
    assert (await get(client, number)).json()["case_number"] == number


# ---- hold_due_at as a date ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        pytest.param("2026-12-01", "2026-12-02T04:59:59Z", id="winter-EST"),
        pytest.param("2026-07-01", "2026-07-02T03:59:59Z", id="summer-EDT"),
        pytest.param("2026-11-01", "2026-11-02T04:59:59Z", id="DST-ends-that-day"),
        pytest.param("2026-12-01T12:00:00-05:00", "2026-12-01T17:00:00Z", id="instant-kept"),
        pytest.param("2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z", id="midnight-utc-instant"),
    ],
)
async def test_hold_due_at_given_as_a_date_is_the_end_of_that_day_in_new_york(
    client: httpx.AsyncClient, given: str, stored: str
) -> None:
    body = case_body(status="pending_info", hold_due_at=given)
    body.pop("determination_at")
    response = await put(client, "A100", body)
    assert response.status_code == 201, response.text
    assert response.json()["hold_due_at"] == stored
    assert (await get(client, "A100")).json()["hold_due_at"] == stored


# ---- validation ----------------------------------------------------------------------------


def without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in names}


INVALID_CASES = [
    pytest.param(case_body(member={"state": "ZZ"}), {"member.state"}, id="bad-state"),
    pytest.param(case_body(member={"state": "pa"}), {"member.state"}, id="lowercase-state"),
    pytest.param(
        case_body(member={"state": "Pennsylvania"}), {"member.state"}, id="state-spelled-out"
    ),
    pytest.param(case_body(member={"dob": "2099-01-01"}), {"member.dob"}, id="dob-in-future"),
    pytest.param(case_body(member={"dob": "05/17/1970"}), {"member.dob"}, id="dob-not-iso"),
    pytest.param(
        case_body(received_at="2026-11-10T09:00:00"), {"received_at"}, id="naive-received-at"
    ),
    pytest.param(
        case_body(determination_at="2026-11-20 10:00"),
        {"determination_at"},
        id="naive-determination-at",
    ),
    pytest.param(
        case_body(appeal_filed_at="2026-11-21T10:00:00"),
        {"appeal_filed_at"},
        id="naive-appeal-filed-at",
    ),
    pytest.param(case_body(colour="red"), {"colour"}, id="unknown-field"),
    pytest.param(
        case_body(member={"nickname": "Q"}), {"member.nickname"}, id="unknown-member-field"
    ),
    pytest.param(case_body(line_of_business="tricare"), {"line_of_business"}, id="bad-lob"),
    pytest.param(case_body(status="closed"), {"status"}, id="bad-status"),
    pytest.param(case_body(urgency="asap"), {"urgency"}, id="bad-urgency"),
    pytest.param(case_body(skill="MSK Spine"), {"skill"}, id="bad-skill-code"),
    pytest.param(case_body(program="Medical Oncology"), {"program"}, id="program-with-a-space"),
    pytest.param(case_body(program=""), {"program"}, id="empty-program"),
    pytest.param(case_body(program="x" * 65), {"program"}, id="program-too-long"),
    pytest.param(case_body(program="onc\u0000"), {"program"}, id="program-control-char"),
    pytest.param(case_body(case_type="   "), {"case_type"}, id="blank-case-type"),
    pytest.param(case_body(date_of_service="next week"), {"date_of_service"}, id="bad-date"),
    pytest.param(case_body(determined_by="rev 7"), {"determined_by"}, id="bad-reviewer-id"),
    pytest.param(without(case_body(), "member"), {"member"}, id="missing-member"),
    pytest.param(without(case_body(), "status"), {"status"}, id="missing-status"),
]


@pytest.mark.parametrize(("body", "fields"), INVALID_CASES)
async def test_an_invalid_case_is_422_naming_the_field_and_stores_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], fields: set[str]
) -> None:
    assert_problem(await put(client, "A100", body), 422, "validation", fields=fields)
    assert_problem(await get(client, "A100"), 404, "not-found")


@pytest.mark.parametrize(("body", "fields"), INVALID_CASES)
async def test_an_invalid_replacement_leaves_the_stored_case_unchanged(
    client: httpx.AsyncClient, body: dict[str, Any], fields: set[str]
) -> None:
    before = await push_case(client, "A100")
    assert_problem(await put(client, "A100", body), 422, "validation", fields=fields)
    assert (await get(client, "A100")).json() == before


async def test_a_naive_hold_due_at_is_422_naming_hold_due_at(client: httpx.AsyncClient) -> None:
    body = case_body(hold_due_at="2026-12-01T10:00:00")
    problem = assert_problem(await put(client, "A100", body), 422, "validation")
    assert problem["errors"]
    assert all(e["field"].startswith("hold_due_at") for e in problem["errors"])
    assert_problem(await get(client, "A100"), 404, "not-found")


#: cross-field rules: status needs a date
CROSS_FIELD = [
    pytest.param(
        without(case_body(status="denied"), "determination_at"),
        "determination_at",
        id="denied-without-determination",
    ),
    pytest.param(
        without(case_body(status="partially_approved"), "determination_at"),
        "determination_at",
        id="partially-approved-without-determination",
    ),
    pytest.param(
        without(case_body(status="in_review"), "received_at"),
        "received_at",
        id="in-review-without-received-at",
    ),
    pytest.param(
        without(case_body(status="pending_info"), "received_at"),
        "received_at",
        id="pending-info-without-received-at",
    ),
]


@pytest.mark.parametrize(("body", "field"), CROSS_FIELD)
async def test_a_status_without_its_date_is_422_naming_that_field_and_stores_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(await put(client, "A100", body), 422, "validation", fields={field})
    assert field in problem["detail"]
    assert_problem(await get(client, "A100"), 404, "not-found")


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/v1/cases/A%20100", id="space"),
        pytest.param("/v1/cases/A100%20", id="trailing-space"),
        pytest.param("/v1/cases/.A100", id="leading-dot"),
        pytest.param("/v1/cases/-A100", id="leading-dash"),
        pytest.param("/v1/cases/A100%3B1", id="semicolon"),
        pytest.param("/v1/cases/%C3%84100", id="non-ascii"),
        pytest.param("/v1/cases/" + "A" * 65, id="65-chars"),
    ],
)
async def test_a_malformed_case_number_in_the_path_is_422_to_put_and_404_to_read(
    client: httpx.AsyncClient, path: str
) -> None:
    """PUT creates the case, so its number must be fixed (422); reading one that cannot
    exist is reading an unknown case (404, SPEC §9)."""
    assert_problem(
        await client.put(path, json=case_body(), headers=ADMIN),
        422,
        "validation",
        fields={"case_number"},
    )
    assert_problem(await client.get(path, headers=ADMIN), 404, "not-found")


@pytest.mark.parametrize(
    "path", ["/v1/cases/A/100", "/v1/cases/A%2F100"], ids=["slash", "encoded-slash"]
)
async def test_a_case_number_with_a_slash_is_not_a_case_path(
    client: httpx.AsyncClient, path: str
) -> None:
    """A slash splits the path (encoded or not), so no route matches: 404, nothing stored."""
    assert_problem(await client.put(path, json=case_body(), headers=ADMIN), 404, "not-found")
    assert_problem(await get(client, "A"), 404, "not-found")


@pytest.mark.parametrize(("body", "field"), CROSS_FIELD)
async def test_a_replacement_breaking_a_cross_field_rule_leaves_the_case_unchanged(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    before = await push_case(client, "A100")
    assert_problem(await put(client, "A100", body), 422, "validation", fields={field})
    assert (await get(client, "A100")).json() == before


async def test_concurrent_first_puts_of_one_case_all_succeed(client: httpx.AsyncClient) -> None:
    for attempt in range(3):
        number = f"RACE-{attempt}"
        responses = await asyncio.gather(*(put(client, number, case_body()) for _ in range(8)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 7 + [201], statuses
