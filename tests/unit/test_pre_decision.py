"""Pre-decision P2Ps: decision due times, hold letters, urgent cases (SPEC §2, §9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from p2p_scheduler.domain.model import LevelOfReview, Urgency
from p2p_scheduler.domain.policy.model import OriginalReviewer

NY = ZoneInfo("America/New_York")

# Received Friday 2026-06-12 15:00 EDT.
RECEIVED_FRI = datetime(2026, 6, 12, 19, 0, tzinfo=UTC)
# Monday 2026-06-15 10:00 EDT.
NOW = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)

# Decision due for RECEIVED_FRI, commercial/Medicaid: Fri → Mon (1) → Tue (2), end of day.
TWO_BUSINESS_DAYS_DUE = datetime(2026, 6, 16, 23, 59, 59, tzinfo=NY)
# Decision due for RECEIVED_FRI, Medicare: 7 calendar days → Fri 2026-06-19, end of day.
SEVEN_CALENDAR_DAYS_DUE = datetime(2026, 6, 19, 23, 59, 59, tzinfo=NY)

ADDITIONAL_INFO_MESSAGE = (
    "Additional clinical information has been received for this case. The case is proceeding "
    "to determination and is not being held for a Pre-Decision P2P."
)


# ---- in_review: the standard decision due time -------------------------------------------------


@pytest.mark.parametrize("lob", ["commercial", "medicaid"])
def test_in_review_is_pre_decision_until_two_business_days_after_receipt(
    lob, make_case, evaluate
) -> None:
    case = make_case(status="in_review", lob=lob, received_at=RECEIVED_FRI)

    result = evaluate(case, now=NOW)

    assert result.eligible is True
    assert result.level_of_review is LevelOfReview.PRE_DECISION
    assert result.level_label == "Pre-Decision P2P"
    assert result.valid_until == datetime(2026, 6, 17, 3, 59, 59, tzinfo=UTC)
    assert result.valid_until == TWO_BUSINESS_DAYS_DUE
    assert result.decision_can_change is True
    assert result.urgent is False
    assert result.messages == (
        "Pre-Decision P2P allowed until Tue 6/16/2026 11:59 pm EDT. "
        "The decision on this case can still change.",
    )


def test_in_review_open_one_second_before_the_decision_due_time(make_case, evaluate) -> None:
    case = make_case(status="in_review", received_at=RECEIVED_FRI)

    result = evaluate(case, now=datetime(2026, 6, 17, 3, 59, 58, tzinfo=UTC))

    assert result.eligible is True
    assert result.valid_until == TWO_BUSINESS_DAYS_DUE


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(datetime(2026, 6, 17, 3, 59, 59, tzinfo=UTC), id="exactly-at-due-time"),
        pytest.param(datetime(2026, 6, 17, 13, 0, tzinfo=UTC), id="next-morning"),
    ],
)
def test_in_review_closed_from_the_decision_due_time(now, make_case, evaluate) -> None:
    case = make_case(status="in_review", received_at=RECEIVED_FRI)

    result = evaluate(case, now=now)

    assert result.eligible is False
    assert result.reason == "window_closed"
    assert result.level_of_review is None
    assert result.valid_until is None
    assert result.messages == (
        "The P2P window for this case closed on Tue 6/16/2026 11:59 pm EDT.",
    )


def test_medicare_in_review_is_due_seven_calendar_days_after_receipt(make_case, evaluate) -> None:
    case = make_case(status="in_review", lob="medicare", received_at=RECEIVED_FRI)

    before = evaluate(case, now=datetime(2026, 6, 19, 20, 0, tzinfo=UTC))
    after = evaluate(case, now=datetime(2026, 6, 20, 4, 0, tzinfo=UTC))

    assert before.eligible is True
    assert before.valid_until == datetime(2026, 6, 20, 3, 59, 59, tzinfo=UTC)
    assert before.valid_until == SEVEN_CALENDAR_DAYS_DUE
    assert after.eligible is False
    assert after.reason == "window_closed"
    assert after.messages == ("The P2P window for this case closed on Fri 6/19/2026 11:59 pm EDT.",)


def test_pre_decision_reviewer_rule_is_member_state_licence_any_tier(make_case, evaluate) -> None:
    case = make_case(status="in_review", received_at=RECEIVED_FRI)

    rule = evaluate(case, now=NOW).reviewer_rule

    assert rule is not None
    assert rule.tiers is None
    assert rule.license == "member_state"
    assert rule.original_reviewer is OriginalReviewer.NONE


# ---- pending_info: the hold letter ---------------------------------------------------------------


def test_pending_info_commercial_is_held_45_calendar_days_from_receipt(make_case, evaluate) -> None:
    # Received Mon 2026-06-01 09:00 EDT → held through Thu 2026-07-16.
    case = make_case(status="pending_info", received_at=datetime(2026, 6, 1, 13, 0, tzinfo=UTC))

    result = evaluate(case, now=NOW)

    assert result.eligible is True
    assert result.level_of_review is LevelOfReview.PRE_DECISION
    assert result.valid_until == datetime(2026, 7, 17, 3, 59, 59, tzinfo=UTC)
    assert result.valid_until == datetime(2026, 7, 16, 23, 59, 59, tzinfo=NY)


def test_pending_info_medicare_is_held_one_day_from_receipt(make_case, evaluate) -> None:
    # Received Mon 2026-06-15 09:00 EDT → held through Tue 2026-06-16.
    case = make_case(
        status="pending_info", lob="medicare", received_at=datetime(2026, 6, 15, 13, 0, tzinfo=UTC)
    )

    open_ = evaluate(case, now=NOW)
    closed = evaluate(case, now=datetime(2026, 6, 17, 4, 0, tzinfo=UTC))

    assert open_.eligible is True
    assert open_.valid_until == datetime(2026, 6, 17, 3, 59, 59, tzinfo=UTC)
    assert closed.eligible is False
    assert closed.reason == "window_closed"


@pytest.mark.parametrize(
    ("status", "lob", "hold_due_at"),
    [
        # Earlier than the 45-day default hold.
        ("pending_info", "commercial", datetime(2026, 6, 20, 21, 0, tzinfo=UTC)),
        # Later than Medicare's 1-day default hold.
        ("pending_info", "medicare", datetime(2026, 6, 18, 21, 0, tzinfo=UTC)),
        # Later than the 2-business-day decision due time.
        ("in_review", "commercial", datetime(2026, 6, 26, 21, 0, tzinfo=UTC)),
    ],
    ids=["pending-commercial", "pending-medicare", "in-review-commercial"],
)
def test_explicit_hold_due_at_wins_over_the_default_window(
    status, lob, hold_due_at, make_case, evaluate
) -> None:
    case = make_case(status=status, lob=lob, received_at=RECEIVED_FRI, hold_due_at=hold_due_at)

    result = evaluate(case, now=NOW)

    assert result.eligible is True
    assert result.valid_until == hold_due_at


def test_explicit_hold_due_at_in_the_past_closes_the_window(make_case, evaluate) -> None:
    case = make_case(
        status="pending_info",
        received_at=RECEIVED_FRI,
        hold_due_at=datetime(2026, 6, 15, 13, 0, tzinfo=UTC),
    )

    result = evaluate(case, now=NOW)

    assert result.eligible is False
    assert result.reason == "window_closed"
    assert result.messages == ("The P2P window for this case closed on Mon 6/15/2026 9:00 am EDT.",)


@pytest.mark.parametrize("status", ["in_review", "pending_info"])
def test_not_eligible_once_additional_information_is_received(status, make_case, evaluate) -> None:
    case = make_case(
        status=status,
        received_at=RECEIVED_FRI,
        hold_due_at=datetime(2026, 7, 20, 21, 0, tzinfo=UTC),
        additional_info_received_at=datetime(2026, 6, 15, 12, 0, tzinfo=UTC),
    )

    result = evaluate(case, now=NOW)

    assert result.found is True
    assert result.eligible is False
    assert result.reason == "blocked_additional_info_received"
    assert result.messages == (ADDITIONAL_INFO_MESSAGE,)
    assert result.policy_rows == ("pre-decision",)


def test_additional_information_received_this_very_instant_already_blocks(
    make_case, evaluate
) -> None:
    case = make_case(
        status="pending_info", received_at=RECEIVED_FRI, additional_info_received_at=NOW
    )

    result = evaluate(case, now=NOW)

    assert result.eligible is False
    assert result.reason == "blocked_additional_info_received"


def test_pre_decision_blocked_once_a_p2p_is_completed(make_case, evaluate) -> None:
    case = make_case(status="in_review", received_at=RECEIVED_FRI, p2p_completed=True)

    result = evaluate(case, now=NOW)

    assert result.eligible is False
    assert result.reason == "blocked_p2p_completed"
    assert result.messages == (
        "A P2P consultation has already been completed for this determination. "
        "Another P2P requires a new determination.",
    )


def test_missing_received_at_asks_the_provider_to_call(make_case, evaluate) -> None:
    case = make_case(status="in_review", received_at=None)

    result = evaluate(case, now=NOW)

    assert result.eligible is False
    assert result.reason == "missing_received_at"
    assert result.messages == (
        "This case is missing the received at needed to work out its P2P window. "
        "Please call us to schedule.",
    )


# ---- urgent --------------------------------------------------------------------------------------

# Received Mon 2026-06-15 08:30 EDT.
URGENT_RECEIVED = datetime(2026, 6, 15, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "lob"),
    [
        ("in_review", "commercial"),
        ("pending_info", "commercial"),
        ("in_review", "medicare"),
        ("in_review", "medicaid"),
    ],
)
def test_urgent_is_valid_exactly_72_hours_after_receipt(status, lob, make_case, evaluate) -> None:
    case = make_case(status=status, lob=lob, urgency=Urgency.URGENT, received_at=URGENT_RECEIVED)

    result = evaluate(case, now=NOW)

    assert result.eligible is True
    assert result.urgent is True
    assert result.valid_until == datetime(2026, 6, 18, 12, 30, tzinfo=UTC)
    assert result.valid_until - URGENT_RECEIVED == timedelta(hours=72)
    assert result.messages == (
        "Pre-Decision P2P allowed until Thu 6/18/2026 8:30 am EDT. "
        "The decision on this case can still change.",
    )


def test_urgent_with_an_earlier_hold_due_at_uses_the_hold(make_case, evaluate) -> None:
    hold = datetime(2026, 6, 16, 20, 0, tzinfo=UTC)
    case = make_case(
        status="pending_info", urgency=Urgency.URGENT, received_at=URGENT_RECEIVED, hold_due_at=hold
    )

    result = evaluate(case, now=NOW)

    assert result.valid_until == hold


def test_urgent_with_a_later_hold_due_at_still_ends_at_72_hours(make_case, evaluate) -> None:
    case = make_case(
        status="pending_info",
        urgency=Urgency.URGENT,
        received_at=URGENT_RECEIVED,
        hold_due_at=datetime(2026, 6, 25, 20, 0, tzinfo=UTC),
    )

    result = evaluate(case, now=NOW)

    assert result.valid_until == datetime(2026, 6, 18, 12, 30, tzinfo=UTC)


def test_urgent_closed_after_72_hours(make_case, evaluate) -> None:
    case = make_case(status="in_review", urgency=Urgency.URGENT, received_at=URGENT_RECEIVED)

    at_deadline = evaluate(case, now=datetime(2026, 6, 18, 12, 30, tzinfo=UTC))
    just_before = evaluate(case, now=datetime(2026, 6, 18, 12, 29, 59, tzinfo=UTC))

    assert just_before.eligible is True
    assert at_deadline.eligible is False
    assert at_deadline.reason == "window_closed"
