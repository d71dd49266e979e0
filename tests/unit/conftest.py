"""Case-building helpers for the pure policy and eligibility tests.

Every test passes its own fixed ``now``; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from p2p_scheduler.domain.eligibility import CaseEligibility, evaluate_case
from p2p_scheduler.domain.model import CaseSnapshot, CaseStatus, LineOfBusiness, Member
from p2p_scheduler.domain.policy import Policy, default_policy

#: The member date of birth every factory-built case carries (the look-up's knowledge factor).
MEMBER_DOB = date(1970, 5, 17)

#: A state with no override rows in the default policy.
NEUTRAL_STATE = "PA"

CaseFactory = Callable[..., CaseSnapshot]
Evaluate = Callable[..., CaseEligibility]


def build_case(
    *,
    case_number: str = "C-1001",
    status: CaseStatus | str = CaseStatus.IN_REVIEW,
    lob: LineOfBusiness | str = LineOfBusiness.COMMERCIAL,
    state: str = NEUTRAL_STATE,
    dob: date = MEMBER_DOB,
    health_plan: str = "Acme Health",
    **fields: Any,
) -> CaseSnapshot:
    """A case snapshot with plain defaults; ``fields`` set any other CaseSnapshot field."""
    return CaseSnapshot(
        case_number=case_number,
        member=Member(
            name="Pat Example",
            dob=dob,
            state=state,
            member_id="M-0001",
            health_plan=health_plan,
        ),
        line_of_business=LineOfBusiness(lob),
        case_type="MSK Spine Surgery",
        skill="msk_spine",
        status=CaseStatus(status),
        **fields,
    )


@pytest.fixture(scope="session")
def make_case() -> CaseFactory:
    """The case factory (session-scoped so hypothesis tests may use it too)."""
    return build_case


@pytest.fixture(scope="session")
def policy() -> Policy:
    return default_policy()


@pytest.fixture(scope="session")
def evaluate(policy: Policy) -> Evaluate:
    """Look a case up with its own number and the member's right date of birth."""

    def run(case: CaseSnapshot, *, now: datetime, policy: Policy = policy) -> CaseEligibility:
        return evaluate_case(case.case_number, case.member.dob, case, policy=policy, now=now)

    return run
