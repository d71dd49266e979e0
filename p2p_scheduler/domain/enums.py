"""The booking's code lists (SPEC §4, §9), one ``StrEnum`` each.

Clients read these from the OpenAPI (each is declared as an ``enum`` there), the database
stores their values, and the use cases compare against the members, so a code is spelled
once. Provider roles are not here: they are the policy's (``Policy.provider_roles``), because
a plan may add its own.
"""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    """Where a booking is in its lifecycle (SPEC §4)."""

    PENDING_ASSIGNMENT = "pending_assignment"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


#: statuses that hold a case (and, when scheduled, the reviewer's time)
ACTIVE_STATUSES = frozenset({BookingStatus.SCHEDULED, BookingStatus.PENDING_ASSIGNMENT})
#: statuses a reviewer's agenda and feed show (a call that is, or was, on their calendar)
CALENDAR_STATUSES = frozenset(
    {BookingStatus.SCHEDULED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW}
)


class CancelReason(StrEnum):
    """Why a booking was cancelled (SPEC §9); ``other`` needs a ``reason_text``."""

    PROVIDER_UNAVAILABLE = "provider_unavailable"
    REVIEWER_UNAVAILABLE = "reviewer_unavailable"
    CASE_RESOLVED = "case_resolved"
    SCHEDULED_IN_ERROR = "scheduled_in_error"
    DUPLICATE = "duplicate"
    OTHER = "other"


class Outcome(StrEnum):
    """What the call decided (SPEC §9)."""

    UPHELD = "upheld"
    OVERTURNED = "overturned"
    MODIFIED = "modified"
    INFORMATION_ONLY = "information_only"


class Party(StrEnum):
    """Who did not answer a call (SPEC §9)."""

    PROVIDER = "provider"
    REVIEWER = "reviewer"
