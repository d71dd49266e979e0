"""One named scenario per row of the default policy, and a check that no row is left out.

Each scenario states the row it is for, the exact ``policy_rows`` the answer reports and the
exact outcome. ``test_every_default_row_has_a_scenario`` fails when a row is added to
``default_policy.yaml`` without a scenario here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest

from p2p_scheduler.domain.model import LevelOfReview, Urgency
from p2p_scheduler.domain.policy import default_policy

# Monday 2026-06-15 10:00 EDT.
NOW = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)

# Received Friday 2026-06-12 15:00 EDT.
RECEIVED = datetime(2026, 6, 12, 19, 0, tzinfo=UTC)
# Determination Wednesday 2026-06-10 16:00 EDT.
DETERMINED = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)

ALL_POST_DECISION_ROWS = (
    "appeal",
    "appeal-medicare",
    "reconsideration",
    "reconsideration-medicare",
    "consultative-only",
    "consultative-only-medicare",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    row: str
    case: dict[str, Any]
    eligible: bool
    policy_rows: tuple[str, ...]
    level: LevelOfReview | None = None
    valid_until: datetime | None = None
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


SCENARIOS = (
    Scenario(
        name="commercial in review: decision due 2 business days after receipt",
        row="pre-decision",
        case={"status": "in_review", "received_at": RECEIVED},
        eligible=True,
        level=LevelOfReview.PRE_DECISION,
        # Fri receipt → Mon (1), Tue (2): Tue 2026-06-16 23:59:59 EDT.
        valid_until=datetime(2026, 6, 17, 3, 59, 59, tzinfo=UTC),
        policy_rows=("pre-decision",),
    ),
    Scenario(
        name="medicare in review: decision due 7 calendar days after receipt",
        row="pre-decision-medicare",
        case={"status": "in_review", "lob": "medicare", "received_at": RECEIVED},
        eligible=True,
        level=LevelOfReview.PRE_DECISION,
        # Fri 2026-06-19 23:59:59 EDT.
        valid_until=datetime(2026, 6, 20, 3, 59, 59, tzinfo=UTC),
        policy_rows=("pre-decision", "pre-decision-medicare"),
    ),
    Scenario(
        name="commercial denial: reconsideration 14 calendar days after determination",
        row="reconsideration",
        case={
            "status": "denied",
            "determination_at": DETERMINED,
            "determined_by": "dr-lee",
            "date_of_service": date(2026, 7, 15),
        },
        eligible=True,
        level=LevelOfReview.RECONSIDERATION,
        # Wed 2026-06-24 23:59:59 EDT.
        valid_until=datetime(2026, 6, 25, 3, 59, 59, tzinfo=UTC),
        policy_rows=("reconsideration",),
    ),
    Scenario(
        name="medicare denial 45 days old: every post-decision level tried, none open",
        row="reconsideration-medicare",
        case={
            "status": "denied",
            "lob": "medicare",
            "determination_at": datetime(2026, 5, 1, 16, 0, tzinfo=UTC),
        },
        eligible=False,
        reason="window_closed",
        policy_rows=ALL_POST_DECISION_ROWS,
    ),
    Scenario(
        name="commercial denial with a delegated appeal filed: appeal P2P",
        row="appeal",
        case={
            "status": "denied",
            "determination_at": datetime(2026, 6, 1, 18, 0, tzinfo=UTC),
            "determined_by": "dr-lee",
            "appeal_filed_at": datetime(2026, 6, 12, 15, 0, tzinfo=UTC),
        },
        eligible=True,
        level=LevelOfReview.APPEAL,
        # 30 days after Fri 2026-06-12: Sun 2026-07-12 23:59:59 EDT.
        valid_until=datetime(2026, 7, 13, 3, 59, 59, tzinfo=UTC),
        policy_rows=("appeal",),
    ),
    Scenario(
        name="medicare appeal filed, P2P already completed: no level left",
        row="appeal-medicare",
        case={
            "status": "denied",
            "lob": "medicare",
            "determination_at": DETERMINED,
            "appeal_filed_at": datetime(2026, 6, 12, 15, 0, tzinfo=UTC),
            "p2p_completed": True,
        },
        eligible=False,
        reason="blocked_p2p_completed",
        policy_rows=ALL_POST_DECISION_ROWS,
    ),
    Scenario(
        name="commercial denial, post-decision not delegated: consultative only",
        row="consultative-only",
        case={
            "status": "denied",
            "determination_at": DETERMINED,
            "post_decision_delegated": False,
        },
        eligible=True,
        level=LevelOfReview.CONSULTATIVE_ONLY,
        # 30 days after Wed 2026-06-10: Fri 2026-07-10 23:59:59 EDT.
        valid_until=datetime(2026, 7, 11, 3, 59, 59, tzinfo=UTC),
        policy_rows=("consultative-only",),
        extra={"decision_can_change": False},
    ),
    Scenario(
        name="medicare denial: consultative only with the Medicare wording",
        row="consultative-only-medicare",
        case={"status": "denied", "lob": "medicare", "determination_at": DETERMINED},
        eligible=True,
        level=LevelOfReview.CONSULTATIVE_ONLY,
        valid_until=datetime(2026, 7, 11, 3, 59, 59, tzinfo=UTC),
        policy_rows=("consultative-only", "consultative-only-medicare"),
        extra={"decision_can_change": False},
    ),
    Scenario(
        name="texas member in review: tier 1 only, Texas licence",
        row="state-tx",
        case={"status": "in_review", "state": "TX", "received_at": RECEIVED},
        eligible=True,
        level=LevelOfReview.PRE_DECISION,
        valid_until=datetime(2026, 6, 17, 3, 59, 59, tzinfo=UTC),
        policy_rows=("pre-decision", "state-tx"),
    ),
    Scenario(
        name="illinois member in review: any US licence",
        row="state-il-pre-decision",
        case={"status": "in_review", "state": "IL", "received_at": RECEIVED},
        eligible=True,
        level=LevelOfReview.PRE_DECISION,
        valid_until=datetime(2026, 6, 17, 3, 59, 59, tzinfo=UTC),
        policy_rows=("pre-decision", "state-il-pre-decision"),
    ),
    Scenario(
        name="louisiana commercial denial, not delegated: reconsideration on request",
        row="state-la-ms-post-denial",
        case={
            "status": "denied",
            "state": "LA",
            "determination_at": DETERMINED,
            "post_decision_delegated": False,
        },
        eligible=True,
        level=LevelOfReview.RECONSIDERATION,
        valid_until=datetime(2026, 6, 25, 3, 59, 59, tzinfo=UTC),
        policy_rows=("reconsideration", "state-la-ms-post-denial"),
    ),
    Scenario(
        name="new york commercial denial: reconsideration within one business day",
        row="state-ny-mo-reconsideration",
        case={"status": "denied", "state": "NY", "determination_at": DETERMINED},
        eligible=True,
        level=LevelOfReview.RECONSIDERATION,
        # Asked Mon 2026-06-15 → end of Tue 2026-06-16 EDT, before the 14-day window's end.
        valid_until=datetime(2026, 6, 17, 3, 59, 59, tzinfo=UTC),
        policy_rows=("reconsideration", "state-ny-mo-reconsideration"),
    ),
    Scenario(
        name="urgent oncology case in review: decision within 24 hours of receipt",
        row="program-oncology-urgent",
        case={
            "status": "in_review",
            "urgency": Urgency.URGENT,
            "program": "oncology",
            # Mon 2026-06-15 08:00 EDT.
            "received_at": datetime(2026, 6, 15, 12, 0, tzinfo=UTC),
        },
        eligible=True,
        level=LevelOfReview.PRE_DECISION,
        # Tue 2026-06-16 08:00 EDT (the "*" row's 72 hours: Thu 2026-06-18 08:00 EDT).
        valid_until=datetime(2026, 6, 16, 12, 0, tzinfo=UTC),
        policy_rows=("pre-decision", "program-oncology-urgent"),
    ),
)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario(scenario: Scenario, make_case, evaluate) -> None:
    result = evaluate(make_case(**scenario.case), now=NOW)

    assert result.found is True
    assert result.eligible is scenario.eligible
    assert result.level_of_review == scenario.level
    assert result.valid_until == scenario.valid_until
    assert result.reason == scenario.reason
    assert result.policy_rows == scenario.policy_rows
    assert scenario.row in result.policy_rows
    for name, expected in scenario.extra.items():
        assert getattr(result, name) == expected


def test_every_default_row_has_a_scenario() -> None:
    all_rows = {row.id for row in default_policy().rules}
    covered = {scenario.row for scenario in SCENARIOS}

    assert covered == all_rows


def test_scenario_names_are_unique() -> None:
    names = [scenario.name for scenario in SCENARIOS]

    assert len(names) == len(set(names))
