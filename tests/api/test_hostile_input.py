"""Inputs found by fuzzing the OpenAPI with schemathesis: each once answered 500 or a 400
whose body said 422. They must all be clear 422 problems that store nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import ADMIN, PORTAL, assert_problem, case_body, member, reviewer_body

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"member": member(member_id="L\u0000X")}, "member.member_id"),
        ({"member": member(name="Jane\u0000Roe")}, "member.name"),
        ({"case_type": "MSK\nSpine"}, "case_type"),
        ({"determination_at": "0001-01-01T00:00:00+05:00"}, "determination_at"),
        ({"received_at": "9999-12-31T23:00:00-10:00"}, "received_at"),
        ({"date_of_service": "9999-12-31"}, "date_of_service"),
    ],
    ids=["nul-member-id", "nul-name", "newline", "year-1", "year-9999", "service-9999"],
)
async def test_unstorable_case_values_are_422_and_store_nothing(
    client: httpx.AsyncClient, overrides: dict[str, object], field: str
) -> None:
    response = await client.put("/v1/cases/H-1", json=case_body(**overrides), headers=ADMIN)
    assert_problem(response, 422, "validation", fields={field})
    assert_problem(await client.get("/v1/cases/H-1", headers=ADMIN), 404, "not-found")


async def test_a_nul_in_a_reviewer_email_is_422(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/v1/reviewers/rev-h", json=reviewer_body(email="a\u0000b@example.org"), headers=ADMIN
    )
    assert_problem(response, 422, "validation", fields={"email"})


@pytest.mark.parametrize("path", ["/v1/eligibility", "/v1/cases/H-2"])
async def test_a_body_that_is_not_utf8_is_a_422_problem(
    client: httpx.AsyncClient, path: str
) -> None:
    method = "POST" if path.endswith("eligibility") else "PUT"
    headers = {**(PORTAL if method == "POST" else ADMIN), "Content-Type": "application/json"}
    response = await client.request(method, path, content=b"\x02a\xff", headers=headers)
    body = assert_problem(response, 422, "validation", fields={"body"})
    assert "UTF-8" in body["detail"]
