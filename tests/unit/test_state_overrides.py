"""State override rows: TX, IL, LA/MS, NY/MO (SPEC §2, §9)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from p2p_scheduler.domain.model import LevelOfReview
from p2p_scheduler.domain.policy.model import OriginalReviewer

NY = ZoneInfo("America/New_York")

# Monday 2026-06-15 10:00 EDT.
NOW = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 6, 12, 19, 0, tzinfo=UTC)
# Determination Wednesday 2026-06-10 16:00 EDT; 14-day window ends Wed 2026-06-24 23:59:59 EDT.
DETERMINED = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)
RECONSIDERATION_END = datetime(2026, 6, 25, 3, 59, 59, tzinfo=UTC)

# One case per level of review (plus Medicare), as factory keyword arguments.
CASE_AT_LEVEL = {
    "pre_decision": {"status": "in_review", "received_at": RECEIVED},
    "pre_decision_medicare": {"status": "in_review", "lob": "medicare", "received_at": RECEIVED},
    "reconsideration": {"status": "denied", "determination_at": DETERMINED},
    "appeal": {
        "status": "denied",
        "determination_at": DETERMINED,
        "determined_by": "dr-lee",
        "appeal_filed_at": datetime(2026, 6, 12, 15, 0, tzinfo=UTC),
    },
    "consultative_only": {
        "status": "denied",
        "determination_at": DETERMINED,
        "post_decision_delegated": False,
    },
    "consultative_only_medicare": {
        "status": "denied",
        "lob": "medicare",
        "determination_at": DETERMINED,
    },
}
EXPECTED_LEVEL = {
    "pre_decision": LevelOfReview.PRE_DECISION,
    "pre_decision_medicare": LevelOfReview.PRE_DECISION,
    "reconsideration": LevelOfReview.RECONSIDERATION,
    "appeal": LevelOfReview.APPEAL,
    "consultative_only": LevelOfReview.CONSULTATIVE_ONLY,
    "consultative_only_medicare": LevelOfReview.CONSULTATIVE_ONLY,
}


# ---- Texas ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("situation", sorted(CASE_AT_LEVEL))
def test_texas_requires_tier_1_and_a_texas_licence_at_every_level(
    situation, make_case, evaluate
) -> None:
    result = evaluate(make_case(state="TX", **CASE_AT_LEVEL[situation]), now=NOW)

    assert result.eligible is True
    assert result.level_of_review is EXPECTED_LEVEL[situation]
    assert result.reviewer_rule is not None
    assert result.reviewer_rule.tiers == (1,)
    assert result.reviewer_rule.license == "member_state"
    assert result.member_state == "TX"
    assert "state-tx" in result.policy_rows


def test_texas_appeal_keeps_excluding_the_original_reviewer(make_case, evaluate) -> None:
    result = evaluate(make_case(state="TX", **CASE_AT_LEVEL["appeal"]), now=NOW)

    assert result.reviewer_rule is not None
    assert result.reviewer_rule.original_reviewer is OriginalReviewer.EXCLUDE
    assert result.policy_rows == ("appeal", "state-tx")


@pytest.mark.parametrize("situation", sorted(CASE_AT_LEVEL))
def test_other_states_allow_any_tier(situation, make_case, evaluate) -> None:
    result = evaluate(make_case(state="OK", **CASE_AT_LEVEL[situation]), now=NOW)

    assert result.reviewer_rule is not None
    assert result.reviewer_rule.tiers is None
    assert result.reviewer_rule.license == "member_state"


# ---- Illinois ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lob", ["commercial", "medicare", "medicaid"])
def test_illinois_pre_decision_accepts_any_us_licence(lob, make_case, evaluate) -> None:
    case = make_case(state="IL", lob=lob, status="in_review", received_at=RECEIVED)

    result = evaluate(case, now=NOW)

    assert result.level_of_review is LevelOfReview.PRE_DECISION
    assert result.reviewer_rule is not None
    assert result.reviewer_rule.license == "any_us"
    assert result.reviewer_rule.tiers is None


@pytest.mark.parametrize(
    "situation", ["reconsideration", "appeal", "consultative_only", "consultative_only_medicare"]
)
def test_illinois_post_decision_requires_an_illinois_licence(
    situation, make_case, evaluate
) -> None:
    result = evaluate(make_case(state="IL", **CASE_AT_LEVEL[situation]), now=NOW)

    assert result.level_of_review is EXPECTED_LEVEL[situation]
    assert result.reviewer_rule is not None
    assert result.reviewer_rule.license == "member_state"
    assert "state-il-pre-decision" not in result.policy_rows


# ---- Louisiana and Mississippi -------------------------------------------------------------------


@pytest.mark.parametrize("state", ["LA", "MS"])
@pytest.mark.parametrize("lob", ["commercial", "medicaid"])
def test_la_ms_reconsideration_on_request_even_when_not_delegated(
    state, lob, make_case, evaluate
) -> None:
    case = make_case(
        state=state,
        lob=lob,
        status="denied",
        determination_at=DETERMINED,
        post_decision_delegated=False,
    )

    result = evaluate(case, now=NOW)

    assert result.eligible is True
    assert result.level_of_review is LevelOfReview.RECONSIDERATION
    assert result.valid_until == RECONSIDERATION_END
    assert result.decision_can_change is True
    assert result.messages == (
        "Reconsideration P2P available on request until Wed 6/24/2026 11:59 pm EDT.",
    )


def test_la_reconsideration_still_blocked_by_a_filed_appeal(make_case, evaluate) -> None:
    case = make_case(
        state="LA",
        status="denied",
        determination_at=DETERMINED,
        appeal_filed_at=datetime(2026, 6, 12, 15, 0, tzinfo=UTC),
        appeals_delegated=False,
        post_decision_delegated=False,
    )

    result = evaluate(case, now=NOW)

    assert result.level_of_review is LevelOfReview.CONSULTATIVE_ONLY


@pytest.mark.parametrize("state", ["LA", "MS"])
def test_la_ms_medicare_denial_is_still_consultative_only(state, make_case, evaluate) -> None:
    case = make_case(
        state=state,
        lob="medicare",
        status="denied",
        determination_at=DETERMINED,
        post_decision_delegated=False,
    )

    result = evaluate(case, now=NOW)

    assert result.level_of_review is LevelOfReview.CONSULTATIVE_ONLY
    assert result.decision_can_change is False
    assert result.messages[0].startswith("Medicare cases have no reconsideration option.")
    assert result.policy_rows == ("consultative-only", "consultative-only-medicare")


# ---- New York and Missouri -----------------------------------------------------------------------


@pytest.mark.parametrize("state", ["NY", "MO"])
@pytest.mark.parametrize(
    ("determination_at", "now", "expected"),
    [
        pytest.param(
            DETERMINED,
            datetime(2026, 6, 15, 14, 0, tzinfo=UTC),
            # Asked Mon → end of Tue 2026-06-16 EDT (earlier than the 14-day window).
            datetime(2026, 6, 17, 3, 59, 59, tzinfo=UTC),
            id="monday-request-next-business-day",
        ),
        pytest.param(
            DETERMINED,
            datetime(2026, 6, 12, 20, 0, tzinfo=UTC),
            # Asked Fri 16:00 EDT → end of Mon 2026-06-15 EDT.
            datetime(2026, 6, 16, 3, 59, 59, tzinfo=UTC),
            id="friday-request-skips-the-weekend",
        ),
        pytest.param(
            datetime(2026, 6, 30, 16, 0, tzinfo=UTC),
            datetime(2026, 7, 2, 14, 0, tzinfo=UTC),
            # Asked Thu 2026-07-02; Fri 07-03 is Independence Day observed → end of Mon 07-06.
            datetime(2026, 7, 7, 3, 59, 59, tzinfo=UTC),
            id="holiday-skipped",
        ),
        pytest.param(
            DETERMINED,
            datetime(2026, 6, 24, 14, 0, tzinfo=UTC),
            # Asked on the window's last day: the 14-day window ends first.
            RECONSIDERATION_END,
            id="window-ends-first",
        ),
    ],
)
def test_ny_mo_reconsideration_is_min_of_window_and_next_business_day(
    state, determination_at, now, expected, make_case, evaluate
) -> None:
    case = make_case(
        state=state,
        status="denied",
        determination_at=determination_at,
        determined_by="dr-lee",
    )

    result = evaluate(case, now=now)

    assert result.eligible is True
    assert result.level_of_review is LevelOfReview.RECONSIDERATION
    assert result.valid_until == expected


@pytest.mark.parametrize("state", ["NY", "MO"])
def test_ny_mo_prefer_the_original_reviewer(state, make_case, evaluate) -> None:
    case = make_case(
        state=state, status="denied", determination_at=DETERMINED, determined_by="dr-lee"
    )

    result = evaluate(case, now=NOW)

    assert result.reviewer_rule is not None
    assert result.reviewer_rule.original_reviewer is OriginalReviewer.PREFER
    assert result.reviewer_rule.license == "member_state"
    assert result.original_reviewer == "dr-lee"
    assert result.messages == (
        "Reconsideration allowed until Tue 6/16/2026 11:59 pm EDT with the physician who made the "
        "determination or a designee (within one business day of your request).",
    )


def test_ny_reconsideration_still_capped_by_the_date_of_service(make_case, evaluate) -> None:
    # Asked Mon 2026-06-15 with service on that same day: end of Mon beats end of Tue.
    case = make_case(
        state="NY",
        status="denied",
        determination_at=DETERMINED,
        date_of_service=date(2026, 6, 15),
    )

    result = evaluate(case, now=NOW)

    assert result.valid_until == datetime(2026, 6, 15, 23, 59, 59, tzinfo=NY)


def test_ny_medicare_denial_is_consultative_only(make_case, evaluate) -> None:
    case = make_case(state="NY", lob="medicare", status="denied", determination_at=DETERMINED)

    result = evaluate(case, now=NOW)

    assert result.level_of_review is LevelOfReview.CONSULTATIVE_ONLY
    assert result.reviewer_rule is not None
    assert result.reviewer_rule.original_reviewer is OriginalReviewer.NONE
