"""Invites and reviewer feeds: field by field, byte by byte, and read by other parsers.

Every booking change is rendered, parsed back with icalendar and with an independent
implementation (``ical``; libical too where installed), and compared with the booking it came
from. Fixed instants only: the builders read no clock.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from ical.exceptions import CalendarParseError
from icalendar import Calendar, Component, Event

from p2p_scheduler.domain.invites import (
    LOCATION,
    ORGANIZER_NAME,
    PRODID,
    InviteEvent,
    Method,
    description,
    feed,
    invite,
    summary,
)
from p2p_scheduler.domain.model import LevelOfReview
from p2p_scheduler.domain.policy import default_policy
from p2p_scheduler.tools.demo import demo_cases, demo_reviewers
from tests.unit.ical_validators import (
    LibicalUnavailable,
    ParsedCalendar,
    ical_calendar,
    read_with_ical,
    read_with_libical,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ORGANIZER = "p2p@scheduler.example"
UID_DOMAIN = "p2p.example"
NEW_YORK = "America/New_York"
BOOKED_START = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
MOVED_START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
SLOT = timedelta(minutes=30)
LONG_INSTRUCTIONS = (
    "Call the main line, choose option 3 for the surgical clinic, and ask the front desk for "
    "Dr. Núñez's nurse; if nobody answers within two minutes, use the alternate number."
)

#: The demo walk-through case (A100001) belongs to Marisol Vega, born 1962-04-17.
DEMO_MEMBER_NAME = "Marisol Vega"
DEMO_DOB = date(1962, 4, 17)


def booking(**changes: object) -> InviteEvent:
    """A realistic booking of the demo walk-through case; ``changes`` override fields."""
    base = InviteEvent(
        booking_id="bk_7Q2M9X",
        sequence=0,
        cancelled=False,
        start=BOOKED_START,
        end=BOOKED_START + SLOT,
        case_numbers=("A100001",),
        levels_of_review=("Reconsideration",),
        provider_name="Dr. Alan Grant",
        provider_email="agrant@clinic.example",
        phone="(512) 555-0100",
        phone_ext="214",
        alt_phone="(512) 555-0199",
        contact_name="Sam Lee",
        instructions=LONG_INSTRUCTIONS,
        reviewer_name="Dr. Jane Doe",
        reviewer_credentials="MD",
        reviewer_email="jdoe@reviewers.example",
        invite_url="https://p2p.example/v1/bookings/bk_7Q2M9X/invite.ics?token=eyJiIjoiYmtfN1EyTTlYIn0.aZ",
        manage_url="https://p2p.example/manage/bk_7Q2M9X?token=eyJtIjoxfQ.Zq",
    )
    return dataclasses.replace(base, **changes)


def render(
    event: InviteEvent,
    method: Method = "REQUEST",
    *,
    time_zone: str = NEW_YORK,
    dtstamp: datetime = NOW,
) -> bytes:
    return invite(
        event,
        method=method,
        organizer_email=ORGANIZER,
        uid_domain=UID_DOMAIN,
        time_zone=time_zone,
        dtstamp=dtstamp,
    )


def render_feed(events: list[InviteEvent], *, time_zone: str = NEW_YORK) -> bytes:
    return feed(
        events,
        calendar_name="Dr. Jane Doe, MD: P2P reviews",
        organizer_email=ORGANIZER,
        uid_domain=UID_DOMAIN,
        time_zone=time_zone,
        dtstamp=NOW,
    )


def only_event(data: bytes) -> Event:
    events = Calendar.from_ical(data).events
    assert len(events) == 1
    return events[0]


def unfolded(data: bytes) -> str:
    return data.decode("utf-8").replace("\r\n ", "")


# The booking's life: book, move to another day, cancel (SPEC §9: the CANCEL has the new value).
BOOKED = booking()
MOVED = booking(sequence=1, start=MOVED_START, end=MOVED_START + SLOT)
CANCELLED = dataclasses.replace(MOVED, sequence=2, cancelled=True)
LIFECYCLE: list[tuple[str, InviteEvent, Method]] = [
    ("book", BOOKED, "REQUEST"),
    ("reschedule", MOVED, "REQUEST"),
    ("cancel", CANCELLED, "CANCEL"),
]
LIFECYCLE_IDS = [name for name, _, _ in LIFECYCLE]


class TestInviteFields:
    def test_calendar_envelope_is_an_itip_request(self) -> None:
        cal = Calendar.from_ical(render(BOOKED))

        assert str(cal["PRODID"]) == PRODID
        assert str(cal["VERSION"]) == "2.0"
        assert str(cal["CALSCALE"]) == "GREGORIAN"
        assert str(cal["METHOD"]) == "REQUEST"
        assert [tz.tz_name for tz in cal.timezones] == [NEW_YORK]
        assert len(cal.events) == 1

    @pytest.mark.parametrize(("name", "event", "method"), LIFECYCLE, ids=LIFECYCLE_IDS)
    def test_each_change_parses_back_to_the_booking(
        self, name: str, event: InviteEvent, method: Method
    ) -> None:
        data = render(event, method)
        cal = Calendar.from_ical(data)
        vevent = only_event(data)

        assert str(cal["METHOD"]) == method
        assert str(vevent["UID"]) == "bk_7Q2M9X@p2p.example"
        assert vevent["SEQUENCE"] == event.sequence
        assert str(vevent["STATUS"]) == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
        assert vevent.start == event.start
        assert vevent.end == event.end
        assert vevent["DTSTART"].params["TZID"] == NEW_YORK
        assert vevent["DTEND"].params["TZID"] == NEW_YORK
        assert vevent.start.tzinfo == ZoneInfo(NEW_YORK)
        assert str(vevent["SUMMARY"]) == "P2P: case A100001 (Reconsideration)"
        assert str(vevent["LOCATION"]) == LOCATION == "Phone"
        assert str(vevent["TRANSP"]) == "OPAQUE"

    def test_uid_is_stable_and_sequence_rises(self) -> None:
        vevents = [only_event(render(event, method)) for _, event, method in LIFECYCLE]

        assert {str(v["UID"]) for v in vevents} == {"bk_7Q2M9X@p2p.example"}
        assert [v["SEQUENCE"] for v in vevents] == [0, 1, 2]

    def test_dtstamp_is_utc(self) -> None:
        stamp = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo(NEW_YORK))
        data = render(BOOKED, dtstamp=stamp)

        assert "DTSTAMP:20261124T150000Z\r\n" in data.decode()
        assert only_event(data).DTSTAMP == NOW

    def test_organizer_is_the_service_mailbox(self) -> None:
        organizer = only_event(render(BOOKED))["ORGANIZER"]

        assert str(organizer) == f"mailto:{ORGANIZER}"
        assert organizer.params["CN"] == ORGANIZER_NAME

    def test_attendees_are_reviewer_then_provider_asked_to_respond(self) -> None:
        attendees = only_event(render(BOOKED))["ATTENDEE"]

        assert [str(a) for a in attendees] == [
            "mailto:jdoe@reviewers.example",
            "mailto:agrant@clinic.example",
        ]
        assert [a.params["CN"] for a in attendees] == ["Dr. Jane Doe, MD", "Dr. Alan Grant"]
        for attendee in attendees:
            assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
            assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
            assert attendee.params["RSVP"] == "TRUE"
            assert attendee.params["CUTYPE"] == "INDIVIDUAL"

    def test_no_reviewer_email_means_only_the_provider_attends(self) -> None:
        attendee = only_event(render(booking(reviewer_email="")))["ATTENDEE"]

        assert str(attendee) == "mailto:agrant@clinic.example"

    def test_description_tells_the_reviewer_how_to_call(self) -> None:
        text = str(only_event(render(BOOKED))["DESCRIPTION"])

        assert text.splitlines() == [
            "Peer-to-peer (P2P) review by phone: the reviewer calls the requesting provider "
            "at the call-back number below.",
            "",
            "Case A100001: Reconsideration",
            "",
            "Requesting provider: Dr. Alan Grant",
            "Contact: Sam Lee",
            "Call-back number: (512) 555-0100 ext. 214",
            "Alternate number: (512) 555-0199",
            "Reviewer: Dr. Jane Doe, MD",
            "",
            f"Calendar invite (.ics): {BOOKED.invite_url}",
            f"Manage this booking: {BOOKED.manage_url}",
            "",
            "Instructions from the requesting office:",
            f"> {LONG_INSTRUCTIONS}",
        ]

    def test_description_leaves_out_what_was_not_given(self) -> None:
        bare = booking(
            phone_ext="",
            alt_phone="",
            contact_name="",
            instructions="",
            reviewer_name="",
            reviewer_credentials="",
            reviewer_email="",
            invite_url="",
            manage_url="",
        )
        text = description(bare)

        assert text.endswith("Call-back number: (512) 555-0100")
        for label in ("Alternate", "Contact:", "Instructions", "Reviewer", "Manage", ".ics"):
            assert label not in text

    def test_cancel_says_so_in_the_description(self) -> None:
        text = str(only_event(render(CANCELLED, "CANCEL"))["DESCRIPTION"])

        assert text.startswith("CANCELLED: this P2P will not take place.\n")


class TestReschedule:
    @staticmethod
    def properties(component: Component) -> dict[str, list[bytes]]:
        """Every property as its serialized line(s), so a diff sees values and parameters."""
        lines: dict[str, list[bytes]] = {}
        for name, value in component.property_items(recursive=False):
            if name not in ("BEGIN", "END"):
                lines.setdefault(name, []).append(value.to_ical())
                lines[name].append(repr(sorted(getattr(value, "params", {}).items())).encode())
        return lines

    def changed(self, before: bytes, after: bytes) -> set[str]:
        old, new = Calendar.from_ical(before), Calendar.from_ical(after)
        names: set[str] = set()
        for a, b in [(old, new), (old.events[0], new.events[0])]:
            pa, pb = self.properties(a), self.properties(b)
            names |= {key for key in pa.keys() | pb.keys() if pa.get(key) != pb.get(key)}
        return names

    def test_only_times_sequence_and_stamp_change(self) -> None:
        later = NOW + timedelta(hours=3)
        before, after = render(BOOKED), render(MOVED, dtstamp=later)

        assert self.changed(before, after) == {"DTSTART", "DTEND", "SEQUENCE", "DTSTAMP"}
        old_zone = Calendar.from_ical(before).timezones[0].to_ical()
        assert Calendar.from_ical(after).timezones[0].to_ical() == old_zone

    def test_a_new_reviewer_changes_the_attendee_and_its_line_in_the_description(self) -> None:
        reassigned = dataclasses.replace(
            MOVED,
            reviewer_name="Dr. Omar Haddad",
            reviewer_credentials="DO",
            reviewer_email="ohaddad@reviewers.example",
        )

        assert self.changed(render(BOOKED), render(reassigned)) == {
            "DTSTART",
            "DTEND",
            "SEQUENCE",
            "ATTENDEE",
            "DESCRIPTION",
        }

    def test_same_inputs_give_identical_bytes(self) -> None:
        assert render(BOOKED) == render(booking())
        assert render(CANCELLED, "CANCEL") == render(CANCELLED, "CANCEL")
        assert render_feed([MOVED, BOOKED]) == render_feed([BOOKED, MOVED])


class TestTimes:
    @pytest.mark.parametrize(
        ("zone", "wall"),
        [
            (NEW_YORK, "DTSTART;TZID=America/New_York:20261130T183000"),
            ("America/Phoenix", "DTSTART;TZID=America/Phoenix:20261130T163000"),
            ("America/Los_Angeles", "DTSTART;TZID=America/Los_Angeles:20261130T153000"),
            ("Pacific/Honolulu", "DTSTART;TZID=Pacific/Honolulu:20261130T133000"),
        ],
    )
    def test_booking_instant_in_the_requesters_zone(self, zone: str, wall: str) -> None:
        data = render(BOOKED, time_zone=zone)
        vevent = only_event(data)

        assert wall + "\r\n" in data.decode()
        assert vevent.start == BOOKED_START
        assert vevent["DTSTART"].params["TZID"] == zone
        assert [tz.tz_name for tz in Calendar.from_ical(data).timezones] == [zone]
        assert read_with_ical(data).events[0].start == BOOKED_START

    def test_across_the_2027_us_dst_change(self) -> None:
        """9:00 on the Friday before and the Monday after 2027-03-14 are 13 UTC hours apart."""
        friday = datetime(2027, 3, 12, 14, 0, tzinfo=UTC)
        monday = datetime(2027, 3, 15, 13, 0, tzinfo=UTC)
        before = render(booking(start=friday, end=friday + SLOT))
        after = render(booking(sequence=1, start=monday, end=monday + SLOT))

        assert "DTSTART;TZID=America/New_York:20270312T090000\r\n" in before.decode()
        assert "DTSTART;TZID=America/New_York:20270315T090000\r\n" in after.decode()
        for data, instant in [(before, friday), (after, monday)]:
            assert only_event(data).start == instant
            assert read_with_ical(data).events[0].start == instant
        assert "20270314T030000" in after.decode(), "VTIMEZONE must carry the 2027 change"

    def test_utc_is_written_with_z_and_needs_no_vtimezone(self) -> None:
        data = render(BOOKED, time_zone="UTC")
        cal = Calendar.from_ical(data)

        assert "DTSTART:20261130T233000Z\r\n" in data.decode()
        assert cal.timezones == []
        assert only_event(data).start == BOOKED_START

    def test_vtimezone_covers_only_the_years_of_the_booking(self) -> None:
        """icalendar's default (1970-2038) writes decades of RDATEs into every invite."""
        text = render(BOOKED).decode()

        assert "19700101" not in text
        assert "from 2026-01-01 to 2027-01-01" in unfolded(render(BOOKED))
        assert len(render(BOOKED)) < 4_000


class TestRawBytes:
    DOCUMENTS: ClassVar[dict[str, Callable[[], bytes]]] = {
        "book": lambda: render(BOOKED),
        "reschedule": lambda: render(MOVED),
        "cancel": lambda: render(CANCELLED, "CANCEL"),
        "feed": lambda: render_feed([BOOKED, CANCELLED]),
    }

    @pytest.mark.parametrize("name", list(DOCUMENTS))
    def test_crlf_line_ends_and_75_octet_lines(self, name: str) -> None:
        data = self.DOCUMENTS[name]()
        lines = data.split(b"\r\n")

        assert data.endswith(b"END:VCALENDAR\r\n")
        assert lines[-1] == b""
        assert all(b"\n" not in line and b"\r" not in line for line in lines)
        assert max(len(line) for line in lines) <= 75
        for line in lines:
            line.decode("utf-8")  # folding never splits a multi-byte character

    def test_long_description_is_folded_and_unfolds_intact(self) -> None:
        data = render(BOOKED)
        lines = data.decode().split("\r\n")
        first = next(i for i, line in enumerate(lines) if line.startswith("DESCRIPTION:"))
        continued = itertools.takewhile(lambda line: line.startswith(" "), lines[first + 1 :])

        assert len(list(continued)) >= 5, "a long DESCRIPTION spans continuation lines"
        assert "Dr. Núñez's nurse" in unfolded(data)
        assert str(only_event(data)["DESCRIPTION"]).count(LONG_INSTRUCTIONS) == 1

    def test_text_values_are_escaped(self) -> None:
        text = unfolded(render(booking(case_numbers=("A1", "A2"), levels_of_review=("X", "X"))))

        assert "SUMMARY:P2P: cases A1\\, A2 (X)\r\n" in text
        assert "\\nCase A1: X\\nCase A2: X\\n" in text


class TestIndependentParsers:
    """The same documents read by implementations that share no code with icalendar."""

    @staticmethod
    def check(parsed: ParsedCalendar, event: InviteEvent, method: Method | None) -> None:
        assert parsed.method == method
        (got,) = [e for e in parsed.events if e.uid == f"{event.booking_id}@{UID_DOMAIN}"]
        assert got.sequence == event.sequence
        assert got.start == event.start
        assert got.end == event.end
        assert got.status == ("CANCELLED" if event.cancelled else "CONFIRMED")
        if got.tzid is not None:
            assert got.tzid.endswith(NEW_YORK)

    @pytest.mark.parametrize(("name", "event", "method"), LIFECYCLE, ids=LIFECYCLE_IDS)
    def test_ical_reads_every_invite(self, name: str, event: InviteEvent, method: Method) -> None:
        parsed = read_with_ical(render(event, method))

        self.check(parsed, event, method)
        assert parsed.events[0].tzid == NEW_YORK
        assert parsed.events[0].summary == summary(event)
        assert parsed.tzids == (NEW_YORK,)

    def test_ical_reads_the_feed(self) -> None:
        other = booking(booking_id="bk_OTHER", start=MOVED_START - SLOT, end=MOVED_START)
        parsed = read_with_ical(render_feed([CANCELLED, other]))

        assert [e.uid for e in parsed.events] == ["bk_OTHER@p2p.example", "bk_7Q2M9X@p2p.example"]
        for event in (CANCELLED, other):
            self.check(parsed, event, None)

    def test_ical_attendees_and_organizer(self) -> None:
        cal = ical_calendar(render(BOOKED))
        (event,) = cal.events

        assert event.organizer is not None
        assert event.organizer.uri == f"mailto:{ORGANIZER}"
        assert event.organizer.common_name == ORGANIZER_NAME
        assert [(a.uri, a.common_name, a.role, a.status, a.rsvp) for a in event.attendees] == [
            (
                "mailto:jdoe@reviewers.example",
                "Dr. Jane Doe, MD",
                "REQ-PARTICIPANT",
                "NEEDS-ACTION",
                True,
            ),
            (
                "mailto:agrant@clinic.example",
                "Dr. Alan Grant",
                "REQ-PARTICIPANT",
                "NEEDS-ACTION",
                True,
            ),
        ]
        assert event.location == "Phone"
        assert event.description is not None
        assert "Call-back number: (512) 555-0100 ext. 214" in event.description

    def test_the_validator_rejects_a_broken_invite(self) -> None:
        """Proves the check bites: a bad value and a wrong VTIMEZONE offset both fail."""
        good = render(BOOKED).decode()
        with pytest.raises(CalendarParseError):
            read_with_ical(good.replace("SEQUENCE:0", "SEQUENCE:zero").encode())
        wrong_zone = good.replace("TZOFFSETTO:-0500", "TZOFFSETTO:-0600")
        with pytest.raises(AssertionError, match="VTIMEZONE"):
            read_with_ical(wrong_zone.encode())

    @pytest.mark.parametrize(("name", "event", "method"), LIFECYCLE, ids=LIFECYCLE_IDS)
    def test_libical_reads_every_invite(
        self, name: str, event: InviteEvent, method: Method
    ) -> None:
        data = render(event, method)
        try:
            parsed = read_with_libical(data)
        except LibicalUnavailable as exc:
            pytest.skip(f"LIBICAL NOT INSTALLED, independent libical check skipped: {exc}")
        self.check(parsed, event, method)

    def test_libical_reads_the_feed(self) -> None:
        try:
            parsed = read_with_libical(render_feed([BOOKED]))
        except LibicalUnavailable as exc:
            pytest.skip(f"LIBICAL NOT INSTALLED, independent libical check skipped: {exc}")
        self.check(parsed, BOOKED, None)


class TestFeed:
    def events(self) -> list[InviteEvent]:
        early = booking(booking_id="bk_EARLY", start=BOOKED_START - SLOT, end=BOOKED_START)
        gone = booking(
            booking_id="bk_GONE",
            sequence=1,
            cancelled=True,
            start=MOVED_START + timedelta(days=1),
            end=MOVED_START + timedelta(days=1) + SLOT,
        )
        return [gone, MOVED, early]

    def test_subscription_properties_and_no_method(self) -> None:
        data = render_feed(self.events())
        cal = Calendar.from_ical(data)
        text = unfolded(data)

        assert "METHOD" not in cal
        assert "\r\nMETHOD" not in text
        assert str(cal["X-WR-CALNAME"]) == "Dr. Jane Doe, MD: P2P reviews"
        assert str(cal["NAME"]) == "Dr. Jane Doe, MD: P2P reviews"
        assert str(cal["X-WR-TIMEZONE"]) == NEW_YORK
        assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in text
        assert "\r\nX-PUBLISHED-TTL:PT1H\r\n" in text
        assert [tz.tz_name for tz in cal.timezones] == [NEW_YORK]
        assert str(cal["PRODID"]) == PRODID

    def test_ical_reads_the_subscription_properties(self) -> None:
        cal = ical_calendar(render_feed(self.events()))

        assert cal.refresh_interval == timedelta(hours=1)
        assert cal.x_wr_timezone == NEW_YORK
        extras = {extra.name.upper(): extra.value for extra in cal.extras}
        assert extras["X-PUBLISHED-TTL"] == "PT1H"
        assert extras["X-WR-CALNAME"] == "Dr. Jane Doe, MD: P2P reviews"

    def test_events_sorted_by_start_cancelled_ones_marked(self) -> None:
        events = Calendar.from_ical(render_feed(self.events())).events

        assert [str(e["UID"]) for e in events] == [
            "bk_EARLY@p2p.example",
            "bk_7Q2M9X@p2p.example",
            "bk_GONE@p2p.example",
        ]
        assert [e.start for e in events] == sorted(e.start for e in events)
        assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
        assert [e["SEQUENCE"] for e in events] == [0, 1, 1]

    def test_an_empty_feed_still_declares_its_zone(self) -> None:
        cal = Calendar.from_ical(render_feed([], time_zone="America/Chicago"))

        assert cal.events == []
        assert [tz.tz_name for tz in cal.timezones] == ["America/Chicago"]

    def test_a_feed_across_new_year_covers_both_years(self) -> None:
        january = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
        data = render_feed(
            [BOOKED, booking(booking_id="bk_JAN", start=january, end=january + SLOT)]
        )

        assert "from 2026-01-01 to 2028-01-01" in unfolded(data)
        assert [e.start for e in read_with_ical(data).events] == [BOOKED_START, january]


class TestSummary:
    def test_one_case(self) -> None:
        assert summary(BOOKED) == "P2P: case A100001 (Reconsideration)"

    def test_several_cases_with_one_level(self) -> None:
        event = booking(case_numbers=("A100019", "A100020"), levels_of_review=("Pre-decision",) * 2)
        assert summary(event) == "P2P: cases A100019, A100020 (Pre-decision)"

    def test_mixed_levels_stay_with_their_case(self) -> None:
        event = booking(case_numbers=("A1", "A2"), levels_of_review=("Appeal", "Reconsideration"))
        assert summary(event) == "P2P: cases A1 (Appeal), A2 (Reconsideration)"


class TestNoMemberData:
    """Minimum necessary PHI (SPEC §5): nothing about the member can reach a calendar."""

    def test_the_event_type_has_no_member_fields(self) -> None:
        names = {f.name for f in dataclasses.fields(InviteEvent)}

        assert not {n for n in names if any(w in n for w in ("member", "dob", "birth"))}

    def test_demo_cases_render_without_member_name_dob_or_id(self) -> None:
        cases = {case.case_number: case for case in demo_cases(NOW)}
        reviewer = demo_reviewers()[0]
        label = default_policy().label(LevelOfReview.RECONSIDERATION)
        walkthrough = cases["A100001"]
        assert walkthrough.member.name == DEMO_MEMBER_NAME
        assert walkthrough.member.dob == DEMO_DOB

        documents: list[bytes] = []
        for number in cases:
            event = booking(
                case_numbers=(number,),
                levels_of_review=(label,),
                reviewer_name=reviewer.name,
                reviewer_credentials=reviewer.credentials,
                reviewer_email=reviewer.email,
            )
            cancelled = dataclasses.replace(event, sequence=1, cancelled=True)
            documents += [render(event), render(cancelled, "CANCEL")]
            documents.append(render_feed([event, cancelled]))
        text = "\n".join(unfolded(d) for d in documents).lower()

        assert "a100001" in text
        for case in cases.values():
            member = case.member
            dob = member.dob
            for secret in (
                member.name,
                member.member_id,
                dob.isoformat(),
                dob.strftime("%Y%m%d"),
                dob.strftime("%m/%d/%Y"),
            ):
                assert secret.lower() not in text, secret


class TestRejectsBadInput:
    def test_method_must_match_the_booking_state(self) -> None:
        with pytest.raises(ValueError, match="does not match"):
            render(CANCELLED, "REQUEST")
        with pytest.raises(ValueError, match="does not match"):
            render(BOOKED, "CANCEL")
        with pytest.raises(ValueError, match="REQUEST, CANCEL or PUBLISH"):
            render(BOOKED, "ADD")  # type: ignore[arg-type]

    def test_a_published_copy_asks_nobody_to_respond(self) -> None:
        """The manage page's "Add to calendar": PUBLISH, the organizer but no attendees."""
        body = render(BOOKED, "PUBLISH").decode()
        assert "METHOD:PUBLISH" in body
        assert "ORGANIZER" in body
        assert "ATTENDEE" not in body and "RSVP" not in body

    def test_unknown_zone_fails_instead_of_dropping_the_vtimezone(self) -> None:
        with pytest.raises(ValueError, match="unknown time zone"):
            render(BOOKED, time_zone="Mars/Olympus_Mons")

    @pytest.mark.parametrize(
        "changes",
        [
            {"start": datetime(2026, 11, 30, 23, 30)},
            {"end": BOOKED_START},
            {"sequence": -1},
            {"case_numbers": ()},
            {"levels_of_review": ("Appeal", "Appeal")},
            {"case_numbers": (" ",)},
            {"provider_email": "agrant@clinic.example\r\nATTENDEE:mailto:x@y"},
            {"reviewer_email": "not an email"},
            {"booking_id": ""},
        ],
        ids=lambda c: next(iter(c)),
    )
    def test_invalid_bookings_are_refused(self, changes: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            booking(**changes)

    def test_naive_dtstamp_and_bad_organizer_are_refused(self) -> None:
        with pytest.raises(ValueError, match="dtstamp"):
            render(BOOKED, dtstamp=datetime(2026, 11, 24, 15, 0))
        with pytest.raises(ValueError, match="organizer_email"):
            invite(
                BOOKED,
                method="REQUEST",
                organizer_email="nobody",
                uid_domain=UID_DOMAIN,
                time_zone=NEW_YORK,
                dtstamp=NOW,
            )
