"""Reminders (SPEC §11): at every lead before a scheduled call the provider and the reviewer
each get one e-mail in their own zone and each portal a ``booking.reminder`` webhook; none for
a lead already passed, none after a cancel, re-planned by a reschedule; sent once.

NOW is Monday 2026-11-23T15:00Z (10:00 New York). The provider is in Chicago, the reviewer in
New York. The outbox is delivered by the real delivery pass (``delivery.deliver_due``) to
recording transports, on the service's clock, which the tests move: no sleeps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from api.app import create_app
from p2p_scheduler.config import Settings, load_settings
from p2p_scheduler.db import outbox_store
from p2p_scheduler.db.outbox_store import Claimed
from p2p_scheduler.db.tables import OutboxRow
from p2p_scheduler.services import delivery
from p2p_scheduler.services.notifications import EmailRecipe, render_email
from tests.api.helpers import (
    CHICAGO,
    MEMBER_DOB,
    MEMBER_ID,
    MEMBER_NAME,
    Clock,
    booked,
    booking_of,
    cancel,
    ny,
    push_case,
    push_reviewer,
    reschedule,
)
from tests.support import NOW, TEST_API_KEYS, WEBHOOK_SECRET, settings_for_tests

pytestmark = pytest.mark.anyio

HOOK = "http://hooks.example.org/p2p"
PROVIDER = "olive.orderly@clinic.example.org"
REVIEWER_EMAIL = "rev-a@example.org"
#: Wednesday 10:00 New York = 15:00Z, two days after NOW
WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for_tests(
        database_url, webhook_urls=HOOK, webhook_secret=WEBHOOK_SECRET, reminder_leads="PT1H,PT24H"
    )


@pytest.fixture
def client(client_at_clock: httpx.AsyncClient) -> httpx.AsyncClient:
    return client_at_clock


def reminders(engine: Engine, booking_id: str, *, unsent: bool = True) -> list[OutboxRow]:
    """The booking's reminder rows, by due time then channel and recipient."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(OutboxRow).where(  # type: ignore[call-overload]
                OutboxRow.booking_id == booking_id,
                OutboxRow.event_type == "booking.reminder",
            )
        ).all()
    found = [row for row in rows if not unsent or row.sent_at is None]
    return sorted(found, key=lambda r: (r.next_attempt_at, r.channel, r.recipient))


def plan(rows: list[OutboxRow]) -> list[tuple[datetime, str, str]]:
    return [(row.next_attempt_at, row.channel, row.recipient) for row in rows]


def planned_for(start: datetime, *leads: timedelta) -> list[tuple[datetime, str, str]]:
    """What a call at ``start`` should have planned: per lead, the two e-mails and the hook."""
    return [
        (start - lead, channel, recipient)
        for lead in sorted(leads, reverse=True)
        for channel, recipient in (
            ("email", PROVIDER),
            ("email", REVIEWER_EMAIL),
            ("webhook", HOOK),
        )
    ]


async def wednesday_call(client: httpx.AsyncClient, start: str = ny("2026-11-25", "10:00")) -> str:
    await push_reviewer(client, "rev-a")
    await push_case(client, "R1")
    made = await booked(client, "R1", "rev-a", start, time_zone=CHICAGO)
    return str(made["id"])


@dataclass
class Recorder:
    """A transport that keeps what it was asked to send, and when."""

    sent: list[tuple[str, str, datetime]] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)

    def send(self, message: Claimed, now: datetime) -> None:
        self.sent.append((message.event_type, message.recipient, now))
        self.bodies.append(message.body)


def deliver(engine: Engine, clock: Clock, recorder: Recorder) -> None:
    """Delivery passes until nothing due is left, as a worker would run them."""
    while delivery.deliver_due(engine, {"email": recorder, "webhook": recorder}, clock).sent:
        pass


def sent_reminders(recorder: Recorder) -> list[tuple[str, datetime]]:
    return sorted((to, at) for kind, to, at in recorder.sent if kind == "booking.reminder")


def text_of(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body((subtype,))
    assert part is not None, subtype
    return part.get_content()  # type: ignore[attr-defined]


async def test_a_call_days_ahead_plans_every_lead_for_both_people_and_each_portal(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    booking_id = await wednesday_call(client)
    assert plan(reminders(engine, booking_id)) == planned_for(
        WEDNESDAY, timedelta(hours=24), timedelta(hours=1)
    )


async def test_a_call_two_hours_ahead_gets_only_the_one_hour_reminders(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    booking_id = await wednesday_call(client, ny("2026-11-23", "12:00"))
    start = NOW + timedelta(hours=2)
    assert plan(reminders(engine, booking_id)) == planned_for(start, timedelta(hours=1))


async def test_a_reschedule_replans_them_and_a_cancel_drops_them(
    client: httpx.AsyncClient, clock: Clock, engine: Engine
) -> None:
    booking_id = await wednesday_call(client)
    clock.advance(hours=1)  # Monday 11:00 New York
    moved = await reschedule(client, booking_id, ny("2026-11-24", "14:00"))
    assert moved.status_code == 200, moved.text
    tuesday = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
    assert plan(reminders(engine, booking_id)) == planned_for(
        tuesday, timedelta(hours=24), timedelta(hours=1)
    )

    clock.advance(hours=3, minutes=30)  # Monday 14:30 New York: the 24-hour ones are due
    moved = await reschedule(client, booking_id, ny("2026-11-24", "11:00"))
    assert moved.status_code == 200, moved.text
    # the due ones named the old time: gone; the new time's 24 hours had passed at the move
    earlier = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert plan(reminders(engine, booking_id)) == planned_for(earlier, timedelta(hours=1))

    cancelled = await cancel(client, booking_id)
    assert cancelled.status_code == 200, cancelled.text
    assert reminders(engine, booking_id) == []
    clock.advance(days=2)
    recorder = Recorder()
    deliver(engine, clock, recorder)
    assert sent_reminders(recorder) == []


async def test_each_reminder_goes_out_once_and_not_before_its_time(
    client: httpx.AsyncClient, clock: Clock, engine: Engine
) -> None:
    booking_id = await wednesday_call(client)
    recorder = Recorder()
    deliver(engine, clock, recorder)  # the booking's own e-mails and webhook
    assert sent_reminders(recorder) == []

    clock.instant = WEDNESDAY - timedelta(hours=24, seconds=1)
    deliver(engine, clock, recorder)
    assert sent_reminders(recorder) == []
    # nothing waits yet: planned reminders are not a backlog
    assert outbox_store.depth(engine, clock()).pending == 0

    clock.advance(seconds=1)
    assert outbox_store.depth(engine, clock()).pending == 3
    deliver(engine, clock, recorder)
    deliver(engine, clock, recorder)
    day_before = WEDNESDAY - timedelta(hours=24)
    assert sent_reminders(recorder) == sorted(
        [(PROVIDER, day_before), (REVIEWER_EMAIL, day_before), (HOOK, day_before)]
    )

    clock.instant = WEDNESDAY - timedelta(minutes=30)  # a worker back after an outage
    deliver(engine, clock, recorder)
    late = clock()
    everyone = (PROVIDER, REVIEWER_EMAIL, HOOK)
    assert sent_reminders(recorder) == sorted(
        [(to, day_before) for to in everyone] + [(to, late) for to in everyone]
    )
    assert reminders(engine, booking_id) == []  # all sent


async def test_each_person_reads_the_time_in_their_own_zone(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    booking_id = await wednesday_call(client)
    rows = [row for row in reminders(engine, booking_id) if row.channel == "email"]
    messages = {
        row.recipient: render_email(EmailRecipe.from_json(row.body))
        for row in rows
        if row.next_attempt_at == WEDNESDAY - timedelta(hours=24)
    }
    provider, reviewer = messages[PROVIDER], messages[REVIEWER_EMAIL]

    assert provider["Subject"] == (
        "Reminder: P2P: case R1 (Reconsideration P2P) at Wed 11/25/2026 9:00 am CST"
    )
    assert reviewer["Subject"] == (
        "Reminder: P2P: case R1 (Reconsideration P2P) at Wed 11/25/2026 10:00 am EST"
    )
    plain = text_of(provider)
    lines = plain.splitlines()
    assert lines[0] == "Reminder: your peer-to-peer consultation is in 24 hours."
    assert "When: Wed 11/25/2026 9:00 am CST (15 minutes)" in lines
    assert "The reviewer will call: (555) 555-0100 ext. 123" in lines
    assert "Reviewer: Dr. rev-a, MD" in lines
    assert any(
        line.startswith("Reschedule or cancel: http://testserver/v1/bookings/") for line in lines
    )
    assert '<a href="http://testserver/v1/bookings/' in text_of(provider, "html")

    reviewer_lines = text_of(reviewer).splitlines()
    assert "When: Wed 11/25/2026 10:00 am EST (15 minutes)" in reviewer_lines
    assert "The reviewer will call: (555) 555-0100 ext. 123" in reviewer_lines
    assert not any("Reschedule or cancel" in line for line in reviewer_lines)

    for message in (provider, reviewer):
        assert not [part for part in message.walk() if "calendar" in part.get_content_type()]
        for secret in (MEMBER_NAME, MEMBER_ID, MEMBER_DOB):
            assert secret not in str(message), secret


async def test_portals_get_a_reminder_webhook_with_the_lead_and_the_booking(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    booking_id = await wednesday_call(client)
    hooks = [json.loads(r.body) for r in reminders(engine, booking_id) if r.channel == "webhook"]
    assert [(hook["type"], hook["lead"]) for hook in hooks] == [
        ("booking.reminder", "PT24H"),
        ("booking.reminder", "PT1H"),
    ]
    day_before: dict[str, Any] = hooks[0]
    assert datetime.fromisoformat(day_before["created_at"]) == WEDNESDAY - timedelta(hours=24)
    assert day_before["data"] == await booking_of(client, booking_id)
    assert len({hook["id"] for hook in hooks}) == 2


async def test_no_reminders_when_the_leads_are_empty(
    database_url: str, engine: Engine, clock: Clock
) -> None:
    settings = load_settings(
        Settings,
        database_url=database_url,
        api_keys=TEST_API_KEYS,
        secret_key="test-secret-key-0123456789",
        base_url="http://testserver",
        auth_failures_per_minute=1_000_000,
        reminder_leads="",
    )
    app = create_app(settings, engine=engine, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        booking_id = await wednesday_call(http)
    assert reminders(engine, booking_id) == []


async def test_a_change_of_details_rewrites_the_reminders_still_to_come_and_keeps_a_due_one(
    client: httpx.AsyncClient, clock: Clock, engine: Engine
) -> None:
    await push_reviewer(client, "rev-a")
    held = {"status": "pending_info", "received_at": ny("2026-11-20", "09:00")}
    await push_case(client, "R1", **held, hold_due_at="2026-12-04", determination_at=None)
    made = await booked(client, "R1", "rev-a", ny("2026-11-25", "10:00"), time_zone=CHICAGO)
    clock.instant = WEDNESDAY - timedelta(hours=23)  # the day-before ones are due, not sent

    # the case is denied: the call becomes a reconsideration (SPEC §14), the invite updated
    await push_case(
        client,
        "R1",
        status="denied",
        received_at=ny("2026-11-20", "09:00"),
        determination_at=ny("2026-11-24", "08:00"),
        post_decision_delegated=True,
    )
    rows = reminders(engine, made["id"])
    assert plan(rows) == planned_for(WEDNESDAY, timedelta(hours=24), timedelta(hours=1))
    levels = {
        row.next_attempt_at: EmailRecipe.from_json(row.body).event.levels_of_review
        for row in rows
        if row.channel == "email"
    }
    assert levels == {
        WEDNESDAY - timedelta(hours=24): ("Pre-Decision P2P",),  # written before: kept
        WEDNESDAY - timedelta(hours=1): ("Reconsideration P2P",),
    }
    recorder = Recorder()
    deliver(engine, clock, recorder)
    assert len(sent_reminders(recorder)) == 3  # the day-before ones, once each
