"""The demo's past P2Ps stored by ``records.load_if_empty`` on SQLite and PostgreSQL, read back
by the operations report (SPEC §12): the report counts exactly what the history holds."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from p2p_scheduler.domain.model import Weekday
from p2p_scheduler.services import records, reports
from p2p_scheduler.tools.demo import demo_cases, demo_reviewers
from p2p_scheduler.tools.demo_history import demo_history
from tests.db.factories import POLICY_ZONE

NOW = datetime(2026, 12, 5, 21, 33, tzinfo=UTC)


def test_the_report_counts_the_demo_history_exactly(engine: Engine) -> None:
    reviewers = demo_reviewers()
    history = demo_history(NOW, reviewers)
    cases = demo_cases(NOW) + history.cases
    stored = records.load_if_empty(
        engine=engine, reviewers=reviewers, cases=cases, past=history.p2ps
    )
    assert stored == len(reviewers) + len(cases)
    # a second start finds data and loads nothing (not even the history again)
    assert (
        records.load_if_empty(engine=engine, reviewers=reviewers, cases=[], past=history.p2ps) == 0
    )

    answer = reports.p2p_report(
        engine=engine,
        first=(NOW - timedelta(days=200)).date(),
        last=NOW.date(),
        group_by=None,
        policy_zone=POLICY_ZONE,
    )
    [group] = answer.groups
    finals = [p2p.booking for p2p in history.p2ps]
    assert group.bookings == len(finals)
    assert (group.scheduled, group.pending) == (0, 0)
    assert group.completed == sum(b.status == "completed" for b in finals)
    assert group.outcomes == {
        code: n for code, n in Counter(b.outcome for b in finals if b.outcome).items()
    }
    assert group.no_show == dict(Counter(b.no_show_party for b in finals if b.no_show_party))
    assert group.cancelled == dict(
        Counter(b.cancel_reason_code for b in finals if b.cancel_reason_code)
    )
    moves = sum(step.event == "rescheduled" for p2p in history.p2ps for step in p2p.steps)
    assert group.mean_reschedules == round(moves / len(finals), 4)
    asked = [b for b in finals if b.preferred_days is not None]
    inside = 0
    for b in asked:
        local = b.start_at.astimezone(ZoneInfo(b.time_zone))  # type: ignore[union-attr]
        on_day = list(Weekday)[local.weekday()] in (b.preferred_days or ())
        inside += on_day and local.hour in (b.preferred_hours or ())
    assert group.preferred_window_share == round(inside / len(asked), 4)

    by_state = reports.p2p_report(
        engine=engine,
        first=(NOW - timedelta(days=200)).date(),
        last=NOW.date(),
        group_by="state",
        policy_zone=POLICY_ZONE,
    )
    texas = next(g for g in by_state.groups if g.key == {"state": "TX"})
    assert texas.tier_1_share == 1.0  # Texas takes tier 1 only
    assert sum(g.bookings for g in by_state.groups) == len(finals)
