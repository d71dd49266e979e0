"""Bookings follow their case (SPEC §14): what a case upsert does to the bookings holding it.

``follow`` runs inside the case upsert's own transaction, so the stored case, the bookings'
changes, their history and audit rows and their outbox rows (CANCEL invites, updated REQUESTs,
webhooks) commit together or not at all, and the outbox delivers only after the commit: a
crash can never leave a stored case whose bookings did not follow it, and a retry of the PUT
does all of it. The verdict is ``domain.followup.judge`` over the look-up's own eligibility
rule (``lookup.evaluate_lookups``) as of each booking's start; the changes are the lifecycle's
own (``cancel_locked``, ``relabel``, ``flag``), made by the actor ``system``.

A case update that changes nothing a booking shows writes nothing: a relabelled booking
already carries the new level, a flagged one already says why, a cancelled one is no longer
active.
"""

from __future__ import annotations

from datetime import datetime

from p2p_scheduler.db import bookings, repo
from p2p_scheduler.db.engine import Session
from p2p_scheduler.domain import qualification
from p2p_scheduler.domain.bookings import StoredBooking
from p2p_scheduler.domain.enums import BookingStatus, CancelReason
from p2p_scheduler.domain.followup import SYSTEM_ACTOR, judge
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.services import lifecycle
from p2p_scheduler.services.lookup import evaluate_lookups
from p2p_scheduler.services.notifications import Notifier

#: a call that has begun is not cancelled under the provider's feet; a person decides
STARTED = "The call has already begun: record its outcome, or cancel it."


def follow(
    session: Session,
    case_number: str,
    *,
    policy: Policy,
    now: datetime,
    announcer: Notifier | None,
) -> dict[str, str]:
    """Re-evaluate every active booking holding the case; answers {booking id: what was
    done} (``cancelled``, ``updated``, ``needs_attention``) for the bookings that changed."""
    done: dict[str, str] = {}
    for booking in bookings.holding(session, case_number, lock=True):
        action = _follow_one(session, booking, policy=policy, now=now, announcer=announcer)
        if action:
            done[booking.id] = action
    return done


def _follow_one(
    session: Session,
    booking: StoredBooking,
    *,
    policy: Policy,
    now: datetime,
    announcer: Notifier | None,
) -> str:
    scheduled = booking.status == BookingStatus.SCHEDULED and booking.start_at is not None
    at = booking.start_at if scheduled and booking.start_at else now
    lookups = bookings.lookups(session, booking.id)
    answers = evaluate_lookups(session, policy=policy, now=at, cases=lookups).cases
    stored = repo.get_cases(session, [number for number, _ in lookups])
    reviewer = repo.get_reviewer(session, booking.reviewer_id) if booking.reviewer_id else None
    eligible = [answer for answer in answers if answer.eligible]
    [booked] = bookings.booked_cases(session, [booking.id]).values()
    verdict = judge(
        booked,
        answers,
        {number: case.status for number, case in stored.items()},
        labels=policy.level_labels,
        call_ends=booking.end_at if scheduled else None,
        reviewer_qualifies=reviewer is None
        or not eligible
        or qualification.tier_for(reviewer, eligible) is not None,
        reviewer_name=reviewer.name if reviewer else "",
    )
    if verdict.cancel:
        if scheduled and booking.start_at is not None and booking.start_at <= now:
            return _flag(session, booking, f"{verdict.note} {STARTED}", now, announcer)
        lifecycle.cancel_locked(
            session,
            booking,
            reason_code=CancelReason.CASE_RESOLVED,
            reason_text=verdict.note,
            now=now,
            actor=SYSTEM_ACTOR,
            announcer=announcer,
            note=verdict.note,
        )
        return "cancelled"
    action = ""
    if verdict.relabelled:
        booking = lifecycle.relabel(
            session,
            booking,
            verdict.cases,
            actor=SYSTEM_ACTOR,
            now=now,
            announcer=announcer,
            note=verdict.note,
        )
        action = "updated"
    if verdict.attention is not None:
        action = _flag(session, booking, verdict.attention, now, announcer) or action
    return action


def _flag(
    session: Session,
    booking: StoredBooking,
    why: str,
    now: datetime,
    announcer: Notifier | None,
) -> str:
    """Flag unless the booking already says exactly this (a repeated PUT adds nothing)."""
    if booking.attention == why:
        return ""
    lifecycle.flag(session, booking, why, actor=SYSTEM_ACTOR, now=now, announcer=announcer)
    return "needs_attention"
