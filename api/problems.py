"""RFC 9457 problem details: every error the API returns, in one shape.

Each kind has a stable ``type`` URI under one base (documented in the OpenAPI description),
a status and a title; ``detail`` always says what to do about it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from api.auth import check_before_body
from api.errors import ApiProblem, FieldError
from api.paths import unknown_id
from api.schemas.common import (
    EMAIL_PATTERN,
    IDENTIFIER,
    SKILL_CODE,
    UUID_PATTERN,
    has_control_characters,
)
from p2p_scheduler.domain.errors import DomainError

PROBLEM_BASE = "https://p2p-scheduler.org/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

#: kind → (status, title). Later issues add slot-taken, case-already-booked, … here.
KINDS: dict[str, tuple[int, str]] = {
    "validation": (422, "Invalid request"),
    "unauthorized": (401, "Authentication required"),
    "forbidden": (403, "Not allowed for this key"),
    "not-found": (404, "Not found"),
    "link-revoked": (410, "Link revoked"),
    "link-used": (410, "Link already used"),
    "link-expired": (410, "Link expired"),
    "method-not-allowed": (405, "Method not allowed"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "slot-taken": (409, "Slot taken"),
    "case-already-booked": (409, "Case already booked"),
    "invalid-transition": (409, "Invalid transition"),
    "call-not-started": (409, "Call not started"),
    "not-eligible": (422, "Not eligible"),
    "not-qualified": (422, "Reviewer not qualified"),
    "idempotency-key-reused": (422, "Idempotency key reused with a different request"),
    "request-in-progress": (409, "Request still in progress"),
    "payload-too-large": (413, "Request body too large"),
    "request-timeout": (408, "Request timeout"),
    "rate-limited": (429, "Too many requests"),
    "internal": (500, "Internal error"),
    "not-ready": (503, "Service not ready"),
}


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")

    """An RFC 9457 problem document."""

    type: str = Field(examples=[PROBLEM_BASE + "validation"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


#: renders a problem (kind, status, title, detail, headers, field errors) in another shape
ProblemRenderer = Callable[
    [str, int, str, str, dict[str, str] | None, list[FieldError] | None], JSONResponse
]
#: path prefix → how problems under it are written (``/fhir/``: as OperationOutcome, SPEC §13)
_RENDERERS: dict[str, ProblemRenderer] = {}


def render_problems_under(prefix: str, renderer: ProblemRenderer) -> None:
    """Answer every problem of a path under ``prefix`` with ``renderer`` instead of a problem
    document: the same kinds and statuses in the shape that interface's clients read."""
    _RENDERERS[prefix] = renderer


def problem_response(
    kind: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    """A problem document; ``extensions`` adds members such as ``booking_id`` (RFC 9457 §3.2)."""
    status, title = KINDS[kind]
    for prefix, renderer in _RENDERERS.items():
        if instance is not None and instance.startswith(prefix):
            return renderer(kind, status, title, detail, headers, errors)
    body = Problem(
        type=PROBLEM_BASE + kind,
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    return JSONResponse(
        {**(extensions or {}), **body.model_dump(exclude_none=True)},
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problem statuses a route can answer.

    A route that takes a key (401) can also be rate limited (429); one that takes a body
    (415) can also get one too large (413) or one that does not arrive in time (408)."""
    titles = {status: title for status, title in KINDS.values()}
    statuses = (
        *statuses,
        *((429,) if 401 in statuses else ()),
        *((408, 413) if 415 in statuses else ()),
    )
    return {
        status: {
            "model": Problem,
            "description": titles.get(status, "Problem"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


_LOCATIONS = {"body", "path", "query", "header"}
_WRAPPERS = ("function-", "union[", "tagged-union[")


def _parts(loc: tuple[Any, ...]) -> list[str | int]:
    """``loc`` without its location (``body``…) and pydantic's validator wrappers."""
    parts = list(loc[1:] if loc and loc[0] in _LOCATIONS else loc)
    return [
        part
        for part in parts
        if isinstance(part, int) or (part and not str(part).startswith(_WRAPPERS))
    ]


def _field_path(loc: tuple[Any, ...]) -> str:
    """``('body', 'cases', 0, 'member_dob')`` → ``cases[0].member_dob`` (for programs)."""
    text = ""
    for part in _parts(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or (str(loc[0]) if loc else "body")


def _field_words(loc: tuple[Any, ...]) -> str:
    """``('body', 'cases', 0, 'member_dob')`` → ``member_dob (in cases #1)``, for people: the
    field's own name first, then where it sits, inner to outer, counting items from 1."""
    parts = _parts(loc)
    if len(parts) > 1 and parts[-1] == "[key]":  # a mapping's key, e.g. a code in ``skills``
        parts = [*parts[:-2], repr(parts[-2])]
    segments: list[str] = []
    for part in parts:
        if isinstance(part, int):
            segments[-1:] = [f"{segments[-1] if segments else 'item'} #{part + 1}"]
        else:
            segments.append(str(part))
    if not segments:
        return "the request"
    *outer, name = segments
    return f"{name} (in {' of '.join(reversed(outer))})" if outer else name


#: what the API's patterns mean, in words: a regular expression means nothing to a person
PATTERN_WORDS = {
    IDENTIFIER: "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    SKILL_CODE: "must be 1 to 64 letters, digits, '_', '.' or '-'",
    EMAIL_PATTERN: "Enter a valid e-mail address, like name@clinic.org",
    UUID_PATTERN: "must be an id as the API gave it, such as 7c9e6679-7425-40de-944b-e07fc1f90ae7",
}


_DATE = "Enter a date as YYYY-MM-DD, like 1962-04-17"
_INSTANT = "Enter a date and time with its UTC offset, like 2026-12-08T14:30:00-06:00"
#: pydantic's error types in words a front desk can act on (``{…}``: from the error's
#: context); a type not listed keeps pydantic's own message.
TYPE_WORDS = {
    "string_too_long": "Use at most {max_length} characters",
    "string_too_short": "Enter at least {min_length} characters",
    "too_long": "List at most {max_length} items",
    "too_short": "List at least {min_length} items",
    "string_type": "Enter text",
    "list_type": "Send a list",
    "dict_type": "Send an object with named fields",
    "model_type": "Send an object with named fields",
    "model_attributes_type": "Send an object with named fields",
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "date_type": _DATE,
    "datetime_parsing": _INSTANT,
    "datetime_from_date_parsing": _INSTANT,
    "datetime_type": _INSTANT,
    "timezone_aware": _INSTANT,
    "int_parsing": "Enter a whole number",
    "int_type": "Enter a whole number",
    "int_from_float": "Enter a whole number",
    "bool_parsing": "Use true or false",
    "bool_type": "Use true or false",
    "greater_than_equal": "Use {ge} or more",
    "less_than_equal": "Use {le} or less",
    "greater_than": "Use more than {gt}",
    "less_than": "Use less than {lt}",
    "enum": "Use one of: {expected}",
    "literal_error": "Use one of: {expected}",
}


def _type_words(item: dict[str, Any]) -> str | None:
    """``TYPE_WORDS`` for the error, its context filled in (one item: no plural 's')."""
    words = TYPE_WORDS.get(str(item.get("type")))
    if words is None:
        return None
    context = item.get("ctx") or {}
    if context.get("min_length") == 1 and item.get("type") == "string_too_short":
        return "must not be empty"
    try:
        text = words.format(**context)
    except (KeyError, IndexError, ValueError):
        return words.split(" {", 1)[0]
    return text.replace("at most 1 characters", "at most 1 character").replace(
        "at least 1 items", "at least 1 item"
    )


def _validation_message(item: dict[str, Any]) -> str:
    message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
    if (words := _type_words(item)) is not None:
        return words
    if item.get("type") == "missing":
        return "is required"
    if item.get("type") == "extra_forbidden":
        return "is not a known field; check its spelling"
    if item.get("type") == "string_pattern_mismatch":
        if has_control_characters(str(item.get("input", ""))):
            return "must not contain control characters (NUL, tabs, line breaks …)"
        return PATTERN_WORDS.get(
            str(item.get("ctx", {}).get("pattern")), "is not written in the expected format"
        )
    if item.get("type") == "json_invalid":
        return "the request body is not valid JSON: " + str(
            item.get("ctx", {}).get("error", message)
        )
    return message


def _validation_problems(raw: list[dict[str, Any]]) -> list[tuple[FieldError, str]]:
    """Each failing field once: the error (its path, for programs) and its name in words."""
    seen: dict[tuple[str, str], tuple[FieldError, str]] = {}
    for item in raw:
        loc = tuple(item.get("loc", ()))
        cause = item.get("ctx", {}).get("error")
        if isinstance(getattr(cause, "field", None), str):  # a cross-field rule naming its field
            loc = (*loc, cause.field)
        if item.get("type") == "json_invalid":
            field, words = "body", "the request body"
        else:
            field, words = _field_path(loc), _field_words(loc)
        error = FieldError(field=field, message=_validation_message(item))
        seen.setdefault((error.field, error.message), (error, words))
    return list(seen.values())


def validation_errors(raw: list[dict[str, Any]]) -> list[FieldError]:
    return [error for error, _ in _validation_problems(raw)]


def _allowed_methods(request: Request) -> list[str]:
    """Every method served at this path, across all routes (RFC 9110 §15.5.6 ``Allow``).

    Read from the OpenAPI paths (built once and cached by FastAPI) rather than the router,
    whose included routers hide their routes.
    """
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        pattern, _, _ = compile_path(template)
        if pattern.match(request.url.path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Register handlers so that no error leaves the app in any other shape."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        request.state.problem_kind = exc.kind
        return problem_response(
            exc.kind, exc.detail, instance=request.url.path, headers=exc.headers, errors=exc.errors
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        kind = exc.kind if exc.kind in KINDS else "validation"
        request.state.problem_kind = kind
        field = exc.extra.get("field")
        errors = [FieldError(field=str(field), message=exc.detail)] if field else None
        extensions = {k: v for k, v in exc.extra.items() if k != "field"}
        return problem_response(
            kind, exc.detail, instance=request.url.path, errors=errors, extensions=extensions
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        try:
            await check_before_body(request)
        except ApiProblem as problem:
            return await _api_problem(request, problem)
        except DomainError as error:  # outside the caller's scope: not found
            return await _domain(request, error)
        raw = list(exc.errors())
        if (unknown := unknown_id(request, raw)) is not None:
            request.state.problem_kind = "not-found"
            return problem_response("not-found", unknown, instance=request.url.path)
        request.state.problem_kind = "validation"
        found = _validation_problems(raw)
        summary = "; ".join(f"{words}: {e.message}" for e, words in found[:5])
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        return problem_response(
            "validation",
            f"Fix these fields and send the request again — {summary}{more}",
            instance=request.url.path,
            errors=[error for error, _ in found],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            return problem_response(
                "not-found",
                f"There is nothing at {request.url.path}. See /docs for the API's paths.",
                instance=request.url.path,
            )
        if exc.status_code == 405:
            allowed = ", ".join(_allowed_methods(request))
            headers["Allow"] = allowed
            headers.pop("allow", None)
            return problem_response(
                "method-not-allowed",
                f"{request.method} is not allowed on {request.url.path}"
                + (f"; use {allowed}." if allowed else "."),
                instance=request.url.path,
                headers=headers,
            )
        if exc.status_code == 400:  # the body could not even be decoded (e.g. not UTF-8)
            return problem_response(
                "validation",
                "The request body could not be read; send UTF-8 encoded JSON.",
                instance=request.url.path,
                errors=[FieldError(field="body", message="is not UTF-8 encoded JSON")],
            )
        kind = {401: "unauthorized", 403: "forbidden", 415: "unsupported-media-type"}.get(
            exc.status_code, "validation" if exc.status_code < 500 else "internal"
        )
        return problem_response(kind, str(exc.detail), instance=request.url.path, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(
            "internal",
            "Something went wrong on our side and nothing was changed. Try again; "
            "if it keeps happening, contact support.",
            instance=request.url.path,
        )
