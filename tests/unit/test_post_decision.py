"""Post-decision P2Ps: reconsideration, appeal, consultative only, Medicare, closed statuses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from p2p_scheduler.domain.model import LevelOfReview
from p2p_scheduler.domain.policy.model import OriginalReviewer

NY = ZoneInfo("America/New_York")

# Monday 2026-06-15 10:00 EDT.
NOW = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
# Determination Wednesday 2026-06-10 16:00 EDT.
DETERMINED = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)
# 14 calendar days after DETERMINED: Wed 2026-06-24 23:59:59 EDT.
RECONSIDERATION_END = datetime(2026, 6, 25, 3, 59, 59, tzinfo=UTC)
# 30 calendar days after DETERMINED: Fri 2026-07-10 23:59:59 EDT.
CONSULTATIVE_END = datetime(2026, 7, 11, 3, 59, 59, tzinfo=UTC)
FAR_SERVICE_DATE = date(2026, 8, 3)

CONSULTATIVE_MESSAGE = (
    "Post-decision options for this case have been exhausted or are not delegated. You may "
    "still schedule a P2P, but it is consultative only and the original decision cannot be "
    "modified. Consultative-only P2P allowed until Fri 7/10/2026 11:59 pm EDT."
)
MEDICARE_MESSAGE = (
    "Medicare cases have no reconsideration option. You may schedule a P2P to discuss the "
    "reason for denial, but it is consultative only: once a denial decision has been made it "
    "cannot be overturned through a clinical consultation. Consultative-only P2P allowed until "
    "Fri 7/10/2026 11:59 pm EDT."
)


def denied(make_case, **fields):
    """A commercial denial decided at DETERMINED by dr-lee, service well in the future."""
    values = {
        "status": "denied",
        "determination_at": DETERMINED,
        "determined_by": "dr-lee",
        "date_of_service": FAR_SERVICE_DATE,
    }
    values.update(fields)
    return make_case(**values)


# ---- reconsideration ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["denied", "partially_approved"])
@pytest.mark.parametrize("lob", ["commercial", "medicaid"])
def test_reconsideration_window_is_14_calendar_days_after_determination(
    status, lob, make_case, evaluate
) -> None:
    result = evaluate(denied(make_case, status=status, lob=lob), now=NOW)

    assert result.eligible is True
    assert result.level_of_review is LevelOfReview.RECONSIDERATION
    assert result.level_label == "Reconsideration P2P"
    assert result.valid_until == RECONSIDERATION_END
    assert result.valid_until == datetime(2026, 6, 24, 23, 59, 59, tzinfo=NY)
    assert result.decision_can_change is True
    assert result.messages == ("Reconsideration allowed until Wed 6/24/2026 11:59 pm EDT.",)
    assert result.reviewer_rule is not None
    assert result.reviewer_rule.original_reviewer is OriginalReviewer.NONE


def test_reconsideration_counts_from_the_local_date_of_the_determination(
    make_case, evaluate
) -> None:
    # 2026-06-11 02:30 UTC is still Wednesday 2026-06-10 22:30 in New York.
    case = denied(make_case, determination_at=datetime(2026, 6, 11, 2, 30, tzinfo=UTC))

    result = evaluate(case, now=NOW)

    assert result.valid_until == RECONSIDERATION_END


def test_reconsideration_capped_by_the_end_of_the_date_of_service(make_case, evaluate) -> None:
    case = denied(make_case, date_of_service=date(2026, 6, 19))

    result = evaluate(case, now=NOW)

    assert result.level_of_review is LevelOfReview.RECONSIDERATION
    assert result.valid_until == datetime(2026, 6, 20, 3, 59, 59, tzinfo=UTC)
    assert result.valid_until == datetime(2026, 6, 19, 23, 59, 59, tzinfo=NY)


def test_reconsideration_still_open_on_the_date_of_service(make_case, evaluate) -> None:
    case = denied(make_case, date_of_service=date(2026, 6, 15))

    result = evaluate(case, now=NOW)

    assert result.level_of_review is LevelOfReview.RECONSIDERATION
    assert result.valid_until == datetime(2026, 6, 16, 3, 59, 59, tzinfo=UTC)


def test_reconsideration_without_a_date_of_service_uses_the_window_only(
    make_case, evaluate
) -> None:
    result = evaluate(denied(make_case, date_of_service=None), now=NOW)

    assert result.level_of_review is LevelOfReview.RECONSIDERATION
    assert result.valid_until == RECONSIDERATION_END


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"date_of_service": date(2026, 6, 14)}, id="service-rendered-yesterday"),
        pytest.param({"retrospective": True}, id="retrospective-review"),
        pytest.param({"post_decision_delegated": False}, id="not-delegated"),
        pytest.param(
            {
                "appeal_filed_at": datetime(2026, 6, 12, 15, 0, tzinfo=UTC),
                "appeals_delegated": False,
            },
            id="appeal-filed-not-delegated",
        ),
    ],
)
def test_blocked_reconsideration_falls_back_to_consultative_only(
    fields, make_case, evaluate
) -> None:
    result = evaluate(denied(make_case, **fields), now=NOW)

    assert result.eligible is True
    assert result.level_of_review is LevelOfReview.CONSULTATIVE_ONLY
    assert result.level_label == "Consultative-Only P2P"
    assert result.valid_until == CONSULTATIVE_END
    assert result.decision_can_change is False
    assert result.messages == (CONSULTATIVE_MESSAGE,)
    assert result.policy_rows == ("consultative-only",)


def test_after_the_reconsideration_window_consultative_only_until_day_30(
    make_case, evaluate
) -> None:
    last_reconsideration_second = evaluate(
        denied(make_case), now=datetime(2026, 6, 25, 3, 59, 58, tzinfo=UTC)
    )
    window_over = evaluate(denied(make_case), now=datetime(2026, 6, 25, 3, 59, 59, tzinfo=UTC))
    day_16 = evaluate(denied(make_case), now=datetime(2026, 6, 26, 14, 0, tzinfo=UTC))

    assert last_reconsideration_second.level_of_review is LevelOfReview.RECONSIDERATION
    assert window_over.level_of_review is LevelOfReview.CONSULTATIVE_ONLY
    assert day_16.level_of_review is LevelOfReview.CONSULTATIVE_ONLY
    assert day_16.valid_until == CONSULTATIVE_END
    assert day_16.decision_can_change is False


def test_after_30_days_not_eligible_window_closed(make_case, evaluate) -> None:
    result = evaluate(denied(make_case), now=datetime(2026, 7, 11, 4, 0, tzinfo=UTC))

    assert result.found is True
    assert result.eligible is False
    assert result.reason == "window_closed"
    assert result.level_of_review is None
    assert result.valid_until is None
    assert result.decision_can_change is None
    assert result.messages == (
        "The P2P window for this case closed on Fri 7/10/2026 11:59 pm EDT.",
    )
    assert result.policy_rows == ("appeal", "reconsideration", "consultative-only")


def test_denial_without_determination_date_asks_the_provider_to_call(make_case, evaluate) -> None:
    result = evaluate(denied(make_case, determination_at=None), now=NOW)

    assert result.eligible is False
    assert result.reason == "missing_determination_at"
    assert result.messages == (
        "This case is missing the determination at needed to work out its P2P window. "
        "Please call us to schedule.",
    )


# ---- appeal --------------------------------------------------------------------------------------

# Appeal filed Friday 2026-06-12 11:00 EDT.
APPEAL_FILED = datetime(2026, 6, 12, 15, 0, tzinfo=UTC)


def test_delegated_appeal_is_valid_30_calendar_days_after_filing(make_case, evaluate) -> None:
    case = denied(make_case, appeal_filed_at=APPEAL_FILED)

    result = evaluate(case, now=NOW)

    assert result.eligible is True
    assert result.level_of_review is LevelOfReview.APPEAL
    assert result.level_label == "Appeal P2P"
    assert result.valid_until == datetime(2026, 7, 13, 3, 59, 59, tzinfo=UTC)
    assert result.valid_until == datetime(2026, 7, 12, 23, 59, 59, tzinfo=NY)
    assert result.decision_can_change is True
    assert result.messages == (
        "Appeal P2P allowed until Sun 7/12/2026 11:59 pm EDT. It will be held by a physician "
        "other than the one who made the determination.",
    )


def test_appeal_excludes_the_determining_reviewer(make_case, evaluate) -> None:
    case = denied(make_case, appeal_filed_at=APPEAL_FILED, determined_by="dr-okafor")

    result = evaluate(case, now=NOW)

    assert result.reviewer_rule is not None
    assert result.reviewer_rule.original_reviewer is OriginalReviewer.EXCLUDE
    assert result.original_reviewer == "dr-okafor"
    assert result.original_reviewer == case.determined_by


def test_appeal_filed_blocks_reconsideration_even_inside_its_window(make_case, evaluate) -> None:
    case = denied(make_case, appeal_filed_at=APPEAL_FILED, appeals_delegated=False)

    result = evaluate(case, now=NOW)

    assert result.level_of_review is LevelOfReview.CONSULTATIVE_ONLY
    assert result.valid_until == CONSULTATIVE_END


def test_appeal_closes_30_days_after_filing(make_case, evaluate) -> None:
    # Determination Fri 2026-05-01; appeal filed Mon 2026-05-11 → open through Wed 2026-06-10.
    case = denied(
        make_case,
        determination_at=datetime(2026, 5, 1, 16, 0, tzinfo=UTC),
        appeal_filed_at=datetime(2026, 5, 11, 15, 0, tzinfo=UTC),
    )

    open_ = evaluate(case, now=datetime(2026, 6, 10, 14, 0, tzinfo=UTC))
    later = evaluate(case, now=datetime(2026, 6, 11, 14, 0, tzinfo=UTC))

    assert open_.level_of_review is LevelOfReview.APPEAL
    assert open_.valid_until == datetime(2026, 6, 11, 3, 59, 59, tzinfo=UTC)
    # Consultative only ran 30 days from the determination (through 2026-05-31): over too.
    assert later.eligible is False
    assert later.reason == "window_closed"
    assert later.messages == ("The P2P window for this case closed on Sun 5/31/2026 11:59 pm EDT.",)


# ---- Medicare ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["denied", "partially_approved"])
def test_medicare_denial_is_consultative_only_with_medicare_wording(
    status, make_case, evaluate
) -> None:
    case = denied(make_case, status=status, lob="medicare")

    result = evaluate(case, now=NOW)

    assert result.eligible is True
    assert result.level_of_review is LevelOfReview.CONSULTATIVE_ONLY
    assert result.valid_until == CONSULTATIVE_END
    assert result.decision_can_change is False
    assert result.messages == (MEDICARE_MESSAGE,)


def test_medicare_appeal_filed_is_still_consultative_only(make_case, evaluate) -> None:
    case = denied(make_case, lob="medicare", appeal_filed_at=APPEAL_FILED)

    result = evaluate(case, now=NOW)

    assert result.level_of_review is LevelOfReview.CONSULTATIVE_ONLY
    assert result.messages == (MEDICARE_MESSAGE,)


# ---- closed statuses and completed P2Ps ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        (
            "approved",
            "status_approved",
            "This case has been approved. A P2P consultation is not needed.",
        ),
        (
            "withdrawn",
            "status_withdrawn",
            "This case has been withdrawn or cancelled. A P2P consultation cannot be scheduled.",
        ),
    ],
)
@pytest.mark.parametrize("lob", ["commercial", "medicare"])
def test_closed_statuses_are_not_eligible(
    status, reason, message, lob, make_case, evaluate
) -> None:
    case = denied(make_case, status=status, lob=lob)

    result = evaluate(case, now=NOW)

    assert result.found is True
    assert result.eligible is False
    assert result.reason == reason
    assert result.messages == (message,)
    assert result.level_of_review is None
    assert result.valid_until is None
    assert result.policy_rows == ()
    assert result.line_of_business == lob


@pytest.mark.parametrize("lob", ["commercial", "medicare"])
def test_completed_p2p_blocks_another_for_the_same_determination(lob, make_case, evaluate) -> None:
    case = denied(make_case, lob=lob, p2p_completed=True)

    result = evaluate(case, now=NOW)

    assert result.eligible is False
    assert result.reason == "blocked_p2p_completed"
    assert result.messages == (
        "A P2P consultation has already been completed for this determination. "
        "Another P2P requires a new determination.",
    )


def test_found_case_describes_itself(make_case, evaluate) -> None:
    case = denied(make_case, state="OH", lob="medicaid")

    result = evaluate(case, now=NOW)

    assert result.case_number == "C-1001"
    assert result.case_type == "MSK Spine Surgery"
    assert result.line_of_business == "medicaid"
    assert result.member_state == "OH"
    assert result.skill == "msk_spine"
