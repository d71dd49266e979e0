"""Holding and booking a slot: the checks at commit time and the claim on the reviewer's time.

Every use case here owns one transaction. The request is re-evaluated inside it (cases,
eligibility, reviewer qualification, the slot against hours, time off, notice, horizon,
valid-until and daily cap), then the reviewer's 15-minute cells are claimed (``db.holds``):
of two transactions claiming overlapping time, the database lets exactly one commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from p2p_scheduler.db import bookings, holds, repo
from p2p_scheduler.db.engine import Engine, Session, WriteConflict, transaction
from p2p_scheduler.domain import availability, qualification
from p2p_scheduler.domain.access import EVERYTHING, Scope
from p2p_scheduler.domain.bookings import (
    GRID_MINUTES,
    BookedCase,
    BookingView,
    Contact,
    HoldView,
    Limits,
    ReviewerSummary,
    SlotRequest,
    StoredBooking,
    StoredHold,
    grid_cells,
)
from p2p_scheduler.domain.eligibility import RequestEligibility
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.errors import (
    CaseAlreadyBooked,
    InvalidInput,
    NotEligible,
    NotFound,
    NotQualified,
    SlotTaken,
)
from p2p_scheduler.domain.model import ReviewerProfile, Weekday
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.domain.time_text import moment_label
from p2p_scheduler.services import audit, p2p_record, reviewer_calendars
from p2p_scheduler.services.idempotency import Claim
from p2p_scheduler.services.lookup import evaluate_lookups
from p2p_scheduler.services.notifications import Notifier

__all__ = [
    "BookedCase",
    "BookingView",
    "Contact",
    "HoldView",
    "Limits",
    "ReviewerSummary",
    "SlotRequest",
    "book",
    "check_request",
    "check_slot",
    "get_booking",
    "hold",
    "release_hold",
]


class CheckedSlot(NamedTuple):
    start: datetime
    end: datetime
    reviewer: ReviewerProfile


# ---- checks shared by hold and book ---------------------------------------------------------


def check_request(
    session: Session, *, policy: Policy, now: datetime, cases: tuple[tuple[str, date], ...]
) -> RequestEligibility:
    """Evaluate the request's cases; 422 naming the case that is unknown or not eligible."""
    request = evaluate_lookups(session, policy=policy, now=now, cases=cases)
    for index, result in enumerate(request.cases):
        if not result.found:
            raise InvalidInput(
                f"Case {result.case_number} was not found with that member date of birth. "
                "Check both and look the case up again.",
                field=f"cases[{index}]",
            )
    if not request.eligible:
        raise NotEligible(" ".join(request.messages), blocking_cases=list(request.blocking_cases))
    return request


def _reviewer_calendar(
    session: Session,
    *,
    reviewer_id: str,
    request: RequestEligibility,
    window: availability.Interval,
    limits: Limits,
    now: datetime,
    ignore_booking: str | None = None,
) -> availability.ReviewerCalendar:
    """The reviewer's calendar for ``window``; 422 when unknown or not qualified for every case.

    Locks the reviewer (PostgreSQL; SQLite already holds its write lock) so that concurrent
    bookings of one reviewer count the daily cap one after the other.
    """
    profile = repo.get_reviewer(session, reviewer_id, lock=True)
    if profile is None:
        raise InvalidInput(f"No reviewer {reviewer_id!r} exists.", field="reviewer_id")
    tier = qualification.tier_for(profile, request.cases)
    if tier is None:
        raise NotQualified(
            f"{profile.name} is not qualified for every case of this request "
            "(skill, licence in the member's state, or excluded as the determining physician). "
            "Pick a reviewer from the availability list.",
            field="reviewer_id",
        )
    [calendar] = reviewer_calendars.read(
        session,
        [(profile, tier)],
        window,
        now=now,
        limits=limits,
        ignore=[ignore_booking] if ignore_booking else (),
        claims=False,
    )
    return calendar


def check_slot(
    session: Session,
    *,
    limits: Limits,
    now: datetime,
    request: RequestEligibility,
    slot: SlotRequest,
    ignore_booking: str | None = None,
) -> CheckedSlot:
    """Validate the chosen start for the request (start and end in UTC, and the reviewer)."""
    start = slot.start.astimezone(UTC)
    if start.second or start.microsecond or start.minute % GRID_MINUTES:
        raise InvalidInput(
            "The start must be on the 15-minute grid (e.g. 14:00, 14:15, 14:30, 14:45).",
            field="start",
        )
    end = start + timedelta(minutes=request.duration_minutes)
    if start <= now:
        raise InvalidInput(
            "The start is in the past. Pick a time from the availability list.", field="start"
        )
    if start < now + timedelta(minutes=limits.min_notice_minutes):
        raise InvalidInput(
            f"P2Ps need at least {limits.min_notice_minutes} minutes' notice. Pick a later time.",
            field="start",
        )
    if end > now + timedelta(days=limits.max_horizon_days):
        raise InvalidInput(
            f"P2Ps can be booked at most {limits.max_horizon_days} days ahead.", field="start"
        )
    assert request.valid_until is not None
    if end > request.valid_until:
        raise InvalidInput(
            "This time ends after the P2P window closes "
            f"({moment_label(request.valid_until, slot.time_zone)}). Pick an earlier time.",
            field="start",
        )
    calendar = _reviewer_calendar(
        session,
        reviewer_id=slot.reviewer_id,
        request=request,
        window=availability.Interval(start - timedelta(days=1), end + timedelta(days=1)),
        limits=limits,
        now=now,
        ignore_booking=ignore_booking,
    )
    query = availability.SlotQuery(
        duration_minutes=request.duration_minutes,
        not_before=start,
        not_after=end,
        week_start=availability.week_bounds(None, "UTC", start)[0],
        requester_zone="UTC",
        days=frozenset(Weekday),
        hours=frozenset(range(24)),
    )
    if not any(s.start == start for s in availability.free_slots(calendar, query)):
        raise SlotTaken(
            f"{calendar.profile.name} is not available at that time (outside working hours, "
            "time off, or their day is full). Pick a time from the availability list."
        )
    return CheckedSlot(start, end, calendar.profile)


def claim_cells(
    session: Session,
    *,
    reviewer_id: str,
    start: datetime,
    end: datetime,
    limits: Limits,
    now: datetime,
    booking_id: str | None = None,
    hold_id: str | None = None,
    expires_at: datetime | None = None,
) -> None:
    """Claim the reviewer's cells for [start, end + buffer); 409 when any is taken or held."""
    holds.claim(
        session,
        reviewer_id=reviewer_id,
        cells=grid_cells(start, limits.claimed_until(start, end)),
        now=now,
        booking_id=booking_id,
        hold_id=hold_id,
        expires_at=expires_at,
    )


def check_new(
    session: Session,
    *,
    policy: Policy,
    limits: Limits,
    now: datetime,
    slot: SlotRequest,
    scope: Scope,
) -> tuple[RequestEligibility, CheckedSlot]:
    """Everything a new hold or booking of ``slot`` must pass before it claims the time:
    eligible cases, a free start of a qualified reviewer, no case in another active booking
    (named only when the caller's ``scope`` admits it) and no case past its no-show limit."""
    request = check_request(session, policy=policy, now=now, cases=slot.cases)
    checked = check_slot(session, limits=limits, now=now, request=request, slot=slot)
    numbers = [case.case_number for case in request.cases]
    refuse_booked_cases(session, numbers, scope=scope)
    refuse_after_no_shows(session, numbers, limits)
    # a request offers what it asks for, even when no look-up or search came first
    p2p_record.record_offers(session, request.cases, now=now)
    return request, checked


# ---- holds --------------------------------------------------------------------------------


def hold(
    *,
    engine: Engine,
    policy: Policy,
    limits: Limits,
    now: datetime,
    slot: SlotRequest,
    actor: str,
    scope: Scope = EVERYTHING,
) -> HoldView:
    """Hold a slot for ``limits.hold_minutes`` while the contact form is filled in. A case
    is in one live hold at a time: holding another slot releases the earlier hold."""
    with transaction(engine) as session:
        _, (start, end, _) = check_new(
            session, policy=policy, limits=limits, now=now, slot=slot, scope=scope
        )
        case_numbers = tuple(number for number, _ in slot.cases)
        holds.release_other_holds_of(session, case_numbers, keep=(slot.reviewer_id, start), now=now)
        stored = StoredHold(
            id=str(uuid.uuid4()),
            reviewer_id=slot.reviewer_id,
            start_at=start,
            end_at=end,
            expires_at=now + timedelta(minutes=limits.hold_minutes),
            case_numbers=case_numbers,
            time_zone=slot.time_zone,
            created_by=actor,
        )
        holds.add(session, stored)
        claim_cells(
            session,
            reviewer_id=slot.reviewer_id,
            start=start,
            end=end,
            limits=limits,
            now=now,
            hold_id=stored.id,
            expires_at=stored.expires_at,
        )
    return HoldView(stored.id, slot.reviewer_id, start, end, stored.expires_at, slot.time_zone)


def release_hold(*, engine: Engine, hold_id: str) -> None:
    with transaction(engine) as session:
        if holds.get(session, hold_id) is None:
            raise NotFound(f"No hold {hold_id!r} exists (it may have expired or been used).")
        holds.remove(session, hold_id)


def _consume_hold(session: Session, *, hold_id: str, slot: SlotRequest, now: datetime) -> None:
    """Release the caller's own hold on exactly this slot so the booking can claim it."""
    found = holds.get(session, hold_id, lock=True)
    if found is None or found.expires_at <= now:
        raise InvalidInput(
            "This hold has expired or does not exist. Pick the time again.", field="hold_id"
        )
    same = (
        found.reviewer_id == slot.reviewer_id
        and found.start_at == slot.start.astimezone(UTC)
        and found.case_numbers == tuple(number for number, _ in slot.cases)
    )
    if not same:
        raise InvalidInput(
            "This hold is for a different reviewer, time or set of cases.", field="hold_id"
        )
    holds.remove(session, hold_id)


def refuse_after_no_shows(session: Session, case_numbers: list[str], limits: Limits) -> None:
    """After a provider no-show a case may be booked ``limits.no_show_rebooks`` more times."""
    for case_number, count in bookings.provider_no_shows(session, case_numbers).items():
        if count > limits.no_show_rebooks:
            raise NotEligible(
                f"Case {case_number} has had {count} P2Ps where the provider could not be reached; "
                "it cannot be booked again online. Please call us to schedule.",
                blocking_cases=[case_number],
            )


def refuse_booked_cases(
    session: Session, case_numbers: list[str], ignore: str | None = None, *, scope: Scope
) -> None:
    """409 when a case is in another active booking, naming that booking when the caller may
    see it; to a caller outside its scope (another organisation's) the booking stays unknown
    (SPEC §10), so only the case is named."""
    found = bookings.active_booking_of(session, case_numbers, ignore=ignore)
    if found is not None:
        case_number, booking_id = found
        if not bookings.exists(session, booking_id, scope=scope):
            raise CaseAlreadyBooked(
                f"Case {case_number} already has an active P2P booking, made by another "
                "organisation; a case has one active P2P at a time.",
                case_number=case_number,
            )
        raise CaseAlreadyBooked(
            f"Case {case_number} is already in an active P2P booking ({booking_id}). "
            "Reschedule that booking instead.",
            booking_id=booking_id,
            case_number=case_number,
        )


# ---- booking ------------------------------------------------------------------------------


def check_contact(policy: Policy, contact: Contact) -> None:
    if contact.provider_role not in policy.provider_roles:
        raise InvalidInput(
            f"The P2P must be held by one of: {', '.join(policy.provider_roles)}.",
            field="contact.provider_role",
        )


def new_booking(
    *,
    booking_id: str,
    status: BookingStatus,
    request: RequestEligibility,
    contact: Contact,
    time_zone: str,
    actor: str,
    now: datetime,
    reviewer_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    preferred_days: tuple[Weekday, ...] | None = None,
    preferred_hours: tuple[int, ...] | None = None,
    provider_org: str | None = None,
) -> tuple[StoredBooking, tuple[BookedCase, ...]]:
    """A booking of ``request`` and its cases, as they are about to be stored."""
    assert request.valid_until is not None
    booked = []
    for case in request.cases:
        assert case.level_of_review is not None and case.valid_until is not None
        booked.append(BookedCase(case.case_number, case.level_of_review.value, case.valid_until))
    stored = StoredBooking(
        id=booking_id,
        status=status,
        reviewer_id=reviewer_id,
        start_at=start,
        end_at=end,
        duration_minutes=request.duration_minutes,
        time_zone=time_zone,
        valid_until=request.valid_until,
        provider_name=contact.provider_name,
        provider_role=contact.provider_role,
        contact_name=contact.contact_name,
        contact_location=contact.contact_location,
        phone=contact.phone,
        phone_ext=contact.phone_ext,
        alt_phone=contact.alt_phone,
        alt_phone_ext=contact.alt_phone_ext,
        provider_email=contact.email,
        provider_org=provider_org,
        instructions=contact.instructions,
        preferred_days=preferred_days,
        preferred_hours=preferred_hours,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    return stored, tuple(booked)


def book(
    *,
    engine: Engine,
    policy: Policy,
    limits: Limits,
    now: datetime,
    slot: SlotRequest,
    contact: Contact,
    hold_id: str | None,
    actor: str,
    provider_org: str | None = None,
    scope: Scope = EVERYTHING,
    announcer: Notifier | None = None,
    key_claim: Claim | None = None,
    render: Callable[[BookingView], str] | None = None,
) -> BookingView:
    """Book the slot (consuming ``hold_id`` when given) for ``provider_org``, for a caller
    who sees ``scope``; the database refuses overlaps. With an Idempotency-Key's ``key_claim``,
    the answer (``render`` of the booking, a 201) is stored in the booking's transaction."""
    check_contact(policy, contact)
    assert key_claim is None or render is not None, "a claim's answer needs its renderer"
    try:
        with transaction(engine) as session:
            if key_claim is not None:
                key_claim.enter(session)
            request, (start, end, reviewer) = check_new(
                session, policy=policy, limits=limits, now=now, slot=slot, scope=scope
            )
            if hold_id is not None:
                _consume_hold(session, hold_id=hold_id, slot=slot, now=now)
            stored, booked = new_booking(
                booking_id=str(uuid.uuid4()),
                status=BookingStatus.SCHEDULED,
                request=request,
                contact=contact,
                time_zone=slot.time_zone,
                actor=actor,
                now=now,
                reviewer_id=slot.reviewer_id,
                start=start,
                end=end,
                provider_org=provider_org,
            )
            bookings.insert_booking(session, stored, booked)
            claim_cells(
                session,
                reviewer_id=slot.reviewer_id,
                start=start,
                end=end,
                limits=limits,
                now=now,
                booking_id=stored.id,
            )
            record_event(session, stored, "scheduled", actor=actor, now=now, created=True)
            view = BookingView.of(
                stored,
                booked,
                ReviewerSummary.of(reviewer),
            )
            if announcer is not None:
                announcer.announce(session, view, "scheduled", now=now)
            if key_claim is not None and render is not None:
                key_claim.answer(session, 201, render(view))
    except WriteConflict:  # a concurrent commit won the race at COMMIT time
        raise SlotTaken("Someone else booked this time a moment ago. Pick another time.") from None
    return view


def record_event(
    session: Session,
    booking: StoredBooking,
    event: str,
    *,
    actor: str,
    now: datetime,
    detail: str = "",
    created: bool = False,
) -> None:
    """Append the booking's state after a change to its history and to the audit trail
    (``created``: the booking is new in this transaction, so the audit has no *before*)."""
    audit.booking(session, booking, event, actor=actor, now=now, reason=detail, created=created)
    bookings.add_event(session, booking, event, actor=actor, now=now, detail=detail)


def require_in_scope(engine: Engine, booking_id: str, scope: Scope) -> None:
    """``NotFound`` unless the booking exists within ``scope``: the caller's scope comes
    before every other rule, a malformed body included (SPEC §10)."""
    with transaction(engine) as session:
        if not bookings.exists(session, booking_id, scope=scope):
            raise NotFound(f"No booking {booking_id!r} exists.")


def get_booking(*, engine: Engine, booking_id: str, scope: Scope) -> BookingView:
    with transaction(engine) as session:
        found = bookings.view(session, booking_id, scope=scope)
    if found is None:
        raise NotFound(f"No booking {booking_id!r} exists.")
    return found
