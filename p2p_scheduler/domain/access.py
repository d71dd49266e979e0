"""Whose bookings a caller may see and change (SPEC §10).

A scope is data, not a check scattered over routes: the booking store's reads take one and
turn it into a ``WHERE`` clause, so a booking outside the caller's scope is simply not found
(404, the same answer as an unknown id), whatever else the request gets wrong.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    """``None`` on an axis: no restriction there. A provider token is scoped to its
    organisation, a reviewer token to the bookings it holds; keys and admin see everything."""

    provider_org: str | None = None
    reviewer_id: str | None = None

    @property
    def unrestricted(self) -> bool:
        return self.provider_org is None and self.reviewer_id is None

    def admits_reviewer(self, reviewer_id: str) -> bool:
        """Whether the caller may see this reviewer's agenda and feed URL."""
        return self.reviewer_id is None or self.reviewer_id == reviewer_id


#: trusted back ends (API keys, admin, portal and ops tokens) and the service's own jobs
EVERYTHING = Scope()
