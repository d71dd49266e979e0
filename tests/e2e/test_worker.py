"""``p2p-scheduler worker`` as a process: killed mid-delivery, a restarted worker delivers.

The message is written to the outbox as a booking change writes it; the first worker is
SIGKILLed while the SMTP server is still receiving from it (between claim and settle), and
a second worker delivers the message once the first one's lease has lapsed.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from p2p_scheduler.db import outbox_store
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.outbox_store import Message
from p2p_scheduler.db.tables import OutboxRow
from p2p_scheduler.domain.clock import system_clock
from tests.e2e.server import SCRIPT, cli_env, smtp_server, wait_until
from tests.support import email_recipe

pytestmark = pytest.mark.e2e


@dataclass
class StallingMailbox:
    """Stalls on the first message (the worker is killed meanwhile), accepts the rest."""

    seen: int = 0
    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        if self.seen == 1:
            await asyncio.sleep(10)
            return "451 4.3.0 too late"
        self.received.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[StallingMailbox, str]]:
    box = StallingMailbox()
    with smtp_server(box) as url:
        yield box, url


def _row(engine: Engine) -> OutboxRow:
    with transaction(engine) as session:
        return session.exec(select(OutboxRow)).scalars().one()  # type: ignore[attr-defined]


def test_killed_worker_loses_nothing_and_sigterm_stops_cleanly(
    engine: Engine, database_url: str, smtp: tuple[StallingMailbox, str], tmp_path: Path
) -> None:
    box, url = smtp
    with transaction(engine) as session:
        outbox_store.add(
            session,
            [
                Message(
                    "email",
                    "e-1",
                    "booking.scheduled",
                    None,
                    "dr@x.example",
                    email_recipe("dr@x.example", "W0001", written_at=system_clock()),
                )
            ],
            now=system_clock(),
        )
    env = cli_env(
        P2P_DATABASE_URL=database_url,
        P2P_SMTP_URL=url,
        P2P_OUTBOX_LEASE_SECONDS="2",
        P2P_LOG_LEVEL="info",
    )
    command = [str(SCRIPT), "worker", "--poll-seconds", "0.1"]

    first = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE)
    try:
        wait_until("the first worker to start sending", lambda: box.seen >= 1)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    stuck = _row(engine)
    assert stuck.sent_at is None and stuck.locked_until is not None and stuck.attempts == 1

    second = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        wait_until("the second worker to deliver", lambda: len(box.received) == 1)
        wait_until("the message to be marked sent", lambda: _row(engine).sent_at is not None, 10)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=10) == 0
    finally:
        if second.poll() is None:
            second.kill()
    delivered = _row(engine)
    assert delivered.attempts == 2 and delivered.last_error == ""
    assert b"Subject: Scheduled: P2P: case W0001 (Pre-decision)" in box.received[0]
