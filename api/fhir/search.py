"""FHIR search parameters: dates with prefixes, references, and paging links.

A date parameter names a span: a date alone is that whole UTC day (SPEC §13), an instant
that second. A prefix compares the searched start with the span the way FHIR R4 says
(``ge 2026-12-08`` from its first moment, ``gt 2026-12-08`` from the next day, ``lt`` before
its first moment, ``le`` up to its last, ``eq`` within it); several bound the period
together (both must hold).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from starlette.datastructures import URL

from p2p_scheduler.domain.errors import InvalidInput

#: the prefixes a date search takes (``ne``, ``sa``, ``eb``, ``ap`` are not served)
PREFIXES = ("eq", "ge", "gt", "le", "lt")
_PREFIXED = re.compile(r"^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)``; None where the search sets no bound."""

    start: datetime | None = None
    end: datetime | None = None


def _span(text: str, name: str) -> tuple[datetime, datetime]:
    """The span a date search value names: a UTC day, or one second of an instant."""
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise _bad_date(name, text) from None
        first = datetime.combine(day, time(0), tzinfo=UTC)
        return first, first + timedelta(days=1)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _bad_date(name, text) from None
    if moment.tzinfo is None:
        raise InvalidInput(
            f"{name}: give the time with its UTC offset, like 2026-12-08T14:30:00-05:00, "
            f"or a date alone (got {text!r}).",
            field=name,
        )
    moment = moment.astimezone(UTC).replace(microsecond=0)
    return moment, moment + timedelta(seconds=1)


def _bad_date(name: str, text: str) -> InvalidInput:
    return InvalidInput(
        f"{name}: enter a date like ge2026-12-08, or a time with its offset like "
        f"lt2026-12-08T17:00:00-05:00 (got {text!r}).",
        field=name,
    )


def period_of(values: list[str], name: str) -> Period:
    """The period that every one of ``values`` (prefixed dates) allows."""
    start: datetime | None = None
    end: datetime | None = None
    for value in values:
        for part in value.split(","):
            found = _PREFIXED.match(part.strip())
            if found is None:
                raise _bad_date(name, part)
            prefix, text = found.group(1) or "eq", found.group(2)
            if prefix not in PREFIXES:
                raise InvalidInput(
                    f"{name}: use the prefix ge, gt, le, lt or eq (got {prefix!r}).", field=name
                )
            first, after = _span(text, name)
            low = {"eq": first, "ge": first, "gt": after}.get(prefix)
            high = {"eq": after, "lt": first, "le": after}.get(prefix)
            if low is not None:
                start = low if start is None else max(start, low)
            if high is not None:
                end = high if end is None else min(end, high)
    return Period(start, end)


def reference_id(value: str, resource: str, name: str) -> str:
    """The id of ``Practitioner/rev-001`` (or a full URL ending so, or the bare id)."""
    text = value.strip().rstrip("/")
    if "/" in text:
        kind, _, ident = text.rpartition("/")
        if kind.rsplit("/", 1)[-1] != resource:
            raise InvalidInput(
                f"{name}: refer to a {resource}, like {resource}/rev-001 (got {value!r}).",
                field=name,
            )
        return ident
    return text


def page_links(url: URL, next_cursor: str | None) -> tuple[str, str | None]:
    """The self link (the request as asked) and the next page's, which asks the same with
    the next cursor."""
    if next_cursor is None:
        return str(url), None
    return str(url), str(
        url.remove_query_params("_cursor").include_query_params(_cursor=next_cursor)
    )
