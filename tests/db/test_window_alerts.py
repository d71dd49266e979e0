"""``case.window_closing`` webhooks are written once per case and window, whoever scans
(SPEC §12): the ``window_alerts`` primary key decides, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import OutboxRow, WindowAlertRow
from p2p_scheduler.domain.model import CaseStatus, Urgency
from p2p_scheduler.domain.policy import load_policy
from p2p_scheduler.services import at_risk, records
from tests.db.factories import POLICY_ZONE, make_case

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
URLS = ["http://portal-a.example/hooks", "http://portal-b.example/hooks"]
POLICY = load_policy(None)


def _put(engine: Engine, number: str, hold_due_at: datetime) -> None:
    case = make_case(
        number,
        status=CaseStatus.IN_REVIEW,
        urgency=Urgency.STANDARD,
        received_at=NOW - timedelta(days=3),
        hold_due_at=hold_due_at,
        additional_info_received_at=None,
        determination_at=None,
        appeal_filed_at=None,
        retrospective=False,
    )
    records.put_case(engine=engine, case=case, policy_zone=POLICY_ZONE, actor="admin-1", now=NOW)


def _announce(engine: Engine, now: datetime = NOW) -> int:
    return at_risk.announce(engine=engine, policy=POLICY, now=now, within=DAY, webhook_urls=URLS)


def _webhooks(engine: Engine) -> list[tuple[str, dict]]:
    with transaction(engine) as session:
        rows = session.scalars(
            select(OutboxRow).where(OutboxRow.event_type == "case.window_closing")  # type: ignore[arg-type]
        ).all()
        return [(row.recipient, json.loads(row.body)) for row in rows]


def test_each_window_is_announced_once_to_every_portal_and_a_new_window_again(
    engine: Engine,
) -> None:
    _put(engine, "W1", NOW + timedelta(hours=10))
    _put(engine, "W2", NOW + timedelta(hours=3, minutes=59))
    _put(engine, "LATER", NOW + timedelta(hours=30))
    assert _announce(engine) == 2
    assert _announce(engine, NOW + timedelta(minutes=1)) == 0  # nothing new
    found = _webhooks(engine)
    assert sorted((url, body["data"]["case_number"]) for url, body in found) == sorted(
        (url, number) for url in URLS for number in ("W1", "W2")
    )
    w2 = next(body for _, body in found if body["data"]["case_number"] == "W2")
    assert w2["type"] == "case.window_closing" and w2["created_at"] == NOW.isoformat()
    assert w2["data"] == {
        "case_number": "W2",
        "level_of_review": "pre_decision",
        "valid_until": "2026-11-23T18:59:00Z",
        "hours_left": 3.9,
    }
    # both portals get the same event id, so a receiver may de-duplicate across them
    assert len({body["id"] for _, body in found}) == 2

    # LATER enters the list when its window is a day away; W1's new window is announced anew
    _put(engine, "W1", NOW + timedelta(hours=12))
    assert _announce(engine, NOW + timedelta(hours=6, minutes=1)) == 2
    announced = [body["data"] for url, body in _webhooks(engine) if url == URLS[0]]
    assert sorted((d["case_number"], d["valid_until"]) for d in announced) == [
        ("LATER", "2026-11-24T21:00:00Z"),
        ("W1", "2026-11-24T01:00:00Z"),
        ("W1", "2026-11-24T03:00:00Z"),
        ("W2", "2026-11-23T18:59:00Z"),
    ]


def test_concurrent_scans_write_each_announcement_once(engine: Engine) -> None:
    for n in range(12):
        _put(engine, f"C{n:02}", NOW + timedelta(hours=1 + n))
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def scan(offset: int) -> None:
        start.wait()
        try:
            counts.append(_announce(engine, NOW + timedelta(seconds=offset)))
        except BaseException as error:  # a lost race must not be an error either
            errors.append(error)

    threads = [threading.Thread(target=scan, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and sum(counts) == 12, (counts, errors)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(WindowAlertRow)) == 12
    assert len(_webhooks(engine)) == 12 * len(URLS)
