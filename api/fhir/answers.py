"""How the FHIR interface answers: ``application/fhir+json``, and every problem under
``/fhir/`` as an OperationOutcome (SPEC §13) with the same status, headers and plain words
as the ``/v1`` problem it stands for."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.errors import FieldError
from api.fhir import resources
from api.fhir.resources import FHIR_MEDIA_TYPE
from api.problems import PROBLEM_BASE, render_problems_under

#: every path of the interface starts so (``/fhir/r4``; the problems of any other FHIR
#: version this service may serve later are OperationOutcomes too)
FHIR_PATHS = "/fhir/"


class FhirResponse(JSONResponse):
    """A FHIR JSON answer."""

    media_type = FHIR_MEDIA_TYPE


def fhir_response(resource: resources.Resource, *, status_code: int = 200) -> FhirResponse:
    return FhirResponse(resources.to_json(resource), status_code=status_code)


def _outcome(
    kind: str,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None,
    errors: list[FieldError] | None,
) -> JSONResponse:
    """A problem under ``/fhir/`` as an OperationOutcome, with the problem's status and
    headers (``WWW-Authenticate``, ``Allow``, ``Retry-After``)."""
    outcome = resources.operation_outcome(
        kind,
        title,
        detail,
        problem_type=PROBLEM_BASE + kind,
        fields=[(error.field, error.message) for error in errors or ()],
    )
    return FhirResponse(resources.to_json(outcome), status_code=status, headers=headers)


render_problems_under(FHIR_PATHS, _outcome)

#: the OpenAPI ``content`` of a FHIR answer (any resource: its schema is FHIR's)
FHIR_JSON: dict[str, Any] = {"content": {FHIR_MEDIA_TYPE: {"schema": {"type": "object"}}}}
_WORDS = {
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    422: "Invalid or not eligible",
    429: "Too many requests",
}


class OperationOutcomeIssue(BaseModel):
    """One issue of an OperationOutcome, as the interface writes it (for the OpenAPI)."""

    model_config = ConfigDict(extra="allow")

    severity: str = Field(examples=["error"])
    code: str = Field(examples=["conflict"])
    diagnostics: str = Field(description="what went wrong and what to do, in plain words")


class OperationOutcome(BaseModel):
    """A FHIR OperationOutcome: how the FHIR interface answers every problem. The first
    issue carries the problem's plain words and, in ``details.coding``, its ``/v1`` type."""

    model_config = ConfigDict(extra="allow")

    resourceType: str = Field(examples=["OperationOutcome"], pattern="^OperationOutcome$")
    issue: list[OperationOutcomeIssue] = Field(min_length=1)


def outcomes(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the OperationOutcomes a route can answer: any route a 422
    (control characters in the URL, SPEC §9), one that takes a key a 429 too."""
    statuses = (*statuses, 422, *((429,) if 401 in statuses else ()))
    schema = {"$ref": "#/components/schemas/OperationOutcome"}
    return {
        status: {
            "model": OperationOutcome,
            "description": f"OperationOutcome: {_WORDS.get(status, 'Problem')}",
            "content": {FHIR_MEDIA_TYPE: {"schema": schema}},
        }
        for status in statuses
    }


def found(what: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry of a route's 200: ``what`` it answers."""
    return {200: {"description": what, **FHIR_JSON}}
