"""Invites, emails, webhooks and signed links end to end (SPEC §5, §9; issue 5).

The real server (``p2p-scheduler serve``, delivering its outbox in-process) runs against a
real SMTP server (aiosmtpd) and a real HTTP webhook receiver inside the test. A booking is
made, rescheduled and cancelled over HTTP; then what arrived is read the way a mail client,
a calendar and a portal would read it.
"""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from p2p_scheduler.tools.demo import WALKTHROUGH_CASE, demo_cases
from tests.api.helpers import (
    ALL_DAYS,
    ALL_HOURS,
    MEMBER_DOB,
    MEMBER_ID,
    MEMBER_NAME,
    NEW_YORK,
    availability_body,
    booking_body,
    case_body,
    reviewer_body,
    weekly,
)
from tests.e2e.server import Server, cli_env, free_port, start_server, stop, wait_until
from tests.support import auth

pytestmark = pytest.mark.e2e

ADMIN_KEY = "notify-admin-key-0001"
PORTAL_KEY = "notify-portal-key-0001"
WEBHOOK_SECRET = "whsec-notify-0123456789"
REVIEWER = "rev-notify"
REVIEWER_EMAIL = "dr.nora.notify@plan.example.org"
PROVIDER_EMAIL = "olive.orderly@clinic.example.org"
CASE = "N100001"
CHICAGO = "America/Chicago"


# ---- the peers: an SMTP server and a webhook receiver -----------------------------------------


@dataclass
class Mailbox:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@dataclass
class Hooks:
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


def _receiver(hooks: Hooks) -> type[BaseHTTPRequestHandler]:
    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hooks.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Receiver


@dataclass
class World:
    server: Server
    mailbox: Mailbox
    hooks: Hooks


@pytest.fixture
def world(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[World]:
    yield from _world(database_url, tmp_path, api_keys=f"admin:{ADMIN_KEY},portal:{PORTAL_KEY}")


@pytest.fixture
def demo_world(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[World]:
    """``serve --demo`` on the emptied test database: the demo data and demo keys."""
    yield from _world(database_url, tmp_path, api_keys=None, demo=True)


def _world(
    database_url: str, tmp_path: Path, *, api_keys: str | None, demo: bool = False
) -> Iterator[World]:
    mailbox, hooks = Mailbox(), Hooks()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _receiver(hooks))
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    env = cli_env(
        P2P_DATABASE_URL=database_url,
        P2P_API_KEYS=api_keys,
        P2P_SECRET_KEY=None if demo else "notify-secret-key-0123456789",
        P2P_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
        P2P_ORGANIZER_EMAIL="p2p@plan.example.org",
        P2P_WEBHOOK_URLS=f"http://127.0.0.1:{receiver.server_port}/hooks/p2p",
        P2P_WEBHOOK_SECRET=WEBHOOK_SECRET,
        P2P_LOG_LEVEL="info",
    )
    running = start_server(tmp_path, env, *(["--demo"] if demo else []))
    try:
        yield World(running, mailbox, hooks)
    finally:
        stop(running.process)
        smtp.stop()
        receiver.shutdown()
        print(f"--- server log ---\n{running.output()}")


def _seed(server: Server) -> None:
    now = datetime.now(UTC)
    with httpx.Client(base_url=server.base_url, headers=auth(ADMIN_KEY), timeout=30) as admin:
        reviewer = reviewer_body(
            name="Dr. Nora Notify",
            email=REVIEWER_EMAIL,
            time_zone=CHICAGO,
            skills={"msk_spine": 1},
            licensed_states=["PA"],
            working_hours=weekly("08:00", "20:00", ALL_DAYS),
            max_consults_per_day=40,
        )
        assert admin.put(f"/v1/reviewers/{REVIEWER}", json=reviewer).status_code == 201
        case = case_body(
            status="in_review",
            determination_at=None,
            received_at=(now - timedelta(hours=1)).isoformat(),
            hold_due_at=(now + timedelta(days=21)).isoformat(),
        )
        assert admin.put(f"/v1/cases/{CASE}", json=case).status_code == 201


def _two_starts(server: Server) -> tuple[str, str]:
    with httpx.Client(base_url=server.base_url, headers=auth(PORTAL_KEY), timeout=30) as portal:
        found = portal.post(
            "/v1/availability", json=availability_body(CASE, days=ALL_DAYS, hours=ALL_HOURS)
        )
        if not found.json()["tiers"]:  # late on a Sunday: the week is over
            body = availability_body(
                CASE, days=ALL_DAYS, hours=ALL_HOURS, week_start=found.json()["next_week_start"]
            )
            found = portal.post("/v1/availability", json=body)
    assert found.status_code == 200, found.text
    slots = [
        slot["start"]
        for tier in found.json()["tiers"]
        for reviewer in tier["reviewers"]
        for day in reviewer["days"]
        for slot in day["slots"]
    ]
    assert len(slots) >= 8, found.text
    return slots[0], slots[6]


def _calendar_part(message: EmailMessage) -> tuple[str, icalendar.Calendar]:
    """The text/calendar part inside multipart/alternative, and its parsed calendar."""
    assert message.get_content_type() == "multipart/mixed"
    parts = list(message.iter_parts())
    alternative = parts[0]
    assert alternative.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    calendar = list(alternative.iter_parts())[2]
    assert calendar.get_content_charset() == "utf-8"
    attachment = parts[1]
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    raw = calendar.get_payload(decode=True)  # the octets sent (base64: CRLFs intact)
    assert raw.endswith(b"END:VCALENDAR\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert attachment.get_content() == raw
    return str(calendar.get_param("method")), icalendar.Calendar.from_ical(raw)


def _assert_no_phi(output: str) -> None:
    """The member's name, date of birth (either way written) and member ID never appear."""
    for phi in (MEMBER_NAME, MEMBER_ID, MEMBER_DOB, MEMBER_DOB.replace("-", "")):
        assert phi not in output


def _event(calendar: icalendar.Calendar) -> Any:
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def test_book_reschedule_cancel_send_invites_emails_and_webhooks(world: World) -> None:
    server = world.server
    _seed(server)
    first, second = _two_starts(server)
    with httpx.Client(base_url=server.base_url, headers=auth(PORTAL_KEY), timeout=30) as portal:
        booked = portal.post(
            "/v1/bookings", json=booking_body(CASE, REVIEWER, first, email=PROVIDER_EMAIL)
        )
        assert booked.status_code == 201, booked.text
        booking = booked.json()
        moved = portal.post(f"/v1/bookings/{booking['id']}/reschedule", json={"start": second})
        assert moved.status_code == 200, moved.text
        cancelled = portal.post(
            f"/v1/bookings/{booking['id']}/cancel",
            json={"reason_code": "provider_unavailable", "reason_text": ""},
        )
        assert cancelled.status_code == 200, cancelled.text

    wait_until("six emails", lambda: len(world.mailbox.messages) >= 6)
    wait_until("three webhooks", lambda: len(world.hooks.received) >= 3)
    time.sleep(0.5)
    assert len(world.mailbox.messages) == 6  # provider and reviewer, three changes each

    # ---- the emails, as mail and calendar clients read them -----------------------------------
    by_recipient: dict[str, list[EmailMessage]] = {PROVIDER_EMAIL: [], REVIEWER_EMAIL: []}
    for sender, recipients, raw in world.mailbox.messages:
        assert sender == "p2p@plan.example.org"
        assert len(recipients) == 1
        message = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(message, EmailMessage)
        assert message["To"] == recipients[0]
        by_recipient[recipients[0]].append(message)
    for recipient, zone in ((PROVIDER_EMAIL, NEW_YORK), (REVIEWER_EMAIL, CHICAGO)):
        messages = sorted(
            by_recipient[recipient], key=lambda m: int(_event(_calendar_part(m)[1])["SEQUENCE"])
        )
        assert [m["Subject"].split(":")[0] for m in messages] == [
            "Scheduled",
            "Updated",
            "Cancelled",
        ]
        assert all(f"case {CASE}" in m["Subject"] for m in messages)
        methods, uids, sequences, starts = [], set(), [], []
        for message in messages:
            method, calendar = _calendar_part(message)
            event = _event(calendar)
            assert str(calendar["METHOD"]) == method
            methods.append(method)
            uids.add(str(event["UID"]))
            sequences.append(int(event["SEQUENCE"]))
            starts.append(event.decoded("DTSTART"))
            assert event["DTSTART"].params["TZID"] == zone
            assert str(event["LOCATION"]) == "Phone"
            assert "555" in str(event["DESCRIPTION"])  # the call-back number
        assert methods == ["REQUEST", "REQUEST", "CANCEL"]
        assert uids == {f"{booking['id']}@p2p-scheduler"}
        assert sequences == [0, 1, 2]
        assert starts[0] == datetime.fromisoformat(first)
        assert starts[1] == starts[2] == datetime.fromisoformat(second)
        text = messages[0].get_body(("plain",))
        assert text is not None
        body = text.get_content()
        assert "/invite.ics?token=" in body
        assert ("Reschedule or cancel:" in body) == (recipient == PROVIDER_EMAIL)

    # ---- the webhooks, as a portal verifies them ----------------------------------------------
    types = []
    for headers, body in world.hooks.received:
        timestamp, signature = (
            part.split("=", 1)[1] for part in headers["p2p-signature"].split(",")
        )
        expected = hmac.new(
            WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(signature, expected)
        assert abs(time.time() - int(timestamp)) < 300
        payload = json.loads(body)
        assert set(payload) == {"id", "type", "created_at", "data"}
        assert payload["data"]["id"] == booking["id"]
        types.append(payload["type"])
    assert sorted(types) == ["booking.cancelled", "booking.rescheduled", "booking.scheduled"]
    assert len({json.loads(body)["id"] for _, body in world.hooks.received}) == 3

    # ---- no PHI anywhere it does not belong ---------------------------------------------------
    outputs = [raw.decode(errors="replace") for _, _, raw in world.mailbox.messages]
    outputs += [body.decode() for _, body in world.hooks.received]
    outputs.append(server.output())
    for output in outputs:
        _assert_no_phi(output)


def test_signed_links_serve_the_current_invite_and_refuse_bad_tokens(world: World) -> None:
    server = world.server
    _seed(server)
    first, _ = _two_starts(server)
    with httpx.Client(base_url=server.base_url, headers=auth(PORTAL_KEY), timeout=30) as portal:
        booking = portal.post("/v1/bookings", json=booking_body(CASE, REVIEWER, first)).json()
    invite_url, manage_url = booking["links"]["invite_ics"], booking["links"]["manage"]
    assert invite_url.startswith(server.base_url + f"/v1/bookings/{booking['id']}/invite.ics?")
    for url in (invite_url, manage_url):
        assert MEMBER_DOB not in url and MEMBER_NAME not in url

    with httpx.Client(timeout=30) as anonymous:
        invite = anonymous.get(invite_url)
        assert invite.status_code == 200
        assert invite.headers["content-type"].startswith("text/calendar")
        calendar = icalendar.Calendar.from_ical(invite.content)
        assert str(calendar["METHOD"]) == "REQUEST"
        _assert_no_phi(invite.text)
        assert (
            anonymous.get(invite_url, headers={"If-None-Match": invite.headers["etag"]}).status_code
            == 304
        )
        managed = anonymous.get(manage_url)
        assert managed.status_code == 200
        assert managed.json()["id"] == booking["id"]

        tampered = invite_url[:-3] + ("AAA" if not invite_url.endswith("AAA") else "BBB")
        for bad in (
            tampered,
            invite_url.split("?")[0],
            invite_url.replace("invite.ics?token=", "invite.ics?token=x"),
        ):
            answer = anonymous.get(bad)
            assert answer.status_code in (404, 422), answer.text  # 404: as an unknown id
            assert answer.headers["content-type"] == "application/problem+json"
            assert "BEGIN:VCALENDAR" not in answer.text

    with httpx.Client(base_url=server.base_url, headers=auth(PORTAL_KEY), timeout=30) as portal:
        cancelled = portal.post(
            f"/v1/bookings/{booking['id']}/cancel",
            json={"reason_code": "duplicate", "reason_text": ""},
        )
        assert cancelled.status_code == 200
    with httpx.Client(timeout=30) as anonymous:
        after = anonymous.get(invite_url)  # the old invite link now serves the CANCEL
        assert after.status_code == 200
        calendar = icalendar.Calendar.from_ical(after.content)
        assert str(calendar["METHOD"]) == "CANCEL"
        assert str(_event(calendar)["STATUS"]) == "CANCELLED"
        assert int(_event(calendar)["SEQUENCE"]) == 1
        revoked = anonymous.get(manage_url)  # nothing left to manage: revoked for good
        assert revoked.status_code == 410
        assert cancelled.json()["links"]["manage"] is None
        assert revoked.headers["content-type"] == "application/problem+json"


def test_reviewer_feed_lists_the_p2ps_answers_304_and_rotates(world: World) -> None:
    server = world.server
    _seed(server)
    first, second = _two_starts(server)
    with httpx.Client(base_url=server.base_url, headers=auth(PORTAL_KEY), timeout=30) as portal:
        booking = portal.post("/v1/bookings", json=booking_body(CASE, REVIEWER, first)).json()
    with httpx.Client(base_url=server.base_url, headers=auth(ADMIN_KEY), timeout=30) as admin:
        feed_url = admin.get(f"/v1/reviewers/{REVIEWER}").json()["calendar_feed_url"]
        assert feed_url.startswith(
            server.base_url + f"/v1/calendars/reviewers/{REVIEWER}.ics?token="
        )
        with httpx.Client(timeout=30) as calendar_client:
            feed = calendar_client.get(feed_url)
            assert feed.status_code == 200
            calendar = icalendar.Calendar.from_ical(feed.content)
            assert "METHOD" not in calendar
            _assert_no_phi(feed.text)
            assert str(calendar["X-WR-CALNAME"]).endswith("Dr. Nora Notify")
            assert feed.content.count(b"REFRESH-INTERVAL;VALUE=DURATION:PT1H") == 1
            event = _event(calendar)
            assert str(event["UID"]) == f"{booking['id']}@p2p-scheduler"
            assert event["DTSTART"].params["TZID"] == CHICAGO
            assert event.decoded("DTSTART") == datetime.fromisoformat(first)
            unchanged = calendar_client.get(
                feed_url, headers={"If-None-Match": feed.headers["etag"]}
            )
            assert unchanged.status_code == 304

            # A change gives the feed a new tag at once: the old one no longer revalidates,
            # and nothing rendered (or cached) for it is served again.
            with httpx.Client(
                base_url=server.base_url, headers=auth(PORTAL_KEY), timeout=30
            ) as portal:
                moved = portal.post(
                    f"/v1/bookings/{booking['id']}/reschedule", json={"start": second}
                )
                assert moved.status_code == 200, moved.text
            changed = calendar_client.get(feed_url, headers={"If-None-Match": feed.headers["etag"]})
            assert changed.status_code == 200
            assert changed.headers["etag"] != feed.headers["etag"]
            moved_event = _event(icalendar.Calendar.from_ical(changed.content))
            assert moved_event.decoded("DTSTART") == datetime.fromisoformat(second)
            assert int(moved_event["SEQUENCE"]) == 1
            assert (
                calendar_client.get(
                    feed_url, headers={"If-None-Match": changed.headers["etag"]}
                ).status_code
                == 304
            )

            rotated = admin.post(f"/v1/reviewers/{REVIEWER}/calendar-feed/rotate")
            assert rotated.status_code == 200
            new_url = rotated.json()["calendar_feed_url"]
            assert new_url != feed_url
            assert calendar_client.get(feed_url).status_code == 404  # as an unknown reviewer
            assert calendar_client.get(new_url).status_code == 200


def test_demo_cycle_leaks_no_member_name_dob_or_id_anywhere(demo_world: World) -> None:
    """SPEC §5 minimum necessary PHI, on the demo data a newcomer walks through."""
    server = demo_world.server
    case_number, dob = WALKTHROUGH_CASE
    cases = [{"case_number": case_number, "member_dob": dob.isoformat()}]
    portal_key = {"Authorization": "Bearer demo-portal-key"}
    with httpx.Client(base_url=server.base_url, headers=portal_key, timeout=30) as portal:
        found = portal.post(
            "/v1/availability",
            json={
                "cases": cases,
                "time_zone": NEW_YORK,
                "preferences": {"days": list(ALL_DAYS), "hours": list(ALL_HOURS)},
            },
        ).json()
        if not found["tiers"]:
            found = portal.post(
                "/v1/availability",
                json={
                    "cases": cases,
                    "time_zone": NEW_YORK,
                    "week_start": found["next_week_start"],
                    "preferences": {"days": list(ALL_DAYS), "hours": list(ALL_HOURS)},
                },
            ).json()
        reviewer = found["tiers"][0]["reviewers"][0]
        starts = [slot["start"] for day in reviewer["days"] for slot in day["slots"]]
        body = booking_body(case_number, reviewer["reviewer_id"], starts[0], dob=dob.isoformat())
        booked = portal.post("/v1/bookings", json=body)
        assert booked.status_code == 201, booked.text
        booking = booked.json()
        assert (
            portal.post(
                f"/v1/bookings/{booking['id']}/reschedule", json={"start": starts[4]}
            ).status_code
            == 200
        )
        invite = httpx.get(booking["links"]["invite_ics"], timeout=30).text
        assert (
            portal.post(
                f"/v1/bookings/{booking['id']}/cancel",
                json={"reason_code": "case_resolved", "reason_text": ""},
            ).status_code
            == 200
        )
        manage = portal.get(f"/v1/bookings/{booking['id']}").text
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": "Bearer demo-admin-key"}, timeout=30
    ) as admin:
        feed_url = admin.get(f"/v1/reviewers/{reviewer['reviewer_id']}").json()["calendar_feed_url"]
    feed = httpx.get(feed_url, timeout=30).text
    wait_until("six emails", lambda: len(demo_world.mailbox.messages) >= 6)
    wait_until("three webhooks", lambda: len(demo_world.hooks.received) >= 3)

    outputs = {"invite": invite, "feed": feed, "booking": manage, "log": server.output()}
    for n, (_, _, raw) in enumerate(demo_world.mailbox.messages):
        outputs[f"email {n}"] = raw.decode(errors="replace")
    for n, (headers, raw) in enumerate(demo_world.hooks.received):
        outputs[f"webhook {n}"] = json.dumps(headers) + raw.decode()
    members = {case.member for case in demo_cases(datetime.now(UTC))}
    assert len(members) > 10
    for member in members:
        secrets = (
            member.name,
            member.member_id,
            member.dob.isoformat(),
            member.dob.strftime("%Y%m%d"),
            member.dob.strftime("%m/%d/%Y"),
        )
        for where, output in outputs.items():
            for secret in secrets:
                assert secret not in output, f"{secret!r} found in {where}"
    assert case_number in outputs["invite"]  # what a reviewer needs is there

    # ---- the log: JSON lines with the request id, never a signed link's token ------------------
    log = server.output()
    for link in (booking["links"]["invite_ics"], booking["links"]["manage"]):
        assert link.split("token=")[1] not in log
    served = log.split("API docs:", 1)[1].splitlines()[1:]  # after the start-up banner
    lines = [json.loads(line) for line in served if line.strip()]
    assert lines and all(
        {"ts", "level", "logger", "message", "request_id"} <= set(x) for x in lines
    )
    requests = [line for line in lines if line["logger"] == "p2p_scheduler.access"]
    made = next(r for r in requests if r["request_id"] == booked.headers["x-request-id"])
    assert (made["method"], made["route"], made["status"], made["key_id"]) == (
        "POST",
        "/v1/bookings",
        201,
        "portal-2",
    )
    assert made["duration_ms"] > 0
    assert any(r["route"] == "/v1/bookings/{booking_id}/invite.ics" for r in requests)


def test_optimizer_run_books_pending_requests_and_mails_their_invites(world: World) -> None:
    """SPEC §6/§7 over HTTP: two requests without a slot, one run, two invitations each."""
    server = world.server
    _seed(server)
    now = datetime.now(UTC)
    with httpx.Client(base_url=server.base_url, headers=auth(ADMIN_KEY), timeout=30) as admin:
        second_case = case_body(
            status="in_review",
            determination_at=None,
            received_at=(now - timedelta(hours=1)).isoformat(),
            hold_due_at=(now + timedelta(days=21)).isoformat(),
        )
        assert admin.put("/v1/cases/N100002", json=second_case).status_code == 201
    ids = []
    with httpx.Client(base_url=server.base_url, headers=auth(PORTAL_KEY), timeout=30) as portal:
        for number in (CASE, "N100002"):
            body = booking_body(number, REVIEWER, "2026-01-01T00:00:00Z", email=PROVIDER_EMAIL)
            del body["reviewer_id"], body["start"]
            body["preferences"] = {"days": list(ALL_DAYS), "hours": list(ALL_HOURS)}
            made = portal.post("/v1/p2p-requests", json=body)
            assert made.status_code == 201, made.text
            assert made.json()["status"] == "pending_assignment"
            ids.append(made.json()["id"])
    with httpx.Client(base_url=server.base_url, headers=auth(ADMIN_KEY), timeout=60) as admin:
        answer = admin.post("/v1/optimizer/runs")
    assert answer.status_code == 200, answer.text
    assert sorted(answer.json()["assigned"]) == sorted(ids)

    wait_until("four emails", lambda: len(world.mailbox.messages) >= 4)
    wait_until("two webhooks", lambda: len(world.hooks.received) >= 2)
    uids = set()
    assert sorted(to for _, (to,), _ in world.mailbox.messages) == sorted(
        [PROVIDER_EMAIL, PROVIDER_EMAIL, REVIEWER_EMAIL, REVIEWER_EMAIL]
    )
    for _, _, raw in world.mailbox.messages:
        message = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(message, EmailMessage)
        assert message["Subject"].startswith("Scheduled: P2P: case N10000")
        method, calendar = _calendar_part(message)
        event = _event(calendar)
        assert (method, int(event["SEQUENCE"])) == ("REQUEST", 0)
        uids.add(str(event["UID"]))
        _assert_no_phi(raw.decode(errors="replace"))
    assert uids == {f"{booking_id}@p2p-scheduler" for booking_id in ids}
    assert sorted(json.loads(body)["type"] for _, body in world.hooks.received) == [
        "booking.scheduled",
        "booking.scheduled",
    ]


def test_time_off_hands_the_call_to_another_reviewer_and_tells_all_three(world: World) -> None:
    """SPEC §4 over HTTP and SMTP: the absent reviewer's booking goes to a colleague at the
    same time; the provider and the colleague get the updated invite (same UID, SEQUENCE 1),
    the absent reviewer a cancellation."""
    server = world.server
    _seed(server)
    colleague = "rev-colleague"
    colleague_email = "colleague@plan.example.org"
    with httpx.Client(base_url=server.base_url, headers=auth(ADMIN_KEY), timeout=30) as admin:
        body = reviewer_body(
            name="Dr. Cole League",
            email=colleague_email,
            time_zone=CHICAGO,
            skills={"msk_spine": 1},
            licensed_states=["PA"],
            working_hours=weekly("08:00", "20:00", ALL_DAYS),
            max_consults_per_day=40,
        )
        assert admin.put(f"/v1/reviewers/{colleague}", json=body).status_code == 201
    start, _ = _two_starts(server)
    with httpx.Client(base_url=server.base_url, headers=auth(PORTAL_KEY), timeout=30) as portal:
        made = portal.post(
            "/v1/bookings", json=booking_body(CASE, REVIEWER, start, email=PROVIDER_EMAIL)
        )
        assert made.status_code == 201, made.text
    booking_id = made.json()["id"]
    wait_until("two emails", lambda: len(world.mailbox.messages) >= 2)
    away = datetime.fromisoformat(start)
    with httpx.Client(base_url=server.base_url, headers=auth(ADMIN_KEY), timeout=60) as admin:
        answer = admin.post(
            f"/v1/reviewers/{REVIEWER}/time-off",
            json={
                "start": (away - timedelta(hours=1)).isoformat(),
                "end": (away + timedelta(hours=1)).isoformat(),
                "reason": "Board meeting",
            },
        )
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"affected": [{"booking_id": booking_id, "action": "reassigned"}]}

    wait_until("five emails", lambda: len(world.mailbox.messages) >= 5)
    wait_until("two webhooks", lambda: len(world.hooks.received) >= 2)
    later = {}
    for _, (to,), raw in world.mailbox.messages[2:]:
        message = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(message, EmailMessage)
        method, calendar = _calendar_part(message)
        event = _event(calendar)
        assert str(event["UID"]) == f"{booking_id}@p2p-scheduler"
        assert event.decoded("DTSTART") == away
        attendees = {str(a).removeprefix("mailto:") for a in event.get("ATTENDEE", [])}
        later[to] = (message["Subject"].split(":")[0], method, int(event["SEQUENCE"]), attendees)
        _assert_no_phi(raw.decode(errors="replace"))
    assert later == {
        PROVIDER_EMAIL: ("Updated", "REQUEST", 1, {PROVIDER_EMAIL, colleague_email}),
        colleague_email: ("Updated", "REQUEST", 1, {PROVIDER_EMAIL, colleague_email}),
        REVIEWER_EMAIL: ("Cancelled", "CANCEL", 1, {PROVIDER_EMAIL, REVIEWER_EMAIL}),
    }
    hooks = [json.loads(body) for _, body in world.hooks.received]
    assert sorted(hook["type"] for hook in hooks) == ["booking.rescheduled", "booking.scheduled"]
    update = next(hook for hook in hooks if hook["type"] == "booking.rescheduled")
    assert update["data"]["reviewer"]["reviewer_id"] == colleague


def test_the_outcome_reaches_the_provider_by_email_webhook_and_manage_link(world: World) -> None:
    """SPEC §14: one e-mail to the provider with the outcome's label and what happens next,
    without an invite, the member or the reviewer's notes; the ``booking.completed`` webhook
    and the e-mail's own link carry the outcome."""
    server = world.server
    _seed(server)
    first, _ = _two_starts(server)
    notes = "Internal: the imaging was reviewed twice."
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        booked = http.post(
            "/v1/bookings",
            json=booking_body(CASE, REVIEWER, first, email=PROVIDER_EMAIL),
            headers=auth(PORTAL_KEY),
        )
        assert booked.status_code == 201, booked.text
        booking_id = booked.json()["id"]
        done = http.post(  # an admin may record it before the call's start (SPEC §9)
            f"/v1/bookings/{booking_id}/complete",
            json={"outcome": "modified", "notes": notes},
            headers=auth(ADMIN_KEY),
        )
        assert done.status_code == 200, done.text

        wait_until("three emails", lambda: len(world.mailbox.messages) >= 3)
        wait_until("two webhooks", lambda: len(world.hooks.received) >= 2)
        time.sleep(0.5)
        assert len(world.mailbox.messages) == 3  # the two invites, then one outcome e-mail
        outcome_mails = [
            (recipients, email.message_from_bytes(raw, policy=default_policy))
            for _, recipients, raw in world.mailbox.messages
            if b"P2P outcome" in raw
        ]
        [(recipients, message)] = outcome_mails
        assert recipients == [PROVIDER_EMAIL]
        assert isinstance(message, EmailMessage)
        assert (
            message["Subject"] == f"P2P outcome: case {CASE} (Pre-Decision P2P) — Decision modified"
        )
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        plain = message.get_body(("plain",))
        assert plain is not None
        body = plain.get_content()
        assert "Outcome: Decision modified" in body
        assert "What happens next:" in body and "will specify what has been approved" in body
        manage = next(line for line in body.splitlines() if line.startswith("View this P2P"))
        shown = http.get(manage.split(": ", 1)[1])  # the link works without any key
        assert shown.status_code == 200, shown.text
        assert shown.json()["outcome"]["label"] == "Decision modified"

    payloads = [json.loads(body) for _, body in world.hooks.received]
    [completed] = [p for p in payloads if p["type"] == "booking.completed"]
    assert completed["data"]["outcome"]["code"] == "modified"
    assert completed["data"]["outcome"]["label"] == "Decision modified"
    outputs = [raw.decode(errors="replace") for _, _, raw in world.mailbox.messages]
    outputs += [body.decode() for _, body in world.hooks.received]
    outputs.append(server.output())
    for output in outputs:
        _assert_no_phi(output)
        assert "imaging was reviewed" not in output
