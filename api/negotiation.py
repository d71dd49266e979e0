"""Which of two answers an ``Accept`` header prefers (RFC 9110 §12.5.1), for the one URL that
has two: the manage link, a page for browsers and the booking's JSON for API clients.

A browser sends ``text/html,application/xhtml+xml,…,*/*;q=0.8``; an API client sends
``application/json``, ``*/*`` or nothing. Each media type gets the weight of the most specific
range that matches it; a tie, or no header at all, keeps the JSON, so nothing that worked
before changes.
"""

from __future__ import annotations


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    found: list[tuple[str, str, float]] = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if "/" not in media:
            continue
        kind, _, sub = media.lower().partition("/")
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        found.append((kind, sub, weight))
    return found


def weight(accept: str, media_type: str) -> float:
    """The ``q`` the header gives ``media_type`` (0 when no range matches it)."""
    kind, _, sub = media_type.partition("/")
    best: tuple[int, float] = (-1, 0.0)
    for range_kind, range_sub, q in _ranges(accept):
        if (range_kind, range_sub) == (kind, sub):
            specificity = 2
        elif (range_kind, range_sub) == (kind, "*"):
            specificity = 1
        elif (range_kind, range_sub) == ("*", "*"):
            specificity = 0
        else:
            continue
        if specificity > best[0]:
            best = (specificity, q)
    return best[1]


def prefers_html(accept: str | None) -> bool:
    """Whether the caller would rather have the page than the JSON."""
    if not accept:
        return False
    return weight(accept, "text/html") > weight(accept, "application/json")
