"""``/fhir/r4``: the FHIR R4 scheduling interface (SPEC §13), beside ``/v1``.

Same data, same rules, same keys and tokens: every route here calls the use cases ``/v1``
calls and takes the same ``require`` dependencies, so scope (SPEC §10) is applied by the same
code. Answers are ``application/fhir+json``; every problem under ``/fhir/`` (401, 403, 404,
409, 422, a path that does not exist, a body too large …) is written as an
``OperationOutcome`` with the problem's plain words in ``issue[0].diagnostics``.

Adding routes: put them on a router of their own module (``reads``, ``operations``), add its
rows to ``SERVED`` (the CapabilityStatement is built from that table, so it lists exactly
what is served), and include the router below.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.errors import FieldError
from api.fhir import resources
from api.fhir.resources import FHIR_MEDIA_TYPE, Served
from api.problems import PROBLEM_BASE, render_problems_under
from p2p_scheduler import __version__

PREFIX = "/fhir/r4"


class FhirResponse(JSONResponse):
    """A FHIR JSON answer."""

    media_type = FHIR_MEDIA_TYPE


def fhir_response(document: dict[str, Any], *, status_code: int = 200) -> FhirResponse:
    return FhirResponse(document, status_code=status_code)


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


render_problems_under("/fhir/", _outcome)

#: the OpenAPI ``responses`` entry of a FHIR answer (any resource: its schema is FHIR's)
FHIR_JSON = {"content": {FHIR_MEDIA_TYPE: {"schema": {"type": "object"}}}}


def outcomes(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the OperationOutcomes a route can answer."""
    words = {401: "Not signed in", 403: "Not allowed", 404: "Not found", 409: "Conflict"}
    statuses = (*statuses, *((429,) if 401 in statuses else ()))
    return {
        status: {
            "description": f"OperationOutcome: {words.get(status, 'Invalid or not eligible')}",
            **FHIR_JSON,
        }
        for status in statuses
    }


#: Argonaut Scheduling's operations on Appointment (IHE ITI Scheduling names the same three)
ARGONAUT = "http://fhir.org/guides/argonaut-scheduling/OperationDefinition/"
_DATE_WORDS = "with a prefix ge, gt, le, lt or eq; a date alone is a UTC day"
#: what the interface serves: the CapabilityStatement is this table
SERVED: tuple[Served, ...] = (
    Served(
        "Practitioner",
        ("read", "search-type"),
        (("_id", "token", "a reviewer id"),),
    ),
    Served(
        "PractitionerRole",
        ("read", "search-type"),
        (("practitioner", "reference", "Practitioner/{reviewer id}"),),
    ),
    Served(
        "Schedule",
        ("read", "search-type"),
        (("actor", "reference", "Practitioner/{reviewer id}"),),
    ),
    Served(
        "Slot",
        ("search-type",),
        (
            ("schedule", "reference", "Schedule/{reviewer id} (required)"),
            ("start", "date", f"the slot's start, {_DATE_WORDS}; at most 31 days"),
            ("status", "token", "free, busy or busy-tentative"),
        ),
    ),
    Served(
        "Appointment",
        ("read", "search-type"),
        (
            ("practitioner", "reference", "Practitioner/{reviewer id}"),
            ("date", "date", f"the appointment's start, {_DATE_WORDS}"),
            ("status", "token", "proposed, booked, fulfilled, cancelled or noshow"),
            ("identifier", "token", "urn:p2p-scheduler:case|{case number}"),
        ),
        (
            ("find", ARGONAUT + "appointment-find"),
            ("hold", ARGONAUT + "appointment-hold"),
            ("book", ARGONAUT + "appointment-book"),
        ),
    ),
)

router = APIRouter(prefix=PREFIX, tags=["fhir"], default_response_class=FhirResponse)


@router.get(
    "/metadata",
    summary="FHIR CapabilityStatement: what this FHIR R4 server serves (no key needed)",
    response_class=FhirResponse,
    responses={200: {"description": "CapabilityStatement", **FHIR_JSON}},
)
def metadata(request: Request) -> FhirResponse:
    now = request.app.state.clock()
    statement = resources.capability_statement(SERVED, version=__version__, now=now.date())
    return fhir_response(resources.to_json(statement))
