"""After booking: My P2P requests, reschedule, cancel, complete, no-show.

Every state change is checked against ``TRANSITIONS`` (data, not scattered ``if``s) while the
booking row is locked, writes a history event, and releases or re-claims the reviewer's
cells in the same transaction as the change.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime
from typing import Any

from p2p_scheduler.db import bookings, holds, repo
from p2p_scheduler.db.bookings import BookingFilter
from p2p_scheduler.db.engine import Engine, Session, WriteConflict, transaction
from p2p_scheduler.domain.access import Scope
from p2p_scheduler.domain.bookings import (
    BookedCase,
    BookingView,
    Limits,
    SlotRequest,
    StoredBooking,
)
from p2p_scheduler.domain.enums import BookingStatus, CancelReason, Outcome, Party
from p2p_scheduler.domain.errors import (
    CallNotStarted,
    InvalidInput,
    InvalidTransition,
    NotFound,
    SlotTaken,
)
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.domain.text import has_control_characters
from p2p_scheduler.domain.time_text import moment_label
from p2p_scheduler.services.booking import (
    check_request,
    check_slot,
    claim_cells,
    record_event,
    refuse_booked_cases,
)
from p2p_scheduler.services.notifications import Notifier

__all__ = ["BookingFilter", "cancel", "complete", "no_show", "reschedule", "search"]

#: action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[BookingStatus], BookingStatus]] = {
    "reschedule": (frozenset({BookingStatus.SCHEDULED}), BookingStatus.SCHEDULED),
    "cancel": (
        frozenset({BookingStatus.SCHEDULED, BookingStatus.PENDING_ASSIGNMENT}),
        BookingStatus.CANCELLED,
    ),
    "complete": (frozenset({BookingStatus.SCHEDULED}), BookingStatus.COMPLETED),
    "no_show": (frozenset({BookingStatus.SCHEDULED}), BookingStatus.NO_SHOW),
}
#: actions that change what calendars show, so the invite's SEQUENCE rises (SPEC §9)
SEQUENCED = frozenset({"reschedule", "cancel"})

CANCEL_REASONS = tuple(CancelReason)
OUTCOMES = tuple(Outcome)
NO_SHOW_PARTIES = tuple(Party)
MAX_PAGE = 100


def _locked(session: Session, booking_id: str, action: str, scope: Scope) -> StoredBooking:
    found = bookings.get(session, booking_id, scope=scope, lock=True)
    if found is None:
        raise NotFound(f"No booking {booking_id!r} exists.")
    allowed, _ = TRANSITIONS[action]
    if found.status not in allowed:
        raise InvalidTransition(
            f"A {found.status.replace('_', ' ')} booking cannot be {_past(action)}; "
            f"only a {' or '.join(sorted(s.replace('_', ' ') for s in allowed))} one can.",
            booking_status=found.status,
        )
    return found


def _refuse_before_start(
    session: Session, booking: StoredBooking, action: str, now: datetime
) -> None:
    """A reviewer records what happened on a call only once it has begun (SPEC §9); the
    refusal names the start in the reviewer's zone, as the day view shows it."""
    if booking.start_at is not None and now < booking.start_at:
        reviewer = repo.get_reviewer(session, booking.reviewer_id or "")
        zone = reviewer.time_zone if reviewer is not None else booking.time_zone
        when = moment_label(booking.start_at, zone)
        what = "its outcome" if action == "complete" else "a no-show"
        raise CallNotStarted(
            f"This P2P starts {when}; record {what} once the call has begun.",
            booking_status=booking.status,
        )


def _past(action: str) -> str:
    return {"reschedule": "rescheduled", "cancel": "cancelled", "complete": "completed"}.get(
        action, "marked as a no-show"
    )


def _transition(
    session: Session,
    booking: StoredBooking,
    action: str,
    *,
    now: datetime,
    actor: str,
    detail: str = "",
    announcer: Notifier | None = None,
    previous_reviewer_id: str | None = None,
    note: str = "",
    **changes: Any,
) -> BookingView:
    """Store the booking's new state after ``action`` (plus ``changes``), its history
    event and its announcements; returns the booking as the API shows it, read in the
    change's own transaction (no second one to read it back)."""
    _, target = TRANSITIONS[action]
    changed = dataclasses.replace(
        booking,
        status=target,
        attention=None,  # a person or the service has acted on the booking
        sequence=booking.sequence + (1 if action in SEQUENCED else 0),
        updated_at=now,
        **changes,
    )
    bookings.save(session, changed)
    if target != BookingStatus.SCHEDULED:
        bookings.close_cases(session, booking.id)
    event = "no_show" if action == "no_show" else _past(action)
    record_event(session, changed, event, actor=actor, now=now, detail=detail)
    [view] = bookings.views(session, [changed])
    if announcer is not None:
        announcer.announce(
            session, view, event, now=now, previous_reviewer_id=previous_reviewer_id, note=note
        )
    return view


def reschedule(
    *,
    engine: Engine,
    policy: Policy,
    limits: Limits,
    now: datetime,
    booking_id: str,
    start: datetime,
    reviewer_id: str | None,
    actor: str,
    scope: Scope,
    announcer: Notifier | None = None,
) -> BookingView:
    """New start and/or reviewer; same id, sequence + 1, old time released, eligibility re-checked."""
    try:
        with transaction(engine) as session:
            booking = _locked(session, booking_id, "reschedule", scope)
            lookups = bookings.lookups(session, booking_id)
            slot = SlotRequest(
                cases=lookups,
                reviewer_id=reviewer_id or booking.reviewer_id or "",
                start=start,
                time_zone=booking.time_zone,
            )
            request = check_request(session, policy=policy, now=now, cases=slot.cases)
            holds.release_booking(session, booking_id)
            new_start, new_end, _ = check_slot(
                session,
                limits=limits,
                now=now,
                request=request,
                slot=slot,
                ignore_booking=booking_id,
            )
            refuse_booked_cases(
                session, [number for number, _ in lookups], ignore=booking_id, scope=scope
            )
            claim_cells(
                session,
                reviewer_id=slot.reviewer_id,
                start=new_start,
                end=new_end,
                limits=limits,
                now=now,
                booking_id=booking_id,
            )
            start_was = booking.start_at.isoformat() if booking.start_at else "-"
            assert request.valid_until is not None
            view = _transition(
                session,
                booking,
                "reschedule",
                now=now,
                actor=actor,
                detail=f"from {start_was} with {booking.reviewer_id}",
                announcer=announcer,
                previous_reviewer_id=booking.reviewer_id,
                reviewer_id=slot.reviewer_id,
                start_at=new_start,
                end_at=new_end,
                valid_until=request.valid_until,
            )
    except WriteConflict:
        raise SlotTaken("Someone else booked this time a moment ago. Pick another time.") from None
    return view


def cancel(
    *,
    engine: Engine,
    now: datetime,
    booking_id: str,
    reason_code: str,
    reason_text: str,
    actor: str,
    scope: Scope,
    announcer: Notifier | None = None,
) -> BookingView:
    if reason_code not in CANCEL_REASONS:
        raise InvalidInput(
            f"reason_code must be one of {', '.join(CANCEL_REASONS)}.", field="reason_code"
        )
    if reason_code == CancelReason.OTHER and not reason_text.strip():
        raise InvalidInput(
            "Write a few words on why the P2P is cancelled: the reason 'Other' needs them.",
            field="reason_text",
        )
    with transaction(engine) as session:
        booking = _locked(session, booking_id, "cancel", scope)
        view = cancel_locked(
            session,
            booking,
            reason_code=reason_code,
            reason_text=reason_text,
            now=now,
            actor=actor,
            announcer=announcer,
        )
    return view


def cancel_locked(
    session: Session,
    booking: StoredBooking,
    *,
    reason_code: str,
    reason_text: str,
    now: datetime,
    actor: str,
    announcer: Notifier | None,
    note: str = "",
) -> BookingView:
    """Cancel a booking already locked in ``session`` and found in an active status: its
    time released, its manage link revoked, CANCEL invites and webhooks in the outbox
    (``note`` tells the e-mails' readers why)."""
    holds.release_booking(session, booking.id)
    return _transition(
        session,
        booking,
        "cancel",
        now=now,
        actor=actor,
        detail=reason_code,
        announcer=announcer,
        note=note,
        cancel_reason_code=reason_code,
        cancel_reason_text=reason_text or None,
        # Nothing is left to manage: the manage link dies; the invite link keeps serving
        # the CANCEL until it expires (SPEC §9).
        manage_link_version=booking.manage_link_version + 1,
    )


def flag(
    session: Session,
    booking: StoredBooking,
    why: str,
    *,
    actor: str,
    now: datetime,
    announcer: Notifier | None,
) -> StoredBooking:
    """Flag a booking for a person (SPEC §4, §14): ``attention`` says why, the
    ``needs_attention`` list shows it, history records it and a ``booking.needs_attention``
    webhook goes out. The booking itself (status, time, invites) stays as it is."""
    flagged = dataclasses.replace(booking, attention=why)
    bookings.save(session, flagged)
    record_event(session, flagged, "needs_attention", actor=actor, now=now, detail=why)
    if announcer is not None:
        [view] = bookings.views(session, [flagged])
        announcer.announce(session, view, "needs_attention", now=now)
    return flagged


def relabel(
    session: Session,
    booking: StoredBooking,
    cases: tuple[BookedCase, ...],
    *,
    actor: str,
    now: datetime,
    announcer: Notifier | None,
    note: str,
) -> StoredBooking:
    """Store the booking's cases at their new level of review (SPEC §14). A scheduled call's
    invite names the level, so its SEQUENCE rises and calendars get the updated REQUEST; a
    pending request has no invite yet. Always a ``booking.updated`` webhook."""
    bookings.relabel(session, booking.id, cases, now=now)
    scheduled = booking.status == BookingStatus.SCHEDULED
    changed = dataclasses.replace(
        booking,
        valid_until=min(case.valid_until for case in cases),
        sequence=booking.sequence + (1 if scheduled else 0),
        updated_at=now,
    )
    bookings.save(session, changed)
    record_event(session, changed, "updated", actor=actor, now=now, detail=note)
    if announcer is not None:
        [view] = bookings.views(session, [changed])
        announcer.announce(session, view, "updated", now=now, note=note)
    return changed


def complete(
    *,
    engine: Engine,
    now: datetime,
    booking_id: str,
    outcome: str,
    notes: str,
    actor: str,
    scope: Scope,
    any_time: bool = False,
    announcer: Notifier | None = None,
) -> BookingView:
    """Record the outcome; before the call's start only when ``any_time`` (an admin's
    correction). An admin may also record a completed booking's outcome again: a
    different code is a correction (announced again, SPEC §14), the same one only
    replaces the notes."""
    if outcome not in OUTCOMES:
        raise InvalidInput(
            f"Choose the call's outcome: one of {', '.join(OUTCOMES)}.", field="outcome"
        )
    with transaction(engine) as session:
        if any_time:
            found = bookings.get(session, booking_id, scope=scope, lock=True)
            if found is not None and found.status == BookingStatus.COMPLETED:
                return _correct(
                    session, found, outcome, notes, now=now, actor=actor, announcer=announcer
                )
        booking = _locked(session, booking_id, "complete", scope)
        if not any_time:
            _refuse_before_start(session, booking, "complete", now)
        view = _transition(
            session,
            booking,
            "complete",
            now=now,
            actor=actor,
            detail=outcome,
            announcer=announcer,
            outcome=outcome,
            outcome_notes=notes or None,
            outcome_recorded_at=now,
        )
    return view


def _correct(
    session: Session,
    booking: StoredBooking,
    outcome: str,
    notes: str,
    *,
    now: datetime,
    actor: str,
    announcer: Notifier | None,
) -> BookingView:
    """An admin records a completed booking's outcome again (UM operations' correction)."""
    changed_code = outcome != booking.outcome
    changed = dataclasses.replace(
        booking,
        outcome=outcome,
        outcome_notes=notes or None,
        outcome_recorded_at=now if changed_code else booking.outcome_recorded_at,
        updated_at=now,
    )
    bookings.save(session, changed)
    record_event(
        session,
        changed,
        "outcome_corrected",
        actor=actor,
        now=now,
        detail=f"{booking.outcome} -> {outcome}",
    )
    [view] = bookings.views(session, [changed])
    if announcer is not None and changed_code:
        announcer.announce(session, view, "completed", now=now, corrected=True)
    return view


def no_show(
    *,
    engine: Engine,
    now: datetime,
    booking_id: str,
    party: str,
    notes: str,
    actor: str,
    scope: Scope,
    any_time: bool = False,
    announcer: Notifier | None = None,
) -> BookingView:
    """Record who did not answer; before the call's start only when ``any_time`` (an
    admin's correction)."""
    if party not in NO_SHOW_PARTIES:
        raise InvalidInput("Say who did not answer: 'provider' or 'reviewer'.", field="party")
    with transaction(engine) as session:
        booking = _locked(session, booking_id, "no_show", scope)
        if not any_time:
            _refuse_before_start(session, booking, "no_show", now)
        holds.release_booking(session, booking_id)
        view = _transition(
            session,
            booking,
            "no_show",
            now=now,
            actor=actor,
            detail=party,
            announcer=announcer,
            no_show_party=party,
            outcome_notes=notes or None,
        )
    return view


def _cursor(booking: BookingView) -> str:
    raw = f"{booking.created_at.isoformat()}|{booking.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, booking_id = raw.split("|", 1)
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None or not 1900 <= created_at.year <= 2200:
            raise ValueError("not a cursor of ours")
        if has_control_characters(booking_id):  # NUL: PostgreSQL cannot even compare it
            raise ValueError("not a cursor of ours")
        return created_at.astimezone(UTC), booking_id
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise InvalidInput("This cursor is not one this API returned.", field="cursor") from None


def search(
    *, engine: Engine, filters: BookingFilter, scope: Scope, limit: int, cursor: str | None
) -> tuple[list[BookingView], str | None]:
    """My P2P requests: newest first, ``limit`` at a time, with an opaque cursor for the next page."""
    limit = max(1, min(limit, MAX_PAGE))
    before = _decode_cursor(cursor) if cursor else None
    with transaction(engine) as session:
        found = bookings.search(session, filters, scope=scope, before=before, limit=limit + 1)
        views = bookings.views(session, found[:limit])
    return views, (_cursor(views[-1]) if len(found) > limit else None)
