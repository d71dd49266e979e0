"""``serve --demo`` without an SMTP server writes every e-mail it sends into ``./demo-mail/``
as an ``.eml`` file, and says so when it starts: a first-time user can read the invites."""

from __future__ import annotations

import email
from email.message import Message
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import cli_env, start_server, stop, wait_until

pytestmark = pytest.mark.e2e

PORTAL = {"Authorization": "Bearer demo-portal-key"}
CASES = [{"case_number": "A100001", "member_dob": "1962-04-17"}]
WEEK = {
    "cases": CASES,
    "time_zone": "America/New_York",
    "preferences": {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": list(range(7, 19))},
}


def _book_next_week(base: str) -> dict[str, object]:
    first = httpx.post(f"{base}/v1/availability", headers=PORTAL, json=WEEK, timeout=10).json()
    week = httpx.post(
        f"{base}/v1/availability",
        headers=PORTAL,
        json={**WEEK, "week_start": first["next_week_start"]},
        timeout=10,
    ).json()
    reviewer = week["tiers"][0]["reviewers"][0]
    start = next(slot["start"] for day in reviewer["days"] for slot in day["slots"])
    booked = httpx.post(
        f"{base}/v1/bookings",
        headers={**PORTAL, "Idempotency-Key": "demo-mail-1"},
        json={
            "cases": CASES,
            "reviewer_id": reviewer["reviewer_id"],
            "start": start,
            "time_zone": "America/New_York",
            "contact": {
                "provider_name": "Dr. Jane Doe",
                "provider_role": "ordering_provider",
                "phone": "(555) 555-5555",
                "email": "droffice@example.org",
            },
        },
        timeout=10,
    )
    assert booked.status_code == 201, booked.text
    return booked.json()


def _calendar_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("the e-mail carries no text/calendar invite")


def test_demo_writes_the_booking_invite_into_the_mail_folder(tmp_path: Path) -> None:
    server = start_server(tmp_path, cli_env(), "--demo")
    folder = tmp_path / "demo-mail"
    try:
        assert f"E-mails: written to {folder}/ as .eml files" in server.output()
        booking = _book_next_week(server.base_url)

        def invite() -> Path | None:
            for path in sorted(folder.glob("*.eml")) if folder.is_dir() else []:
                message = email.message_from_bytes(path.read_bytes())
                if (
                    message["To"] == "droffice@example.org"
                    and str(booking["id"]) in path.read_text()
                ):
                    return path
            return None

        wait_until("the booking's invite in demo-mail/", invite, seconds=20)
        path = invite()
        assert path is not None
        message = email.message_from_bytes(path.read_bytes())
        assert "A100001" in str(message["Subject"])
        calendar = _calendar_part(message)
        assert "METHOD:REQUEST" in calendar
        assert not list(folder.glob(".*.part")), "no half-written file is left behind"
    finally:
        stop(server.process)


def test_demo_with_an_smtp_server_writes_no_mail_folder(tmp_path: Path) -> None:
    server = start_server(tmp_path, cli_env(P2P_SMTP_URL="smtp://127.0.0.1:9"), "--demo")
    try:
        assert "E-mails: written to" not in server.output()
    finally:
        stop(server.process)
    assert not (tmp_path / "demo-mail").exists()
