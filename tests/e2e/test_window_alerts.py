"""``case.window_closing`` webhooks reach a real receiver exactly once per case and window with
two ``p2p-scheduler worker`` processes sharing the database (SPEC §12, issue 19), on SQLite
and on PostgreSQL.

The workers scan every second (``P2P_AT_RISK_SCAN_SECONDS=1``) on the system clock, so they
race for every case that enters the list; the ``window_alerts`` primary key lets one of them
write the webhook. Cases are pushed (by the app, in this process) after both workers are up:
five whose window closes within the default 24 hours and one further off; one held by a
booking is there from the start.
Then one of the five gets a new window (a new hold due time): one more webhook, for it alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from api.app import create_app
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import OutboxRow, WindowAlertRow
from p2p_scheduler.domain.clock import system_clock
from tests.api.helpers import (
    ADMIN,
    ALL_DAYS,
    MEMBER_DOB,
    MEMBER_ID,
    MEMBER_NAME,
    PORTAL,
    booking_body,
    case_body,
    reviewer_body,
)
from tests.api.helpers import weekly as weekly_hours
from tests.e2e.server import SCRIPT, cli_env, stop, wait_until
from tests.e2e.test_notifications import Hooks, _receiver
from tests.support import WEBHOOK_SECRET, settings_for_tests

pytestmark = pytest.mark.e2e

CLOSING = [f"W{n}" for n in range(1, 6)]


def _in_review(hold_due_at: datetime) -> dict[str, Any]:
    return case_body(
        status="in_review",
        determination_at=None,
        received_at=(hold_due_at - timedelta(days=3)).isoformat(),
        hold_due_at=hold_due_at.isoformat(),
    )


async def _push(
    database_url: str, engine: Engine, cases: dict[str, datetime], book: str = ""
) -> None:
    """Push ``cases`` (case number → hold due time) through the app on the system clock; with
    ``book``, that case is booked too (a reviewer working around the clock)."""
    app = create_app(
        settings_for_tests(database_url, min_notice_minutes=0, deliver_in_process=False),
        engine=engine,
        clock=system_clock,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        if book:
            reviewer = reviewer_body(working_hours=weekly_hours("00:00", "24:00", ALL_DAYS))
            answer = await http.put("/v1/reviewers/rev-a", json=reviewer, headers=ADMIN)
            assert answer.status_code in (200, 201), answer.text
        for number, due in cases.items():
            answer = await http.put(f"/v1/cases/{number}", json=_in_review(due), headers=ADMIN)
            assert answer.status_code in (200, 201), answer.text
        if book:
            now = datetime.now(UTC)
            start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
            body = booking_body(book, "rev-a", start.isoformat(), time_zone="America/Chicago")
            answer = await http.post("/v1/bookings", json=body, headers=PORTAL)
            assert answer.status_code == 201, answer.text


def _closing(hooks: Hooks) -> list[dict[str, Any]]:
    found = []
    for _, body in list(hooks.received):
        payload = json.loads(body)
        if payload["type"] == "case.window_closing":
            found.append(payload)
    return found


def test_two_workers_send_each_window_closing_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    hooks = Hooks()
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _receiver(hooks))
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    env = cli_env(
        P2P_DATABASE_URL=database_url,
        P2P_WEBHOOK_URLS=f"http://127.0.0.1:{receiver.server_port}/hooks/p2p",
        P2P_WEBHOOK_SECRET=WEBHOOK_SECRET,
        P2P_AT_RISK_SCAN_SECONDS="1",
        P2P_LOG_LEVEL="info",
    )
    workers: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
    now = datetime.now(UTC).replace(microsecond=0)
    due = {number: now + timedelta(hours=10 + n) for n, number in enumerate(CLOSING)}
    # HELD is booked before the workers start: pushed while they ran, it would be on the list
    # (rightly) for the moment between its PUT and its booking
    asyncio.run(_push(database_url, engine, {"HELD": now + timedelta(hours=10)}, book="HELD"))
    try:
        for log in logs:
            workers.append(
                subprocess.Popen(
                    [str(SCRIPT), "worker", "--poll-seconds", "0.1"],
                    env=env,
                    cwd=tmp_path,
                    stdout=log.open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
        wait_until(
            "both workers scanning",
            lambda: all("at-risk scan every 1 s" in log.read_text() for log in logs),
        )
        asyncio.run(_push(database_url, engine, {**due, "FAR": now + timedelta(hours=30)}))

        wait_until("five webhooks", lambda: len(_closing(hooks)) >= 5)
        time.sleep(3)  # three more scans by each worker: room for a duplicate to show up
        first = _closing(hooks)
        assert sorted(p["data"]["case_number"] for p in first) == CLOSING

        # W1 gets a new window: one more webhook, for W1 and its new window only
        moved = now + timedelta(hours=20)
        asyncio.run(_push(database_url, engine, {"W1": moved}))
        wait_until("the new window's webhook", lambda: len(_closing(hooks)) >= 6)
        time.sleep(3)
        assert all(worker.poll() is None for worker in workers)
    finally:
        for worker in workers:
            stop(worker)  # type: ignore[arg-type]
        receiver.shutdown()
        for log in logs:
            print(f"--- {log.name} ---\n{log.read_text(errors='replace')}")

    received = _closing(hooks)
    windows = Counter((p["data"]["case_number"], p["data"]["valid_until"]) for p in received)
    z = "%Y-%m-%dT%H:%M:%SZ"
    expected = {(number, at.strftime(z)) for number, at in due.items()} | {
        ("W1", moved.strftime(z))
    }
    assert set(windows) == expected and sorted(windows.values()) == [1] * 6, windows
    for payload in received:
        assert set(payload) == {"id", "type", "created_at", "data"}
        data = payload["data"]
        assert set(data) == {"case_number", "level_of_review", "valid_until", "hours_left"}
        assert data["level_of_review"] == "pre_decision"
        left = datetime.fromisoformat(data["valid_until"]) - datetime.fromisoformat(
            payload["created_at"]
        )
        assert data["hours_left"] == int(left.total_seconds() // 360) / 10
    assert len({p["id"] for p in received}) == 6
    # signed as every webhook is (SPEC §9), and no member data (SPEC §5)
    for headers, body in hooks.received:
        timestamp, signature = (
            part.split("=", 1)[1] for part in headers["p2p-signature"].split(",")
        )
        expected_signature = hmac.new(
            WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(signature, expected_signature)
        for phi in (MEMBER_NAME, MEMBER_DOB, MEMBER_ID):
            assert phi not in body.decode()
    with transaction(engine) as session:
        alerts = session.scalar(select(func.count()).select_from(WindowAlertRow))
        rows = session.scalars(
            select(OutboxRow).where(OutboxRow.event_type == "case.window_closing")  # type: ignore[arg-type]
        ).all()
    assert alerts == 6
    assert len(rows) == 6 and all(row.sent_at is not None for row in rows)
