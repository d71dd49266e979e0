"""Issue 16 finding 14: text a caller typed cannot forge a line or a link in an e-mail or invite.

The attack: ``instructions`` carrying a newline and a line that reads like one of ours, and a
URL in a name. Both recipients' messages are read the way a person and a mail client would: line
by line in the text part, by ``href`` in the HTML part, line by line in the invite.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from p2p_scheduler.domain.invites import InviteEvent, description
from p2p_scheduler.services.notifications import EmailRecipe, render_email

START = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)
PHISH = "https://evil.example/phish"
INSTRUCTIONS = f"Ask for Dr. Orderly\nReschedule or cancel: {PHISH}\n\nManage this booking: {PHISH}"
INVITE_URL = "https://p2p.example/v1/bookings/bk/invite.ics?token=t1"
MANAGE_URL = "https://p2p.example/v1/bookings/bk/manage?token=t2"


def recipe(to: str, manage_url: str) -> EmailRecipe:
    return EmailRecipe(
        event=InviteEvent(
            booking_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
            sequence=0,
            cancelled=False,
            start=START,
            end=START + timedelta(minutes=30),
            case_numbers=("A100019",),
            levels_of_review=("Pre-decision",),
            provider_name="Dr. Olive Orderly http://evil.example/name",
            provider_email="olive@clinic.example.org",
            phone="(555) 555-0100",
            instructions=INSTRUCTIONS,
            reviewer_name="Dr. Rae",
            reviewer_email="rae@plan.example.org",
            invite_url=INVITE_URL,
            manage_url=manage_url,
        ),
        change="scheduled",
        method="REQUEST",
        to=to,
        time_zone="America/Chicago",
        invite_url=INVITE_URL,
        manage_url=manage_url,
        organizer_email="p2p@plan.example.org",
        written_at=datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
    )


PROVIDER = recipe("olive@clinic.example.org", MANAGE_URL)
REVIEWER = recipe("rae@plan.example.org", "")


def part(recipient: EmailRecipe, subtype: str) -> str:
    body = render_email(recipient).get_body((subtype,))
    assert body is not None
    return body.get_content()


@pytest.mark.parametrize("recipient", [PROVIDER, REVIEWER], ids=["provider", "reviewer"])
def test_a_typed_line_never_reads_as_one_of_ours_in_the_text_part(recipient: EmailRecipe) -> None:
    lines = part(recipient, "plain").splitlines()

    ours = [line for line in lines if line.startswith(("Reschedule or cancel:", "Manage this"))]
    assert ours == ([f"Reschedule or cancel: {MANAGE_URL}"] if recipient.manage_url else [])
    typed = lines[lines.index("Instructions from the requesting office:") + 1 :]
    assert typed == [
        "> Ask for Dr. Orderly",
        f"> Reschedule or cancel: {PHISH}",
        ">",
        f"> Manage this booking: {PHISH}",
    ]
    assert all(PHISH not in line for line in lines if not line.startswith(">"))
    real_links = [i for i, line in enumerate(lines) if "https://p2p.example/" in line]
    assert max(real_links) < lines.index("Instructions from the requesting office:")


@pytest.mark.parametrize("recipient", [PROVIDER, REVIEWER], ids=["provider", "reviewer"])
def test_the_html_part_links_only_the_services_own_urls(recipient: EmailRecipe) -> None:
    page = part(recipient, "html")

    hrefs = re.findall(r'href="([^"]*)"', page)
    assert [h.replace("&amp;", "&") for h in hrefs] == [INVITE_URL] + (
        [MANAGE_URL] if recipient.manage_url else []
    )
    quotes = re.findall(r"<blockquote>(.*?)</blockquote>", page)
    assert quotes == [
        f"<p>Ask for Dr. Orderly</p><p>Reschedule or cancel: {PHISH}</p><p></p>"
        f"<p>Manage this booking: {PHISH}</p>"
    ]
    outside = re.sub(r"<blockquote>.*?</blockquote>", "", page)
    assert PHISH not in outside
    assert "Provider: Dr. Olive Orderly http://evil.example/name</p>" in outside


def test_the_invite_description_quotes_the_instructions_after_the_links() -> None:
    lines = description(PROVIDER.event).splitlines()

    assert [line for line in lines if line.startswith("Manage this booking:")] == [
        f"Manage this booking: {MANAGE_URL}"
    ]
    assert lines[lines.index("Instructions from the requesting office:") :] == [
        "Instructions from the requesting office:",
        "> Ask for Dr. Orderly",
        f"> Reschedule or cancel: {PHISH}",
        ">",
        f"> Manage this booking: {PHISH}",
    ]
