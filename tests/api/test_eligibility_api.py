"""POST /v1/eligibility through the API: cases pushed with PUT, then looked up at NOW.

NOW is Monday 2026-11-23T15:00Z (10:00 in New York); the policy's zone is America/New_York.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    MEMBER_DOB,
    MEMBER_ID,
    MEMBER_NAME,
    PORTAL,
    THREE_DAYS_AGO,
    WRONG_DOB,
    assert_problem,
    check,
    lookup,
    push_case,
)

pytestmark = pytest.mark.anyio

TOP_LEVEL = {"eligible", "valid_until", "duration_minutes", "messages", "cases"}
PER_CASE = {
    "case_number",
    "found",
    "eligible",
    "level_of_review",
    "valid_until",
    "decision_can_change",
    "messages",
    "case_type",
    "line_of_business",
    "member_state",
}
#: reconsideration for a denial on 2026-11-20 (New York): 14 calendar days → end of 2026-12-04 EST
RECONSIDERATION_UNTIL = "2026-12-05T04:59:59Z"
#: consultative-only for the same denial: 30 calendar days → end of 2026-12-20 EST
CONSULTATIVE_UNTIL = "2026-12-21T04:59:59Z"


def assert_shape(body: dict[str, Any]) -> None:
    """SPEC §7's eligibility shape: every named field present (more are allowed)."""
    assert set(body) >= TOP_LEVEL, body
    assert isinstance(body["eligible"], bool)
    assert isinstance(body["duration_minutes"], int)
    assert isinstance(body["messages"], list)
    assert all(isinstance(m, str) and m.strip() for m in body["messages"])
    for case in body["cases"]:
        assert set(case) >= PER_CASE, case
        assert isinstance(case["found"], bool)
        assert isinstance(case["eligible"], bool)
        assert case["messages"] and all(isinstance(m, str) and m.strip() for m in case["messages"])


async def eligibility(client: httpx.AsyncClient, *cases: dict[str, str]) -> dict[str, Any]:
    response = await check(client, *cases)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_shape(body)
    return body


# ---- one case ------------------------------------------------------------------------------


async def test_commercial_denial_three_days_ago_allows_reconsideration_for_14_days(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100", determination_at=THREE_DAYS_AGO)
    body = await eligibility(client, lookup("A100"))

    assert body["eligible"] is True
    assert body["valid_until"] == RECONSIDERATION_UNTIL
    assert body["duration_minutes"] == 15
    assert body["messages"]
    [case] = body["cases"]
    assert case["case_number"] == "A100"
    assert case["found"] is True
    assert case["eligible"] is True
    assert case["level_of_review"] == "reconsideration"
    assert case["valid_until"] == RECONSIDERATION_UNTIL
    assert case["decision_can_change"] is True
    assert case["case_type"] == "MSK Spine Surgery"
    assert case["line_of_business"] == "commercial"
    assert case["member_state"] == "PA"
    assert any("Fri 12/4/2026 11:59 pm EST" in message for message in case["messages"])


async def test_the_window_counts_from_the_determination_date_in_new_york(
    client: httpx.AsyncClient,
) -> None:
    """03:30Z on the 21st is still the evening of the 20th in New York."""
    await push_case(client, "A100", determination_at="2026-11-21T03:30:00Z")
    body = await eligibility(client, lookup("A100"))
    assert body["cases"][0]["valid_until"] == RECONSIDERATION_UNTIL


async def test_a_denial_more_than_14_days_ago_falls_back_to_consultative_only(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100", determination_at="2026-11-05T15:00:00Z")
    [case] = (await eligibility(client, lookup("A100")))["cases"]
    assert case["eligible"] is True
    assert case["level_of_review"] == "consultative_only"
    assert case["decision_can_change"] is False
    assert case["valid_until"] == "2026-12-06T04:59:59Z"


async def test_medicare_denial_is_consultative_only_and_cannot_change_the_decision(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "M200", line_of_business="medicare", determination_at=THREE_DAYS_AGO)
    body = await eligibility(client, lookup("M200"))

    assert body["eligible"] is True
    assert body["valid_until"] == CONSULTATIVE_UNTIL
    [case] = body["cases"]
    assert case["found"] is True
    assert case["eligible"] is True
    assert case["level_of_review"] == "consultative_only"
    assert case["decision_can_change"] is False
    assert case["valid_until"] == CONSULTATIVE_UNTIL
    assert case["line_of_business"] == "medicare"
    assert any("consultative only" in message for message in case["messages"])


async def test_pending_info_case_is_pre_decision_until_the_hold_date(
    client: httpx.AsyncClient,
) -> None:
    await push_case(
        client, "P300", status="pending_info", hold_due_at="2026-12-01", determination_at=None
    )
    [case] = (await eligibility(client, lookup("P300")))["cases"]
    assert case["eligible"] is True
    assert case["level_of_review"] == "pre_decision"
    assert case["decision_can_change"] is True
    assert case["valid_until"] == "2026-12-02T04:59:59Z"


@pytest.mark.parametrize(("status", "word"), [("approved", "approved"), ("withdrawn", "withdrawn")])
async def test_an_approved_or_withdrawn_case_is_not_eligible_with_a_message(
    client: httpx.AsyncClient, status: str, word: str
) -> None:
    await push_case(client, "A100", status=status, determination_at=None)
    body = await eligibility(client, lookup("A100"))

    assert body["eligible"] is False
    assert body["valid_until"] is None
    assert any("A100" in message for message in body["messages"])
    [case] = body["cases"]
    assert case["found"] is True
    assert case["eligible"] is False
    assert case["level_of_review"] is None
    assert case["valid_until"] is None
    assert any(word in message for message in case["messages"])
    assert case["line_of_business"] == "commercial"


async def test_a_case_replaced_by_a_later_snapshot_is_judged_on_the_new_one(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100")
    assert (await eligibility(client, lookup("A100")))["eligible"] is True
    await push_case(client, "A100", status="approved")
    assert (await eligibility(client, lookup("A100")))["eligible"] is False


# ---- not found: unknown number and wrong date of birth look the same --------------------------

NOT_FOUND_ENTRY_NULLS = (
    "level_of_review",
    "valid_until",
    "decision_can_change",
    "case_type",
    "line_of_business",
    "member_state",
)


async def test_unknown_case_and_wrong_dob_get_identical_answers(
    client: httpx.AsyncClient,
) -> None:
    unknown = await check(client, lookup("A100"))  # before A100 exists
    await push_case(client, "A100")
    wrong_dob = await check(client, lookup("A100", WRONG_DOB))

    assert unknown.status_code == wrong_dob.status_code == 200
    assert unknown.json() == wrong_dob.json()
    assert unknown.content == wrong_dob.content

    body = wrong_dob.json()
    assert_shape(body)
    assert body["eligible"] is False
    assert body["valid_until"] is None
    [case] = body["cases"]
    assert case["case_number"] == "A100"
    assert case["found"] is False
    assert case["eligible"] is False
    for name in NOT_FOUND_ENTRY_NULLS:
        assert case[name] is None, name
    assert case["messages"]


async def test_unknown_and_wrong_dob_entries_differ_only_by_case_number(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100")
    body = await eligibility(client, lookup("NOPE-1"), lookup("A100", WRONG_DOB))
    unknown, wrong = body["cases"]
    assert {**unknown, "case_number": "A100"} == wrong
    assert set(body["blocking_cases"]) == {"NOPE-1", "A100"}


# ---- several cases -------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 5, 10])
async def test_duration_is_15_minutes_per_case(client: httpx.AsyncClient, count: int) -> None:
    numbers = [f"D{i:03d}" for i in range(count)]
    for number in numbers:
        await push_case(client, number)
    body = await eligibility(client, *(lookup(n) for n in numbers))
    assert body["eligible"] is True
    assert body["duration_minutes"] == 15 * count
    assert [c["case_number"] for c in body["cases"]] == numbers


async def test_a_multi_case_request_is_valid_until_its_earliest_case(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100")  # reconsideration → 2026-12-05T04:59:59Z
    await push_case(client, "M200", line_of_business="medicare")  # → 2026-12-21T04:59:59Z
    await push_case(
        client, "P300", status="pending_info", hold_due_at="2026-12-01", determination_at=None
    )  # → 2026-12-02T04:59:59Z
    body = await eligibility(client, lookup("M200"), lookup("A100"), lookup("P300"))

    assert body["eligible"] is True
    assert body["duration_minutes"] == 45
    assert body["valid_until"] == "2026-12-02T04:59:59Z"
    assert [c["valid_until"] for c in body["cases"]] == [
        CONSULTATIVE_UNTIL,
        RECONSIDERATION_UNTIL,
        "2026-12-02T04:59:59Z",
    ]
    assert [c["level_of_review"] for c in body["cases"]] == [
        "consultative_only",
        "reconsideration",
        "pre_decision",
    ]
    assert body["blocking_cases"] == []


async def test_one_blocked_case_blocks_the_request_and_is_named(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100")
    await push_case(client, "B200", status="approved", determination_at=None)
    body = await eligibility(client, lookup("A100"), lookup("B200"))

    assert body["eligible"] is False
    assert body["valid_until"] is None
    assert body["duration_minutes"] == 30
    assert body["blocking_cases"] == ["B200"]
    assert any("B200" in message for message in body["messages"])
    assert not any("A100" in message for message in body["messages"])
    ok, blocked = body["cases"]
    assert ok["eligible"] is True and ok["valid_until"] == RECONSIDERATION_UNTIL
    assert blocked["eligible"] is False and blocked["found"] is True


async def test_an_unknown_case_blocks_a_multi_case_request(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    body = await eligibility(client, lookup("A100"), lookup("GHOST-9"))
    assert body["eligible"] is False
    assert body["blocking_cases"] == ["GHOST-9"]
    assert any("GHOST-9" in message for message in body["messages"])


# ---- PHI -----------------------------------------------------------------------------------


async def test_the_answer_never_reveals_member_name_id_or_dob(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_case(client, "B200", status="approved", determination_at=None)
    await push_case(client, "M200", line_of_business="medicare")
    for cases in (
        [lookup("A100")],
        [lookup("B200")],
        [lookup("A100", WRONG_DOB)],
        [lookup("A100"), lookup("M200"), lookup("B200"), lookup("NOPE-1")],
    ):
        response = await check(client, *cases)
        assert response.status_code == 200
        text = response.text
        for secret in (MEMBER_NAME, "Zebedee", MEMBER_ID, MEMBER_DOB, WRONG_DOB):
            assert secret not in text, (secret, cases)


async def test_a_look_up_is_a_post_and_never_a_query_string(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/eligibility", params={"case_number": "A100", "member_dob": MEMBER_DOB}
    )
    assert_problem(response, 405, "method-not-allowed")


# ---- validation ----------------------------------------------------------------------------

INVALID_REQUESTS = [
    pytest.param({"cases": []}, {"cases"}, id="no-cases"),
    pytest.param({}, {"cases"}, id="cases-missing"),
    pytest.param({"cases": "A100"}, {"cases"}, id="cases-not-a-list"),
    pytest.param({"cases": [lookup(f"C{i:03d}") for i in range(11)]}, {"cases"}, id="more-than-10"),
    pytest.param({"cases": [lookup("A100"), lookup("A100")]}, {"cases"}, id="duplicate"),
    pytest.param(
        {"cases": [lookup("A100"), lookup("B200"), lookup("A100", WRONG_DOB)]},
        {"cases"},
        id="duplicate-with-other-dob",
    ),
    pytest.param(
        {"cases": [lookup("A100", "17/05/1970")]}, {"cases[0].member_dob"}, id="dob-not-iso"
    ),
    pytest.param({"cases": [{"case_number": "A100"}]}, {"cases[0].member_dob"}, id="dob-missing"),
    pytest.param(
        {"cases": [lookup("A100"), lookup("A 200")]},
        {"cases[1].case_number"},
        id="case-number-with-space",
    ),
    pytest.param(
        {"cases": [lookup("A/200")]}, {"cases[0].case_number"}, id="case-number-with-slash"
    ),
    pytest.param(
        {"cases": [{**lookup("A100"), "member_name": "x"}]},
        {"cases[0].member_name"},
        id="unknown-case-field",
    ),
    pytest.param({"cases": [lookup("A100")], "week": 1}, {"week"}, id="unknown-field"),
]


@pytest.mark.parametrize(("body", "fields"), INVALID_REQUESTS)
async def test_an_invalid_look_up_is_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], fields: set[str]
) -> None:
    await push_case(client, "A100")
    response = await client.post("/v1/eligibility", json=body, headers=PORTAL)
    assert_problem(response, 422, "validation", fields=fields)


async def test_the_case_limit_comes_from_the_policy(client: httpx.AsyncClient) -> None:
    body = {"cases": [lookup(f"C{i:03d}") for i in range(11)]}
    response = await client.post("/v1/eligibility", json=body, headers=PORTAL)
    problem = assert_problem(response, 422, "validation", fields={"cases"})
    assert "10" in problem["detail"]
    ten = await check(client, *body["cases"][:10])
    assert ten.status_code == 200


async def test_a_duplicate_is_named_in_the_detail(client: httpx.AsyncClient) -> None:
    response = await check(client, lookup("A100"), lookup("B200"), lookup("A100"))
    problem = assert_problem(response, 422, "validation", fields={"cases"})
    assert "A100" in problem["detail"]
    assert "B200" not in problem["detail"]
