"""Reminder leads (SPEC §11): how long before a call its reminders go out.

``P2P_REMINDER_LEADS`` lists ISO 8601 durations (``PT24H,PT1H``). Only durations of a fixed
length are accepted: a month or a year has none, so ``P1M`` is refused rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pendulum
from pendulum.parsing.exceptions import ParserError

#: the longest lead accepted: a reminder a year ahead reminds nobody of anything
MAX_LEAD = timedelta(days=365)


@dataclass(frozen=True, slots=True, order=True)
class Lead:
    """One lead: its length and the ISO 8601 text it was configured as (what a webhook's
    ``lead`` says, so that a portal can match it against its own configuration)."""

    length: timedelta
    iso: str

    def due(self, start: datetime) -> datetime:
        return start - self.length

    def words(self) -> str:
        """The lead in plain words for an e-mail's heading: "24 hours", "1 hour 30 minutes"."""
        minutes = int(self.length.total_seconds() // 60)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days and not hours and not minutes and days % 7 == 0:
            return _unit(days // 7, "week")
        if days == 1 and not minutes:
            days, hours = 0, hours + 24
        parts = [
            _unit(count, name)
            for count, name in ((days, "day"), (hours, "hour"), (minutes, "minute"))
            if count
        ]
        return " ".join(parts) or _unit(int(self.length.total_seconds()), "second")


def _unit(count: int, name: str) -> str:
    return f"{count} {name}{'' if count == 1 else 's'}"


def parse_duration(text: str, *, longest: timedelta, longest_words: str) -> timedelta:
    """One positive ISO 8601 duration of a fixed length, at most ``longest`` (``longest_words``
    says it in the error); ``ValueError`` in words an operator or a caller can act on. Shared
    by reminder leads and the at-risk list's period (SPEC §11, §12)."""
    iso = text.strip().upper()
    try:
        parsed = pendulum.parse(iso)
    except (ParserError, ValueError):
        parsed = None
    if not isinstance(parsed, pendulum.Duration):
        raise ValueError(f"{text.strip()!r} is not an ISO 8601 duration like PT24H or PT30M")
    if parsed.years or parsed.months:
        raise ValueError(f"{iso} counts months or years, which have no fixed length; use days")
    length = timedelta(seconds=parsed.total_seconds())
    if length <= timedelta(0):
        raise ValueError(f"{iso} is not a positive duration")
    if length > longest:
        raise ValueError(f"{iso} is longer than {longest_words}")
    return length


def parse_lead(text: str) -> Lead:
    """One ISO 8601 duration; ``ValueError`` in words an operator can act on."""
    length = parse_duration(text, longest=MAX_LEAD, longest_words="a year")
    return Lead(length, text.strip().upper())


def parse_leads(raw: str) -> tuple[Lead, ...]:
    """``PT24H,PT1H`` → the leads, longest first; empty: no reminders. Two leads of the same
    length (``PT1H`` and ``PT60M``) are refused: each would send the same reminder."""
    leads = [parse_lead(part) for part in raw.split(",") if part.strip()]
    seen: dict[timedelta, str] = {}
    for lead in leads:
        if lead.length in seen:
            raise ValueError(f"{lead.iso} repeats {seen[lead.length]}; list each lead once")
        seen[lead.length] = lead.iso
    return tuple(sorted(leads, reverse=True))


def planned(leads: tuple[Lead, ...], start: datetime, now: datetime) -> list[Lead]:
    """The leads still to come for a call at ``start`` planned at ``now``: one whose moment
    has passed is skipped (a call booked 2 hours ahead gets no 24-hour reminder)."""
    return [lead for lead in leads if lead.due(start) >= now]
