"""After booking: My P2P requests, reschedule, cancel, complete, no-show.

Every state change is checked against ``TRANSITIONS`` (data, not scattered ``if``s) while the
booking row is locked, writes a history event, and releases or re-claims the reviewer's
cells in the same transaction as the change.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from p2p_scheduler.db import repo
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import (
    BookingCaseRow,
    BookingRow,
    SlotCellRow,
)
from p2p_scheduler.domain.errors import InvalidInput, InvalidTransition, NotFound, SlotTaken
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.services.booking import (
    Announcer,
    BookingView,
    Limits,
    SlotRequest,
    check_request,
    check_slot,
    claim_cells,
    get_booking,
    record_event,
    refuse_booked_cases,
    view_of,
)

#: action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "reschedule": (frozenset({"scheduled"}), "scheduled"),
    "cancel": (frozenset({"scheduled", "pending_assignment"}), "cancelled"),
    "complete": (frozenset({"scheduled"}), "completed"),
    "no_show": (frozenset({"scheduled"}), "no_show"),
}
#: actions that change what calendars show, so the invite's SEQUENCE rises (SPEC §9)
SEQUENCED = frozenset({"reschedule", "cancel"})

CANCEL_REASONS = (
    "provider_unavailable",
    "reviewer_unavailable",
    "case_resolved",
    "scheduled_in_error",
    "duplicate",
    "other",
)
OUTCOMES = ("upheld", "overturned", "modified", "information_only")
NO_SHOW_PARTIES = ("provider", "reviewer")
MAX_PAGE = 100


def _locked(session: Session, booking_id: str, action: str) -> BookingRow:
    row = session.get(BookingRow, booking_id, with_for_update=True)
    if row is None:
        raise NotFound(f"No booking {booking_id!r} exists.")
    allowed, _ = TRANSITIONS[action]
    if row.status not in allowed:
        raise InvalidTransition(
            f"A {row.status.replace('_', ' ')} booking cannot be {_past(action)}; "
            f"only a {' or '.join(sorted(s.replace('_', ' ') for s in allowed))} one can.",
            booking_status=row.status,
        )
    return row


def _past(action: str) -> str:
    return {"reschedule": "rescheduled", "cancel": "cancelled", "complete": "completed"}.get(
        action, "marked as a no-show"
    )


def _transition(
    session: Session,
    row: BookingRow,
    action: str,
    *,
    now: datetime,
    actor: str,
    detail: str = "",
    announcer: Announcer | None = None,
    previous_reviewer_id: str | None = None,
) -> None:
    _, target = TRANSITIONS[action]
    row.status = target
    row.attention = None  # a person or the service has acted on the booking
    if action in SEQUENCED:
        row.sequence += 1
    row.updated_at = now
    session.add(row)
    if target != "scheduled":
        session.exec(  # type: ignore[call-overload]
            update(BookingCaseRow).where(BookingCaseRow.booking_id == row.id).values(active=False)  # type: ignore[arg-type]
        )
    event = "no_show" if action == "no_show" else _past(action)
    record_event(session, row, event, actor=actor, now=now, detail=detail)
    session.flush()
    if announcer is not None:
        announcer.announce(session, row, event, now=now, previous_reviewer_id=previous_reviewer_id)


def _release(session: Session, booking_id: str) -> None:
    session.exec(delete(SlotCellRow).where(SlotCellRow.booking_id == booking_id))  # type: ignore[call-overload, arg-type]


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
    announcer: Announcer | None = None,
) -> BookingView:
    """New start and/or reviewer; same id, sequence + 1, old time released, eligibility re-checked."""
    try:
        with transaction(engine) as session:
            row = _locked(session, booking_id, "reschedule")
            lookups = repo.booking_lookups(session, booking_id)
            numbers = [number for number, _ in lookups]
            slot = SlotRequest(
                cases=lookups,
                reviewer_id=reviewer_id or row.reviewer_id or "",
                start=start,
                time_zone=row.time_zone,
            )
            request = check_request(session, policy=policy, now=now, cases=slot.cases)
            _release(session, booking_id)
            new_start, new_end, _ = check_slot(
                session,
                limits=limits,
                now=now,
                request=request,
                slot=slot,
                ignore_booking=booking_id,
            )
            refuse_booked_cases(session, numbers, ignore=booking_id)
            claim_cells(
                session,
                reviewer_id=slot.reviewer_id,
                start=new_start,
                end=new_end,
                limits=limits,
                now=now,
                booking_id=booking_id,
            )
            previous = (
                f"from {row.start_at.isoformat() if row.start_at else '-'} with {row.reviewer_id}"
            )
            previous_reviewer_id = row.reviewer_id
            row.reviewer_id, row.start_at, row.end_at = slot.reviewer_id, new_start, new_end
            assert request.valid_until is not None
            row.valid_until = request.valid_until
            _transition(
                session,
                row,
                "reschedule",
                now=now,
                actor=actor,
                detail=previous,
                announcer=announcer,
                previous_reviewer_id=previous_reviewer_id,
            )
    except IntegrityError:
        raise SlotTaken("Someone else booked this time a moment ago. Pick another time.") from None
    return get_booking(engine=engine, booking_id=booking_id)


def cancel(
    *,
    engine: Engine,
    now: datetime,
    booking_id: str,
    reason_code: str,
    reason_text: str,
    actor: str,
    announcer: Announcer | None = None,
) -> BookingView:
    if reason_code not in CANCEL_REASONS:
        raise InvalidInput(
            f"reason_code must be one of {', '.join(CANCEL_REASONS)}.", field="reason_code"
        )
    if reason_code == "other" and not reason_text.strip():
        raise InvalidInput(
            "Say why in reason_text when the reason_code is 'other'.", field="reason_text"
        )
    with transaction(engine) as session:
        row = _locked(session, booking_id, "cancel")
        row.cancel_reason_code, row.cancel_reason_text = reason_code, reason_text or None
        # Nothing is left to manage: the manage link dies; the invite link keeps serving
        # the CANCEL until it expires (SPEC §9).
        row.manage_link_version += 1
        _release(session, booking_id)
        _transition(
            session, row, "cancel", now=now, actor=actor, detail=reason_code, announcer=announcer
        )
    return get_booking(engine=engine, booking_id=booking_id)


def complete(
    *,
    engine: Engine,
    now: datetime,
    booking_id: str,
    outcome: str,
    notes: str,
    actor: str,
    announcer: Announcer | None = None,
) -> BookingView:
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}.", field="outcome")
    with transaction(engine) as session:
        row = _locked(session, booking_id, "complete")
        row.outcome, row.outcome_notes = outcome, notes or None
        _transition(
            session, row, "complete", now=now, actor=actor, detail=outcome, announcer=announcer
        )
    return get_booking(engine=engine, booking_id=booking_id)


def no_show(
    *,
    engine: Engine,
    now: datetime,
    booking_id: str,
    party: str,
    notes: str,
    actor: str,
    announcer: Announcer | None = None,
) -> BookingView:
    if party not in NO_SHOW_PARTIES:
        raise InvalidInput("party must be 'provider' or 'reviewer'.", field="party")
    with transaction(engine) as session:
        row = _locked(session, booking_id, "no_show")
        row.no_show_party, row.outcome_notes = party, notes or None
        _release(session, booking_id)
        _transition(
            session, row, "no_show", now=now, actor=actor, detail=party, announcer=announcer
        )
    return get_booking(engine=engine, booking_id=booking_id)


@dataclass(frozen=True, slots=True)
class BookingFilter:
    case_number: str | None = None
    status: str | None = None
    reviewer_id: str | None = None
    provider_email: str | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None
    needs_attention: bool | None = None


def _cursor(row: BookingRow) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, booking_id = raw.split("|", 1)
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None or not 1900 <= created_at.year <= 2200:
            raise ValueError("not a cursor of ours")
        return created_at.astimezone(UTC), booking_id
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise InvalidInput("This cursor is not one this API returned.", field="cursor") from None


def search(
    *, engine: Engine, filters: BookingFilter, limit: int, cursor: str | None
) -> tuple[list[BookingView], str | None]:
    """My P2P requests: newest first, ``limit`` at a time, with an opaque cursor for the next page."""
    limit = max(1, min(limit, MAX_PAGE))
    query = select(BookingRow)
    if filters.case_number:
        query = query.where(
            BookingRow.id.in_(  # type: ignore[attr-defined]
                select(BookingCaseRow.booking_id).where(
                    BookingCaseRow.case_number == filters.case_number
                )
            )
        )
    if filters.status:
        query = query.where(BookingRow.status == filters.status)
    if filters.reviewer_id:
        query = query.where(BookingRow.reviewer_id == filters.reviewer_id)
    if filters.provider_email:
        query = query.where(BookingRow.provider_email == filters.provider_email)
    if filters.start_from:
        query = query.where(BookingRow.start_at >= filters.start_from)  # type: ignore[operator]
    if filters.start_to:
        query = query.where(BookingRow.start_at < filters.start_to)  # type: ignore[operator]
    if filters.needs_attention is not None:
        flagged = BookingRow.attention.is_not(None)  # type: ignore[union-attr]
        query = query.where(flagged if filters.needs_attention else ~flagged)
    if cursor:
        created_at, booking_id = _decode_cursor(cursor)
        query = query.where(
            or_(
                BookingRow.created_at < created_at,  # type: ignore[arg-type]
                (BookingRow.created_at == created_at) & (BookingRow.id < booking_id),  # type: ignore[arg-type, operator]
            )
        )
    query = query.order_by(BookingRow.created_at.desc(), BookingRow.id.desc()).limit(limit + 1)  # type: ignore[attr-defined]
    with transaction(engine) as session:
        rows = list(session.exec(query))
        views = [view_of(session, row) for row in rows[:limit]]
    return views, (_cursor(rows[limit - 1]) if len(rows) > limit else None)
