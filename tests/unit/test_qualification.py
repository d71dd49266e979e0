"""Reviewer qualification: skill tier, allowed tiers, licence, exclusion (SPEC §2, §3, §9)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from p2p_scheduler.domain.eligibility import CaseEligibility
from p2p_scheduler.domain.model import ReviewerProfile
from p2p_scheduler.domain.policy.model import OriginalReviewer, ReviewerRule
from p2p_scheduler.domain.qualification import TIER_LABELS, ordinal, prefers, tier_for, tier_label

# Monday 2026-06-15 10:00 EDT.
NOW = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 6, 12, 19, 0, tzinfo=UTC)
DETERMINED = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)


def reviewer(
    reviewer_id: str = "dr-ames",
    *,
    skills: dict[str, int] | None = None,
    states: str = "PA",
    active: bool = True,
) -> ReviewerProfile:
    return ReviewerProfile(
        reviewer_id=reviewer_id,
        name=f"Dr {reviewer_id}",
        credentials="MD",
        email=f"{reviewer_id}@example.org",
        time_zone="America/New_York",
        skills={"msk_spine": 1} if skills is None else skills,
        licensed_states=frozenset(states.split()),
        active=active,
    )


def case(
    case_number: str = "C-1",
    *,
    skill: str = "msk_spine",
    state: str = "PA",
    tiers: tuple[int, ...] | None = None,
    license: Any = "member_state",
    original: OriginalReviewer = OriginalReviewer.NONE,
    determined_by: str | None = None,
) -> CaseEligibility:
    return CaseEligibility(
        case_number=case_number,
        found=True,
        eligible=True,
        messages=(),
        skill=skill,
        member_state=state,
        reviewer_rule=ReviewerRule(tiers=tiers, license=license, original_reviewer=original),
        original_reviewer=determined_by,
    )


# ---- labels --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
    ],
)
def test_ordinal(number, expected) -> None:
    assert ordinal(number) == expected


def test_tier_labels() -> None:
    assert TIER_LABELS[1] == "1st Priority by Skill"
    assert TIER_LABELS[2] == "2nd Priority by Skill"
    assert TIER_LABELS[3] == "3rd Priority by Skill"
    assert TIER_LABELS[4] == "4th Priority by Skill"
    assert TIER_LABELS[11] == "11th Priority by Skill"
    assert TIER_LABELS.get(22) == "22nd Priority by Skill"
    assert dict(TIER_LABELS) == {
        1: "1st Priority by Skill",
        2: "2nd Priority by Skill",
        3: "3rd Priority by Skill",
    }
    assert TIER_LABELS.get(0) is None
    with pytest.raises(KeyError):
        TIER_LABELS[0]
    with pytest.raises(ValueError):
        tier_label(0)


# ---- one case ------------------------------------------------------------------------------------


@pytest.mark.parametrize("priority", [1, 2, 3, 5])
def test_tier_is_the_priority_for_the_case_skill(priority) -> None:
    assert tier_for(reviewer(skills={"msk_spine": priority}), [case()]) == priority


def test_reviewer_without_the_skill_does_not_qualify() -> None:
    assert tier_for(reviewer(skills={"cardiology": 1}), [case()]) is None


def test_inactive_reviewer_does_not_qualify() -> None:
    assert tier_for(reviewer(active=False), [case()]) is None


def test_allowed_tiers_restrict_the_priority() -> None:
    texas = case(state="TX", tiers=(1,))
    assert tier_for(reviewer(skills={"msk_spine": 1}, states="TX"), [texas]) == 1
    assert tier_for(reviewer(skills={"msk_spine": 2}, states="TX"), [texas]) is None
    two_or_three = case(tiers=(2, 3))
    assert tier_for(reviewer(skills={"msk_spine": 1}), [two_or_three]) is None
    assert tier_for(reviewer(skills={"msk_spine": 3}), [two_or_three]) == 3


@pytest.mark.parametrize(
    ("license", "states", "qualified"),
    [
        ("member_state", "PA", True),
        ("member_state", "NJ NY", False),
        ("member_state", "", False),
        ("any_us", "CA", True),
        ("any_us", "", False),
        (("NJ", "NY"), "NY CA", True),
        (("NJ", "NY"), "PA CA", False),
        (("NJ", "NY"), "", False),
    ],
)
def test_licence_rule(license, states, qualified) -> None:
    result = tier_for(reviewer(states=states), [case(state="PA", license=license)])
    assert (result == 1) is qualified
    assert (result is None) is not qualified


def test_exclusion_removes_only_the_determining_reviewer() -> None:
    appeal = case(original=OriginalReviewer.EXCLUDE, determined_by="dr-lee")
    assert tier_for(reviewer("dr-lee"), [appeal]) is None
    assert tier_for(reviewer("dr-ames"), [appeal]) == 1
    # Without an exclusion rule the determining reviewer may hold it.
    assert tier_for(reviewer("dr-lee"), [case(determined_by="dr-lee")]) == 1


def test_prefer_marks_the_original_reviewer_without_excluding_others() -> None:
    recon = case(original=OriginalReviewer.PREFER, determined_by="dr-lee")
    assert prefers(reviewer("dr-lee"), [recon]) is True
    assert prefers(reviewer("dr-ames"), [recon]) is False
    assert tier_for(reviewer("dr-ames"), [recon]) == 1
    # The determining reviewer of a rule that does not prefer is not preferred.
    assert prefers(reviewer("dr-lee"), [case(determined_by="dr-lee")]) is False
    assert prefers(reviewer("dr-lee"), [case(), recon]) is True


# ---- several cases -------------------------------------------------------------------------------


def test_multi_case_takes_the_worst_tier() -> None:
    doctor = reviewer(skills={"msk_spine": 1, "pain": 3, "joint": 2})
    cases = [case("C-1"), case("C-2", skill="pain"), case("C-3", skill="joint")]
    assert tier_for(doctor, cases) == 3
    assert tier_for(doctor, cases[:1] + cases[2:]) == 2


def test_multi_case_requires_every_case() -> None:
    doctor = reviewer(skills={"msk_spine": 1, "pain": 2}, states="PA")
    assert tier_for(doctor, [case("C-1"), case("C-2", skill="pain")]) == 2
    # Missing skill, licence, allowed tier or exclusion on any one case disqualifies.
    assert tier_for(doctor, [case("C-1"), case("C-2", skill="cardiology")]) is None
    assert tier_for(doctor, [case("C-1"), case("C-2", state="NJ")]) is None
    assert tier_for(doctor, [case("C-1"), case("C-2", skill="pain", tiers=(1,))]) is None
    excluded = case("C-2", original=OriginalReviewer.EXCLUDE, determined_by=doctor.reviewer_id)
    assert tier_for(doctor, [case("C-1"), excluded]) is None


def test_no_cases_no_tier() -> None:
    assert tier_for(reviewer(), []) is None


def test_ineligible_case_is_a_programming_error() -> None:
    refused = CaseEligibility(case_number="C-9", found=True, eligible=False, messages=("no",))
    with pytest.raises(AssertionError):
        tier_for(reviewer(), [refused])


# ---- with the default policy ---------------------------------------------------------------------


def test_texas_case_from_the_policy_needs_tier_1_and_a_texas_licence(make_case, evaluate) -> None:
    result = evaluate(make_case(state="TX", received_at=RECEIVED), now=NOW)
    assert result.eligible is True
    assert tier_for(reviewer(skills={"msk_spine": 1}, states="TX"), [result]) == 1
    assert tier_for(reviewer(skills={"msk_spine": 2}, states="TX"), [result]) is None
    assert tier_for(reviewer(skills={"msk_spine": 1}, states="OK"), [result]) is None


def test_illinois_pre_decision_accepts_any_us_licence(make_case, evaluate) -> None:
    pre_decision = evaluate(make_case(state="IL", received_at=RECEIVED), now=NOW)
    assert tier_for(reviewer(skills={"msk_spine": 2}, states="CA"), [pre_decision]) == 2
    # … but not a reconsideration, which keeps the member-state licence.
    recon = evaluate(make_case(state="IL", status="denied", determination_at=DETERMINED), now=NOW)
    assert recon.eligible is True
    assert tier_for(reviewer(states="CA"), [recon]) is None
    assert tier_for(reviewer(states="IL"), [recon]) == 1


def test_appeal_from_the_policy_excludes_the_determining_reviewer(make_case, evaluate) -> None:
    appeal = evaluate(
        make_case(
            status="denied",
            determination_at=DETERMINED,
            determined_by="dr-lee",
            appeal_filed_at=datetime(2026, 6, 12, 15, 0, tzinfo=UTC),
        ),
        now=NOW,
    )
    assert appeal.eligible is True
    assert tier_for(reviewer("dr-lee"), [appeal]) is None
    assert tier_for(reviewer("dr-ames"), [appeal]) == 1


def test_new_york_reconsideration_prefers_the_determining_reviewer(make_case, evaluate) -> None:
    recon = evaluate(
        make_case(state="NY", status="denied", determination_at=DETERMINED, determined_by="dr-lee"),
        now=NOW,
    )
    assert recon.eligible is True
    assert prefers(reviewer("dr-lee", states="NY"), [recon]) is True
    assert prefers(reviewer("dr-ames", states="NY"), [recon]) is False
    assert tier_for(reviewer("dr-lee", states="NY"), [recon]) == 1
