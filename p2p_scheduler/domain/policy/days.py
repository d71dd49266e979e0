"""Day counting for policy windows (SPEC §9 "Day counting").

Deadlines are computed in the policy's zone with pendulum so that "end of day" and
"N calendar days" mean local dates, whatever the DST offset on either side. Business
days skip weekends and US federal holidays *as observed* (the ``holidays`` package marks
a Saturday holiday's Friday as "(observed)"), so the arithmetic never hand-codes a date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import pendulum


class Unit(StrEnum):
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"


@lru_cache(maxsize=64)
def _federal_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", years=year, observed=True).keys())


def is_business_day(day: date) -> bool:
    """Monday–Friday and not a US federal holiday (observed date included)."""
    return day.isoweekday() <= 5 and day not in _federal_holidays(day.year)


def next_business_day(day: date) -> date:
    """``day`` itself when it is a business day, else the next one."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, count: int) -> date:
    """The ``count``-th business day after ``day``; a non-business ``day`` counts from the next."""
    current = next_business_day(day)
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


@lru_cache(maxsize=512)
def pendulum_zone(name: str) -> pendulum.Timezone:
    """pendulum's zone ``name``, loaded once per process: ``pendulum.timezone`` reads the
    zone's data file on every call, which was most of the time of evaluating a case."""
    return pendulum.timezone(name)  # type: ignore[return-value]


def start_of_day(day: date, zone: str) -> datetime:
    """Local midnight starting ``day`` in ``zone``, as a UTC instant."""
    return to_utc(pendulum.datetime(day.year, day.month, day.day, tz=pendulum_zone(zone)))


def end_of_day(day: date, zone: str) -> datetime:
    """The last second of ``day`` in ``zone``, as a UTC instant (a date-only deadline)."""
    local = pendulum.datetime(day.year, day.month, day.day, 23, 59, 59, tz=pendulum_zone(zone))
    return to_utc(local)


def to_utc(instant: datetime) -> datetime:
    """The same instant as a plain ``datetime`` in UTC (no pendulum subclass leaks out)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; give an offset")
    return datetime.fromtimestamp(instant.timestamp(), UTC).replace(microsecond=instant.microsecond)


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(instant: datetime, zone: str) -> date:
    """The calendar date ``instant`` falls on in ``zone`` (on hot paths: plain zoneinfo)."""
    return instant.astimezone(_zone(zone)).date()


def window_end(anchor: datetime, amount: int, unit: Unit, zone: str) -> datetime:
    """When a window of ``amount`` ``unit`` opened at ``anchor`` closes (UTC).

    Hours are elapsed time; calendar and business days end at the end of the local day.
    """
    if unit is Unit.HOURS:
        return to_utc(anchor) + timedelta(hours=amount)
    start = local_date(anchor, zone)
    if unit is Unit.CALENDAR_DAYS:
        return end_of_day(start + timedelta(days=amount), zone)
    return end_of_day(add_business_days(start, amount), zone)
