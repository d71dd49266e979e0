"""``p2p-scheduler optimize``: one run from the command line books the pending requests."""

from __future__ import annotations

import json
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import BookingRow, OutboxRow
from p2p_scheduler.domain.model import CaseStatus, Weekday, WorkingHours
from p2p_scheduler.domain.policy import load_policy
from p2p_scheduler.services import p2p_requests, records
from p2p_scheduler.services.booking import BookingView, Contact, Limits
from tests.db.factories import POLICY_ZONE, make_case, make_reviewer
from tests.e2e.server import SCRIPT, cli_env, run_cli, wait_until

pytestmark = pytest.mark.e2e


def _pending_request(engine: Engine) -> BookingView:
    """A reviewer free around the clock and one pending request she qualifies for."""
    now = datetime.now(UTC)
    every_day = tuple(WorkingHours(day, "00:00", "24:00") for day in Weekday)
    records.put_reviewer(
        actor="admin-1",
        now=now,
        engine=engine,
        profile=make_reviewer(working_hours=every_day, max_consults_per_day=96),
    )
    case = make_case(
        "OPT-1",
        status=CaseStatus.IN_REVIEW,
        received_at=now - timedelta(hours=1),
        hold_due_at=now + timedelta(days=10),
        determination_at=None,
        determined_by=None,
        appeal_filed_at=None,
        date_of_service=None,
        retrospective=False,
        additional_info_received_at=None,
        skill="msk_spine",
    )
    records.put_case(actor="admin-1", now=now, engine=engine, case=case, policy_zone=POLICY_ZONE)
    pending = p2p_requests.submit(
        engine=engine,
        policy=load_policy(None),
        limits=Limits(),
        now=now,
        cases=((case.case_number, case.member.dob),),
        time_zone="America/New_York",
        days=frozenset(Weekday),
        hours=frozenset(range(24)),
        contact=Contact(
            provider_name="Dr. Olive Orderly",
            provider_role="ordering_provider",
            phone="+12155550100",
            email="olive@clinic.example.org",
        ),
        actor="test",
    )
    return pending


def test_optimize_books_pending_requests_and_announces_them(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    pending = _pending_request(engine)

    result = run_cli(
        "optimize",
        "--time-limit",
        "5",
        env=cli_env(P2P_DATABASE_URL=database_url, P2P_SECRET_KEY="cli-secret-0123456789abc"),
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["assigned"] == [pending.id]
    assert report["unassigned"] == []
    assert report["status"] in {"optimal", "feasible"}
    with transaction(engine) as session:
        row = session.get(BookingRow, pending.id)
        assert row is not None and row.status == "scheduled" and row.start_at is not None
        assert row.start_at >= now + timedelta(minutes=Limits().min_notice_minutes)
        emails = (
            session.exec(select(OutboxRow).where(OutboxRow.booking_id == pending.id))
            .scalars()
            .all()
        )  # type: ignore[attr-defined]
    invited = [m.recipient for m in emails if m.event_type == "booking.scheduled"]
    assert sorted(invited) == sorted(["olive@clinic.example.org", make_reviewer().email])
    # and its reminders planned (SPEC §11): at least the hour-ahead ones, to both people
    reminded = [m.recipient for m in emails if m.event_type == "booking.reminder"]
    assert set(reminded) == set(invited)


def test_the_worker_runs_the_optimizer_periodically_and_stops_on_sigterm(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    pending = _pending_request(engine)
    env = cli_env(
        P2P_DATABASE_URL=database_url,
        P2P_SECRET_KEY="cli-secret-0123456789abc",
        P2P_OPTIMIZER_INTERVAL_SECONDS="1",
        P2P_OPTIMIZER_TIME_LIMIT_SECONDS="5",
    )
    worker = subprocess.Popen([str(SCRIPT), "worker"], env=env, cwd=tmp_path)
    try:

        def scheduled() -> bool:
            with transaction(engine) as session:
                row = session.get(BookingRow, pending.id)
                return row is not None and row.status == "scheduled"

        wait_until("the periodic optimizer run to book the request", scheduled, 60)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
