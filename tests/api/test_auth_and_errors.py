"""Auth (bearer keys and roles) and the generic problem answers: 404, 405, 415, bad JSON."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.api.helpers import (
    ADMIN,
    PORTAL,
    assert_problem,
    case_body,
    check,
    lookup,
    push_case,
    reviewer_body,
)
from tests.support import ADMIN_KEY, PORTAL_KEY, REVIEWER_KEY, auth

pytestmark = pytest.mark.anyio

CHALLENGE = 'Bearer realm="p2p-scheduler"'

#: (method, path, JSON body) of every protected route
PROTECTED = [
    pytest.param("GET", "/v1/cases/A100", None, id="get-case"),
    pytest.param("PUT", "/v1/cases/A100", case_body(), id="put-case"),
    pytest.param("GET", "/v1/reviewers/rev-1", None, id="get-reviewer"),
    pytest.param("PUT", "/v1/reviewers/rev-1", reviewer_body(), id="put-reviewer"),
    pytest.param("POST", "/v1/eligibility", {"cases": [lookup("A100")]}, id="eligibility"),
]


async def send(
    client: httpx.AsyncClient, method: str, path: str, body: object, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(method, path, json=body, headers=headers)


# ---- 401 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
async def test_no_authorization_header_is_401_with_a_bearer_challenge(
    client: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    response = await send(client, method, path, body, {})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == CHALLENGE


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
async def test_unknown_key_is_401(
    client: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    response = await send(client, method, path, body, auth("not-a-configured-key"))
    problem = assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == CHALLENGE
    assert "not-a-configured-key" not in problem["detail"]


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(
            "Basic " + base64.b64encode(f"admin:{ADMIN_KEY}".encode()).decode(), id="basic"
        ),
        pytest.param(f"Basic {ADMIN_KEY}", id="basic-raw-key"),
        pytest.param(ADMIN_KEY, id="no-scheme"),
        pytest.param("Bearer", id="bearer-without-key"),
        pytest.param("Bearer   ", id="bearer-blank-key"),
        pytest.param(f"Token {ADMIN_KEY}", id="other-scheme"),
    ],
)
async def test_wrong_scheme_or_missing_credentials_is_401(
    client: httpx.AsyncClient, authorization: str
) -> None:
    response = await client.get("/v1/cases/A100", headers={"Authorization": authorization})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == CHALLENGE


async def test_a_key_differing_only_in_case_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/cases/A100", headers=auth(ADMIN_KEY.upper()))
    assert_problem(response, 401, "unauthorized")


async def test_the_scheme_name_is_case_insensitive(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    response = await client.get("/v1/cases/A100", headers={"Authorization": f"bearer {ADMIN_KEY}"})
    assert response.status_code == 200


async def test_auth_is_checked_before_the_body_is_validated(client: httpx.AsyncClient) -> None:
    """An anonymous caller learns nothing about the body's rules, and nothing is stored."""
    response = await client.put("/v1/cases/A100", json={"status": "nonsense"})
    assert_problem(response, 401, "unauthorized")
    assert (await client.get("/v1/cases/A100", headers=ADMIN)).status_code == 404


async def test_auth_is_checked_before_the_media_type(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/v1/cases/A100", content=b"hello", headers={"content-type": "text/plain"}
    )
    assert_problem(response, 401, "unauthorized")


async def test_auth_is_checked_before_the_body_is_parsed(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/v1/cases/A100", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 401, "unauthorized")


# ---- 403 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "method", "path", "body"),
    [
        pytest.param(PORTAL_KEY, "PUT", "/v1/cases/A100", case_body(), id="portal-put-case"),
        pytest.param(PORTAL_KEY, "GET", "/v1/cases/A100", None, id="portal-get-case"),
        pytest.param(REVIEWER_KEY, "PUT", "/v1/cases/A100", case_body(), id="reviewer-put-case"),
        pytest.param(
            PORTAL_KEY, "PUT", "/v1/reviewers/rev-1", reviewer_body(), id="portal-put-reviewer"
        ),
        pytest.param(REVIEWER_KEY, "GET", "/v1/reviewers/rev-1", None, id="reviewer-get-reviewer"),
        pytest.param(
            REVIEWER_KEY,
            "POST",
            "/v1/eligibility",
            {"cases": [lookup("A100")]},
            id="reviewer-eligibility",
        ),
    ],
)
async def test_a_key_of_the_wrong_role_is_403(
    client: httpx.AsyncClient, key: str, method: str, path: str, body: object
) -> None:
    response = await send(client, method, path, body, auth(key))
    assert_problem(response, 403, "forbidden")
    assert "www-authenticate" not in response.headers


async def test_a_forbidden_put_stores_nothing(client: httpx.AsyncClient) -> None:
    response = await client.put("/v1/cases/A100", json=case_body(), headers=auth(PORTAL_KEY))
    assert_problem(response, 403, "forbidden")
    assert_problem(await client.get("/v1/cases/A100", headers=ADMIN), 404, "not-found")


@pytest.mark.parametrize("headers", [PORTAL, ADMIN], ids=["portal", "admin"])
async def test_portal_and_admin_keys_may_check_eligibility(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await push_case(client, "A100")
    response = await check(client, lookup("A100"), headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["cases"][0]["found"] is True


# ---- 404 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/cases/NO-SUCH-CASE", "/v1/reviewers/no-such-reviewer"], ids=["case", "reviewer"]
)
async def test_an_unknown_id_in_the_path_is_404(client: httpx.AsyncClient, path: str) -> None:
    problem = assert_problem(await client.get(path, headers=ADMIN), 404, "not-found")
    assert problem["instance"] == path


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/nothing-here"),
        ("GET", "/v2/cases/A100"),
        ("POST", "/v1/bookings-typo"),
        ("GET", "/v1/cases"),
        ("GET", "/"),
    ],
)
async def test_an_unknown_route_is_404(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path, headers=ADMIN)
    assert_problem(response, 404, "not-found")


async def test_an_unknown_route_is_404_without_a_key_too(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/nothing-here"), 404, "not-found")


# ---- 405 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        pytest.param("DELETE", "/v1/cases/A100", "PUT", id="delete-case"),
        pytest.param("POST", "/v1/cases/A100", "PUT", id="post-case"),
        pytest.param("PATCH", "/v1/reviewers/rev-1", "PUT", id="patch-reviewer"),
        pytest.param("GET", "/v1/eligibility", "POST", id="get-eligibility"),
        pytest.param("PUT", "/v1/eligibility", "POST", id="put-eligibility"),
        pytest.param("POST", "/health", "GET", id="post-health"),
        pytest.param("DELETE", "/ready", "GET", id="delete-ready"),
    ],
)
async def test_a_wrong_method_is_405_with_an_allow_header(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path, headers=ADMIN)
    assert_problem(response, 405, "method-not-allowed")
    assert allowed in {m.strip() for m in response.headers["allow"].split(",")}


async def test_405_for_eligibility_allows_exactly_post(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/eligibility", headers=PORTAL)
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/v1/cases/A100", "/v1/reviewers/rev-1"])
async def test_405_allow_lists_every_method_of_the_resource(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.delete(path, headers=ADMIN)
    assert_problem(response, 405, "method-not-allowed")
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "PUT"} <= allowed <= {"GET", "HEAD", "PUT"}


@pytest.mark.parametrize("path", ["/health", "/v1/cases/A100"])
async def test_every_method_named_in_allow_is_served(client: httpx.AsyncClient, path: str) -> None:
    await push_case(client, "A100")
    response = await client.delete(path, headers=ADMIN)
    assert_problem(response, 405, "method-not-allowed")
    for method in (m.strip() for m in response.headers["allow"].split(",")):
        served = await client.request(method, path, headers=ADMIN, json=case_body())
        assert served.status_code != 405, method


# ---- 415 -------------------------------------------------------------------------------------

NOT_JSON = [
    pytest.param("text/plain", b"case please", id="text-plain"),
    pytest.param("application/x-www-form-urlencoded", b"status=denied", id="form"),
    pytest.param("application/xml", b"<case/>", id="xml"),
]


@pytest.mark.parametrize(("content_type", "content"), NOT_JSON)
@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        pytest.param("PUT", "/v1/cases/A100", ADMIN, id="put-case"),
        pytest.param("PUT", "/v1/reviewers/rev-1", ADMIN, id="put-reviewer"),
        pytest.param("POST", "/v1/eligibility", PORTAL, id="eligibility"),
    ],
)
async def test_a_body_that_is_not_json_is_415(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    content_type: str,
    content: bytes,
) -> None:
    response = await client.request(
        method, path, content=content, headers={**headers, "content-type": content_type}
    )
    problem = assert_problem(response, 415, "unsupported-media-type")
    assert "application/json" in problem["detail"]


async def test_a_415_put_stores_nothing(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/v1/cases/A100",
        content=b'{"status": "denied"}',
        headers={**ADMIN, "content-type": "text/plain"},
    )
    assert_problem(response, 415, "unsupported-media-type")
    assert_problem(await client.get("/v1/cases/A100", headers=ADMIN), 404, "not-found")


async def test_json_with_a_charset_parameter_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/v1/cases/A100",
        content=json.dumps(case_body()).encode(),
        headers={**ADMIN, "content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


# ---- malformed JSON and bodies that are not objects ---------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        pytest.param("PUT", "/v1/cases/A100", ADMIN, id="put-case"),
        pytest.param("PUT", "/v1/reviewers/rev-1", ADMIN, id="put-reviewer"),
        pytest.param("POST", "/v1/eligibility", PORTAL, id="eligibility"),
    ],
)
@pytest.mark.parametrize("content", [b"{not json", b'{"cases": [', b"{'single': 'quotes'}"])
async def test_malformed_json_is_422_naming_the_body(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], content: bytes
) -> None:
    response = await client.request(
        method, path, content=content, headers={**headers, "content-type": "application/json"}
    )
    problem = assert_problem(response, 422, "validation", fields={"body"})
    assert "JSON" in problem["detail"]


@pytest.mark.parametrize("content", [b"[]", b"null", b'"a string"', b"42"])
async def test_a_json_body_that_is_not_an_object_is_422(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.put(
        "/v1/cases/A100", content=content, headers={**ADMIN, "content-type": "application/json"}
    )
    assert_problem(response, 422, "validation", fields={"body"})
    assert_problem(await client.get("/v1/cases/A100", headers=ADMIN), 404, "not-found")


async def test_an_empty_body_is_422_naming_the_body(client: httpx.AsyncClient) -> None:
    response = await client.put("/v1/cases/A100", headers=ADMIN)
    assert_problem(response, 422, "validation", fields={"body"})
