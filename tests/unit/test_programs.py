"""Policy rows keyed by the case's program (SPEC §14): the oncology seed's urgent 24 hours,
"*" for any other program, any spelling, and how program rows stand against state rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from p2p_scheduler.domain.model import LevelOfReview, Urgency
from p2p_scheduler.domain.policy import LevelRule, Policy, PolicyError, load_policy
from p2p_scheduler.domain.policy.days import Unit
from p2p_scheduler.domain.policy.model import Anchor, Window
from tests.unit.test_policy_loader import default_raw, write

# Monday 2026-06-15 10:00 EDT; the urgent case came in at 08:00 EDT that morning.
NOW = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
#: 002_db9c5384dc7d2cff.txt: urgent oncology decisions within 24 hours → Tue 08:00 EDT
ONCOLOGY_UNTIL = datetime(2026, 6, 16, 12, 0, tzinfo=UTC)
#: the "*" rows: urgent decisions within 72 hours → Thu 08:00 EDT
DEFAULT_UNTIL = datetime(2026, 6, 18, 12, 0, tzinfo=UTC)
URGENT = {"status": "in_review", "urgency": Urgency.URGENT, "received_at": RECEIVED}


def test_an_urgent_oncology_case_has_the_oncology_rows_24_hours(make_case, evaluate) -> None:
    result = evaluate(make_case(program="oncology", **URGENT), now=NOW)

    assert result.eligible is True
    assert result.level_of_review is LevelOfReview.PRE_DECISION
    assert result.valid_until == ONCOLOGY_UNTIL
    assert result.messages == (
        "Pre-Decision P2P allowed until Tue 6/16/2026 8:00 am EDT. "
        "The decision on this case can still change.",
    )
    assert result.policy_rows == ("pre-decision", "program-oncology-urgent")


@pytest.mark.parametrize("program", [None, "radiology", "dme", "oncology-research"])
def test_any_other_program_or_none_gets_the_default_72_hours(program, make_case, evaluate) -> None:
    result = evaluate(make_case(program=program, **URGENT), now=NOW)

    assert result.valid_until == DEFAULT_UNTIL
    assert result.policy_rows == ("pre-decision",)


@pytest.mark.parametrize("program", ["ONCOLOGY", "Oncology", " oncology "])
def test_the_program_is_compared_in_any_case(program, make_case, evaluate) -> None:
    assert evaluate(make_case(program=program, **URGENT), now=NOW).valid_until == ONCOLOGY_UNTIL


def test_a_policy_file_may_key_a_row_by_a_program_in_any_case(tmp_path: Path) -> None:
    policy = policy_with(
        tmp_path,
        {
            "id": "radiology-urgent-48",
            "key": {"level_of_review": "pre_decision", "program": ["Radiology", "CARDIOLOGY"]},
            "source": "test",
            "urgent_window": {"anchor": "received_at", "amount": 48, "unit": "hours"},
        },
    )

    [added] = [r for r in policy.rules if r.id == "radiology-urgent-48"]
    assert added.key.program == ("radiology", "cardiology")
    for program in ("radiology", "Cardiology"):
        rule = policy_rule(policy, program=program)
        assert rule.urgent_window is not None and rule.urgent_window.amount == 48


def test_a_standard_oncology_case_keeps_the_default_window(make_case, evaluate) -> None:
    result = evaluate(
        make_case(program="oncology", status="in_review", received_at=RECEIVED), now=NOW
    )

    # 2 business days after Monday's receipt: end of Wed 2026-06-17 EDT.
    assert result.valid_until == datetime(2026, 6, 18, 3, 59, 59, tzinfo=UTC)


def test_the_oncology_row_applies_to_medicare_cases_too(make_case, evaluate) -> None:
    result = evaluate(make_case(program="oncology", lob="medicare", **URGENT), now=NOW)

    assert result.valid_until == ONCOLOGY_UNTIL
    assert result.policy_rows == (
        "pre-decision",
        "pre-decision-medicare",
        "program-oncology-urgent",
    )


def test_the_oncology_row_leaves_post_decision_windows_alone(make_case, evaluate) -> None:
    determined = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)
    oncology = evaluate(
        make_case(program="oncology", status="denied", determination_at=determined), now=NOW
    )
    plain = evaluate(make_case(status="denied", determination_at=determined), now=NOW)

    assert oncology.level_of_review is LevelOfReview.RECONSIDERATION
    assert oncology.valid_until == plain.valid_until


# ---- precedence against state rows ---------------------------------------------------------------


def test_a_texas_oncology_case_gets_both_the_state_reviewer_rule_and_the_24_hours(
    make_case, evaluate
) -> None:
    result = evaluate(make_case(program="oncology", state="TX", **URGENT), now=NOW)

    assert result.valid_until == ONCOLOGY_UNTIL
    assert result.reviewer_rule is not None and result.reviewer_rule.tiers == (1,)
    assert result.policy_rows == ("pre-decision", "state-tx", "program-oncology-urgent")


def test_a_program_row_beats_a_state_only_row_and_a_program_and_state_row_beats_both(
    tmp_path: Path,
) -> None:
    policy = policy_with(
        tmp_path,
        {
            "id": "ny-program-and-state-12",
            "key": {"level_of_review": "pre_decision", "member_state": "NY", "program": "oncology"},
            "source": "test",
            "urgent_window": {"anchor": "received_at", "amount": 12, "unit": "hours"},
        },
        {
            "id": "ny-and-pa-state-only-48",
            "key": {"member_state": ["NY", "PA"]},
            "source": "test",
            "urgent_window": {"anchor": "received_at", "amount": 48, "unit": "hours"},
        },
    )

    def urgent_hours(state: str, program: str | None) -> int:
        rule = policy_rule(policy, state=state, program=program)
        assert rule.urgent_window is not None
        return rule.urgent_window.amount

    assert urgent_hours("PA", None) == 48  # the state row over the "*" row
    assert urgent_hours("PA", "oncology") == 24  # program × level (2 fields) over state (1)
    assert urgent_hours("NY", "oncology") == 12  # program × level × state (3 fields) wins
    assert urgent_hours("NY", "radiology") == 48


def test_a_program_row_and_a_state_row_equally_specific_go_by_file_order(
    tmp_path: Path,
) -> None:
    state_row = {
        "id": "pa-pre-decision-36",
        "key": {"level_of_review": "pre_decision", "member_state": "PA"},
        "source": "test",
        "urgent_window": {"anchor": "received_at", "amount": 36, "unit": "hours"},
    }
    raw = default_raw()
    raw["rules"].append(state_row)  # after the oncology row
    later = load_policy(write(tmp_path, raw))
    raw["rules"].insert(0, raw["rules"].pop())  # before it
    earlier = load_policy(write(tmp_path, raw))

    assert policy_rule(later, program="oncology").urgent_window == hours(36)
    assert policy_rule(earlier, program="oncology").urgent_window == hours(24)


# ---- the file --------------------------------------------------------------------------------------


@pytest.mark.parametrize("program", ["medical oncology", "", ["oncology", "x" * 65]])
def test_a_program_key_that_is_not_a_code_is_refused_naming_the_row(
    tmp_path: Path, program: Any
) -> None:
    raw = default_raw()
    raw["rules"].append(
        {"id": "bad", "key": {"program": program}, "source": "test", "available": False}
    )

    with pytest.raises(PolicyError, match=r"rules\[\d+\] \(id 'bad'\) field key: .*program"):
        load_policy(write(tmp_path, raw))


def test_the_bundled_oncology_row_cites_the_oncology_seed() -> None:
    raw = default_raw()
    [oncology] = [r for r in raw["rules"] if r["key"].get("program") == "oncology"]

    assert "002_db9c5384dc7d2cff.txt" in oncology["source"]
    assert "within 24 hours" in oncology["source"]
    assert oncology["urgent_window"] == {"anchor": "received_at", "amount": 24, "unit": "hours"}


# ---- helpers ---------------------------------------------------------------------------------------


def hours(amount: int) -> Window:
    return Window(anchor=Anchor.RECEIVED_AT, amount=amount, unit=Unit.HOURS)


def policy_with(tmp_path: Path, *rows: dict[str, Any]) -> Policy:
    raw = default_raw()
    raw["rules"].extend(rows)
    return load_policy(write(tmp_path, raw))


def policy_rule(policy: Policy, *, state: str = "PA", program: str | None = None) -> LevelRule:
    return policy.rule_for(
        line_of_business="commercial",
        level=LevelOfReview.PRE_DECISION,
        member_state=state,
        health_plan="Acme Health",
        program=program,
    )
