"""IANA time-zone checks shared by settings, policy and API validation."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def require_zone(name: str) -> str:
    """Return ``name`` if it is an IANA zone (e.g. ``America/Phoenix``), else raise ValueError."""
    if name not in _known_zones():
        raise ValueError(f"{name!r} is not an IANA time zone name such as 'America/New_York'")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:  # pragma: no cover - defensive
        raise ValueError(f"{name!r} is not a usable time zone") from error
    return name
