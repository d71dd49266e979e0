"""What a case update does to a booking that holds the case (SPEC §14): pure.

The booking's cases are re-evaluated by the look-up's own rule (``eligibility``) as of the
booking's start (a pending request: now); ``judge`` turns that answer into one verdict:

- every case of the booking is resolved (``approved``, ``withdrawn``) → **cancel**
  (``case_resolved``): no call can change anything;
- each case is still eligible and the booked reviewer still qualifies → the booking stays;
  cases whose level of review moved are **relabelled** (new level and window);
- otherwise (a case not eligible at the start, resolved while another case of the booking
  still needs the call, the window closing before the call ends, the booked reviewer no longer
  qualified at the new level) → the booking stays, relabelled where a level moved, and is
  flagged for a person with the reasons in plain words (**attention**).

A multi-case booking is cancelled only when all its cases are resolved: one approved case of
two does not take the other case's call away; a person decides whether to keep it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from p2p_scheduler.domain.bookings import ATTENTION_LENGTH, BookedCase
from p2p_scheduler.domain.eligibility import CaseEligibility
from p2p_scheduler.domain.model import CaseStatus

#: case statuses after which no P2P is needed (SPEC §14): the booking is cancelled
RESOLVED = {CaseStatus.APPROVED: "approved", CaseStatus.WITHDRAWN: "withdrawn"}
#: who cancels, relabels and flags in history and audit (SPEC §14)
SYSTEM_ACTOR = "system"
DECIDE = "Decide whether to keep or cancel this call."


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one booking. ``cases`` are its cases as they become (relabelled where
    a level moved); ``attention`` the text for a person, None when nothing needs deciding."""

    cancel: bool
    cases: tuple[BookedCase, ...]
    relabelled: tuple[str, ...]
    attention: str | None
    #: one line for the e-mails and the history: why the booking was cancelled or relabelled
    note: str


def _numbers(numbers: Sequence[str], noun: str = "Case") -> str:
    return f"{noun}{'' if len(numbers) == 1 else 's'} {', '.join(numbers)}"


def judge(
    booked: Sequence[BookedCase],
    answers: Sequence[CaseEligibility],
    statuses: Mapping[str, CaseStatus],
    *,
    labels: Mapping[str, str],
    call_ends: datetime | None,
    reviewer_qualifies: bool = True,
    reviewer_name: str = "",
) -> Verdict:
    """The verdict for a booking of ``booked`` cases, given each case's eligibility at the
    booking's start (``answers``, same order), their statuses, and whether the booked reviewer
    qualifies for the cases as they would become (``reviewer_qualifies``)."""
    resolved = [c.case_number for c in booked if statuses.get(c.case_number) in RESOLVED]
    if resolved and len(resolved) == len(booked):
        words = sorted({RESOLVED[statuses[number]] for number in resolved})
        note = (
            f"{_numbers(resolved)} {'was' if len(resolved) == 1 else 'were'} "
            f"{' or '.join(words)}, so no P2P is needed."
        )
        return Verdict(True, tuple(booked), (), None, note)
    cases: list[BookedCase] = []
    relabelled: list[str] = []
    reasons: list[str] = []
    for case, answer in zip(booked, answers, strict=True):
        if not answer.eligible or answer.level_of_review is None:
            reasons.append(f"Case {case.case_number}: {answer.messages[0]}")
            cases.append(case)
            continue
        assert answer.valid_until is not None
        if answer.level_of_review.value != case.level_of_review:
            relabelled.append(case.case_number)
            case = BookedCase(case.case_number, answer.level_of_review.value, answer.valid_until)
        cases.append(case)
        if call_ends is not None and answer.valid_until < call_ends:
            reasons.append(
                f"Case {case.case_number}: its P2P window now closes before this call ends."
            )
    if relabelled and not reviewer_qualifies:
        reasons.append(
            f"{reviewer_name or 'The reviewer'} cannot hold it at the new level of review "
            "(skill, licence, or as the physician who made the determination): reschedule "
            "with another reviewer."
        )
    note = "; ".join(
        f"Case {c.case_number} is now a {labels.get(c.level_of_review, c.level_of_review)}"
        for c in cases
        if c.case_number in relabelled
    )
    if resolved:
        remaining = [c.case_number for c in booked if c.case_number not in resolved]
        reasons.append(f"The call is still needed for {_numbers(remaining, 'case')}.")
    attention = _attention(reasons) if reasons else None
    return Verdict(False, tuple(cases), tuple(relabelled), attention, f"{note}." if note else "")


def _attention(reasons: Sequence[str]) -> str:
    """The reasons, then what to do; reasons cut short ("…") to fit what a booking keeps."""
    room = ATTENTION_LENGTH - len(DECIDE) - 1
    text = " ".join(reasons)
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return f"{text} {DECIDE}"
