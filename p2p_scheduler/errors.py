"""Domain errors. No HTTP here: the API maps each ``kind`` to a status and problem type."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a use case raises on purpose; ``kind`` names it stably."""

    kind = "domain-error"

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    kind = "not-found"


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a domain rule (e.g. more cases than the policy allows)."""

    kind = "validation"
