"""The one place "now" comes from, so tests and pure functions get it injected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current instant, UTC-aware."""
    return datetime.now(UTC)


def fixed_clock(instant: datetime) -> Clock:
    """A clock frozen at ``instant`` (tests, replays)."""
    if instant.tzinfo is None:
        raise ValueError("fixed_clock needs an aware datetime")
    return lambda: instant
