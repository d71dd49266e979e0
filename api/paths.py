"""Ids in the path, and what a malformed one answers.

A path id that addresses an existing resource (``GET /v1/bookings/{booking_id}``, its
sub-routes, a hold, a reviewer, a case, a calendar) and has a shape no id can have is an
unknown id: 404 ``not-found``, the very answer a well-formed unknown id gets (SPEC §9). Its
shape is still documented (``pattern``), and the problem handler (``api.problems``) turns the
validation error of such a parameter into the 404, after the route's authentication, so a
caller without a key still learns nothing but 401.

Two exceptions stay 422 naming the field: the id of a ``PUT`` upsert, where the client is
creating the resource and must be told its id cannot be stored, and an id with control
characters (NUL …), which SPEC §9 refuses everywhere, the path included.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, params
from fastapi.exceptions import RequestValidationError

from api.schemas.common import IDENTIFIER, UUID_PATTERN, has_control_characters
from p2p_scheduler.domain.text import SINGLE_LINE_MESSAGE


class ExistingId(params.Path):
    """A path parameter naming a resource that must already exist."""

    def __init__(self, *, what: str, pattern: str, description: str) -> None:
        super().__init__(pattern=pattern, description=description)
        self.what = what


BookingId = Annotated[
    str, ExistingId(what="booking", pattern=UUID_PATTERN, description="booking id (a UUID)")
]
HoldId = Annotated[
    str, ExistingId(what="hold", pattern=UUID_PATTERN, description="hold id from POST /v1/holds")
]
ReviewerId = Annotated[
    str, ExistingId(what="reviewer", pattern=IDENTIFIER, description="reviewer id")
]
CaseNumber = Annotated[str, ExistingId(what="case", pattern=IDENTIFIER, description="case number")]


def unknown_id(request: Request, errors: list[dict[str, Any]]) -> str | None:
    """The not-found detail when a validation error is about an ``ExistingId`` of the
    matched route whose value has the wrong shape; None when the 422 stands."""
    failed = {
        str(e["loc"][1]) for e in errors if len(e.get("loc", ())) > 1 and e["loc"][0] == "path"
    }
    if not failed:
        return None
    route = request.scope.get("route")
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is None:
            continue
        pending.extend(dependant.dependencies)
        for field in dependant.path_params:
            info = field.field_info
            if field.alias not in failed or not isinstance(info, ExistingId):
                continue
            value = str(request.path_params.get(field.alias, ""))
            if has_control_characters(value):
                continue
            shown = value if len(value) <= 64 else value[:64] + "…"
            return f"No {info.what} {shown!r} exists."
    return None


def text_in_url(request: Request) -> None:
    """Every path parameter and query string value, of every route, is text (SPEC §9): NUL
    and other control characters are refused with a 422 naming the parameter before any of
    them reaches a route, the store or a log. (Bodies are checked by their schemas.)"""
    errors: list[dict[str, Any]] = [
        {"type": "value_error", "loc": ("path", name), "msg": SINGLE_LINE_MESSAGE}
        for name, value in request.path_params.items()
        if isinstance(value, str) and has_control_characters(value)
    ]
    for name, value in request.query_params.multi_items():
        if has_control_characters(name):
            errors.append({"type": "value_error", "loc": ("query",), "msg": SINGLE_LINE_MESSAGE})
        elif has_control_characters(value):
            errors.append(
                {"type": "value_error", "loc": ("query", name), "msg": SINGLE_LINE_MESSAGE}
            )
    if errors:
        raise RequestValidationError(errors)
