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


class NotEligible(DomainError):
    """A case of the request cannot have a P2P now (names the case and why)."""

    kind = "not-eligible"


class NotQualified(DomainError):
    kind = "not-qualified"


class SlotTaken(DomainError):
    """The time is taken, held or overlaps another booking of that reviewer."""

    kind = "slot-taken"


class CaseAlreadyBooked(DomainError):
    kind = "case-already-booked"


class InvalidTransition(DomainError):
    kind = "invalid-transition"


class CallNotStarted(DomainError):
    """A reviewer recorded an outcome or a no-show before the call's start (SPEC §9)."""

    kind = "call-not-started"


class IdempotencyKeyReused(DomainError):
    """The same ``Idempotency-Key`` came with a different request body."""

    kind = "idempotency-key-reused"


class RequestInProgress(DomainError):
    """The first request with this ``Idempotency-Key`` is still being processed."""

    kind = "request-in-progress"


class Forbidden(DomainError):
    """A signed link that is tampered, expired, revoked or for something else."""

    kind = "forbidden"


class LinkRevoked(DomainError):
    """A genuine link whose booking was cancelled: it will never work again (SPEC §9, 410),
    unlike a forged, expired or rotated one (``Forbidden``)."""

    kind = "link-revoked"


class LinkUsed(DomainError):
    """A launch link that was opened once already: it never opens again (SPEC §14, 410)."""

    kind = "link-used"


class LinkExpired(DomainError):
    """A launch link older than its lifetime (SPEC §14, 410)."""

    kind = "link-expired"
