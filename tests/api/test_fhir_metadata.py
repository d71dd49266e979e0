"""``GET /fhir/r4/metadata`` and the FHIR interface's errors (SPEC §13)."""

from __future__ import annotations

import re

import httpx
import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.api.helpers import REVIEWER
from tests.support import NOW

pytestmark = pytest.mark.anyio

FHIR_JSON = "application/fhir+json"


async def test_the_capability_statement_lists_what_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/r4/metadata")  # no key: FHIR clients read it first
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == FHIR_JSON
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.fhirVersion == "4.0.1"
    assert statement.kind == "instance"
    assert statement.date == NOW.date()
    [rest] = statement.rest
    served = {
        resource.type: (
            [i.code for i in resource.interaction],
            [p.name for p in resource.searchParam or ()],
            [o.name for o in resource.operation or ()],
        )
        for resource in rest.resource
    }
    assert served == {
        "Practitioner": (["read", "search-type"], ["_id"], []),
        "PractitionerRole": (["read", "search-type"], ["practitioner"], []),
        "Schedule": (["read", "search-type"], ["actor"], []),
        "Slot": (["search-type"], ["schedule", "start", "status"], []),
        "Appointment": (
            ["read", "search-type"],
            ["practitioner", "date", "status", "identifier"],
            ["find", "hold", "book"],
        ),
    }
    # ... and exactly what the app serves: every interaction a route, every route listed
    listed = set()
    for kind, (interactions, _, operations) in served.items():
        listed |= {("GET", f"/fhir/r4/{kind}/{{}}") for i in interactions if i == "read"}
        listed |= {("GET", f"/fhir/r4/{kind}") for i in interactions if i == "search-type"}
        listed |= {("POST", f"/fhir/r4/{kind}/${name}") for name in operations}
    openapi = (await client.get("/openapi.json")).json()["paths"]
    routes = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, methods in openapi.items()
        if path.startswith("/fhir/r4/") and path != "/fhir/r4/metadata"
        for method in methods
    }
    assert routes == listed


async def test_an_unknown_fhir_path_is_an_operation_outcome(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/r4/Patient/123", headers=REVIEWER)
    assert response.status_code == 404
    assert response.headers["content-type"] == FHIR_JSON
    outcome = OperationOutcome.model_validate(response.json())
    [issue] = outcome.issue
    assert issue.code == "not-found"
    assert issue.diagnostics == (
        "There is nothing at /fhir/r4/Patient/123. See /docs for the API's paths."
    )


async def test_a_wrong_method_is_an_operation_outcome(client: httpx.AsyncClient) -> None:
    response = await client.delete("/fhir/r4/metadata")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["issue"][0]["code"] == "not-supported"
