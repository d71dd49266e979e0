"""The outcome reaches the provider (SPEC §14): a completed booking carries ``outcome {code,
label, recorded_at}`` in every answer and in the ``booking.completed`` webhook, and the
provider gets one e-mail with the outcome's label and what happens next; the reviewer's
notes stay internal.

NOW is Monday 2026-11-23T15:00Z. The booking is Tuesday 10:00 New York = 09:00 Chicago, made
by a provider in Chicago; the reviewer records the outcome at 10:20 New York. Nothing
delivers the outbox here: each webhook and e-mail is read from the row its change wrote, the
e-mail rendered with ``render_email`` as the worker would.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from p2p_scheduler.config import Settings
from p2p_scheduler.db.tables import OutboxRow
from p2p_scheduler.services.notifications import EmailRecipe, render_email
from tests.api.helpers import (
    ADMIN,
    CHICAGO,
    MEMBER_DOB,
    MEMBER_ID,
    MEMBER_NAME,
    PORTAL,
    REVIEWER,
    Clock,
    assert_problem,
    booked,
    booking_of,
    complete,
    ny,
    push_case,
    push_reviewer,
)
from tests.support import WEBHOOK_SECRET, settings_for_tests

pytestmark = pytest.mark.anyio

HOOK = "http://hooks.example.org/p2p"
NOTES = "Internal: Dr. X conceded the imaging was early; see chart note 42."
PROVIDER = "olive.orderly@clinic.example.org"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for_tests(database_url, webhook_urls=HOOK, webhook_secret=WEBHOOK_SECRET)


@pytest.fixture
def client(client_at_clock: httpx.AsyncClient) -> httpx.AsyncClient:
    return client_at_clock


def outbox(engine: Engine, booking_id: str, channel: str) -> list[OutboxRow]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(OutboxRow)  # type: ignore[call-overload]
            .where(OutboxRow.channel == channel, OutboxRow.booking_id == booking_id)
            .order_by(OutboxRow.created_at)
        ).all()
    return list(rows)


def outcome_emails(engine: Engine, booking_id: str) -> list[EmailMessage]:
    """The outbox's outcome e-mails of the booking, rendered as the worker sends them."""
    rows = [r for r in outbox(engine, booking_id, "email") if r.event_type == "booking.completed"]
    return [render_email(EmailRecipe.from_json(row.body)) for row in rows]


def completed_hooks(engine: Engine, booking_id: str) -> list[dict[str, Any]]:
    hooks = [json.loads(row.body) for row in outbox(engine, booking_id, "webhook")]
    return [hook for hook in hooks if hook["type"] == "booking.completed"]


def text_of(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body((subtype,))
    assert part is not None, subtype
    return part.get_content()  # type: ignore[attr-defined]


async def completed_call(client: httpx.AsyncClient, clock: Clock, outcome: str) -> dict[str, Any]:
    await push_reviewer(client, "rev-a")
    await push_case(client, "R1")
    made = await booked(client, "R1", "rev-a", ny("2026-11-24", "10:00"), time_zone=CHICAGO)
    assert made["outcome"] is None  # nothing decided yet
    clock.advance(days=1, minutes=20)  # Tuesday 10:20 New York: the call has taken place
    response = await complete(client, made["id"], outcome, notes=NOTES)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_completed_booking_shows_its_outcome_but_never_the_notes(
    client: httpx.AsyncClient, clock: Clock, engine: Engine
) -> None:
    done = await completed_call(client, clock, "overturned")
    expected = {
        "code": "overturned",
        "label": "Decision overturned",
        "recorded_at": "2026-11-24T15:20:00Z",
    }
    assert done["outcome"] == expected
    shown = await booking_of(client, done["id"])
    assert shown["outcome"] == expected
    listed = await client.get("/v1/bookings", params={"status": "completed"}, headers=PORTAL)
    assert [item["outcome"] for item in listed.json()["items"]] == [expected]
    assert NOTES not in json.dumps(shown) and NOTES not in listed.text

    [hook] = completed_hooks(engine, done["id"])
    assert hook["data"]["outcome"] == expected
    assert hook["data"] == shown
    assert not any(NOTES in row.body for row in outbox(engine, done["id"], "webhook"))


@pytest.mark.parametrize(
    ("outcome", "label", "next_steps"),
    [
        ("upheld", "Decision upheld", "Your determination letter lists your appeal rights"),
        ("overturned", "Decision overturned", "The authorization letter will be faxed"),
        ("modified", "Decision modified", "will specify what has been approved"),
        ("information_only", "Discussed, decision unchanged", "does not change the decision"),
    ],
)
async def test_the_provider_gets_one_email_with_the_outcome_and_what_happens_next(
    client: httpx.AsyncClient,
    clock: Clock,
    engine: Engine,
    outcome: str,
    label: str,
    next_steps: str,
) -> None:
    done = await completed_call(client, clock, outcome)
    [message] = outcome_emails(engine, done["id"])
    assert message["To"] == PROVIDER
    assert message["Subject"] == f"P2P outcome: case R1 (Reconsideration P2P) — {label}"
    plain = text_of(message)
    lines = plain.splitlines()
    assert f"Outcome: {label}" in lines
    # the call's time in the provider's zone (Chicago), not the reviewer's
    assert "Call: Tue 11/24/2026 9:00 am CST (15 minutes)" in lines
    assert "What happens next:" in lines
    assert next_steps in plain
    assert "View this P2P request: http://testserver/v1/bookings/" in plain
    html = text_of(message, "html")
    assert f"<p>Outcome: {label}</p>" in html and next_steps in html
    # nothing to add to a calendar: the call is over
    assert not [part for part in message.walk() if "calendar" in part.get_content_type()]
    assert not [part for part in message.walk() if part.get_filename()]
    for secret in (NOTES, MEMBER_NAME, MEMBER_ID, MEMBER_DOB, "1970"):
        assert secret not in str(message), secret


async def test_the_reviewer_gets_no_outcome_email(
    client: httpx.AsyncClient, clock: Clock, engine: Engine
) -> None:
    done = await completed_call(client, clock, "upheld")
    recipients = [row.recipient for row in outbox(engine, done["id"], "email")]
    # the booking's two invites (provider, reviewer), then the provider's outcome e-mail
    assert recipients.count(PROVIDER) == 2
    assert recipients.count("rev-a@example.org") == 1


async def test_an_admins_correction_sends_one_corrected_email_and_webhook(
    client: httpx.AsyncClient, clock: Clock, engine: Engine
) -> None:
    done = await completed_call(client, clock, "upheld")
    # the reviewer's record is final for the reviewer; UM operations correct it
    again = await complete(client, done["id"], "overturned", headers=REVIEWER)
    assert_problem(again, 409, "invalid-transition")

    clock.advance(hours=2)
    corrected = await complete(client, done["id"], "overturned", headers=ADMIN, notes="fixed")
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["outcome"] == {
        "code": "overturned",
        "label": "Decision overturned",
        "recorded_at": "2026-11-24T17:20:00Z",
    }
    first, second = outcome_emails(engine, done["id"])
    assert first["Subject"].endswith("— Decision upheld")
    assert second["Subject"] == (
        "Corrected P2P outcome: case R1 (Reconsideration P2P) — Decision overturned"
    )
    assert "has been corrected" in text_of(second)
    hooks = completed_hooks(engine, done["id"])
    assert [hook["data"]["outcome"]["code"] for hook in hooks] == ["upheld", "overturned"]

    # the same code again only replaces the internal notes: nothing new for the provider
    same = await complete(client, done["id"], "overturned", headers=ADMIN, notes="typo")
    assert same.status_code == 200, same.text
    assert same.json()["outcome"] == corrected.json()["outcome"]
    assert len(outcome_emails(engine, done["id"])) == 2
    assert len(completed_hooks(engine, done["id"])) == 2


async def test_a_booking_that_was_not_completed_has_no_outcome(
    client: httpx.AsyncClient, clock: Clock, engine: Engine
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "R1")
    made = await booked(client, "R1", "rev-a", ny("2026-11-24", "10:00"))
    clock.advance(days=1, minutes=20)
    missed = await client.post(
        f"/v1/bookings/{made['id']}/no-show", json={"party": "provider"}, headers=REVIEWER
    )
    assert missed.status_code == 200, missed.text
    assert missed.json()["outcome"] is None
    assert outcome_emails(engine, made["id"]) == []
