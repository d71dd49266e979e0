"""Eligibility: (case snapshot, policy, now) → what P2P, if any, the case allows (SPEC §2).

Pure: no session, no clock of its own. The level of review is found by trying, in the
order the policy's ``status_levels`` gives, each level the case's status can lead to; the
first level that is available, required facts present, not blocked and still open wins.
Failing levels fall through, which is how a denied case whose reconsideration window has
closed ends up consultative-only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from p2p_scheduler.domain.model import CaseP2P, CaseSnapshot, CaseStatus, LevelOfReview, Urgency
from p2p_scheduler.domain.policy.days import (
    end_of_day,
    local_date,
    to_utc,
    window_end,
)
from p2p_scheduler.domain.policy.model import (
    Anchor,
    Block,
    LevelRule,
    Policy,
    Requirement,
    ReviewerRule,
    Window,
)
from p2p_scheduler.domain.time_text import moment_label


@dataclass(frozen=True, slots=True)
class CaseEligibility:
    """One case's answer. ``found`` is False for an unknown number *and* for a wrong DOB."""

    case_number: str
    found: bool
    eligible: bool
    messages: tuple[str, ...]
    reason: str | None = None
    level_of_review: LevelOfReview | None = None
    level_label: str | None = None
    valid_until: datetime | None = None
    decision_can_change: bool | None = None
    urgent: bool = False
    case_type: str | None = None
    line_of_business: str | None = None
    member_state: str | None = None
    skill: str | None = None
    reviewer_rule: ReviewerRule | None = None
    #: the determining physician, to exclude (appeal) or prefer (NY/MO) per ``reviewer_rule``
    original_reviewer: str | None = None
    policy_rows: tuple[str, ...] = ()
    #: the case's status, and the booking holding it or completed for its determination
    status: CaseStatus | None = None
    p2p: CaseP2P | None = None
    #: the determination in force (None before one): which P2P period an offer belongs to
    determination_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RequestEligibility:
    """A request of one or more cases: eligible only if every case is (SPEC §2)."""

    eligible: bool
    valid_until: datetime | None
    duration_minutes: int
    messages: tuple[str, ...]
    cases: tuple[CaseEligibility, ...]
    blocking_cases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Refusal:
    reason: str
    message: str


def _anchor_value(case: CaseSnapshot, anchor: Anchor) -> datetime | date | None:
    return getattr(case, anchor.value)


def _as_deadline(value: datetime | date, zone: str) -> datetime:
    """An instant stays itself; a date-only value means the end of that day in ``zone``."""
    if isinstance(value, datetime):
        return to_utc(value)
    return end_of_day(value, zone)


def _window(case: CaseSnapshot, window: Window, zone: str) -> datetime | _Refusal:
    anchor = _anchor_value(case, window.anchor)
    if anchor is None:
        return _Refusal(f"missing_{window.anchor.value}", window.anchor.value)
    return window_end(_as_deadline(anchor, zone), window.amount, window.unit, zone)


def _valid_until(
    case: CaseSnapshot, rule: LevelRule, zone: str, now: datetime
) -> datetime | _Refusal:
    urgent = case.urgency is Urgency.URGENT and rule.urgent_window is not None
    explicit = _anchor_value(case, rule.explicit_deadline) if rule.explicit_deadline else None
    # An explicit deadline replaces the default window; the urgent deadline always applies.
    limits: list[datetime | _Refusal] = []
    if urgent:
        limits.append(_window(case, rule.urgent_window, zone))  # type: ignore[arg-type]
    if explicit is not None:
        limits.append(_as_deadline(explicit, zone))
    elif not urgent:
        limits.append(_window(case, rule.status_windows.get(case.status, rule.window), zone))
    for cap in rule.not_after:
        value = _anchor_value(case, cap)
        if value is not None:
            limits.append(_as_deadline(value, zone))
    if rule.respond_within is not None:
        limits.append(window_end(now, rule.respond_within.amount, rule.respond_within.unit, zone))
    for limit in limits:
        if isinstance(limit, _Refusal):
            return limit
    return min(limits)  # type: ignore[type-var]


def _holds(case: CaseSnapshot, fact: Requirement | Block, zone: str, now: datetime) -> bool:
    """Whether a requirement or block fact is true of the case at ``now``."""
    match fact.value:
        case "appeal_filed":
            return case.appeal_filed_at is not None
        case "post_decision_delegated":
            return case.post_decision_delegated
        case "appeals_delegated":
            return case.appeals_delegated
        case "service_rendered":
            return case.date_of_service is not None and case.date_of_service < local_date(now, zone)
        case "retrospective":
            return case.retrospective
        case "p2p_completed":
            return case.p2p_completed
        case "additional_info_received":
            received = case.additional_info_received_at
            return received is not None and received <= now
    raise ValueError(f"unknown policy fact {fact!r}")  # pragma: no cover - enums are closed


def _try_level(
    case: CaseSnapshot, rule: LevelRule, policy: Policy, now: datetime
) -> datetime | _Refusal:
    zone = policy.time_zone
    if not rule.available:
        return _Refusal("not_available", policy.message("no_level", "no_level"))
    for requirement in rule.requires:
        if not _holds(case, requirement, zone, now):
            return _Refusal(f"requires_{requirement.value}", policy.message("no_level", "no_level"))
    for block in rule.blocked_by:
        if _holds(case, block, zone, now):
            return _Refusal(
                f"blocked_{block.value}", policy.message(f"blocked_{block.value}", "blocked")
            )
    until = _valid_until(case, rule, zone, now)
    if isinstance(until, _Refusal):
        field = until.message.replace("_", " ")
        return _Refusal(until.reason, policy.message("missing_date", "missing_date", field=field))
    if until <= now:
        return _Refusal(
            "window_closed",
            policy.message("window_closed", "window_closed", valid_until=moment_label(until, zone)),
        )
    return until


def not_found(case_number: str, policy: Policy) -> CaseEligibility:
    """The one answer for an unknown case number and for a wrong date of birth."""
    return CaseEligibility(
        case_number=case_number,
        found=False,
        eligible=False,
        messages=(policy.message("not_found", "not_found"),),
        reason="not_found",
    )


def evaluate_case(
    case_number: str,
    member_dob: date,
    case: CaseSnapshot | None,
    *,
    policy: Policy,
    now: datetime,
) -> CaseEligibility:
    """Eligibility of one looked-up case. ``case`` is None when no case has that number."""
    if case is None or case.member.dob != member_dob:
        return not_found(case_number, policy)
    return assess(case, policy=policy, now=now)


def assess(case: CaseSnapshot, *, policy: Policy, now: datetime) -> CaseEligibility:
    """Eligibility of a stored case, its member already known: the look-up's rule after the
    date of birth matched, and what the at-risk list asks of every open case (SPEC §12)."""
    described = {
        "case_number": case.case_number,
        "found": True,
        "case_type": case.case_type,
        "line_of_business": case.line_of_business.value,
        "member_state": case.member.state,
        "skill": case.skill,
        "urgent": case.urgency is Urgency.URGENT,
        "status": case.status,
        "p2p": case.p2p,
        "determination_at": case.determination_at,
    }
    levels = policy.status_levels[CaseStatus(case.status)]
    if not levels:
        message = policy.message(f"status_{case.status.value}", "status_closed")
        return CaseEligibility(
            eligible=False, messages=(message,), reason=f"status_{case.status.value}", **described
        )
    refusal: _Refusal | None = None
    rows: list[str] = []
    for level in levels:
        rule = policy.rule_for(
            line_of_business=case.line_of_business,
            level=level,
            member_state=case.member.state,
            health_plan=case.member.health_plan,
            program=case.program,
        )
        rows.extend(rule.row_ids)
        outcome = _try_level(case, rule, policy, now)
        if isinstance(outcome, _Refusal):
            refusal = outcome
            continue
        return CaseEligibility(
            eligible=True,
            messages=(
                policy.fill(rule.message, valid_until=moment_label(outcome, policy.time_zone)),
            ),
            level_of_review=level,
            level_label=policy.label(level),
            valid_until=outcome,
            decision_can_change=rule.decision_can_change,
            reviewer_rule=rule.reviewer,
            original_reviewer=case.determined_by,
            policy_rows=tuple(dict.fromkeys(rule.row_ids)),
            **described,
        )
    assert refusal is not None
    return CaseEligibility(
        eligible=False,
        messages=(refusal.message,),
        reason=refusal.reason,
        policy_rows=tuple(dict.fromkeys(rows)),
        **described,
    )


def evaluate_request(results: list[CaseEligibility], *, policy: Policy) -> RequestEligibility:
    """Combine per-case answers: every case must be eligible; the earliest deadline wins."""
    blocking = tuple(r.case_number for r in results if not r.eligible)
    eligible = bool(results) and not blocking
    valid_until = min(r.valid_until for r in results if r.valid_until) if eligible else None
    if eligible:
        assert valid_until is not None
        messages = (
            policy.message(
                "request_ok",
                "request_ok",
                valid_until=moment_label(valid_until, policy.time_zone),
            ),
        )
    else:
        messages = tuple(
            policy.message(
                "request_blocked",
                "request_blocked",
                case_number=r.case_number,
                reason=r.messages[0],
            )
            for r in results
            if not r.eligible
        )
    return RequestEligibility(
        eligible=eligible,
        valid_until=valid_until,
        duration_minutes=policy.minutes_per_case * len(results),
        messages=messages,
        cases=tuple(results),
        blocking_cases=blocking,
    )


def _booked(result: CaseEligibility, policy: Policy, zone: str) -> CaseEligibility:
    """A case's answer once its P2P is known: an eligible case held by a booking is not open
    to another one (that booking is rescheduled instead), and a completed P2P is named by its
    date. A case refused for a reason of its own keeps that reason; ``p2p`` still shows the
    booking."""
    p2p = result.p2p
    if p2p is None:
        return result
    if p2p.active and not result.eligible:
        return result
    if p2p.active and p2p.start is not None:
        message = policy.message("p2p_scheduled", "blocked", start=moment_label(p2p.start, zone))
        return replace(result, eligible=False, messages=(message,), reason="p2p_scheduled")
    if p2p.active:
        message = policy.message("p2p_pending", "blocked")
        return replace(result, eligible=False, messages=(message,), reason="p2p_pending")
    if result.reason == "blocked_p2p_completed" and p2p.start is not None:
        message = policy.message(
            "p2p_held", "blocked_p2p_completed", held_on=moment_label(p2p.start, zone)
        )
        return replace(result, messages=(message,))
    return result


def with_booked_cases(
    request: RequestEligibility, *, policy: Policy, zone: str | None = None
) -> RequestEligibility:
    """The look-up's answer (SPEC §14 "the look-up knows the P2P"): a case already held by a
    booking blocks the request, so the look-up offers no slot a hold would then refuse (409).
    Only the look-up applies this: holding, booking and rescheduling re-check their cases with
    ``evaluate_request`` alone and answer a held case with ``case-already-booked``. The call's
    time is written in ``zone`` (the requester's), else in the policy's."""
    zone = zone or policy.time_zone
    return evaluate_request([_booked(case, policy, zone) for case in request.cases], policy=policy)
