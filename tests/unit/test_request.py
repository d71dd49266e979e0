"""Look-ups that find nothing, and requests of several cases (SPEC §2, §7)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from p2p_scheduler.domain.eligibility import CaseEligibility, evaluate_case, evaluate_request
from p2p_scheduler.domain.model import LevelOfReview

# Monday 2026-06-15 10:00 EDT.
NOW = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
RECEIVED_FRI = datetime(2026, 6, 12, 19, 0, tzinfo=UTC)
DETERMINED = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)

NOT_FOUND_MESSAGE = (
    "We could not find a case with that case number and member date of birth. "
    "Check both and try again."
)


# ---- not found -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["in_review", "denied", "approved", "withdrawn"])
def test_wrong_dob_and_unknown_case_get_the_identical_answer(status, make_case, policy) -> None:
    case = make_case(case_number="C-777", status=status, received_at=RECEIVED_FRI)

    unknown = evaluate_case("C-777", date(1970, 5, 17), None, policy=policy, now=NOW)
    wrong_dob = evaluate_case("C-777", date(1970, 5, 18), case, policy=policy, now=NOW)

    assert wrong_dob == unknown
    assert unknown == CaseEligibility(
        case_number="C-777",
        found=False,
        eligible=False,
        messages=(NOT_FOUND_MESSAGE,),
        reason="not_found",
    )


def test_not_found_reveals_nothing_about_the_case(make_case, policy) -> None:
    case = make_case(case_number="C-777", state="TX", lob="medicare", status="denied")

    result = evaluate_case("C-777", date(2001, 1, 1), case, policy=policy, now=NOW)

    assert result.found is False
    assert result.line_of_business is None
    assert result.member_state is None
    assert result.case_type is None
    assert result.skill is None
    assert result.level_of_review is None
    assert result.valid_until is None
    assert result.reviewer_rule is None
    assert result.original_reviewer is None
    assert result.policy_rows == ()


def test_right_dob_finds_the_case(make_case, policy) -> None:
    case = make_case(case_number="C-777", status="in_review", received_at=RECEIVED_FRI)

    result = evaluate_case("C-777", date(1970, 5, 17), case, policy=policy, now=NOW)

    assert result.found is True
    assert result.eligible is True


# ---- several cases in one request ----------------------------------------------------------------


@pytest.fixture
def three_eligible(make_case, evaluate) -> list[CaseEligibility]:
    """Three eligible cases whose deadlines differ; C-2 ends first."""
    cases = [
        # Reconsideration through Wed 2026-06-24 23:59:59 EDT.
        make_case(case_number="C-1", status="denied", determination_at=DETERMINED),
        # Pre-decision through Tue 2026-06-16 23:59:59 EDT.
        make_case(case_number="C-2", status="in_review", received_at=RECEIVED_FRI),
        # Medicare pre-decision through Fri 2026-06-19 23:59:59 EDT.
        make_case(case_number="C-3", lob="medicare", status="in_review", received_at=RECEIVED_FRI),
    ]
    return [evaluate(case, now=NOW) for case in cases]


def test_request_of_eligible_cases_ends_at_the_earliest_deadline(three_eligible, policy) -> None:
    request = evaluate_request(three_eligible, policy=policy)

    assert request.eligible is True
    assert request.valid_until == datetime(2026, 6, 17, 3, 59, 59, tzinfo=UTC)
    assert request.duration_minutes == 45
    assert request.blocking_cases == ()
    assert request.cases == tuple(three_eligible)
    assert request.messages == (
        "All cases are eligible. The P2P must take place by Tue 6/16/2026 11:59 pm EDT.",
    )
    assert [c.level_of_review for c in request.cases] == [
        LevelOfReview.RECONSIDERATION,
        LevelOfReview.PRE_DECISION,
        LevelOfReview.PRE_DECISION,
    ]


def test_single_case_request_lasts_15_minutes(make_case, evaluate, policy) -> None:
    case = make_case(status="in_review", received_at=RECEIVED_FRI)

    request = evaluate_request([evaluate(case, now=NOW)], policy=policy)

    assert request.eligible is True
    assert request.duration_minutes == 15
    assert request.valid_until == datetime(2026, 6, 17, 3, 59, 59, tzinfo=UTC)


def test_one_blocking_case_makes_the_request_ineligible_and_is_named(
    three_eligible, make_case, evaluate, policy
) -> None:
    approved = evaluate(make_case(case_number="C-4", status="approved"), now=NOW)

    request = evaluate_request([*three_eligible, approved], policy=policy)

    assert request.eligible is False
    assert request.valid_until is None
    assert request.duration_minutes == 60
    assert request.blocking_cases == ("C-4",)
    assert request.messages == (
        "Case C-4 cannot be scheduled: This case has been approved. "
        "A P2P consultation is not needed.",
    )


def test_every_blocking_case_is_named_in_order(three_eligible, make_case, policy) -> None:
    missing = evaluate_case("C-9", date(1970, 5, 17), None, policy=policy, now=NOW)
    withdrawn = evaluate_case(
        "C-5",
        date(1970, 5, 17),
        make_case(case_number="C-5", status="withdrawn"),
        policy=policy,
        now=NOW,
    )

    request = evaluate_request([missing, three_eligible[0], withdrawn], policy=policy)

    assert request.eligible is False
    assert request.blocking_cases == ("C-9", "C-5")
    assert request.messages == (
        f"Case C-9 cannot be scheduled: {NOT_FOUND_MESSAGE}",
        "Case C-5 cannot be scheduled: This case has been withdrawn or cancelled. "
        "A P2P consultation cannot be scheduled.",
    )


def test_empty_request_is_not_eligible(policy) -> None:
    request = evaluate_request([], policy=policy)

    assert request.eligible is False
    assert request.valid_until is None
    assert request.duration_minutes == 0
    assert request.blocking_cases == ()
