"""The at-risk list (SPEC §12): open cases whose P2P window closes soon, as plain values.

Pure: which cases are eligible is ``eligibility.assess``'s answer (the look-up's own rule);
this module only says which of those answers are at risk within a period, in what order,
and how their time left is written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from p2p_scheduler.domain.eligibility import CaseEligibility
from p2p_scheduler.domain.reminders import parse_duration

#: ``within`` when a caller gives none (and ``P2P_AT_RISK_WITHIN``'s default)
DEFAULT_WITHIN = "PT24H"
#: the longest period asked about: the booking horizon's default (SPEC §3). A window further
#: off is not at risk, and a longer list would only be every open case.
MAX_WITHIN = timedelta(days=30)


def parse_within(text: str) -> timedelta:
    """The period of an at-risk question: a positive ISO 8601 duration of at most 30 days
    (``PT24H``, ``P2D``, ``PT90M``); ``ValueError`` in plain words."""
    return parse_duration(text, longest=MAX_WITHIN, longest_words="30 days (P30D)")


@dataclass(frozen=True, slots=True)
class AtRiskItem:
    """One case at risk. No member data: a case number is what UM operations act on."""

    case_number: str
    level_of_review: str
    valid_until: datetime
    hours_left: float


def hours_left(valid_until: datetime, now: datetime) -> float:
    """Hours from ``now`` to ``valid_until``, rounded *down* to a tenth of an hour (6 minutes):
    the list never promises more time than there is (23 h 59 min → 23.9)."""
    tenths = math.floor((valid_until - now) / timedelta(minutes=6))
    return tenths / 10


def at_risk(
    answers: Iterable[CaseEligibility], *, now: datetime, within: timedelta
) -> list[AtRiskItem]:
    """The eligible answers whose window closes within ``within`` of ``now``, earliest first
    (then by case number, so that two closing together keep one order)."""
    until = now + within
    found = [
        AtRiskItem(
            case_number=answer.case_number,
            level_of_review=answer.level_of_review.value,
            valid_until=answer.valid_until,
            hours_left=hours_left(answer.valid_until, now),
        )
        for answer in answers
        if answer.eligible
        and answer.valid_until is not None
        and answer.level_of_review is not None
        and now < answer.valid_until <= until
    ]
    return sorted(found, key=lambda item: (item.valid_until, item.case_number))
