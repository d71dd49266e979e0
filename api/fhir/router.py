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

from fastapi import APIRouter, Request

from api.fhir import operations, reads, resources
from api.fhir.answers import FhirResponse, fhir_response, found, outcomes
from api.fhir.resources import Served
from p2p_scheduler import __version__

PREFIX = "/fhir/r4"

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
    responses={**found("CapabilityStatement"), **outcomes()},
)
def metadata(request: Request) -> FhirResponse:
    now = request.app.state.clock()
    return fhir_response(
        resources.capability_statement(SERVED, version=__version__, now=now.date())
    )


router.include_router(reads.router)
router.include_router(operations.router)
