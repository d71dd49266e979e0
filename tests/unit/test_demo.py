"""The demo data set: coverage, validity, and that every case means what its row says."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from p2p_scheduler.domain.availability import GRID_SECONDS, working_stretches
from p2p_scheduler.domain.eligibility import CaseEligibility, evaluate_case, evaluate_request
from p2p_scheduler.domain.model import (
    US_STATES,
    CaseSnapshot,
    CaseStatus,
    LevelOfReview,
    LineOfBusiness,
    ReviewerProfile,
    Urgency,
    Weekday,
)
from p2p_scheduler.domain.policy import default_policy
from p2p_scheduler.domain.policy.model import OriginalReviewer
from p2p_scheduler.domain.qualification import tier_for
from p2p_scheduler.domain.zones import require_zone
from p2p_scheduler.services.booking import Limits
from p2p_scheduler.tools.demo import (
    DEMO_INTENTS,
    MULTI_CASE_PAIR,
    WALKTHROUGH_CASE,
    WALKTHROUGH_CONSULTATIVE_CASE,
    demo_cases,
    demo_reviewers,
)

# A Monday afternoon (off the minute), Thanksgiving Saturday, the evening before Independence
# Day observed (UTC already on the holiday), and the Sunday of the spring DST change.
NOWS = [
    datetime(2026, 3, 2, 14, 7, 33, tzinfo=UTC),
    datetime(2026, 11, 28, 16, 0, tzinfo=UTC),
    datetime(2026, 7, 3, 3, 30, tzinfo=UTC),
    datetime(2026, 3, 8, 6, 45, tzinfo=UTC),
]
NOW = NOWS[0]

LEVELS = {level.value for level in LevelOfReview}
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
FIVE_ZONES = {
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
}


def evaluate(case: CaseSnapshot, now: datetime) -> CaseEligibility:
    return evaluate_case(case.case_number, case.member.dob, case, policy=default_policy(), now=now)


def outcome(result: CaseEligibility) -> str:
    if result.eligible:
        assert result.level_of_review is not None
        return result.level_of_review.value
    assert result.reason is not None
    return result.reason


def qualifies(reviewer: ReviewerProfile, case: CaseSnapshot, result: CaseEligibility) -> bool:
    """The policy's reviewer rule for this case, applied to one reviewer."""
    rule = result.reviewer_rule
    assert rule is not None
    tier = reviewer.skills.get(case.skill)
    if not reviewer.active or tier is None:
        return False
    if rule.tiers is not None and tier not in rule.tiers:
        return False
    if rule.license == "member_state":
        licensed = case.member.state in reviewer.licensed_states
    elif rule.license == "any_us":
        licensed = bool(reviewer.licensed_states)
    else:
        licensed = bool(set(rule.license) & reviewer.licensed_states)
    if not licensed:
        return False
    return not (
        rule.original_reviewer is OriginalReviewer.EXCLUDE
        and reviewer.reviewer_id == case.determined_by
    )


def by_number(now: datetime = NOW) -> dict[str, CaseSnapshot]:
    return {case.case_number: case for case in demo_cases(now)}


# ---- reviewers -------------------------------------------------------------------------


def test_reviewer_coverage() -> None:
    reviewers = demo_reviewers()
    assert len(reviewers) >= 20
    ids = [r.reviewer_id for r in reviewers]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"rev-\d{3}", i) for i in ids)
    emails = [r.email for r in reviewers]
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"[a-z]+(\.[a-z]+)+@example\.org", e) for e in emails)
    assert {r.credentials for r in reviewers} == {"MD", "DO"}
    skills = {skill for r in reviewers for skill in r.skills}
    assert len(skills) >= 6
    states = {state for r in reviewers for state in r.licensed_states}
    assert len(states) >= 8
    assert states <= US_STATES
    assert sum(len(r.licensed_states) > 1 for r in reviewers) >= 5
    zones = {r.time_zone for r in reviewers}
    assert len(zones) >= 4
    assert zones >= FIVE_ZONES
    assert all(4 <= r.max_consults_per_day <= 10 for r in reviewers)
    inactive = [r for r in reviewers if not r.active]
    assert 1 <= len(inactive) <= 2


def test_reviewer_skills_have_tiers() -> None:
    reviewers = demo_reviewers()
    for reviewer in reviewers:
        assert reviewer.skills, reviewer.reviewer_id
        assert all(priority in (1, 2, 3) for priority in reviewer.skills.values())
        assert 1 in reviewer.skills.values(), f"{reviewer.reviewer_id} has no own specialty"
    priorities = Counter(p for r in reviewers for p in r.skills.values())
    assert priorities[2] >= 3
    assert priorities[3] >= 3


def test_working_hours_are_valid() -> None:
    for reviewer in demo_reviewers():
        assert require_zone(reviewer.time_zone) == reviewer.time_zone
        assert reviewer.working_hours, reviewer.reviewer_id
        per_day: dict[Weekday, list[tuple[str, str]]] = {}
        for block in reviewer.working_hours:
            assert isinstance(block.weekday, Weekday)
            assert HHMM.match(block.start), (reviewer.reviewer_id, block)
            assert HHMM.match(block.end), (reviewer.reviewer_id, block)
            assert block.end > block.start, (reviewer.reviewer_id, block)
            per_day.setdefault(block.weekday, []).append((block.start, block.end))
        for day, blocks in per_day.items():
            blocks.sort()
            for (_, end), (start, _) in pairwise(blocks):
                assert end <= start, f"{reviewer.reviewer_id} overlaps on {day}"


def test_working_hours_have_the_seeds_variety() -> None:
    reviewers = demo_reviewers()
    weekdays = [{b.weekday for b in r.working_hours} for r in reviewers]
    assert sum(days == set(list(Weekday)[:5]) for days in weekdays) >= len(reviewers) // 2
    assert any(Weekday.SAT in days for days in weekdays)
    assert any(len(days - {Weekday.SAT}) < 5 for days in weekdays)  # part-time
    assert any(b.end >= "19:00" for r in reviewers for b in r.working_hours)  # evenings


# ---- cases ------------------------------------------------------------------------------


def test_case_coverage() -> None:
    cases = demo_cases(NOW)
    assert len(cases) >= 30
    numbers = [c.case_number for c in cases]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"A\d{6}", n) for n in numbers)
    assert set(numbers) == set(DEMO_INTENTS)
    assert {c.status for c in cases} == set(CaseStatus)
    assert {c.line_of_business for c in cases} == set(LineOfBusiness)
    assert {c.urgency for c in cases} == set(Urgency)
    states = {c.member.state for c in cases}
    assert states >= {"TX", "IL", "LA", "NY", "MS", "MO"}
    assert len(states) >= 8
    intents = set(DEMO_INTENTS.values())
    assert intents >= LEVELS
    assert intents >= {
        "status_approved",
        "status_withdrawn",
        "window_closed",
        "blocked_additional_info_received",
    }


def test_members_are_fictional_and_consistent() -> None:
    cases = demo_cases(NOW)
    members = {}
    for case in cases:
        member = case.member
        assert member.state in US_STATES
        assert member.dob < date(2010, 1, 1)
        assert member.name and member.member_id and member.health_plan
        # one member_id is one person
        assert members.setdefault(member.member_id, member) == member
        if "Medicare" in member.health_plan:
            assert case.line_of_business is LineOfBusiness.MEDICARE
        if "Medicaid" in member.health_plan:
            assert case.line_of_business is LineOfBusiness.MEDICAID


def test_instants_are_relative_whole_minutes_in_utc() -> None:
    later = NOW + timedelta(days=10, hours=5)
    first, second = by_number(NOW), by_number(later)
    fields = (
        "received_at",
        "hold_due_at",
        "additional_info_received_at",
        "determination_at",
        "appeal_filed_at",
    )
    base_shift = later.replace(second=0, microsecond=0) - NOW.replace(second=0, microsecond=0)
    for number, case in first.items():
        moved = second[number]
        assert moved.member == case.member
        for name in fields:
            value = getattr(case, name)
            if value is None:
                assert getattr(moved, name) is None
                continue
            assert value.utcoffset() == timedelta(0), (number, name)
            assert value.second == 0 and value.microsecond == 0, (number, name)
            assert getattr(moved, name) - value == base_shift, (number, name)
        if case.date_of_service is not None:
            assert moved.date_of_service == case.date_of_service + timedelta(days=10)
        if case.determination_at is not None:
            assert case.received_at is not None
            assert case.received_at < case.determination_at


def test_demo_is_pure_and_needs_an_aware_now() -> None:
    assert demo_cases(NOW) == demo_cases(NOW)
    assert demo_reviewers() == demo_reviewers()
    assert by_number(NOW.astimezone(UTC)) == by_number(NOW.replace(tzinfo=UTC))
    with pytest.raises(ValueError, match="aware"):
        demo_cases(datetime(2026, 3, 2, 14, 0))


def test_case_facts_fit_their_status() -> None:
    reviewers = {r.reviewer_id: r for r in demo_reviewers()}
    for case in demo_cases(NOW):
        assert not case.p2p_completed, "derived from bookings, never pushed"
        if case.status in (CaseStatus.IN_REVIEW, CaseStatus.PENDING_INFO):
            assert case.determination_at is None and case.determined_by is None
        if case.appeal_filed_at is not None:
            assert case.determination_at is not None
            assert case.appeal_filed_at > case.determination_at
        if DEMO_INTENTS[case.case_number] == "appeal":
            assert case.determined_by is not None
        if case.determined_by is not None:
            determiner = reviewers[case.determined_by]
            assert case.skill in determiner.skills
            assert case.member.state in determiner.licensed_states


# ---- eligibility under the default policy -----------------------------------------------


@pytest.mark.parametrize("now", NOWS, ids=lambda n: n.strftime("%a-%Y-%m-%d"))
def test_every_case_evaluates_as_intended(now: datetime) -> None:
    for case in demo_cases(now):
        result = evaluate(case, now)
        assert result.found
        assert outcome(result) == DEMO_INTENTS[case.case_number], (
            case.case_number,
            result.messages,
        )
        assert result.eligible == (DEMO_INTENTS[case.case_number] in LEVELS)
        if result.eligible:
            assert result.valid_until is not None
            # open long enough to book, whatever the weekday
            assert result.valid_until - now >= timedelta(hours=20), case.case_number
            assert result.valid_until - now <= timedelta(days=60), case.case_number


@pytest.mark.parametrize("now", NOWS, ids=lambda n: n.strftime("%a-%Y-%m-%d"))
def test_every_eligible_case_has_a_qualified_reviewer(now: datetime) -> None:
    reviewers = demo_reviewers()
    for case in demo_cases(now):
        result = evaluate(case, now)
        if not result.eligible:
            continue
        qualified = [r.reviewer_id for r in reviewers if qualifies(r, case, result)]
        assert qualified, f"no qualified reviewer for {case.case_number}"
        if case.member.state == "TX":
            assert result.reviewer_rule is not None and result.reviewer_rule.tiers == (1,)


def first_bookable_start(
    case: CaseSnapshot, now: datetime, reviewers: list[ReviewerProfile]
) -> datetime | None:
    """The earliest start of an empty calendar's slot that one of the qualified ``reviewers``
    could take for ``case`` at ``now``: inside working hours, on the grid, after the minimum notice, ending
    by the valid-until and within the horizon (the default limits); None when there is none."""
    policy, limits = default_policy(), Limits()
    result = evaluate(case, now)
    request = evaluate_request([result], policy=policy)
    assert request.valid_until is not None
    duration = request.duration_minutes * 60
    earliest = now + timedelta(minutes=limits.min_notice_minutes)
    latest = min(request.valid_until, now + timedelta(days=limits.max_horizon_days))
    starts = [
        start
        for reviewer in reviewers
        if reviewer.active and tier_for(reviewer, request.cases) is not None
        for _day, lo, hi in working_stretches(reviewer, earliest, latest)
        if (start := -(-lo // GRID_SECONDS) * GRID_SECONDS) + duration <= hi
    ]
    return datetime.fromtimestamp(min(starts), UTC) if starts else None


def test_every_eligible_case_can_be_booked_at_any_hour_of_any_weekday() -> None:
    """Open is not enough: a window counted in calendar time (72 urgent hours from receipt, a
    one-day hold) that starts on a Friday evening can end before Monday's first working hour,
    and then the portal shows an eligible case with no time to offer. Every 2 h 29 min for a
    week from Thanksgiving (so every hour of the day comes round, and the weekend)."""
    reviewers = demo_reviewers()
    start = datetime(2026, 11, 26, 0, 5, tzinfo=UTC)
    now = start
    while now < start + timedelta(days=7):
        for case in demo_cases(now):
            if DEMO_INTENTS[case.case_number] in LEVELS:
                assert first_bookable_start(case, now, reviewers) is not None, (
                    f"{case.case_number} has nothing to book at {now:%a %Y-%m-%d %H:%M} UTC"
                )
        now += timedelta(hours=2, minutes=29)


def test_every_state_and_skill_has_two_licensed_reviewers() -> None:
    active = [r for r in demo_reviewers() if r.active]
    for case in demo_cases(NOW):
        holders = [
            r for r in active if case.skill in r.skills and case.member.state in r.licensed_states
        ]
        if case.member.state == "TX":
            holders = [r for r in holders if r.skills[case.skill] == 1]
        assert len(holders) >= 2, (case.case_number, case.member.state, case.skill)


def test_every_skill_of_the_cases_has_tier_one_reviewers() -> None:
    active = [r for r in demo_reviewers() if r.active]
    for skill in {c.skill for c in demo_cases(NOW)}:
        assert sum(r.skills.get(skill) == 1 for r in active) >= 2, skill


# ---- the named cases --------------------------------------------------------------------


@pytest.mark.parametrize("now", NOWS, ids=lambda n: n.strftime("%a-%Y-%m-%d"))
def test_walkthrough_case_is_a_reconsideration(now: datetime) -> None:
    number, dob = WALKTHROUGH_CASE
    case = by_number(now)[number]
    result = evaluate_case(number, dob, case, policy=default_policy(), now=now)
    assert result.eligible
    assert result.level_of_review is LevelOfReview.RECONSIDERATION
    assert result.decision_can_change is True
    assert result.valid_until is not None and result.valid_until - now > timedelta(days=7)
    assert result.messages[0].startswith("Reconsideration allowed until")
    wrong = evaluate_case(number, date(1962, 4, 18), case, policy=default_policy(), now=now)
    assert not wrong.found and wrong.reason == "not_found"


def test_consultative_walkthrough_is_medicare() -> None:
    number, dob = WALKTHROUGH_CONSULTATIVE_CASE
    case = by_number()[number]
    assert case.line_of_business is LineOfBusiness.MEDICARE
    result = evaluate_case(number, dob, case, policy=default_policy(), now=NOW)
    assert result.level_of_review is LevelOfReview.CONSULTATIVE_ONLY
    assert result.decision_can_change is False


def test_multi_case_pair_books_together() -> None:
    cases = by_number()
    (first, first_dob), (second, second_dob) = MULTI_CASE_PAIR
    a, b = cases[first], cases[second]
    assert a.member == b.member and a.skill == b.skill
    assert (a.member.dob, b.member.dob) == (first_dob, second_dob)
    results = [evaluate(a, NOW), evaluate(b, NOW)]
    request = evaluate_request(results, policy=default_policy())
    assert request.eligible and request.duration_minutes == 30
    both = [
        r.reviewer_id
        for r in demo_reviewers()
        if qualifies(r, a, results[0]) and qualifies(r, b, results[1])
    ]
    assert len(both) >= 2


def test_state_overrides_show_in_the_demo() -> None:
    cases = by_number()
    results = {n: evaluate(c, NOW) for n, c in cases.items()}
    # LA/MS: reconsideration on request although post-decision options are not delegated
    for number in ("A100010", "A100012"):
        assert not cases[number].post_decision_delegated
        assert results[number].level_of_review is LevelOfReview.RECONSIDERATION
    # NY/MO: the determining physician is preferred and is an active, qualified reviewer
    reviewers = {r.reviewer_id: r for r in demo_reviewers()}
    for number in ("A100014", "A100015", "A100017"):
        result = results[number]
        assert result.reviewer_rule is not None
        assert result.reviewer_rule.original_reviewer is OriginalReviewer.PREFER
        original = reviewers[cases[number].determined_by or ""]
        assert qualifies(original, cases[number], result)
    # IL pre-decision: any US licence
    rule = results["A100006"].reviewer_rule
    assert rule is not None and rule.license == "any_us"
    # appeal: the determining physician is excluded
    for number in ("A100005", "A100035"):
        case, result = cases[number], results[number]
        assert result.level_of_review is LevelOfReview.APPEAL
        assert not qualifies(reviewers[case.determined_by or ""], case, result)


def test_intents_hold_at_any_hour_of_any_weekday() -> None:
    """Every 7 h 13 min over Thanksgiving fortnight: each weekday, hour and a holiday."""
    now = datetime(2026, 11, 19, 0, 5, tzinfo=UTC)
    while now < datetime(2026, 12, 4, tzinfo=UTC):
        for case in demo_cases(now):
            assert outcome(evaluate(case, now)) == DEMO_INTENTS[case.case_number], (
                now,
                case.case_number,
            )
        now += timedelta(hours=7, minutes=13)
