"""The scheduling operations of SPEC §13, in the manner of IHE ITI Scheduling and Argonaut
Scheduling: ``POST /fhir/r4/Appointment/$find``, ``$hold`` and ``$book``.

Each operation reads a ``Parameters`` resource, turns it into the very request ``/v1`` takes
(validated by the ``/v1`` schemas, so every rule and every word of a 422 is the same), calls
the same use case (``availability_search.search``, ``booking.hold``, ``booking.book``: no
second copy of availability, hold or booking rules) and answers FHIR R4 resources.

Parameter names follow Argonaut Scheduling (``start``, ``end``, ``appt-resource``); the
case look-up, which neither guide has, travels as repeated ``case`` parameters with the
parts ``case-number`` and ``member-dob`` (POST only: the DOB is PHI, never a query string).

What the resources carry:
- a *proposed* Appointment (``$find``) has no id (nothing is stored); the reviewer as
  participant ``Practitioner/{reviewer_id}``, ``start``/``end`` in the requester's zone, each
  case as an identifier (``urn:p2p-scheduler:case``), the requester's zone in the HL7
  ``timezone`` extension and the reviewer's tier in ``TIER_URL``. Reviewer + start is all
  ``$hold`` and ``$book`` need from it, so a client sends it back as it came.
- a *pending* Appointment (``$hold``) has the hold's id as its ``id`` (and as an identifier
  ``urn:p2p-scheduler:hold``); when the hold lapses is ``HOLD_EXPIRES_URL`` (an instant).
- a *booked* Appointment (``$book``) is the booking as ``Appointment/{booking_id}`` reads it.
No member name or date of birth ever appears in an answer: cases by number only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from pydantic import Field, ValidationError

from api.auth import Principal, provider_org_of, require, require_json
from api.booking_once import book_once
from api.deps import EngineDep, LimitsDep, NotifierDep, NowDep, PolicyDep
from api.errors import ApiProblem, FieldError
from api.fhir import resources
from api.fhir.answers import outcomes
from api.fhir.ids import fhir_id, reviewer_id_of
from api.fhir.resources import CASE_SYSTEM, FHIR_MEDIA_TYPE
from api.problems import validation_errors
from api.schemas.common import Instant, Strict, TimeZoneName
from api.schemas.eligibility import CaseLookup
from api.schemas.scheduling import BookingIn, SlotIn
from p2p_scheduler.domain.bookings import HoldView
from p2p_scheduler.domain.errors import DomainError
from p2p_scheduler.services import booking, period_search

router = APIRouter(tags=["fhir"])
ModelT = TypeVar("ModelT", bound=Strict)
T = TypeVar("T")

HOLD_SYSTEM = "urn:p2p-scheduler:hold"
#: HL7's extension for an IANA zone (the requester's: the zone ``start``/``end`` are written in)
TIMEZONE_URL = "http://hl7.org/fhir/StructureDefinition/timezone"
EXTENSION_BASE = "https://p2p-scheduler.org/fhir/StructureDefinition/"
#: the reviewer's skill tier for the request (1 = best), as ``POST /v1/availability`` groups it
TIER_URL = EXTENSION_BASE + "reviewer-tier"
#: when a held Appointment lapses (``valueInstant``), as ``POST /v1/holds``' ``expires_at``
HOLD_EXPIRES_URL = EXTENSION_BASE + "hold-expires"
#: the longest period one ``$find`` searches (a bounded answer; ask again for later times)
FIND_MAX_DAYS = 14
#: a ``$find`` without ``end`` searches this long from ``start``
FIND_DEFAULT_DAYS = 7
_DAY = timedelta(days=1)
_PRACTITIONER = re.compile(r"(?:^|/)Practitioner/([^/]+)$")


# ---- reading Parameters ---------------------------------------------------------------------


def _invalid(field: str, message: str) -> ApiProblem:
    """A 422 naming the parameter (``field``) in plain words."""
    return ApiProblem(
        "validation",
        f"Fix this parameter and send the request again — {field}: {message}",
        errors=[FieldError(field=field, message=message)],
    )


#: the value[x] types each parameter may use, in the order they are looked for
_VALUE_KEYS = {
    "case-number": ("valueString", "valueIdentifier", "valueCode"),
    "member-dob": ("valueDate", "valueString"),
    "start": ("valueDateTime", "valueInstant", "valueDate", "valueString"),
    "end": ("valueDateTime", "valueInstant", "valueDate", "valueString"),
    "time-zone": ("valueCode", "valueString"),
    "provider-org": ("valueString", "valueIdentifier", "valueCode"),
}


def _value(parameter: dict[str, Any], name: str) -> Any:
    """The parameter's value[x] (an Identifier's ``value`` for identifiers)."""
    for key in _VALUE_KEYS[name]:
        if key in parameter:
            value = parameter[key]
            if key == "valueIdentifier":
                value = value.get("value") if isinstance(value, dict) else None
            if not isinstance(value, str):
                raise _invalid(name, f"{key} must be text")
            return value
    raise _invalid(name, f"give a value as one of {', '.join(_VALUE_KEYS[name])}")


@dataclass(frozen=True, slots=True)
class OperationInput:
    """A ``Parameters`` resource, read: the case look-ups (as ``/v1`` takes them) and the
    other parameters by name."""

    cases: list[dict[str, Any]]
    values: dict[str, Any]


def read_parameters(raw: bytes, operation: str, allowed: frozenset[str]) -> OperationInput:
    """The operation's input; a 422 naming what is wrong (not JSON, not Parameters, a
    parameter the operation does not have, a parameter given twice, a malformed ``case``)."""
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        raise _invalid("Parameters", "the request body is not valid JSON") from None
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise _invalid(
            "Parameters",
            f"send a FHIR Parameters resource (resourceType 'Parameters') to {operation}",
        )
    parameters = body.get("parameter") or []
    if not isinstance(parameters, list) or not all(isinstance(p, dict) for p in parameters):
        raise _invalid("Parameters", "'parameter' must be a list of parameters")
    cases: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    for parameter in parameters:
        name = parameter.get("name")
        if name == "case":
            cases.append(_case(parameter, len(cases)))
        elif not isinstance(name, str) or name not in allowed:
            known = ", ".join(sorted({"case", *allowed}))
            # a name is repeated only when it is plainly a name (errors never echo data)
            plain = isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name)
            raise _invalid(
                str(name) if plain else "parameter.name",
                f"is not a parameter of {operation}; use {known}",
            )
        elif name in values:
            raise _invalid(name, "give it once")
        elif name == "appt-resource":
            values[name] = parameter.get("resource")
        else:
            values[name] = _value(parameter, name)
    if not cases:
        raise _invalid(
            "case",
            "name at least one case: a 'case' parameter with parts case-number and member-dob",
        )
    return OperationInput(cases=cases, values=values)


def _case(parameter: dict[str, Any], index: int) -> dict[str, Any]:
    """One ``case`` parameter → ``{case_number, member_dob}`` as ``/v1`` takes it."""
    where = f"case #{index + 1}"
    parts = parameter.get("part")
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise _invalid(where, "give its parts case-number and member-dob")
    found: dict[str, str] = {}
    for part in parts:
        name = part.get("name")
        if name not in ("case-number", "member-dob"):
            raise _invalid(where, "its parts are case-number and member-dob only")
        if name in found:
            raise _invalid(where, f"give {name} once")
        found[name] = _value(part, name)
    for name in ("case-number", "member-dob"):
        if name not in found:
            raise _invalid(where, f"{name} is required")
    return {"case_number": found["case-number"], "member_dob": found["member-dob"]}


#: ``/v1`` field paths → the FHIR input they came from, for the words of a 422
def _fhir_field(path: str) -> str:
    if match := re.match(r"cases\[(\d+)\](?:\.(\w+))?$", path):
        part = {"case_number": "case-number", "member_dob": "member-dob"}.get(
            match.group(2) or "", ""
        )
        return f"case #{int(match.group(1)) + 1}" + (f" {part}" if part else "")
    fixed = {
        "cases": "case",
        "time_zone": "time-zone",
        "start": "appt-resource.start",
        "reviewer_id": "appt-resource.participant (the reviewer, Practitioner/{id})",
        "hold_id": "appt-resource.id (the hold from $hold)",
        "provider_org": "provider-org",
        "contact.provider_name": "the requester's name (contained Practitioner 'requester')",
        "contact.provider_role": "the requester's role (participant.type text)",
        "contact.phone": "the requester's phone (contained Practitioner telecom)",
        "contact.email": "the requester's e-mail (contained Practitioner telecom)",
        "contact.alt_phone": "the requester's second phone (contained Practitioner telecom)",
    }
    if path in fixed:
        return fixed[path]
    if path.startswith("contact."):
        return f"appt-resource.comment ({path.removeprefix('contact.').replace('_', ' ')})"
    return path


def _as_v1(model: type[ModelT], data: dict[str, Any], start_field: str) -> ModelT:
    """``data`` validated by the ``/v1`` model; its errors named as the FHIR input."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        found = validation_errors(list(error.errors()))
        named = [
            FieldError(
                field=start_field if e.field == "start" else _fhir_field(e.field),
                message=e.message,
            )
            for e in found
        ]
        summary = "; ".join(f"{e.field}: {e.message}" for e in named[:5])
        raise ApiProblem(
            "validation",
            f"Fix these parameters and send the request again — {summary}",
            errors=named,
        ) from None


def _renamed(error: DomainError) -> DomainError:
    """A use case's error naming a ``/v1`` field, renamed to the FHIR input."""
    field = error.extra.get("field")
    if isinstance(field, str):
        error.extra["field"] = _fhir_field(field)
    return error


# ---- $find ----------------------------------------------------------------------------------


class FindIn(Strict):
    """What ``$find`` asks, checked with ``/v1``'s types."""

    cases: list[CaseLookup] = Field(min_length=1, max_length=50)
    time_zone: TimeZoneName
    start: Instant
    end: Instant


def _bound(value: str | None, *, end: bool) -> str | None:
    """A date-only bound is a UTC day (SPEC §13): ``start`` its beginning, ``end`` its end."""
    if value is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value  # the schema says why
    return datetime.combine(
        day + (_DAY if end else timedelta(0)), datetime.min.time(), UTC
    ).isoformat()


# ---- the appointment a client sends back ----------------------------------------------------


def _list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _reference(participant: dict[str, Any]) -> str | None:
    actor = participant.get("actor")
    reference = actor.get("reference") if isinstance(actor, dict) else None
    return reference if isinstance(reference, str) else None


def _extension(resource: dict[str, Any], url: str) -> Any:
    for extension in _list(resource.get("extension")):
        if extension.get("url") == url:
            return next((v for k, v in extension.items() if k.startswith("value")), None)
    return None


def appointment_of(values: dict[str, Any], operation: str) -> dict[str, Any]:
    """``appt-resource``: an Appointment (a 422 naming it otherwise)."""
    resource = values.get("appt-resource")
    if not isinstance(resource, dict) or resource.get("resourceType") != "Appointment":
        raise _invalid(
            "appt-resource",
            f"is required: the Appointment to {operation.removeprefix('$')}, as $find "
            "proposed it (or, for $book, as $hold answered it)",
        )
    return resource


def slot_of(
    resource: dict[str, Any], cases: list[dict[str, Any]], time_zone: str | None
) -> dict[str, Any]:
    """The ``/v1`` slot request (cases, reviewer, start, zone) an appointment stands for.

    The reviewer is the participant whose actor is ``Practitioner/{id}`` (a full URL ending
    so is accepted too); the zone is the ``time-zone`` parameter, else the appointment's
    ``timezone`` extension (``$find`` sets it), else UTC. Cases the appointment names as
    identifiers must be the ``case`` parameters' (eligibility is checked again on them)."""
    reviewers = {
        match.group(1)
        for participant in _list(resource.get("participant"))
        if (reference := _reference(participant)) and (match := _PRACTITIONER.search(reference))
    }
    if len(reviewers) != 1:
        raise _invalid(
            "appt-resource.participant",
            "name the reviewer once, as a participant whose actor is Practitioner/{id} "
            "(as $find gave it)",
        )
    start = resource.get("start")
    if not isinstance(start, str):
        raise _invalid("appt-resource.start", "is required: the start $find gave")
    zone = time_zone or _extension(resource, TIMEZONE_URL) or "UTC"
    named = {
        identifier.get("value")
        for identifier in _list(resource.get("identifier"))
        if identifier.get("system") == CASE_SYSTEM
    }
    asked = {case["case_number"] for case in cases}
    if named and {str(n).casefold() for n in named} != {str(n).casefold() for n in asked}:
        raise _invalid(
            "appt-resource.identifier",
            "the appointment is for other cases than the 'case' parameters name; send the "
            "cases it was found for",
        )
    return {
        "cases": cases,
        "reviewer_id": reviewer_id_of(reviewers.pop()),
        "start": start,
        "time_zone": zone,
    }


def hold_id_of(resource: dict[str, Any]) -> str | None:
    """The hold a pending appointment stands for (its id, or its ``urn:p2p-scheduler:hold``
    identifier); none for a proposed one."""
    status = resource.get("status")
    if status in (None, "proposed"):
        return None
    if status != "pending":
        raise _invalid(
            "appt-resource.status",
            "must be 'proposed' (from $find) or 'pending' (from $hold)",
        )
    held = resource.get("id") or next(
        (
            i.get("value")
            for i in _list(resource.get("identifier"))
            if i.get("system") == HOLD_SYSTEM
        ),
        None,
    )
    if not isinstance(held, str):
        raise _invalid("appt-resource.id", "a pending appointment keeps the id $hold gave it")
    return held


def requester_of(resource: dict[str, Any]) -> dict[str, Any]:
    """The ``/v1`` contact: the contained Practitioner ``requester`` (name, phones, e-mail),
    the role in the type text of the participant referencing it, the rest from ``comment``."""
    practitioner = next(
        (
            item
            for item in _list(resource.get("contained"))
            if item.get("resourceType") == "Practitioner" and item.get("id") == "requester"
        ),
        None,
    )
    where = "appt-resource.contained (the requester)"
    if practitioner is None:
        raise _invalid(
            where,
            "describe the requesting provider as a contained Practitioner with id "
            "'requester' (name; telecom phone and email), referenced by a participant "
            "'#requester' whose type text is the provider role",
        )
    role = next(
        (
            _type_text(participant)
            for participant in _list(resource.get("participant"))
            if _reference(participant) == "#requester"
        ),
        None,
    )
    if role is None:
        raise _invalid(
            "appt-resource.participant (the requester)",
            "add a participant whose actor is '#requester' and whose type text is the "
            "provider role, such as ordering_provider",
        )
    telecom = _list(practitioner.get("telecom"))
    phones = [t.get("value") for t in telecom if t.get("system") == "phone"]
    emails = [t.get("value") for t in telecom if t.get("system") == "email"]
    contact: dict[str, Any] = {
        "provider_name": _name(practitioner),
        "provider_role": role,
        "phone": phones[0] if phones else None,
        "email": emails[0] if emails else None,
    }
    if len(phones) > 1:
        contact["alt_phone"] = phones[1]
    comment = resource.get("comment")
    if comment is not None:
        if not isinstance(comment, str):
            raise _invalid("appt-resource.comment", "must be text")
        contact |= comment_fields(comment)
    return contact


def _strings(value: Any) -> list[str]:
    """The non-empty strings of a FHIR list of strings (anything else: none)."""
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _type_text(participant: dict[str, Any]) -> str:
    for concept in _list(participant.get("type")):
        if isinstance(concept.get("text"), str):
            return concept["text"]
        for coding in _list(concept.get("coding")):
            if isinstance(coding.get("code"), str):
                return coding["code"]
    return ""


def _name(practitioner: dict[str, Any]) -> Any:
    for name in _list(practitioner.get("name")):
        if isinstance(name.get("text"), str):
            return name["text"]
        words = [
            *_strings(name.get("prefix")),
            *_strings(name.get("given")),
            *_strings([name.get("family")]),
            *_strings(name.get("suffix")),
        ]
        if words:
            return " ".join(words)
    return None


#: ``Appointment.comment`` lines → the contact fields they carry (``Label: value``)
COMMENT_LABELS = {
    "contact": "contact_name",
    "contact person": "contact_name",
    "location": "contact_location",
    "contact location": "contact_location",
    "phone extension": "phone_ext",
    "extension": "phone_ext",
    "ext": "phone_ext",
    "alternate phone": "alt_phone",
    "alt phone": "alt_phone",
    "alternate phone extension": "alt_phone_ext",
    "alt phone extension": "alt_phone_ext",
    "instructions": "instructions",
}


def comment_fields(comment: str) -> dict[str, str]:
    """The contact fields written in ``comment``, one ``Label: value`` a line; the
    instructions may run over several lines (every line after ``Instructions:``); text
    without a known label is taken as instructions, so nothing a client wrote is lost."""
    fields: dict[str, str] = {}
    loose: list[str] = []
    lines = comment.splitlines()
    for index, line in enumerate(lines):
        label, colon, value = line.partition(":")
        key = COMMENT_LABELS.get(label.strip().casefold()) if colon else None
        if key == "instructions":
            fields[key] = "\n".join([value.strip(), *lines[index + 1 :]]).strip()
            break
        if key is not None:
            fields[key] = value.strip()
        elif line.strip():
            loose.append(line.strip())
    if loose and "instructions" not in fields:
        fields["instructions"] = "\n".join(loose)
    return fields


# ---- resources answered -----------------------------------------------------------------


def _instant(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).isoformat()


def _case_identifiers(numbers: list[str]) -> list[dict[str, str]]:
    return [{"system": CASE_SYSTEM, "value": number} for number in numbers]


def proposed_appointment(
    proposal: period_search.Proposal, case_numbers: list[str], time_zone: str, minutes: int
) -> dict[str, Any]:
    """A slot ``$find`` offers: not stored, so no id; reviewer + start are what
    ``$hold``/``$book`` read back."""
    return {
        "resourceType": "Appointment",
        "extension": [
            {"url": TIMEZONE_URL, "valueCode": time_zone},
            {"url": TIER_URL, "valueInteger": proposal.tier},
        ],
        "identifier": _case_identifiers(case_numbers),
        "status": "proposed",
        "description": f"P2P with {proposal.reviewer_name} ({proposal.tier_label})",
        "start": _instant(proposal.start, time_zone),
        "end": _instant(proposal.end, time_zone),
        "minutesDuration": minutes,
        "participant": [
            {
                "actor": {
                    "reference": f"Practitioner/{fhir_id(proposal.reviewer_id)}",
                    "display": proposal.reviewer_name,
                },
                "required": "required",
                "status": "needs-action",
            }
        ],
    }


def pending_appointment(view: HoldView, case_numbers: list[str]) -> dict[str, Any]:
    """A held slot: id = the hold's id; it lapses at ``HOLD_EXPIRES_URL``."""
    minutes = int((view.end - view.start).total_seconds() // 60)
    return {
        "resourceType": "Appointment",
        "id": view.hold_id,
        "extension": [
            {"url": TIMEZONE_URL, "valueCode": view.time_zone},
            {"url": HOLD_EXPIRES_URL, "valueInstant": resources.instant(view.expires_at)},
        ],
        "identifier": [
            {"system": HOLD_SYSTEM, "value": view.hold_id},
            *_case_identifiers(case_numbers),
        ],
        "status": "pending",
        "start": _instant(view.start, view.time_zone),
        "end": _instant(view.end, view.time_zone),
        "minutesDuration": minutes,
        "participant": [
            {
                "actor": {"reference": f"Practitioner/{fhir_id(view.reviewer_id)}"},
                "required": "required",
                "status": "tentative",
            }
        ],
    }


def _outcome(severity: str, code: str, text: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": text}],
    }


def _json(resource: dict[str, Any] | Appointment) -> str:
    """The resource, validated by the FHIR R4 model of its type, as JSON."""
    if isinstance(resource, dict):
        models = {"Appointment": Appointment, "Bundle": Bundle}
        resource = models[resource["resourceType"]].model_validate(resource)
    return json.dumps(resources.to_json(resource), separators=(",", ":"), ensure_ascii=False)


def _answer(payload: str, status: int = 200) -> Response:
    # booking data: never cached (SPEC §9 "Links and caching")
    return Response(
        payload,
        status_code=status,
        media_type=FHIR_MEDIA_TYPE,
        headers={"Cache-Control": "no-store"},
    )


# ---- routes -----------------------------------------------------------------------------

PortalCaller = Annotated[Principal, Depends(require("portal"))]
#: what every operation may answer besides its own: no key, a role not admitted, a body
#: that is too slow, too large, not JSON or not valid
_REFUSALS = (401, 403, 408, 413, 415, 422)

_PARAMETER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "valueString": {"type": "string"},
        "valueDate": {"type": "string"},
        "valueDateTime": {"type": "string"},
        "valueCode": {"type": "string"},
        "resource": {"type": "object"},
        "part": {"type": "array", "items": {"type": "object"}},
    },
}


def _body(example: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI request body: a FHIR ``Parameters`` resource."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                FHIR_MEDIA_TYPE: {
                    "schema": {
                        "type": "object",
                        "required": ["resourceType"],
                        "properties": {
                            "resourceType": {"type": "string", "enum": ["Parameters"]},
                            "parameter": {"type": "array", "items": _PARAMETER_SCHEMA},
                        },
                    },
                    "example": example,
                }
            },
        }
    }


def _case_example() -> dict[str, Any]:
    return {
        "name": "case",
        "part": [
            {"name": "case-number", "valueString": "UM-2026-0001"},
            {"name": "member-dob", "valueDate": "1962-04-17"},
        ],
    }


_APPOINTMENT_EXAMPLE = {
    "resourceType": "Appointment",
    "status": "proposed",
    "start": "2026-12-08T14:30:00-05:00",
    "end": "2026-12-08T14:45:00-05:00",
    "participant": [{"actor": {"reference": "Practitioner/rev-1"}, "status": "needs-action"}],
}


def _resource_schema(resource_type: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string", "enum": [resource_type]}},
    }


def _ok(resource_type: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": f"a FHIR R4 {resource_type}",
            "content": {FHIR_MEDIA_TYPE: {"schema": _resource_schema(resource_type)}},
        }
    }


@router.post(
    "/Appointment/$find",
    summary="Open P2P times for the cases in a period, as proposed Appointments, best tier "
    "first (IHE ITI Scheduling / Argonaut $find; POST only, the member's DOB is PHI)",
    description=(
        "Parameters: one `case` per case (parts `case-number`, `member-dob`), `start` and "
        f"`end` (the period; date-only bounds are UTC days, `end` inclusive; at most "
        f"{FIND_MAX_DAYS} days; default: {FIND_DEFAULT_DAYS} days from now), `time-zone` "
        "(IANA, the requester's; default UTC). Answers a searchset Bundle of `proposed` "
        "Appointments in the order of `POST /v1/availability` (tier, reviewer, start); "
        "send one back as `appt-resource` to `$hold` or `$book`."
    ),
    dependencies=[Depends(require_json)],
    response_class=Response,
    responses={**_ok("Bundle"), **outcomes(*_REFUSALS)},
    openapi_extra=_body(
        {
            "resourceType": "Parameters",
            "parameter": [
                _case_example(),
                {"name": "start", "valueDateTime": "2026-12-07T00:00:00-05:00"},
                {"name": "end", "valueDate": "2026-12-11"},
                {"name": "time-zone", "valueCode": "America/New_York"},
            ],
        }
    ),
)
async def find_appointments(
    request: Request,
    principal: PortalCaller,
    engine: EngineDep,
    policy: PolicyDep,
    limits: LimitsDep,
    now: NowDep,
) -> Response:
    given = read_parameters(await request.body(), "$find", frozenset({"start", "end", "time-zone"}))
    start = _bound(given.values.get("start"), end=False) or now.isoformat()
    asked = _as_v1(
        FindIn,
        {
            "cases": given.cases,
            "time_zone": given.values.get("time-zone", "UTC"),
            "start": start,
            "end": _bound(given.values.get("end"), end=True) or _later(start),
        },
        "start",
    )
    if asked.end <= asked.start:
        raise _invalid("end", "must be after start")
    if asked.end - asked.start > timedelta(days=FIND_MAX_DAYS):
        raise _invalid(
            "end",
            f"one $find searches at most {FIND_MAX_DAYS} days; ask again for later times",
        )

    def work() -> str:
        found = period_search.search_period(
            engine=engine,
            policy=policy,
            limits=limits,
            now=now,
            cases=tuple((c.case_number, c.member_dob) for c in asked.cases),
            time_zone=asked.time_zone,
            start=asked.start,
            end=asked.end,
        )
        numbers = [c.case_number for c in asked.cases]
        entries: list[dict[str, Any]] = [
            {
                "resource": proposed_appointment(
                    p, numbers, asked.time_zone, found.duration_minutes
                ),
                "search": {"mode": "match"},
            }
            for p in found.proposals
        ]
        if found.truncated:
            entries.append(
                {
                    "resource": _outcome(
                        "information",
                        "too-costly",
                        f"Only the first {len(found.proposals)} times are listed; ask for a "
                        "shorter period for the others.",
                    ),
                    "search": {"mode": "outcome"},
                }
            )
        return _json(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(found.proposals),
                "entry": entries,
            }
        )

    return _answer(await run_in_threadpool(_renaming(work)))


def _later(start: str) -> str:
    try:
        return (datetime.fromisoformat(start) + timedelta(days=FIND_DEFAULT_DAYS)).isoformat()
    except ValueError:
        return start  # ``start`` itself is the 422


def _renaming(work: Callable[[], T]) -> Callable[[], T]:
    """``work``, its domain errors naming the FHIR input rather than ``/v1`` fields."""

    def run() -> T:
        try:
            return work()
        except DomainError as error:
            raise _renamed(error) from None

    return run


@router.post(
    "/Appointment/$hold",
    summary="Hold a proposed Appointment for a few minutes while the rest is filled in "
    "(IHE ITI Scheduling / Argonaut $hold) → a pending Appointment, id = the hold's id",
    description=(
        "Parameters: `appt-resource` (a proposed Appointment from `$find`), the same `case` "
        "parameters (eligibility is checked again), optionally `time-zone`. The pending "
        "Appointment lapses at the instant of its extension "
        f"`{HOLD_EXPIRES_URL}`, like `POST /v1/holds`; a slot taken or held → 409."
    ),
    dependencies=[Depends(require_json)],
    response_class=Response,
    responses={**_ok("Appointment"), **outcomes(409, *_REFUSALS)},
    openapi_extra=_body(
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "appt-resource", "resource": _APPOINTMENT_EXAMPLE},
                _case_example(),
            ],
        }
    ),
)
async def hold_appointment(
    request: Request,
    principal: PortalCaller,
    engine: EngineDep,
    policy: PolicyDep,
    limits: LimitsDep,
    now: NowDep,
) -> Response:
    given = read_parameters(
        await request.body(), "$hold", frozenset({"appt-resource", "time-zone"})
    )
    resource = appointment_of(given.values, "$hold")
    if resource.get("status") not in (None, "proposed"):
        raise _invalid("appt-resource.status", "must be 'proposed', as $find gave it")
    slot = _as_v1(
        SlotIn,
        slot_of(resource, given.cases, given.values.get("time-zone")),
        "appt-resource.start",
    )

    def work() -> str:
        view = booking.hold(
            engine=engine,
            policy=policy,
            limits=limits,
            now=now,
            slot=slot.slot(),
            actor=principal.key_id,
            scope=principal.scope,
        )
        return _json(pending_appointment(view, [c.case_number for c in slot.cases]))

    return _answer(await run_in_threadpool(_renaming(work)))


@router.post(
    "/Appointment/$book",
    summary="Book a pending (from $hold) or proposed (from $find) Appointment (IHE ITI "
    "Scheduling / Argonaut $book) → the booked Appointment, id = the booking's id",
    description=(
        "Parameters: `appt-resource`, the same `case` parameters, optionally `time-zone` and "
        "`provider-org` (a portal key's choice; a provider sign-in's own organisation is "
        "used). The appointment carries the requesting provider as a contained Practitioner "
        "`requester` (name; telecom phone, a second phone, email) referenced by a participant "
        "`#requester` whose type text is the provider role; the rest of the contact in "
        "`comment`, one `Label: value` a line (`Contact person:`, `Location:`, `Phone extension:`, "
        "`Alternate phone extension:`, `Instructions:` last, over several lines). Send an "
        "`Idempotency-Key` to make retries safe (a retry replays the first answer). Answers "
        "201 with the booked Appointment; a slot taken → 409."
    ),
    dependencies=[Depends(require_json)],
    response_class=Response,
    status_code=201,
    responses={**_ok("Appointment", 201), **outcomes(409, *_REFUSALS)},
    openapi_extra=_body(
        {
            "resourceType": "Parameters",
            "parameter": [
                {
                    "name": "appt-resource",
                    "resource": {
                        **_APPOINTMENT_EXAMPLE,
                        "contained": [
                            {
                                "resourceType": "Practitioner",
                                "id": "requester",
                                "name": [{"text": "Dr. Jane Ordering"}],
                                "telecom": [
                                    {"system": "phone", "value": "(555) 555-5555"},
                                    {"system": "email", "value": "jane@clinic.org"},
                                ],
                            }
                        ],
                        "participant": [
                            *_APPOINTMENT_EXAMPLE["participant"],  # type: ignore[misc]
                            {
                                "actor": {"reference": "#requester"},
                                "type": [{"text": "ordering_provider"}],
                                "status": "accepted",
                            },
                        ],
                        "comment": "Contact: Sam Front Desk\nInstructions: ask for Dr. Jane",
                    },
                },
                _case_example(),
            ],
        }
    ),
)
async def book_appointment(
    request: Request,
    principal: PortalCaller,
    engine: EngineDep,
    policy: PolicyDep,
    limits: LimitsDep,
    now: NowDep,
    notifier: NotifierDep,
    idempotency_key: Annotated[
        str | None, Header(max_length=200, description="makes retries return the first result")
    ] = None,
) -> Response:
    raw = await request.body()
    given = read_parameters(raw, "$book", frozenset({"appt-resource", "time-zone", "provider-org"}))
    resource = appointment_of(given.values, "$book")
    hold_id = hold_id_of(resource)
    body = _as_v1(
        BookingIn,
        {
            **slot_of(resource, given.cases, given.values.get("time-zone")),
            "hold_id": hold_id,
            "contact": requester_of(resource),
            "provider_org": given.values.get("provider-org"),
        },
        "appt-resource.start",
    )
    provider_org = _renaming(lambda: provider_org_of(principal, body.provider_org))()

    status, payload = await book_once(
        engine=engine,
        policy=policy,
        limits=limits,
        now=now,
        notifier=notifier,
        principal=principal,
        body=body,
        provider_org=provider_org,
        render=lambda view: _json(resources.appointment_from_booking(view)),
        idempotency_key=idempotency_key,
        path="/fhir/r4/Appointment/$book",
        raw=raw,
        guard=_renaming,
    )
    return _answer(payload, status)
