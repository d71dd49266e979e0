"""Liveness, readiness, and the OpenAPI document portal front ends code against."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from api import problems
from api.app import create_app
from p2p_scheduler.config import Settings
from p2p_scheduler.db import migrate

pytestmark = pytest.mark.anyio

#: SPEC §9's problem kinds: each must be documented in the OpenAPI description
SPEC_PROBLEM_KINDS = [
    "validation",
    "unauthorized",
    "forbidden",
    "not-found",
    "slot-taken",
    "case-already-booked",
    "not-eligible",
    "not-qualified",
    "invalid-transition",
    "rate-limited",
]


async def test_health_is_ok_without_a_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


async def test_ready_reports_the_database_and_the_migration_head(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["database"] == engine.dialect.name
    assert isinstance(body["revision"], str) and body["revision"]
    assert body["revision"] == migrate.status(engine).head


def operations(routes: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(path, method) of every schema-visible APIRoute, also inside included routers."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute):
            if route.include_in_schema:
                found |= {(prefix + route.path, method.lower()) for method in route.methods}
        elif hasattr(route, "original_router"):  # FastAPI >= 0.165 keeps included routers nested
            context_prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            found |= operations(route.original_router.routes, prefix + context_prefix)
        elif hasattr(route, "routes"):  # a Mount
            found |= operations(route.routes, prefix + getattr(route, "path", ""))
    return found


async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


async def test_openapi_lists_every_route_of_the_app(
    client: httpx.AsyncClient, settings: Settings, engine: Engine
) -> None:
    document = await openapi(client)
    routes = operations(create_app(settings, engine=engine).routes)
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented
    assert {
        ("/health", "get"),
        ("/ready", "get"),
        ("/v1/cases/{case_number}", "put"),
        ("/v1/cases/{case_number}", "get"),
        ("/v1/reviewers/{reviewer_id}", "put"),
        ("/v1/reviewers/{reviewer_id}", "get"),
        ("/v1/eligibility", "post"),
    } <= documented


async def test_openapi_has_the_problem_schema(client: httpx.AsyncClient) -> None:
    schema = (await openapi(client))["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(schema["properties"])
    assert {"type", "title", "status", "detail"} <= set(schema["required"])


async def test_every_documented_error_response_is_a_problem(client: httpx.AsyncClient) -> None:
    document = await openapi(client)
    ref = "#/components/schemas/Problem"
    seen = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                seen += 1
                content = response["content"]
                if path.startswith("/fhir/"):  # SPEC §13: the FHIR interface's problems
                    fhir = content["application/fhir+json"]["schema"]["$ref"]
                    assert fhir == "#/components/schemas/OperationOutcome", (path, method, status)
                    continue
                assert "application/problem+json" in content, (path, method, status)
                assert content["application/problem+json"]["schema"]["$ref"] == ref
    assert seen


async def test_protected_routes_document_401_and_403(client: httpx.AsyncClient) -> None:
    document = await openapi(client)
    for path, item in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in item.items():
            # calendar files take a signed token, not an API key: a bad one answers as an
            # unknown id (404, SPEC §9), never 401 or 403
            needed = {"404", "422"} if path.endswith(".ics") else {"401", "403", "422"}
            assert needed <= set(operation["responses"]), (path, method)


@pytest.mark.parametrize("kind", SPEC_PROBLEM_KINDS)
async def test_openapi_documents_each_problem_type_uri(
    client: httpx.AsyncClient, kind: str
) -> None:
    description = (await openapi(client))["info"]["description"]
    assert f"{problems.PROBLEM_BASE}{kind}" in description


async def test_interactive_docs_are_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
