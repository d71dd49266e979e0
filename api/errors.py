"""The exception a route or dependency raises to answer with a problem document.

A leaf module (it imports nothing else of the API), so that ``auth`` and ``ratelimit``, which
raise it, and ``problems``, which renders it and re-runs the route's auth check before
reporting a body that failed to parse, do not import each other.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str = Field(description="where the problem is, e.g. `cases[0].member_dob`")
    message: str


class ApiProblem(Exception):
    """Raise from a route or dependency to answer with a problem document of ``kind``
    (a key of ``problems.KINDS``)."""

    def __init__(
        self,
        kind: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors
