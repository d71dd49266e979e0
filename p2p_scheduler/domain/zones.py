"""IANA time-zone checks shared by settings, policy and API validation."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

#: the areas of IANA location names ("America/Phoenix"); ``Etc`` holds the fixed offsets
_AREAS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
        "Etc",
    }
)
#: names outside the areas that are still accepted (a calendar knows "UTC")
_ALSO = frozenset({"UTC"})


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    """IANA location names the system knows. Not every file of the zone database is one:
    ``localtime`` (this machine's zone, whatever it is), ``Factory``, ``posixrules`` and the
    legacy ``US/…``, ``EST5EDT`` names are refused, so an invite never says ``TZID:localtime``."""
    return frozenset(
        name
        for name in available_timezones()
        if name in _ALSO or ("/" in name and name.split("/", 1)[0] in _AREAS)
    )


def require_zone(name: str) -> str:
    """Return ``name`` if it is an IANA zone (e.g. ``America/Phoenix``), else raise ValueError."""
    if name not in _known_zones():
        raise ValueError(f"{name!r} is not an IANA time zone name such as 'America/New_York'")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:  # pragma: no cover - defensive
        raise ValueError(f"{name!r} is not a usable time zone") from error
    return name
