"""``domain.followup.judge``: the verdict a case update gives a booking (SPEC §14), on plain
values. The API tests (tests/api/test_case_followup.py) cover each branch end to end; these
pin what no single API scenario reaches cheaply."""

from __future__ import annotations

from datetime import UTC, datetime

from p2p_scheduler.domain.bookings import ATTENTION_LENGTH, BookedCase
from p2p_scheduler.domain.eligibility import CaseEligibility
from p2p_scheduler.domain.followup import DECIDE, judge
from p2p_scheduler.domain.model import CaseStatus, LevelOfReview

UNTIL = datetime(2026, 12, 5, 4, 59, 59, tzinfo=UTC)
LABELS = {"pre_decision": "Pre-Decision P2P"}


def refused(number: str, message: str) -> CaseEligibility:
    return CaseEligibility(case_number=number, found=True, eligible=False, messages=(message,))


def test_many_blocked_cases_still_fit_the_attention_text_and_end_with_what_to_do() -> None:
    numbers = [f"CASE-{n:04d}" for n in range(10)]
    booked = [BookedCase(number, "pre_decision", UNTIL) for number in numbers]
    answers = [
        refused(number, "Additional clinical information has been received.") for number in numbers
    ]
    statuses = dict.fromkeys(numbers, CaseStatus.IN_REVIEW)

    verdict = judge(booked, answers, statuses, labels=LABELS, call_ends=None)

    assert not verdict.cancel and verdict.attention is not None
    assert len(verdict.attention) <= ATTENTION_LENGTH
    assert verdict.attention.startswith("Case CASE-0000: Additional clinical information")
    assert verdict.attention.endswith(f"… {DECIDE}")


def test_an_unchanged_eligible_booking_gets_no_verdict_to_act_on() -> None:
    booked = [BookedCase("A1", "pre_decision", UNTIL)]
    answer = CaseEligibility(
        case_number="A1",
        found=True,
        eligible=True,
        messages=("ok",),
        level_of_review=LevelOfReview.PRE_DECISION,
        valid_until=UNTIL,
    )

    verdict = judge(
        booked, [answer], {"A1": CaseStatus.PENDING_INFO}, labels=LABELS, call_ends=None
    )

    assert (verdict.cancel, verdict.relabelled, verdict.attention) == (False, (), None)
