"""SPEC §9 "Lenient where clients differ": an explicit ``null`` for an optional field means the
same as leaving it out, on every route; skill codes and the code lists are accepted in any
case. And "strict where it matters": a required field stays required, a 422 names its
field in words a person can read (no regular expressions, no field paths).

NOW is Monday 2026-11-23T15:00Z = 10:00 EST. The default case is a commercial PA denial three
days before NOW (a reconsideration); the reviewer works 09:00–17:00 Mon–Fri in New York.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    ADMIN,
    MEMBER_DOB,
    PORTAL,
    REVIEWER,
    assert_problem,
    availability_body,
    book,
    booking_body,
    case_body,
    contact_body,
    hours,
    lookup,
    push_case,
    push_reviewer,
    reviewer_body,
    reviewer_ids,
    slot_body,
    slot_starts,
)

pytestmark = pytest.mark.anyio

TUESDAY_10 = "2026-11-24T10:00:00-05:00"
TUESDAY_11 = "2026-11-24T11:00:00-05:00"
CONTACT_OPTIONALS = (
    "contact_name",
    "contact_location",
    "phone_ext",
    "alt_phone",
    "alt_phone_ext",
    "instructions",
)


async def booked(client: httpx.AsyncClient, case_number: str, start: str = TUESDAY_10) -> dict:
    response = await book(client, case_number, "rev-a", start)
    assert response.status_code == 201, response.text
    return response.json()


# ---- null means absent -----------------------------------------------------------------------


async def test_null_optional_contact_fields_and_hold_id_book_like_absent_ones(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "L1")
    await push_case(client, "L2")
    nulls = booking_body("L1", "rev-a", TUESDAY_10, **dict.fromkeys(CONTACT_OPTIONALS))
    nulls["hold_id"] = None
    with_nulls = await client.post("/v1/bookings", json=nulls, headers=PORTAL)
    assert with_nulls.status_code == 201, with_nulls.text

    absent = booking_body("L2", "rev-a", TUESDAY_11)
    for key in CONTACT_OPTIONALS:
        del absent["contact"][key]
    without = await client.post("/v1/bookings", json=absent, headers=PORTAL)
    assert without.status_code == 201, without.text

    assert with_nulls.json()["contact"] == without.json()["contact"]
    assert {key: with_nulls.json()["contact"][key] for key in CONTACT_OPTIONALS} == dict.fromkeys(
        CONTACT_OPTIONALS, ""
    )


async def test_null_week_start_and_preferences_find_what_absent_ones_find(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "L1")
    absent = availability_body("L1", days=None, hours=None)
    del absent["preferences"]
    expected = await client.post("/v1/availability", json=absent, headers=PORTAL)
    assert expected.status_code == 200, expected.text
    assert slot_starts(expected.json(), "rev-a")
    for nulls in (
        {"week_start": None, "preferences": None},
        {"week_start": None, "preferences": {"days": None, "hours": None}},
    ):
        response = await client.post("/v1/availability", json={**absent, **nulls}, headers=PORTAL)
        assert response.status_code == 200, (nulls, response.text)
        assert response.json() == expected.json()


async def test_null_optional_case_fields_store_what_absent_ones_store(
    client: httpx.AsyncClient,
) -> None:
    optional = {
        "urgency": None,
        "hold_due_at": None,
        "additional_info_received_at": None,
        "determined_by": None,
        "date_of_service": None,
        "appeal_filed_at": None,
        "post_decision_delegated": None,
        "appeals_delegated": None,
        "retrospective": None,
    }
    stored = await push_case(client, "L1")
    nulls = {**case_body(), **optional}
    response = await client.put("/v1/cases/L2", json=nulls, headers=ADMIN)
    assert response.status_code == 201, response.text
    assert {**response.json(), "case_number": "L1"} == stored


async def test_null_optional_reviewer_fields_store_what_absent_ones_store(
    client: httpx.AsyncClient,
) -> None:
    optional = ("credentials", "licensed_states", "working_hours", "max_consults_per_day", "active")
    absent = {k: v for k, v in reviewer_body().items() if k not in optional}
    expected = await client.put("/v1/reviewers/rev-1", json=absent, headers=ADMIN)
    assert expected.status_code == 201, expected.text
    nulls = {**absent, **dict.fromkeys(optional)}
    response = await client.put("/v1/reviewers/rev-2", json=nulls, headers=ADMIN)
    assert response.status_code == 201, response.text
    strip = ("reviewer_id", "calendar_feed_url")
    assert {k: v for k, v in response.json().items() if k not in strip} == {
        k: v for k, v in expected.json().items() if k not in strip
    }


async def test_null_optional_fields_of_the_lifecycle_routes_mean_absent(
    client: httpx.AsyncClient,
) -> None:
    """reschedule (reviewer_id), move times (time_zone, week_start, preferences), cancel
    (reason_text), complete and no-show (notes), time off (reason), pending requests
    (preferences)."""
    await push_reviewer(client, "rev-a")
    for number in ("L1", "L2", "L3", "L4"):
        await push_case(client, number)
    first = await booked(client, "L1")
    url = f"/v1/bookings/{first['id']}"

    moved = await client.post(
        f"{url}/reschedule", json={"start": TUESDAY_11, "reviewer_id": None}, headers=PORTAL
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["reviewer"]["reviewer_id"] == "rev-a"

    options = await client.post(
        f"{url}/availability",
        json={"time_zone": None, "week_start": None, "preferences": None},
        headers=PORTAL,
    )
    assert options.status_code == 200, options.text
    assert options.json()["time_zone"] == "America/New_York"

    cancelled = await client.post(
        f"{url}/cancel", json={"reason_code": "duplicate", "reason_text": None}, headers=PORTAL
    )
    assert cancelled.status_code == 200, cancelled.text
    # ``other`` still needs its text: null is no text
    second = await booked(client, "L2", "2026-11-24T12:00:00-05:00")
    other = await client.post(
        f"/v1/bookings/{second['id']}/cancel",
        json={"reason_code": "other", "reason_text": None},
        headers=PORTAL,
    )
    assert_problem(other, 422, "validation", fields={"reason_text"})

    done = await client.post(
        f"/v1/bookings/{second['id']}/complete",
        json={"outcome": "upheld", "notes": None},
        headers=ADMIN,
    )
    assert done.status_code == 200, done.text
    third = await booked(client, "L3", "2026-11-24T13:00:00-05:00")
    missed = await client.post(
        f"/v1/bookings/{third['id']}/no-show",
        json={"party": "provider", "notes": None},
        headers=ADMIN,
    )
    assert missed.status_code == 200, missed.text

    off = await client.post(
        "/v1/reviewers/rev-a/time-off",
        json={"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z", "reason": None},
        headers=ADMIN,
    )
    assert off.status_code == 201, off.text

    pending = await client.post(
        "/v1/p2p-requests",
        json={
            "cases": [lookup("L4")],
            "time_zone": "America/New_York",
            "preferences": None,
            "contact": contact_body(phone_ext=None, alt_phone_ext=None, instructions=None),
        },
        headers=PORTAL,
    )
    assert pending.status_code == 201, pending.text
    assert pending.json()["status"] == "pending_assignment"


async def test_null_for_a_required_field_is_still_a_422_naming_it(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "L1")
    body = booking_body("L1", "rev-a", TUESDAY_10, phone=None)
    response = await client.post("/v1/bookings", json=body, headers=PORTAL)
    assert_problem(response, 422, "validation", fields={"contact.phone"})
    body = {**booking_body("L1", "rev-a", TUESDAY_10), "time_zone": None}
    response = await client.post("/v1/bookings", json=body, headers=PORTAL)
    assert_problem(response, 422, "validation", fields={"time_zone"})


def _request_schemas(document: dict[str, Any]) -> set[str]:
    """Every component schema a request body reaches, directly or nested."""
    schemas = document["components"]["schemas"]
    pending = [
        content["schema"]  # application/json, or FHIR's application/fhir+json
        for item in document["paths"].values()
        for operation in item.values()
        if (body := operation.get("requestBody"))
        for content in body["content"].values()
    ]
    found: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[-1]
                if name not in found:
                    found.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def _allows_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(_allows_null(s) for s in schema.get("anyOf", []))


async def test_the_openapi_shows_every_optional_request_field_as_nullable(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    names = _request_schemas(document)
    assert {"BookingIn", "ContactIn", "CaseIn", "ReviewerIn", "CancelIn", "TimeOffIn"} <= names
    not_nullable = [
        f"{name}.{field}"
        for name in sorted(names)
        if schemas[name].get("type") == "object"
        for field, schema in schemas[name].get("properties", {}).items()
        if field not in schemas[name].get("required", []) and not _allows_null(schema)
    ]
    assert not_nullable == []


# ---- skill codes and code lists in any case --------------------------------------------------


async def test_a_case_pushed_as_MSK_SPINE_is_booked_with_a_msk_spine_reviewer(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a", skills={"msk_spine": 1})
    await push_reviewer(client, "rev-b", skills={"Msk_Spine": 2})
    stored = await push_case(client, "S1", skill="MSK_SPINE")
    assert stored["skill"] == "msk_spine"
    reviewer = await client.get("/v1/reviewers/rev-b", headers=ADMIN)
    assert reviewer.json()["skills"] == {"msk_spine": 2}

    response = await client.post("/v1/availability", json=availability_body("S1"), headers=PORTAL)
    assert response.status_code == 200, response.text
    found = response.json()
    assert [tier["tier"] for tier in found["tiers"]] == [1, 2]
    assert reviewer_ids(found) == ["rev-a", "rev-b"]
    assert TUESDAY_10 in slot_starts(found, "rev-a")

    made = await book(client, "S1", "rev-b", TUESDAY_10)
    assert made.status_code == 201, made.text
    assert made.json()["reviewer"]["reviewer_id"] == "rev-b"


async def test_one_skill_listed_in_two_spellings_is_a_422_naming_skills(
    client: httpx.AsyncClient,
) -> None:
    body = reviewer_body(skills={"MSK_SPINE": 1, "msk_spine": 2})
    response = await client.put("/v1/reviewers/rev-1", json=body, headers=ADMIN)
    problem = assert_problem(response, 422, "validation", fields={"skills"})
    assert "MSK_SPINE" in problem["detail"] and "msk_spine" in problem["detail"]


@pytest.mark.parametrize(
    ("skill", "ok"),
    [
        ("MSK.Spine-2_b", True),
        ("x", True),
        ("_pain", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("", False),
        ("msk spine", False),
        ("msk/spine", False),
        ("mskñ", False),
    ],
)
async def test_skill_codes_are_1_to_64_letters_digits_dots_dashes_and_underscores(
    client: httpx.AsyncClient, skill: str, ok: bool
) -> None:
    response = await client.put("/v1/cases/S1", json=case_body(skill=skill), headers=ADMIN)
    if ok:
        assert response.status_code == 201, response.text
        assert response.json()["skill"] == skill.lower()
    else:
        problem = assert_problem(response, 422, "validation", fields={"skill"})
        assert "letters, digits" in problem["detail"]


async def test_code_lists_are_accepted_in_any_case(client: httpx.AsyncClient) -> None:
    await push_reviewer(
        client,
        "rev-a",
        working_hours=[hours("TUE", "09:00", "17:00"), hours("Wed", "09:00", "17:00")],
    )
    stored = await push_case(
        client, "C1", line_of_business="Commercial", status="DENIED", urgency="Standard"
    )
    assert (stored["line_of_business"], stored["status"], stored["urgency"]) == (
        "commercial",
        "denied",
        "standard",
    )
    for number in ("C2", "C3"):
        await push_case(client, number)
    reviewer = (await client.get("/v1/reviewers/rev-a", headers=ADMIN)).json()
    assert [h["weekday"] for h in reviewer["working_hours"]] == ["tue", "wed"]

    found = await client.post(
        "/v1/availability",
        json={**availability_body("C1"), "preferences": {"days": ["TUE"], "hours": [10]}},
        headers=PORTAL,
    )
    assert found.status_code == 200, found.text
    assert slot_starts(found.json(), "rev-a")[0] == TUESDAY_10

    made = await book(client, "C1", "rev-a", TUESDAY_10, provider_role="Nurse_Practitioner")
    assert made.status_code == 201, made.text
    assert made.json()["contact"]["provider_role"] == "nurse_practitioner"
    listed = await client.get("/v1/bookings", params={"status": "SCHEDULED"}, headers=PORTAL)
    assert [b["id"] for b in listed.json()["items"]] == [made.json()["id"]]

    cancelled = await client.post(
        f"/v1/bookings/{made.json()['id']}/cancel",
        json={"reason_code": "Provider_Unavailable"},
        headers=PORTAL,
    )
    assert cancelled.status_code == 200, cancelled.text
    history = await client.get(f"/v1/bookings/{made.json()['id']}/history", headers=PORTAL)
    assert "provider_unavailable" in history.text

    second = await book(client, "C2", "rev-a", TUESDAY_11)
    done = await client.post(
        f"/v1/bookings/{second.json()['id']}/complete", json={"outcome": "UPHELD"}, headers=ADMIN
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    third = await book(client, "C3", "rev-a", "2026-11-24T12:00:00-05:00")
    missed = await client.post(
        f"/v1/bookings/{third.json()['id']}/no-show", json={"party": "Reviewer"}, headers=ADMIN
    )
    assert missed.status_code == 200, missed.text
    assert missed.json()["status"] == "no_show"


async def test_an_unknown_code_is_still_a_422_listing_the_codes(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "C1")
    made = await booked(client, "C1")
    response = await client.post(
        f"/v1/bookings/{made['id']}/no-show", json={"party": "member"}, headers=REVIEWER
    )
    problem = assert_problem(response, 422, "validation", fields={"party"})
    assert "'provider'" in problem["detail"] and "'reviewer'" in problem["detail"]
    await push_case(client, "C2")
    wrong_role = await book(client, "C2", "rev-a", TUESDAY_11, provider_role="office_manager")
    assert_problem(wrong_role, 422, "validation", fields={"contact.provider_role"})


# ---- 422s a person can read ------------------------------------------------------------------

#: a regular expression's tell-tale characters
REGEX = re.compile(r"\^|\$'|\[A-Z|\\[sdx]|\{0,")


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "fields"),
    [
        pytest.param(
            "POST",
            "/v1/bookings",
            {
                **booking_body("A 1", "rev x", TUESDAY_10, phone="12", email="nope"),
                "cases": [{"case_number": "A 1", "member_dob": MEMBER_DOB}],
            },
            PORTAL,
            {"cases[0].case_number", "reviewer_id", "contact.phone", "contact.email"},
            id="booking",
        ),
        pytest.param(
            "PUT",
            "/v1/reviewers/.rev",
            reviewer_body(skills={"MSK Spine": 1}, working_hours=[hours("mon", "9", "17:00")]),
            ADMIN,
            {"reviewer_id", "skills.MSK Spine.[key]", "working_hours[0].start"},
            id="reviewer",
        ),
        pytest.param(
            "POST",
            "/v1/holds",
            {**slot_body("A1", "rev-a", TUESDAY_10), "time_zone": "Mars/Olympus"},
            PORTAL,
            {"time_zone"},
            id="hold",
        ),
    ],
)
async def test_a_422_detail_has_no_regular_expressions_and_no_field_paths(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    fields: set[str],
) -> None:
    response = await client.request(method, path, json=body, headers=headers)
    problem = assert_problem(response, 422, "validation", fields=fields)
    detail = problem["detail"]
    assert not REGEX.search(detail), detail
    for field in fields:  # nested fields are named in words, not as paths
        if "." in field or "[" in field:
            assert field not in detail, detail
            assert field.split(".")[0] not in detail or "(in " in detail, detail
    for error in problem["errors"]:
        assert not REGEX.search(error["message"]), error


async def test_a_nested_field_is_named_in_words(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    body = booking_body("A1", "rev-a", TUESDAY_10, phone="12")
    body["cases"][0]["member_dob"] = "17/05/1970"
    problem = assert_problem(
        await client.post("/v1/bookings", json=body, headers=PORTAL),
        422,
        "validation",
        fields={"contact.phone", "cases[0].member_dob"},
    )
    assert "phone (in contact)" in problem["detail"]
    assert "member_dob (in cases #1)" in problem["detail"]
