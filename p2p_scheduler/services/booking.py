"""Holding and booking a slot: the checks at commit time and the claim on the reviewer's time.

Every use case here owns one transaction. The request is re-evaluated inside it (cases,
eligibility, reviewer qualification, the slot against hours, time off, notice, horizon,
valid-until and daily cap), then the reviewer's 15-minute cells are claimed. The cells'
primary key is what makes double booking impossible, on SQLite and PostgreSQL alike: of
two transactions claiming overlapping time, the database lets exactly one commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple, Protocol

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from p2p_scheduler.config import ServiceSettings
from p2p_scheduler.db import calendar_reads, repo
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import (
    BookingCaseRow,
    BookingEventRow,
    BookingRow,
    HoldRow,
    ReviewerRow,
    SlotCellRow,
)
from p2p_scheduler.domain import availability, qualification
from p2p_scheduler.domain.eligibility import RequestEligibility
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
from p2p_scheduler.services import audit
from p2p_scheduler.services.lookup import evaluate_lookups

GRID_MINUTES = 15
ACTIVE_STATUSES = ("scheduled", "pending_assignment")


@dataclass(frozen=True, slots=True)
class Limits:
    """The availability limits of SPEC §3, from settings."""

    min_notice_minutes: int = 120
    max_horizon_days: int = 30
    hold_minutes: int = 5
    buffer_minutes: int = 0
    #: bookings a case may still get after the provider failed to answer (SPEC §9)
    no_show_rebooks: int = 1

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Limits:
        return cls(
            min_notice_minutes=settings.min_notice_minutes,
            max_horizon_days=settings.max_horizon_days,
            hold_minutes=settings.hold_minutes,
            buffer_minutes=settings.buffer_minutes,
            no_show_rebooks=settings.no_show_rebooks,
        )


@dataclass(frozen=True, slots=True)
class Contact:
    provider_name: str
    provider_role: str
    phone: str
    email: str
    contact_name: str = ""
    contact_location: str = ""
    phone_ext: str = ""
    alt_phone: str = ""
    alt_phone_ext: str = ""
    instructions: str = ""


@dataclass(frozen=True, slots=True)
class SlotRequest:
    """Cases (number, member DOB) + reviewer + start + the requester's zone."""

    cases: tuple[tuple[str, date], ...]
    reviewer_id: str
    start: datetime
    time_zone: str


@dataclass(frozen=True, slots=True)
class HoldView:
    hold_id: str
    reviewer_id: str
    start: datetime
    end: datetime
    expires_at: datetime
    time_zone: str


@dataclass(frozen=True, slots=True)
class BookedCase:
    case_number: str
    level_of_review: str
    valid_until: datetime


@dataclass(frozen=True, slots=True)
class ReviewerSummary:
    reviewer_id: str
    name: str
    credentials: str


@dataclass(frozen=True, slots=True)
class BookingView:
    id: str
    status: str
    start: datetime | None
    end: datetime | None
    time_zone: str
    sequence: int
    duration_minutes: int
    valid_until: datetime
    reviewer: ReviewerSummary | None
    cases: tuple[BookedCase, ...]
    contact: Contact
    created_at: datetime
    invite_link_version: int = 0
    manage_link_version: int = 0
    attention: str | None = None


class Announcer(Protocol):
    """Writes a booking change's notifications in the change's own transaction
    (``notifications.Notifier``; a protocol so that this module need not import it)."""

    def announce(
        self,
        session: Session,
        row: BookingRow,
        event: str,
        *,
        now: datetime,
        view: BookingView | None = None,
        previous_reviewer_id: str | None = None,
    ) -> None: ...


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
    # A day of 25 hours (DST ends) can hold bookings up to a day beyond the window's margin.
    wider = availability.Interval(window.start - timedelta(days=1), window.end + timedelta(days=1))
    starts = [
        start
        for _, start, _ in calendar_reads.scheduled_spans(
            session, [reviewer_id], wider, ignore=[ignore_booking] if ignore_booking else ()
        )
    ]
    return availability.ReviewerCalendar(
        profile=profile,
        tier=tier,
        busy=tuple(calendar_reads.time_off(session, [reviewer_id], window).get(reviewer_id, ())),
        booked_per_day=availability.per_local_day(starts, profile.time_zone),
    )


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
            "This time ends after the request's P2P window closes "
            f"({request.valid_until.isoformat()}). Pick an earlier time.",
            field="start",
        )
    window = availability.Interval(start - timedelta(days=1), end + timedelta(days=1))
    calendar = _reviewer_calendar(
        session,
        reviewer_id=slot.reviewer_id,
        request=request,
        window=window,
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


def _cells(start: datetime, end: datetime) -> list[datetime]:
    cells = []
    cell = start
    while cell < end:
        cells.append(cell)
        cell += timedelta(minutes=GRID_MINUTES)
    return cells


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
    claimed_until = end + timedelta(minutes=limits.buffer_minutes)
    last = claimed_until
    if (rest := (claimed_until - start) % timedelta(minutes=GRID_MINUTES)) != timedelta(0):
        last = claimed_until + (timedelta(minutes=GRID_MINUTES) - rest)
    cells = _cells(start, last)
    # Expired holds give their time back (their cells go with them: ON DELETE CASCADE).
    session.exec(
        delete(HoldRow).where(HoldRow.reviewer_id == reviewer_id, HoldRow.expires_at <= now)
    )  # type: ignore[call-overload, arg-type]
    taken = session.exec(
        select(SlotCellRow).where(
            SlotCellRow.reviewer_id == reviewer_id,
            SlotCellRow.cell_at.in_(cells),  # type: ignore[attr-defined]
        )
    ).first()
    if taken is not None:
        raise SlotTaken(_taken_message(taken))
    session.add_all(
        SlotCellRow(
            reviewer_id=reviewer_id,
            cell_at=cell,
            booking_id=booking_id,
            hold_id=hold_id,
            expires_at=expires_at,
        )
        for cell in cells
    )
    try:
        session.flush()
    except IntegrityError:
        raise SlotTaken(
            "Someone else booked or held this time a moment ago. Pick another time."
        ) from None


def _taken_message(cell: SlotCellRow) -> str:
    if cell.booking_id is not None:
        return (
            f"This time overlaps another P2P of this reviewer (booking {cell.booking_id}). "
            "Pick another time."
        )
    return "This time is being held by someone else for a few minutes. Pick another time."


# ---- holds --------------------------------------------------------------------------------


def hold(
    *, engine: Engine, policy: Policy, limits: Limits, now: datetime, slot: SlotRequest, actor: str
) -> HoldView:
    """Hold a slot for ``limits.hold_minutes`` while the contact form is filled in."""
    with transaction(engine) as session:
        request = check_request(session, policy=policy, now=now, cases=slot.cases)
        start, end, _ = check_slot(session, limits=limits, now=now, request=request, slot=slot)
        refuse_booked_cases(session, [c.case_number for c in request.cases])
        refuse_after_no_shows(session, [c.case_number for c in request.cases], limits)
        hold_id = str(uuid.uuid4())
        expires_at = now + timedelta(minutes=limits.hold_minutes)
        session.add(
            HoldRow(
                id=hold_id,
                reviewer_id=slot.reviewer_id,
                start_at=start,
                end_at=end,
                expires_at=expires_at,
                case_numbers=",".join(number for number, _ in slot.cases),
                time_zone=slot.time_zone,
                created_by=actor,
            )
        )
        session.flush()
        claim_cells(
            session,
            reviewer_id=slot.reviewer_id,
            start=start,
            end=end,
            limits=limits,
            now=now,
            hold_id=hold_id,
            expires_at=expires_at,
        )
    return HoldView(hold_id, slot.reviewer_id, start, end, expires_at, slot.time_zone)


def release_hold(*, engine: Engine, hold_id: str) -> None:
    with transaction(engine) as session:
        row = session.get(HoldRow, hold_id)
        if row is None:
            raise NotFound(f"No hold {hold_id!r} exists (it may have expired or been used).")
        session.exec(delete(SlotCellRow).where(SlotCellRow.hold_id == hold_id))  # type: ignore[call-overload, arg-type]
        session.delete(row)


def _consume_hold(
    session: Session, *, hold_id: str, slot: SlotRequest, start: datetime, now: datetime
) -> None:
    """Release the caller's own hold on exactly this slot so the booking can claim it."""
    row = session.get(HoldRow, hold_id, with_for_update=True)
    if row is None or row.expires_at <= now:
        raise InvalidInput(
            "This hold has expired or does not exist. Pick the time again.", field="hold_id"
        )
    same = (
        row.reviewer_id == slot.reviewer_id
        and row.start_at == start
        and row.case_numbers == ",".join(number for number, _ in slot.cases)
    )
    if not same:
        raise InvalidInput(
            "This hold is for a different reviewer, time or set of cases.", field="hold_id"
        )
    session.exec(delete(SlotCellRow).where(SlotCellRow.hold_id == hold_id))  # type: ignore[call-overload, arg-type]
    session.delete(row)
    session.flush()


def refuse_after_no_shows(session: Session, case_numbers: list[str], limits: Limits) -> None:
    """After a provider no-show a case may be booked ``limits.no_show_rebooks`` more times."""
    for case_number, count in repo.provider_no_shows(session, case_numbers).items():
        if count > limits.no_show_rebooks:
            raise NotEligible(
                f"Case {case_number} has had {count} P2Ps where the provider could not be reached; "
                "it cannot be booked again online. Please call us to schedule.",
                blocking_cases=[case_number],
            )


def refuse_booked_cases(
    session: Session, case_numbers: list[str], ignore: str | None = None
) -> None:
    row = session.exec(
        select(BookingCaseRow).where(
            BookingCaseRow.case_number.in_(case_numbers),  # type: ignore[attr-defined]
            BookingCaseRow.active,
        )
    ).first()
    if row is not None and row.booking_id != ignore:
        raise CaseAlreadyBooked(
            f"Case {row.case_number} is already in an active P2P booking ({row.booking_id}). "
            "Reschedule that booking instead.",
            booking_id=row.booking_id,
            case_number=row.case_number,
        )


# ---- booking ------------------------------------------------------------------------------


def check_contact(policy: Policy, contact: Contact) -> None:
    if contact.provider_role not in policy.provider_roles:
        raise InvalidInput(
            f"The P2P must be held by one of: {', '.join(policy.provider_roles)}.",
            field="contact.provider_role",
        )


def insert_booking(
    session: Session,
    *,
    booking_id: str,
    status: str,
    request: RequestEligibility,
    contact: Contact,
    time_zone: str,
    actor: str,
    now: datetime,
    reviewer_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    preferred_days: str | None = None,
    preferred_hours: str | None = None,
) -> tuple[BookingRow, tuple[BookedCase, ...]]:
    """Write the booking and its cases; 409 when a case got into another booking meanwhile."""
    assert request.valid_until is not None
    row = BookingRow(
        id=booking_id,
        status=status,
        reviewer_id=reviewer_id,
        start_at=start,
        end_at=end,
        duration_minutes=request.duration_minutes,
        time_zone=time_zone,
        sequence=0,
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
        instructions=contact.instructions,
        preferred_days=preferred_days,
        preferred_hours=preferred_hours,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    booked: list[BookedCase] = []
    for position, case in enumerate(request.cases):
        assert case.level_of_review is not None and case.valid_until is not None
        booked.append(BookedCase(case.case_number, case.level_of_review.value, case.valid_until))
        session.add(
            BookingCaseRow(
                booking_id=booking_id,
                case_number=case.case_number,
                position=position,
                level_of_review=case.level_of_review.value,
                valid_until=case.valid_until,
            )
        )
    try:
        session.flush()
    except IntegrityError:
        raise CaseAlreadyBooked(
            "A case of this request was booked by someone else a moment ago. "
            "Look it up in My P2P requests."
        ) from None
    return row, tuple(booked)


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
    announcer: Announcer | None = None,
) -> BookingView:
    """Book the slot (consuming ``hold_id`` when given); the database refuses overlaps."""
    check_contact(policy, contact)
    booking_id = str(uuid.uuid4())
    try:
        with transaction(engine) as session:
            request = check_request(session, policy=policy, now=now, cases=slot.cases)
            start, end, reviewer = check_slot(
                session, limits=limits, now=now, request=request, slot=slot
            )
            refuse_booked_cases(session, [c.case_number for c in request.cases])
            refuse_after_no_shows(session, [c.case_number for c in request.cases], limits)
            if hold_id is not None:
                _consume_hold(session, hold_id=hold_id, slot=slot, start=start, now=now)
            row, booked = insert_booking(
                session,
                booking_id=booking_id,
                status="scheduled",
                request=request,
                contact=contact,
                time_zone=slot.time_zone,
                actor=actor,
                now=now,
                reviewer_id=slot.reviewer_id,
                start=start,
                end=end,
            )
            claim_cells(
                session,
                reviewer_id=slot.reviewer_id,
                start=start,
                end=end,
                limits=limits,
                now=now,
                booking_id=booking_id,
            )
            record_event(session, row, "scheduled", actor=actor, now=now)
            view = view_of(
                session,
                row,
                cases=booked,
                reviewer=ReviewerSummary(reviewer.reviewer_id, reviewer.name, reviewer.credentials),
            )
            if announcer is not None:
                announcer.announce(session, row, "scheduled", now=now, view=view)
    except IntegrityError:  # a concurrent commit won the race at COMMIT time
        raise SlotTaken("Someone else booked this time a moment ago. Pick another time.") from None
    return view


def record_event(
    session: Session, row: BookingRow, event: str, *, actor: str, now: datetime, detail: str = ""
) -> None:
    """Append the booking's state after a change to its history and to the audit trail."""
    audit.booking(session, row, event, actor=actor, now=now, reason=detail)
    session.add(
        BookingEventRow(
            booking_id=row.id,
            sequence=row.sequence,
            event=event,
            status=row.status,
            reviewer_id=row.reviewer_id,
            start_at=row.start_at,
            end_at=row.end_at,
            actor=actor,
            detail=detail,
            at=now,
        )
    )


def get_booking(*, engine: Engine, booking_id: str) -> BookingView:
    with transaction(engine) as session:
        row = session.get(BookingRow, booking_id)
        if row is None:
            raise NotFound(f"No booking {booking_id!r} exists.")
        return view_of(session, row)


def view_of(
    session: Session,
    row: BookingRow,
    *,
    cases: tuple[BookedCase, ...] | None = None,
    reviewer: ReviewerSummary | None = None,
) -> BookingView:
    """The booking as the API shows it; ``cases`` and ``reviewer`` when the caller has them."""
    if cases is None:
        cases = tuple(
            BookedCase(c.case_number, c.level_of_review, c.valid_until)
            for c in session.exec(
                select(BookingCaseRow)
                .where(BookingCaseRow.booking_id == row.id)
                .order_by(BookingCaseRow.position)  # type: ignore[arg-type]
            )
        )
    if reviewer is None and row.reviewer_id:
        found = session.get(ReviewerRow, row.reviewer_id)
        if found is not None:
            reviewer = ReviewerSummary(found.reviewer_id, found.name, found.credentials)
    return BookingView(
        id=row.id,
        status=row.status,
        start=row.start_at,
        end=row.end_at,
        time_zone=row.time_zone,
        sequence=row.sequence,
        duration_minutes=row.duration_minutes,
        valid_until=row.valid_until,
        reviewer=reviewer,
        cases=cases,
        contact=Contact(
            provider_name=row.provider_name,
            provider_role=row.provider_role,
            phone=row.phone,
            email=row.provider_email,
            contact_name=row.contact_name,
            contact_location=row.contact_location,
            phone_ext=row.phone_ext,
            alt_phone=row.alt_phone,
            alt_phone_ext=row.alt_phone_ext,
            instructions=row.instructions,
        ),
        created_at=row.created_at,
        invite_link_version=row.invite_link_version,
        manage_link_version=row.manage_link_version,
        attention=row.attention,
    )
