"""A case's ``program`` (SPEC §14): pushed with the case, read back, and its policy rows applied
to the look-up — the oncology seed's urgent decisions within 24 hours instead of 72.

NOW is Monday 2026-11-23T15:00Z (10:00 in New York); every case here is urgent, in review and
received at 08:00 New York time that morning.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import ADMIN, book, case_body, check, lookup, ny, push_reviewer

pytestmark = pytest.mark.anyio

RECEIVED = "2026-11-23T08:00:00-05:00"
#: the oncology row: 24 hours after receipt (Tue 08:00 EST)
ONCOLOGY_UNTIL = "2026-11-24T13:00:00Z"
ONCOLOGY_MESSAGE = (
    "Pre-Decision P2P allowed until Tue 11/24/2026 8:00 am EST. The decision on this case can "
    "still change."
)
#: the "*" rows: 72 hours after receipt (Thu 08:00 EST)
DEFAULT_UNTIL = "2026-11-26T13:00:00Z"
DEFAULT_MESSAGE = (
    "Pre-Decision P2P allowed until Thu 11/26/2026 8:00 am EST. The decision on this case can "
    "still change."
)


def urgent_case(**overrides: Any) -> dict[str, Any]:
    body = case_body(status="in_review", urgency="urgent", received_at=RECEIVED)
    del body["determination_at"]
    return {**body, **overrides}


async def put(client: httpx.AsyncClient, number: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.put(f"/v1/cases/{number}", json=body, headers=ADMIN)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def answer(client: httpx.AsyncClient, number: str) -> dict[str, Any]:
    response = await check(client, lookup(number))
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_oncology_urgent_case_has_24_hours_in_any_spelling_of_the_program(
    client: httpx.AsyncClient,
) -> None:
    stored = await put(client, "ONC1", urgent_case(program="ONCOLOGY"))
    assert stored["program"] == "oncology"
    read = await client.get("/v1/cases/ONC1", headers=ADMIN)
    assert read.json()["program"] == "oncology"

    body = await answer(client, "ONC1")

    assert body["eligible"] is True
    assert body["valid_until"] == ONCOLOGY_UNTIL
    [case] = body["cases"]
    assert case["level_of_review"] == "pre_decision"
    assert case["valid_until"] == ONCOLOGY_UNTIL
    assert case["messages"] == [ONCOLOGY_MESSAGE]
    assert body["messages"] == [
        "All cases are eligible. The P2P must take place by Tue 11/24/2026 8:00 am EST."
    ]


@pytest.mark.parametrize(
    "program",
    [pytest.param(None, id="absent"), pytest.param("radiology", id="radiology")],
)
async def test_a_case_without_a_program_row_keeps_the_72_hours(
    client: httpx.AsyncClient, program: str | None
) -> None:
    await put(client, "RAD1", urgent_case(**({"program": program} if program else {})))

    body = await answer(client, "RAD1")

    assert body["valid_until"] == DEFAULT_UNTIL
    assert body["cases"][0]["messages"] == [DEFAULT_MESSAGE]


async def test_program_null_is_absent_and_a_replacement_without_it_drops_the_program(
    client: httpx.AsyncClient,
) -> None:
    await put(client, "ONC2", urgent_case(program="oncology"))
    assert (await answer(client, "ONC2"))["valid_until"] == ONCOLOGY_UNTIL

    replaced = await put(client, "ONC2", urgent_case(program=None))

    assert replaced["program"] is None
    assert (await client.get("/v1/cases/ONC2", headers=ADMIN)).json()["program"] is None
    assert (await answer(client, "ONC2"))["valid_until"] == DEFAULT_UNTIL


async def test_a_program_that_is_not_a_code_is_refused_in_plain_words(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put(
        "/v1/cases/ONC3", json=urgent_case(program="Medical Oncology"), headers=ADMIN
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == [
        {"field": "program", "message": "must be 1 to 64 letters, digits, '_', '.' or '-'"}
    ]
    assert "program" in problem["detail"]
    assert (await client.get("/v1/cases/ONC3", headers=ADMIN)).status_code == 404


async def test_a_rendering_provider_books_the_oncology_p2p_within_its_24_hours(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-onc")
    await put(client, "ONC4", urgent_case(program="oncology"))

    late = await book(client, "ONC4", "rev-onc", ny("2026-11-24", "10:00"))
    made = await book(
        client, "ONC4", "rev-onc", ny("2026-11-23", "14:00"), provider_role="Rendering_Provider"
    )

    assert late.status_code == 422, late.text
    assert "P2P window closes (Tue 11/24/2026 8:00 am EST)" in late.json()["detail"]
    assert made.status_code == 201, made.text
    assert made.json()["contact"]["provider_role"] == "rendering_provider"
