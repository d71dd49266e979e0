"""A path id that cannot exist (wrong shape) is an unknown id: 404 ``not-found``, like any
other (SPEC §9), on every route that addresses an existing booking, hold, reviewer, case or
calendar. What stays as it was: authentication first (no key → 401, whatever the id), a
``PUT`` upsert's id is the client's to fix (422 naming it), and control characters are
refused everywhere, the path included (422 naming the field).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    ADMIN,
    PORTAL,
    REVIEWER,
    assert_problem,
    case_body,
    reviewer_body,
    slot_body,
)

pytestmark = pytest.mark.anyio

TUESDAY_10 = "2026-11-24T10:00:00-05:00"
#: a booking id, a hold id: UUIDs no booking or hold has
#: a well-formed booking or hold id that no record has (fixed: xdist workers must collect alike)
UNKNOWN = "a76f2c01-abc4-464d-80d3-9ffc3f5a5008"

#: (method, path with ``{id}``, body, key) for every route addressing an existing booking
BOOKING_ROUTES: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]] = [
    ("GET", "/v1/bookings/{id}", None, PORTAL),
    ("GET", "/v1/bookings/{id}?token=not-a-token", None, {}),
    ("GET", "/v1/bookings/{id}/history", None, PORTAL),
    ("GET", "/v1/bookings/{id}/invite.ics?token=not-a-token", None, {}),
    ("POST", "/v1/bookings/{id}/reschedule", {"start": TUESDAY_10}, PORTAL),
    ("POST", "/v1/bookings/{id}/cancel", {"reason_code": "duplicate"}, PORTAL),
    ("POST", "/v1/bookings/{id}/complete", {"outcome": "upheld"}, REVIEWER),
    ("POST", "/v1/bookings/{id}/no-show", {"party": "provider"}, REVIEWER),
    ("POST", "/v1/bookings/{id}/links/rotate", None, PORTAL),
    ("POST", "/v1/bookings/{id}/availability", {}, PORTAL),
]
REVIEWER_ROUTES: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]] = [
    ("GET", "/v1/reviewers/{id}", None, ADMIN),
    ("GET", "/v1/reviewers/{id}/agenda", None, REVIEWER),
    ("POST", "/v1/reviewers/{id}/calendar-feed/rotate", None, ADMIN),
    (
        "POST",
        "/v1/reviewers/{id}/time-off",
        {"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"},
        ADMIN,
    ),
    ("GET", "/v1/calendars/reviewers/{id}.ics?token=not-a-token", None, {}),
]
MALFORMED_BOOKING_IDS = ["NOSUCH1", "not-a-uuid", UNKNOWN.upper(), UNKNOWN + "0", "12345"]
MALFORMED_REVIEWER_IDS = [".rev", "rev%20001", "rev%3A1", "r" * 65, "-rev"]


def _call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
) -> Any:
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body", "headers"), BOOKING_ROUTES)
@pytest.mark.parametrize("booking_id", MALFORMED_BOOKING_IDS)
async def test_a_malformed_booking_id_is_an_unknown_booking(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
    booking_id: str,
) -> None:
    malformed = await _call(client, method, path.format(id=booking_id), body, headers)
    problem = assert_problem(malformed, 404, "not-found")
    assert "errors" not in problem
    unknown = await _call(client, method, path.format(id=UNKNOWN), body, headers)
    assert_problem(unknown, 404, "not-found")
    # the same answer as a well-formed id no booking has
    assert problem["detail"].replace(booking_id, UNKNOWN) == unknown.json()["detail"]


@pytest.mark.parametrize(("method", "path", "body", "headers"), REVIEWER_ROUTES)
@pytest.mark.parametrize("reviewer_id", MALFORMED_REVIEWER_IDS)
async def test_a_malformed_reviewer_id_is_an_unknown_reviewer(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
    reviewer_id: str,
) -> None:
    response = await _call(client, method, path.format(id=reviewer_id), body, headers)
    problem = assert_problem(response, 404, "not-found")
    assert "reviewer" in problem["detail"]


@pytest.mark.parametrize("hold_id", ["NOSUCH1", "x", UNKNOWN.upper()])
async def test_deleting_a_malformed_hold_id_is_an_unknown_hold(
    client: httpx.AsyncClient, hold_id: str
) -> None:
    response = await client.delete(f"/v1/holds/{hold_id}", headers=PORTAL)
    assert_problem(response, 404, "not-found")
    assert_problem(await client.delete(f"/v1/holds/{UNKNOWN}", headers=PORTAL), 404, "not-found")


@pytest.mark.parametrize("path", ["/v1/cases/A%20100", "/v1/cases/.A100", "/v1/cases/" + "A" * 65])
async def test_reading_a_malformed_case_number_is_an_unknown_case(
    client: httpx.AsyncClient, path: str
) -> None:
    assert_problem(await client.get(path, headers=ADMIN), 404, "not-found")


async def test_the_portals_reviewer_page_of_a_malformed_id_is_not_found(
    client: httpx.AsyncClient,
) -> None:
    assert_problem(await client.get("/portal/reviewers/.rev"), 404, "not-found")
    assert (await client.get("/portal/reviewers/rev-001")).status_code == 200


async def test_a_malformed_id_is_found_in_no_scope_before_the_key_is_checked(
    client: httpx.AsyncClient,
) -> None:
    """No key, or the wrong role: 401/403 as for any id, so the shape check tells nothing."""
    assert_problem(await client.get("/v1/bookings/NOSUCH1"), 401, "unauthorized")
    assert_problem(
        await client.post("/v1/bookings/NOSUCH1/cancel", json={"reason_code": "duplicate"}),
        401,
        "unauthorized",
    )
    assert_problem(await client.get("/v1/reviewers/.rev", headers=PORTAL), 403, "forbidden")
    assert_problem(await client.delete("/v1/holds/NOSUCH1", headers=REVIEWER), 403, "forbidden")


async def test_a_malformed_id_is_404_even_with_a_malformed_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/bookings/NOSUCH1/cancel", json={"reason_code": "changed_my_mind"}, headers=PORTAL
    )
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/v1/cases/.A100", case_body(), "case_number"),
        ("PUT", "/v1/cases/A%20100", case_body(), "case_number"),
        ("PUT", "/v1/reviewers/.rev", reviewer_body(), "reviewer_id"),
        ("PUT", "/v1/reviewers/" + "r" * 65, reviewer_body(), "reviewer_id"),
    ],
)
async def test_an_upsert_of_a_malformed_id_stays_a_422_naming_it(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    """The client is creating the resource: its id cannot be stored, and it must know why."""
    response = await client.request(method, path, json=body, headers=ADMIN)
    problem = assert_problem(response, 422, "validation", fields={field})
    assert field in problem["detail"]
    assert "letters, digits" in problem["detail"]


@pytest.mark.parametrize(
    ("method", "path", "headers", "field"),
    [
        ("GET", "/v1/bookings/ab%00cd", PORTAL, "booking_id"),
        ("DELETE", "/v1/holds/%01hold", PORTAL, "hold_id"),
        ("GET", "/v1/reviewers/rev%00", ADMIN, "reviewer_id"),
        ("GET", "/v1/cases/A%7F1", ADMIN, "case_number"),
    ],
)
async def test_a_control_character_in_a_path_id_is_a_422_naming_it(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], field: str
) -> None:
    response = await client.request(method, path, headers=headers)
    problem = assert_problem(response, 422, "validation", fields={field})
    assert "control characters" in problem["detail"]


async def test_a_well_formed_hold_still_answers_204(client: httpx.AsyncClient) -> None:
    """The shape check lets real ids through (a hold here, made and released)."""
    await client.put(
        "/v1/reviewers/rev-a",
        json=reviewer_body(
            time_zone="America/New_York",
            skills={"msk_spine": 1},
            licensed_states=["PA"],
            working_hours=[{"weekday": "tue", "start": "09:00", "end": "17:00"}],
        ),
        headers=ADMIN,
    )
    await client.put("/v1/cases/H1", json=case_body(), headers=ADMIN)
    held = await client.post("/v1/holds", json=slot_body("H1", "rev-a", TUESDAY_10), headers=PORTAL)
    assert held.status_code == 201, held.text
    released = await client.delete(f"/v1/holds/{held.json()['hold_id']}", headers=PORTAL)
    assert released.status_code == 204
