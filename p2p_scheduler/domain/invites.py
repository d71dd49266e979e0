"""iCalendar bytes for one booking's invites (iTIP REQUEST/CANCEL) and for reviewer feeds.

Pure builders: the booking, the organizer's mailbox, the zone and the DTSTAMP all come in as
arguments, so one booking always renders the same bytes (the email, the ``.ics`` link and a
retry agree) and tests need no clock. :class:`InviteEvent` has no field for anything about
the member on purpose: minimum necessary PHI means a calendar cannot leak what it never had.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, Timezone, vCalAddress, vDDDTypes, vDuration

__all__ = [
    "LOCATION",
    "ORGANIZER_NAME",
    "PRODID",
    "REFRESH_INTERVAL",
    "InviteEvent",
    "Method",
    "description",
    "feed",
    "invite",
    "summary",
]

#: REQUEST and CANCEL schedule (e-mailed invites, the invite link); PUBLISH is a copy for
#: someone's own calendar (the manage page's "Add to calendar"): nobody is asked to respond
Method = Literal["REQUEST", "CANCEL", "PUBLISH"]

PRODID = "-//P2P Scheduler//EN"
ORGANIZER_NAME = "P2P Scheduler"
LOCATION = "Phone"
#: How often subscribed clients should re-fetch a feed (RFC 7986 and the Outlook/Apple X- twin).
REFRESH_INTERVAL = timedelta(hours=1)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_ATTENDEE_PARAMS = {
    "cutype": "INDIVIDUAL",
    "role": "REQ-PARTICIPANT",
    "partstat": "NEEDS-ACTION",
    "rsvp": True,
}


@dataclass(frozen=True, slots=True)
class InviteEvent:
    """One booking as calendars see it.

    Deliberately has no field for member name, DOB or member ID (minimum necessary PHI).
    Invalid values raise :class:`ValueError` here, so a bad booking fails where it is built
    rather than as a calendar file a client silently misreads.
    """

    booking_id: str
    sequence: int
    cancelled: bool
    start: datetime
    end: datetime
    case_numbers: tuple[str, ...]
    levels_of_review: tuple[str, ...]
    provider_name: str
    provider_email: str
    phone: str
    phone_ext: str = ""
    alt_phone: str = ""
    alt_phone_ext: str = ""
    contact_name: str = ""
    instructions: str = ""
    reviewer_name: str = ""
    reviewer_credentials: str = ""
    reviewer_specialty: str = ""
    reviewer_email: str = ""
    invite_url: str = ""
    manage_url: str = ""

    def __post_init__(self) -> None:
        _require(bool(self.booking_id.strip()), "booking_id must not be blank")
        _require(self.sequence >= 0, "sequence must be >= 0")
        _require(_is_aware(self.start) and _is_aware(self.end), "start/end must be aware")
        _require(self.end > self.start, "end must be after start")
        _require(bool(self.case_numbers), "at least one case number is required")
        _require(
            len(self.levels_of_review) == len(self.case_numbers),
            "levels_of_review needs exactly one label per case number",
        )
        _require(
            all(v.strip() for v in (*self.case_numbers, *self.levels_of_review)),
            "case numbers and level-of-review labels must not be blank",
        )
        _check_email(self.provider_email, "provider_email")
        if self.reviewer_email:
            _check_email(self.reviewer_email, "reviewer_email")


def summary(event: InviteEvent) -> str:
    """The SUMMARY line, e.g. ``P2P: case A100001 (Reconsideration)``.

    Also the email subject, so it names only case numbers and levels (never the member).
    Cases sharing one level list it once; mixed levels stay next to their own case.
    """
    cases = event.case_numbers
    noun = "case" if len(cases) == 1 else "cases"
    if len(set(event.levels_of_review)) == 1:
        return f"P2P: {noun} {', '.join(cases)} ({event.levels_of_review[0]})"
    paired = ", ".join(f"{c} ({lv})" for c, lv in zip(cases, event.levels_of_review, strict=True))
    return f"P2P: {noun} {paired}"


def description(event: InviteEvent) -> str:
    """The DESCRIPTION text: what the reviewer needs to place the call, and the links.

    Plain text with ``\\n`` line breaks (icalendar escapes them); empty fields are left out so
    clients show no dangling labels.
    """
    intro = [
        "Peer-to-peer (P2P) review by phone: the reviewer calls the requesting provider "
        "at the call-back number below."
    ]
    if event.cancelled:
        intro.insert(0, "CANCELLED: this P2P will not take place.")
    cases = [
        f"Case {c}: {lv}" for c, lv in zip(event.case_numbers, event.levels_of_review, strict=True)
    ]
    contact = _labelled(
        ("Requesting provider", event.provider_name),
        ("Contact", event.contact_name),
        ("Call-back number", _phone(event.phone, event.phone_ext)),
        ("Alternate number", _phone(event.alt_phone, event.alt_phone_ext)),
        ("Reviewer", reviewer_disclosure(event)),
    )
    links = _labelled(
        ("Calendar invite (.ics)", event.invite_url),
        ("Manage this booking", event.manage_url),
    )
    blocks = [intro, cases, contact, links, quoted_instructions(event.instructions)]
    return "\n\n".join("\n".join(block) for block in blocks if block)


INSTRUCTIONS_HEADING = "Instructions from the requesting office:"


def quoted_instructions(instructions: str) -> list[str]:
    """The caller's instructions as a quoted block after the service's own lines and links.

    The text is typed by whoever booked, and may span lines: quoting every line (``> ``) and
    placing the block last means no typed line can pass for one of ours — a typed
    "Reschedule or cancel: https://…" reads as a quote below the real link (SPEC §9).
    """
    if not instructions:
        return []
    return [INSTRUCTIONS_HEADING] + [f"> {line}".rstrip() for line in instructions.splitlines()]


def invite(
    event: InviteEvent,
    *,
    method: Method,
    organizer_email: str,
    uid_domain: str,
    time_zone: str,
    dtstamp: datetime,
) -> bytes:
    """An iTIP message (RFC 5546) for one booking: REQUEST on book/reschedule, CANCEL on cancel,
    PUBLISH for a download to one's own calendar.

    The CANCEL carries ``event.sequence`` as given: the caller has already incremented it, as
    the booking's own sequence does (SPEC §9). ``method`` and ``event.cancelled`` must agree,
    so a cancelled booking can never be re-sent as a live REQUEST by mistake.
    """
    if method not in ("REQUEST", "CANCEL", "PUBLISH"):
        raise ValueError(f"method must be REQUEST, CANCEL or PUBLISH, not {method!r}")
    if method != "PUBLISH" and (method == "CANCEL") != event.cancelled:
        raise ValueError(f"method {method} does not match cancelled={event.cancelled}")
    zone = _zone(time_zone)
    cal = _calendar()
    cal.add("method", method)
    vevent = _vevent(event, organizer_email, uid_domain, zone, dtstamp)
    if method == "PUBLISH":  # a copy to keep: no attendees, so no RSVP is asked of anyone
        vevent.pop("attendee", None)
    cal.add_component(vevent)
    _add_timezones(cal, zone, [event], dtstamp)
    return cal.to_ical()


def feed(
    events: Sequence[InviteEvent],
    *,
    calendar_name: str,
    organizer_email: str,
    uid_domain: str,
    time_zone: str,
    dtstamp: datetime,
) -> bytes:
    """A subscribable calendar (no METHOD: it publishes, it does not schedule).

    Events are sorted by start (booking id breaks ties) so an unchanged set of bookings gives
    identical bytes, which keeps an ETag stable; for that, pass a ``dtstamp`` derived from the
    data (e.g. the latest booking change) rather than the request time. Cancelled bookings
    stay in as STATUS:CANCELLED so clients that cached them drop them.
    """
    zone = _zone(time_zone)
    cal = _calendar()
    cal.add("name", calendar_name)
    cal.add("x-wr-calname", calendar_name)
    cal.add("x-wr-timezone", time_zone)
    cal.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    ordered = sorted(events, key=lambda e: (e.start, e.booking_id))
    for event in ordered:
        cal.add_component(_vevent(event, organizer_email, uid_domain, zone, dtstamp))
    _add_timezones(cal, zone, ordered, dtstamp)
    return cal.to_ical()


def _calendar() -> Calendar:
    """The VCALENDAR properties every object we emit shares.

    Built with ``Calendar()`` rather than ``Calendar.new()``, which adds a random UID.
    """
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    return cal


def _vevent(
    event: InviteEvent, organizer_email: str, uid_domain: str, zone: ZoneInfo, dtstamp: datetime
) -> Event:
    """The VEVENT; built with ``Event()`` since ``Event.new()`` stamps now() and a random UID."""
    _require(bool(uid_domain.strip()) and "@" not in uid_domain, "uid_domain must be a domain")
    _check_email(organizer_email, "organizer_email")
    vevent = Event()
    vevent.add("uid", f"{event.booking_id}@{uid_domain}")
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", _as_utc(dtstamp, "dtstamp"))
    vevent.add("dtstart", event.start.astimezone(zone))
    vevent.add("dtend", event.end.astimezone(zone))
    vevent.add("summary", summary(event))
    vevent.add("description", description(event))
    vevent.add("location", LOCATION)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    vevent.add("organizer", vCalAddress.new(organizer_email, cn=ORGANIZER_NAME))
    for attendee in _attendees(event):
        vevent.add("attendee", attendee)
    return vevent


def _attendees(event: InviteEvent) -> list[vCalAddress]:
    """The reviewer (when assigned) and the requesting provider, both asked to respond."""
    people = []
    if event.reviewer_email:
        people.append((event.reviewer_email, _reviewer_label(event)))
    people.append((event.provider_email, event.provider_name))
    return [vCalAddress.new(email, cn=name or None, **_ATTENDEE_PARAMS) for email, name in people]


def _add_timezones(
    cal: Calendar, zone: ZoneInfo, events: Iterable[InviteEvent], dtstamp: datetime
) -> None:
    """Add the VTIMEZONE the events' TZID needs, covering only the years they touch.

    icalendar's default window (1970-2038) writes every transition since 1970 as RDATEs:
    several KiB per invite, and Outlook reads such zones poorly. A window of the events'
    years keeps the zone short and starting from the current rules. A feed with no events
    still gets the zone its X-WR-TIMEZONE names.
    """
    years = [d.astimezone(zone).year for e in events for d in (e.start, e.end)]
    years = years or [_as_utc(dtstamp, "dtstamp").astimezone(zone).year]
    first, last = date(min(years), 1, 1), date(max(years) + 1, 1, 1)
    cal.add_missing_timezones(first_date=first, last_date=last)
    tzid = _tzid(zone)
    if tzid and tzid not in {tz.tz_name for tz in cal.timezones}:
        cal.subcomponents.insert(0, Timezone.from_tzid(tzid, first_date=first, last_date=last))


def _tzid(zone: ZoneInfo) -> str | None:
    """The TZID icalendar writes for ``zone``, or None where it writes UTC times (``…Z``)."""
    params = vDDDTypes(datetime(2000, 1, 1, tzinfo=zone)).params
    return params.get("TZID")


def _zone(time_zone: str) -> ZoneInfo:
    """The IANA zone, failing loudly: icalendar would silently skip an unknown VTIMEZONE."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {time_zone!r}") from exc


def _reviewer_label(event: InviteEvent) -> str:
    """``Name, Credentials`` as a reviewer is addressed (either part may be missing)."""
    return ", ".join(p for p in (event.reviewer_name, event.reviewer_credentials) if p)


def reviewer_disclosure(event: InviteEvent) -> str:
    """``Dr. Jane Doe, MD — Orthopaedic surgery``: who will call, as the invite and the
    e-mails tell the provider (SPEC §11); "" before a reviewer is assigned."""
    if not event.reviewer_name:
        return ""
    label = _reviewer_label(event)
    return f"{label} — {event.reviewer_specialty}" if event.reviewer_specialty else label


def _phone(number: str, ext: str) -> str:
    return f"{number} ext. {ext}" if number and ext else number


def _labelled(*pairs: tuple[str, str]) -> list[str]:
    return [f"{label}: {value}" for label, value in pairs if value]


def _as_utc(moment: datetime, what: str) -> datetime:
    _require(_is_aware(moment), f"{what} must be timezone-aware")
    return moment.astimezone(UTC)


def _is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None


def _check_email(email: str, what: str) -> None:
    """A bare address: a CR/LF or space in it would corrupt the calendar line it sits on."""
    _require(_EMAIL.fullmatch(email) is not None, f"{what} is not an email address: {email!r}")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)
