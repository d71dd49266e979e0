"""Reminders reach a real SMTP server exactly once with two ``p2p-scheduler worker`` processes
sharing the database (SPEC §11), on SQLite and on PostgreSQL.

The workers run on the system clock, which a test cannot move; so the booking is made (by the
app, in this process) with leads measured from its start such that two reminders fall due a
few seconds later and a third lead has already passed. The two workers, started before any
reminder is due, race for every message; each (reminder, recipient) must arrive once, and the
passed lead never.
"""

from __future__ import annotations

import asyncio
import email
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from api.app import create_app
from p2p_scheduler.config import Settings, load_settings
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import OutboxRow
from p2p_scheduler.domain.clock import system_clock
from tests.api.helpers import ADMIN, ALL_DAYS, PORTAL, booking_body, case_body, reviewer_body
from tests.api.helpers import weekly as weekly_hours
from tests.e2e.server import SCRIPT, cli_env, smtp_server, stop, wait_until
from tests.e2e.test_notifications import Mailbox
from tests.support import TEST_API_KEYS

pytestmark = pytest.mark.e2e

PROVIDER = "olive.orderly@clinic.example.org"  # contact_body()'s
REVIEWER = "ada.reviewer@example.org"  # reviewer_body()'s
GRID = timedelta(minutes=15)


def _lead(length: timedelta) -> str:
    return f"PT{int(length.total_seconds())}S"


async def _book(settings: Settings, engine: Engine, start: datetime) -> str:
    """A reviewer working around the clock, one pre-decision case, and its booking at
    ``start``, made through the app on the system clock."""
    app = create_app(settings, engine=engine, clock=system_clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        reviewer = reviewer_body(working_hours=weekly_hours("00:00", "24:00", ALL_DAYS))
        answer = await http.put("/v1/reviewers/rev-a", json=reviewer, headers=ADMIN)
        assert answer.status_code == 201, answer.text
        now = datetime.now(UTC)
        case = case_body(
            status="in_review",
            determination_at=None,
            received_at=(now - timedelta(hours=1)).isoformat(),
            hold_due_at=(now + timedelta(days=21)).isoformat(),
        )
        answer = await http.put("/v1/cases/E1", json=case, headers=ADMIN)
        assert answer.status_code == 201, answer.text
        body = booking_body("E1", "rev-a", start.isoformat(), time_zone="America/Chicago")
        answer = await http.post("/v1/bookings", json=body, headers=PORTAL)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])


def _reminder_rows(engine: Engine, booking_id: str) -> list[Any]:
    with transaction(engine) as session:
        rows = session.exec(select(OutboxRow).where(OutboxRow.booking_id == booking_id))  # type: ignore[arg-type]
        return [row for row in rows.scalars() if row.event_type == "booking.reminder"]  # type: ignore[attr-defined]


def test_two_workers_send_each_reminder_once_and_none_for_a_passed_lead(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as smtp_url:
        env = cli_env(
            P2P_DATABASE_URL=database_url,
            P2P_SMTP_URL=smtp_url,
            P2P_OUTBOX_LEASE_SECONDS="30",
            P2P_LOG_LEVEL="info",
        )
        workers: list[subprocess.Popen[bytes]] = []
        try:
            for n in (1, 2):
                log = (tmp_path / f"worker-{n}.log").open("wb")
                workers.append(
                    subprocess.Popen(
                        [str(SCRIPT), "worker", "--poll-seconds", "0.1"],
                        env=env,
                        cwd=tmp_path,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            now = datetime.now(UTC)
            start = now + 2 * GRID - (now - datetime(2026, 1, 1, tzinfo=UTC)) % GRID
            # two reminders due 4 and 6 seconds from now; the third lead is already past
            soon, later = start - (now + timedelta(seconds=4)), start - (now + timedelta(seconds=6))
            passed = start - (now - timedelta(minutes=1))
            settings = load_settings(
                Settings,
                database_url=database_url,
                api_keys=TEST_API_KEYS,
                secret_key="test-secret-key-0123456789",
                base_url="http://testserver",
                min_notice_minutes=0,
                deliver_in_process=False,
                reminder_leads=",".join(_lead(x) for x in (soon, later, passed)),
            )
            booking_id = asyncio.run(_book(settings, engine, start))
            assert len(_reminder_rows(engine, booking_id)) == 4  # 2 leads × 2 people

            def reminders() -> Counter[tuple[str, str]]:
                found: Counter[tuple[str, str]] = Counter()
                for _, recipients, content in mailbox.messages:
                    message = email.message_from_bytes(content, policy=default_policy)
                    # a subject of 70-odd characters is folded before its first word; a
                    # reader unfolds it, and so does this (strip)
                    if str(message["Subject"]).strip().startswith("Reminder"):
                        found.update((rcpt, str(message["Date"])) for rcpt in recipients)
                return found

            wait_until("both leads' reminders", lambda: sum(reminders().values()) >= 4, 60)
            time.sleep(1.5)  # room for a duplicate to show up
            assert all(worker.poll() is None for worker in workers)
        finally:
            for worker in workers:
                stop(worker)  # type: ignore[arg-type]
    received = reminders()
    assert sorted(received.values()) == [1, 1, 1, 1], received
    assert sorted(rcpt for rcpt, _ in received) == sorted([PROVIDER, PROVIDER, REVIEWER, REVIEWER])
    rows = _reminder_rows(engine, booking_id)
    assert len(rows) == 4 and all(row.sent_at is not None for row in rows)
    assert all(row.sent_at >= row.next_attempt_at for row in rows)
    invites = [m for m in mailbox.messages if b"Subject: Scheduled:" in m[2]]
    assert len(invites) == 2  # the booking's own e-mails, once each too
