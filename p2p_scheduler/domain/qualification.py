"""Who may hold a P2P: reviewer profile × eligible cases → skill tier (SPEC §3).

Pure: plain values in, plain values out. A reviewer qualifies for a case when they are
active, hold the case's skill (their priority for it is the tier), that priority is one the
policy allows (Texas: tier 1 only), they hold the licence the policy asks for and they are
not the excluded original reviewer (appeal). A request of several cases needs a reviewer
qualified for every case; its tier is the worst (highest) of the per-case tiers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from p2p_scheduler.domain.eligibility import CaseEligibility
from p2p_scheduler.domain.model import ReviewerProfile
from p2p_scheduler.domain.policy.model import OriginalReviewer, ReviewerRule


def ordinal(number: int) -> str:
    """``1`` → ``"1st"``, ``2`` → ``"2nd"``, ``11`` → ``"11th"``, ``22`` → ``"22nd"``."""
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def tier_label(tier: int) -> str:
    """The provider-facing name of a skill tier, e.g. ``"1st Priority by Skill"``."""
    if tier < 1:
        raise ValueError(f"skill tiers start at 1, got {tier}")
    return f"{ordinal(tier)} Priority by Skill"


class _TierLabels(Mapping[int, str]):
    """Read-only tier → label mapping that answers for every tier ≥ 1.

    Iteration lists the first three tiers (the usual ones); look-ups (``[]``, ``get``,
    ``in``) work for any positive tier.
    """

    _LISTED = (1, 2, 3)

    def __getitem__(self, tier: int) -> str:
        if not isinstance(tier, int) or isinstance(tier, bool) or tier < 1:
            raise KeyError(tier)
        return tier_label(tier)

    def __iter__(self) -> Iterator[int]:
        return iter(self._LISTED)

    def __len__(self) -> int:
        return len(self._LISTED)

    def __repr__(self) -> str:
        return f"TIER_LABELS({dict(self)!r}, ...)"


#: 1 → "1st Priority by Skill", 2 → "2nd Priority by Skill", … (any positive tier).
TIER_LABELS: Mapping[int, str] = _TierLabels()


def _rule(case: CaseEligibility) -> ReviewerRule:
    assert case.reviewer_rule is not None, (
        f"case {case.case_number} has no reviewer rule: only eligible cases are qualified for"
    )
    return case.reviewer_rule


def _licensed(profile: ReviewerProfile, rule: ReviewerRule, member_state: str | None) -> bool:
    licence = rule.license
    if licence == "member_state":
        return member_state is not None and member_state in profile.licensed_states
    if licence == "any_us":
        return bool(profile.licensed_states)
    return not profile.licensed_states.isdisjoint(licence)


def case_tier(profile: ReviewerProfile, case: CaseEligibility) -> int | None:
    """The reviewer's tier for one eligible case, or None when they may not hold it."""
    rule = _rule(case)
    if not profile.active or case.skill is None:
        return None
    priority = profile.skills.get(case.skill)
    if priority is None:
        return None
    if rule.tiers is not None and priority not in rule.tiers:
        return None
    if not _licensed(profile, rule, case.member_state):
        return None
    if (
        rule.original_reviewer == OriginalReviewer.EXCLUDE
        and case.original_reviewer is not None
        and profile.reviewer_id == case.original_reviewer
    ):
        return None
    return priority


def tier_for(profile: ReviewerProfile, cases: Sequence[CaseEligibility]) -> int | None:
    """The reviewer's tier for a request: the worst per-case tier, None unless all qualify."""
    if not cases:
        return None
    worst = 0
    for case in cases:
        tier = case_tier(profile, case)
        if tier is None:
            return None
        worst = max(worst, tier)
    return worst


def prefers(profile: ReviewerProfile, cases: Sequence[CaseEligibility]) -> bool:
    """True when some case's rule prefers its original reviewer and this is that reviewer."""
    return any(
        _rule(case).original_reviewer == OriginalReviewer.PREFER
        and case.original_reviewer is not None
        and case.original_reviewer == profile.reviewer_id
        for case in cases
    )
