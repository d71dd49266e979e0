"""Scope comes before every other rule (SPEC §10): another organisation's or reviewer's
booking is not found even when the request is also malformed, and the answer is the one an
unknown booking gets."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api.helpers import booking_body, push_case, push_reviewer
from tests.support import auth
from tests.tokens import ORG_A, ORG_B, TestIssuer, provider, reviewer

pytestmark = pytest.mark.anyio

TUE = "2026-11-24T10:00:00-05:00"


async def _booking_of_org_a(client: httpx.AsyncClient, issuer: TestIssuer) -> str:
    await push_reviewer(client, "rev-a")
    await push_case(client, "S1")
    response = await client.post(
        "/v1/bookings",
        json=booking_body("S1", "rev-a", TUE),
        headers=auth(issuer.mint(provider(ORG_A))),
    )
    assert response.status_code == 201, response.text
    assert response.json()["provider_org"] == ORG_A
    return response.json()["id"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("cancel", {"reason_code": "no-such-reason"}),
        ("reschedule", {"start": "not a time"}),
        ("availability", {"time_zone": 7}),
    ],
)
async def test_another_orgs_booking_is_not_found_even_with_a_bad_body(
    token_client: httpx.AsyncClient, issuer: TestIssuer, path: str, body: dict
) -> None:
    booking_id = await _booking_of_org_a(token_client, issuer)
    other = auth(issuer.mint(provider(ORG_B)))
    theirs = await token_client.post(f"/v1/bookings/{booking_id}/{path}", json=body, headers=other)
    unknown_id = str(uuid.uuid4())
    unknown = await token_client.post(f"/v1/bookings/{unknown_id}/{path}", json=body, headers=other)
    assert theirs.status_code == unknown.status_code == 404, theirs.text
    assert theirs.headers["content-type"] == "application/problem+json"
    assert theirs.json()["detail"] == unknown.json()["detail"].replace(unknown_id, booking_id)
    # the same bad body from the booking's own organisation is a validation problem
    own = auth(issuer.mint(provider(ORG_A)))
    mine = await token_client.post(f"/v1/bookings/{booking_id}/{path}", json=body, headers=own)
    assert mine.status_code == 422, mine.text


async def test_another_reviewers_booking_is_not_found_even_with_a_bad_body(
    token_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    booking_id = await _booking_of_org_a(token_client, issuer)
    other = auth(issuer.mint(reviewer("rev-z")))
    response = await token_client.post(
        f"/v1/bookings/{booking_id}/complete", json={"outcome": "nonsense"}, headers=other
    )
    assert response.status_code == 404, response.text
    own = auth(issuer.mint(reviewer("rev-a")))
    response = await token_client.post(
        f"/v1/bookings/{booking_id}/complete", json={"outcome": "nonsense"}, headers=own
    )
    assert response.status_code == 422, response.text
