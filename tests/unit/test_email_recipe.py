"""An email kept in the outbox as a recipe renders the same after a JSON round trip."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from p2p_scheduler.domain.invites import InviteEvent
from p2p_scheduler.services.notifications import EmailRecipe, render_email

START = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


def recipe() -> EmailRecipe:
    return EmailRecipe(
        event=InviteEvent(
            booking_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
            sequence=2,
            cancelled=True,
            start=START,
            end=START + timedelta(minutes=30),
            case_numbers=("A100019", "A100020"),
            levels_of_review=("Pre-decision", "Pre-decision"),
            provider_name="Dr. Olive Orderly",
            provider_email="olive@clinic.example.org",
            phone="(555) 555-0100",
            phone_ext="12",
            reviewer_name="Dr. Rae",
            reviewer_email="rae@plan.example.org",
        ),
        change="cancelled",
        method="CANCEL",
        to="rae@plan.example.org",
        time_zone="America/Los_Angeles",
        invite_url="http://p2p.example/v1/bookings/x/invite.ics?token=t",
        manage_url="",
        organizer_email="p2p@plan.example.org",
        written_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    )


def test_round_trip_is_lossless() -> None:
    assert EmailRecipe.from_json(recipe().to_json()) == recipe()


def test_rendered_cancel_for_the_reviewer_in_their_zone() -> None:
    message = render_email(EmailRecipe.from_json(recipe().to_json()))
    assert message["Subject"] == "Cancelled: P2P: cases A100019, A100020 (Pre-decision)"
    assert message["To"] == "rae@plan.example.org"
    text = message.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "When: Tue 12/1/2026 3:30 pm PST (30 minutes)" in body
    assert "The reviewer will call: (555) 555-0100 ext. 12" in body
    assert "Reschedule or cancel" not in body
    calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "CANCEL"
    raw = calendar.get_payload(decode=True)
    assert b"METHOD:CANCEL\r\n" in raw and b"STATUS:CANCELLED\r\n" in raw
    assert b"DTSTART;TZID=America/Los_Angeles:20261201T153000\r\n" in raw
    assert b"SEQUENCE:2\r\n" in raw


def test_a_recipe_written_before_outcome_emails_still_renders() -> None:
    """Rows already in the outbox when the outcome fields arrived lack them."""
    raw = json.loads(recipe().to_json())
    del raw["outcome_label"], raw["next_steps"]
    old = EmailRecipe.from_json(json.dumps(raw))
    assert old == recipe()
    assert render_email(old)["Subject"].startswith("Cancelled: ")


def test_an_outcome_email_in_the_html_part_links_only_the_manage_url() -> None:
    """The policy's words are text; the one link is the service's own (SPEC §9)."""
    outcome = replace(
        recipe(),
        change="completed",
        method="",
        to="olive@clinic.example.org",
        invite_url="",
        manage_url="http://p2p.example/v1/bookings/x?token=m",
        outcome_label="Decision <b>upheld</b>",
        next_steps="See https://evil.example/ and <a href='x'>here</a>.",
    )
    message = render_email(EmailRecipe.from_json(outcome.to_json()))
    assert message["Subject"] == (
        "P2P outcome: cases A100019, A100020 (Pre-decision) — Decision <b>upheld</b>"
    )
    html = message.get_body(("html",))
    assert html is not None
    content = html.get_content()
    assert (
        content.count("<a ") == 1 and 'href="http://p2p.example/v1/bookings/x?token=m"' in content
    )
    assert "&lt;a href=&#x27;x&#x27;&gt;here&lt;/a&gt;" in content
    assert "When:" not in content and "Call: Tue 12/1/2026 3:30 pm PST (30 minutes)" in content
