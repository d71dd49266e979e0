"""Independent readings of iCalendar bytes, so the invite tests do not grade icalendar by itself.

``read_with_ical`` uses the ``ical`` package (allenporter/ical: pydantic models, its own RFC 5545
parser, no code shared with ``icalendar``). It resolves an IANA TZID through zoneinfo, so the
VTIMEZONE we ship is also read here on its own (:func:`instant_by_vtimezone`): that is what a
client that trusts the file's zone rather than its own database (Outlook, for one) would see.

``read_with_libical`` asks libical (what Evolution and many servers use) through
GObject-introspection in the system Python, when Debian's gir1.2-ical-3.0 is installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ical.calendar import Calendar as IcalCalendar
from ical.calendar_stream import IcsCalendarStream
from ical.event import Event as IcalEvent
from ical.timezone import Observance
from ical.timezone import Timezone as IcalTimezone

SYSTEM_PYTHON = "/usr/bin/python3"
#: Exit status of the libical script when the typelib is missing (autotools' "skipped").
LIBICAL_MISSING = 77


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    """The fields of one VEVENT the tests compare, as an independent parser read them."""

    uid: str
    sequence: int
    status: str
    start: datetime
    end: datetime
    tzid: str | None
    summary: str = ""


@dataclass(frozen=True, slots=True)
class ParsedCalendar:
    method: str | None
    events: tuple[ParsedEvent, ...]
    tzids: tuple[str, ...]


def read_with_ical(data: bytes) -> ParsedCalendar:
    """Parse with ``ical`` (raises its CalendarParseError on invalid input).

    Each event's start/end are computed twice, through the TZID (zoneinfo) and through the
    shipped VTIMEZONE; a disagreement raises, so callers see one trustworthy instant.
    """
    cal = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    zones = {tz.tz_id: tz for tz in cal.timezones}
    events = tuple(_ical_event(event, zones) for event in cal.events)
    return ParsedCalendar(method=cal.method, events=events, tzids=tuple(zones))


def ical_calendar(data: bytes) -> IcalCalendar:
    """The raw ``ical`` model, for calendar-level checks (NAME, REFRESH-INTERVAL, extras)."""
    return IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))


def _ical_event(event: IcalEvent, zones: dict[str, IcalTimezone]) -> ParsedEvent:
    start, end = event.dtstart, event.dtend
    assert isinstance(start, datetime) and isinstance(end, datetime), "timed event expected"
    tzid = str(start.tzinfo) if start.tzinfo is not None and start.tzinfo != UTC else None
    instants = [_instant(moment, tzid, zones) for moment in (start, end)]
    return ParsedEvent(
        uid=event.uid,
        sequence=event.sequence or 0,
        status=str(event.status.value) if event.status else "",
        start=instants[0],
        end=instants[1],
        tzid=tzid,
        summary=event.summary or "",
    )


def _instant(moment: datetime, tzid: str | None, zones: dict[str, IcalTimezone]) -> datetime:
    by_tzid = moment.astimezone(UTC)
    if tzid is None:
        return by_tzid
    assert tzid in zones, f"TZID {tzid} has no VTIMEZONE"
    by_vtimezone = instant_by_vtimezone(zones[tzid], moment.replace(tzinfo=None))
    assert by_vtimezone == by_tzid, f"VTIMEZONE {tzid} says {by_vtimezone}, zoneinfo {by_tzid}"
    return by_tzid


def instant_by_vtimezone(zone: IcalTimezone, local: datetime) -> datetime:
    """The UTC instant of a wall-clock time by the VTIMEZONE alone (RFC 5545 §3.6.5).

    Every observance's onsets are its DTSTART, its RDATEs and its RRULE instances; the latest
    onset at or before ``local`` gives TZOFFSETTO. Done here because ``ical`` skips an
    observance's DTSTART when it has no RRULE (icalendar writes RDATE-only observances).
    """
    onsets = [
        (onset, obs.tz_offset_to.offset)
        for obs in (*zone.standard, *zone.daylight)
        for onset in _onsets(obs, local)
    ]
    assert onsets, f"VTIMEZONE {zone.tz_id} has no observance before {local}"
    _, offset = max(onsets, key=lambda pair: pair[0])
    return (local - offset).replace(tzinfo=UTC)


def _onsets(obs: Observance, until: datetime) -> Iterator[datetime]:
    start = obs.start_datetime
    if start <= until:
        yield start
    for onset in obs.as_ruleset():
        assert isinstance(onset, datetime)
        if onset > until:
            return
        yield onset


_LIBICAL_SCRIPT = r"""
import json, sys
import gi
for version in ("3.0", "4.0"):
    try:
        gi.require_version("ICalGLib", version)
        break
    except ValueError:
        continue
else:
    sys.exit(77)
from gi.repository import ICalGLib as I

K = I.ComponentKind
P = I.PropertyKind


def text(comp, kind):
    prop = comp.get_first_property(kind)
    return prop.get_value_as_string() if prop is not None else None


def instant(t):
    return t.as_timet_with_zone(t.get_timezone())


root = I.Component.new_from_string(sys.stdin.read())
if root is None:
    print(json.dumps({"errors": ["not parsable"]}))
    sys.exit(0)
root.check_restrictions()
errors = [
    line for line in root.as_ical_string().splitlines() if line.startswith("X-LIC-ERROR")
]
events = []
event = root.get_first_component(K.VEVENT_COMPONENT)
while event is not None:
    start, end = event.get_dtstart(), event.get_dtend()
    events.append({
        "uid": event.get_uid(),
        "sequence": event.get_sequence(),
        "status": text(event, P.STATUS_PROPERTY),
        "start": instant(start),
        "end": instant(end),
        "tzid": start.get_tzid(),
    })
    event = root.get_next_component(K.VEVENT_COMPONENT)
print(json.dumps({
    "errors": errors,
    "method": text(root, P.METHOD_PROPERTY),
    "events": events,
}))
"""


class LibicalUnavailable(RuntimeError):
    """libical's GObject bindings are not installed in the system Python."""


def read_with_libical(data: bytes) -> ParsedCalendar:
    """Parse with libical; raise AssertionError on any X-LIC-ERROR it records.

    ``check_restrictions`` adds libical's iTIP per-METHOD checks (required and forbidden
    properties) to plain parsing.
    """
    if shutil.which(SYSTEM_PYTHON) is None:
        raise LibicalUnavailable(f"{SYSTEM_PYTHON} not found")
    run = subprocess.run(
        [SYSTEM_PYTHON, "-c", _LIBICAL_SCRIPT],
        input=data.decode("utf-8"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if run.returncode == LIBICAL_MISSING or "No module named 'gi'" in run.stderr:
        raise LibicalUnavailable("gir1.2-ical-3.0 (ICalGLib typelib) or python3-gi missing")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["errors"] == [], report["errors"]
    events = tuple(
        ParsedEvent(
            uid=e["uid"],
            sequence=e["sequence"],
            status=e["status"] or "",
            start=_from_epoch(e["start"]),
            end=_from_epoch(e["end"]),
            tzid=e["tzid"] or None,
        )
        for e in report["events"]
    )
    return ParsedCalendar(method=report["method"], events=events, tzids=())


def _from_epoch(seconds: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
