"""The bookings store: bookings, their cases and history, as plain ``StoredBooking``s.

Writes are single Core statements (no ORM unit of work), so a use case changes a booking
by saying what it becomes (``save``), and a read builds the API's views of many bookings
with one query for their cases and one for their reviewers, whatever their number.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from p2p_scheduler.db.tables import (
    BookingCaseRow,
    BookingEventRow,
    BookingRow,
    CaseRow,
    ReviewerLicenseRow,
    ReviewerRow,
)
from p2p_scheduler.db.types import UTCDateTime
from p2p_scheduler.domain.access import Scope
from p2p_scheduler.domain.bookings import (
    BookedCase,
    BookingView,
    ReviewerSummary,
    StoredBooking,
)
from p2p_scheduler.domain.enums import ACTIVE_STATUSES, BookingStatus, Party
from p2p_scheduler.domain.errors import CaseAlreadyBooked
from p2p_scheduler.domain.model import CaseP2P, Weekday

_BOOKINGS = BookingRow.__table__  # type: ignore[attr-defined]
_CASES = BookingCaseRow.__table__  # type: ignore[attr-defined]
_EVENTS = BookingEventRow.__table__  # type: ignore[attr-defined]
_FIELDS = tuple(field.name for field in dataclasses.fields(StoredBooking))


def _stored(row: Any) -> StoredBooking:
    values = dict(row._mapping)
    values["status"] = BookingStatus(values["status"])
    days, hours = values["preferred_days"], values["preferred_hours"]
    values["preferred_days"] = tuple(Weekday(d) for d in days) if days is not None else None
    values["preferred_hours"] = tuple(hours) if hours is not None else None
    return StoredBooking(**{name: values[name] for name in _FIELDS})


def _columns(booking: StoredBooking) -> dict[str, Any]:
    values = {name: getattr(booking, name) for name in _FIELDS}
    values["status"] = str(booking.status)
    if booking.preferred_days is not None:
        values["preferred_days"] = [str(day) for day in booking.preferred_days]
    if booking.preferred_hours is not None:
        values["preferred_hours"] = list(booking.preferred_hours)
    return values


def insert_booking(session: Session, booking: StoredBooking, cases: Sequence[BookedCase]) -> None:
    """Write the booking and its cases; 409 when a case got into another booking meanwhile
    (the unique index on active cases)."""
    session.execute(insert(_BOOKINGS).values(_columns(booking)))
    try:
        session.execute(
            insert(_CASES),
            [
                {
                    "booking_id": booking.id,
                    "case_number": case.case_number,
                    "position": position,
                    "level_of_review": case.level_of_review,
                    "valid_until": case.valid_until,
                    "active": True,
                }
                for position, case in enumerate(cases)
            ],
        )
    except IntegrityError:  # the transaction is lost either way: the caller's rolls back
        raise CaseAlreadyBooked(
            "A case of this request was booked by someone else a moment ago. "
            "Look it up in My P2P requests."
        ) from None


def _admitted(scope: Scope) -> list[ColumnElement[bool]]:
    """The conditions a booking meets when ``scope`` admits it (none: every booking)."""
    conditions: list[ColumnElement[bool]] = []
    if scope.provider_org is not None:
        conditions.append(_BOOKINGS.c.provider_org == scope.provider_org)
    if scope.reviewer_id is not None:
        conditions.append(_BOOKINGS.c.reviewer_id == scope.reviewer_id)
    return conditions


def _in_scope(query: Select[Any], scope: Scope) -> Select[Any]:
    """Only the bookings ``scope`` admits: every read a caller can reach goes through here, so
    a booking outside the scope is not found, exactly like an unknown id (SPEC §10)."""
    conditions = _admitted(scope)
    return query.where(*conditions) if conditions else query


def get(
    session: Session, booking_id: str, *, scope: Scope, lock: bool = False
) -> StoredBooking | None:
    """The booking if ``scope`` admits it, or None; ``lock`` takes its row lock until the
    transaction ends."""
    query = _in_scope(select(_BOOKINGS).where(_BOOKINGS.c.id == booking_id), scope)
    row = session.execute(query.with_for_update() if lock else query).first()
    return _stored(row) if row is not None else None


def save(session: Session, booking: StoredBooking) -> None:
    """Store the booking's new state (every column but its id)."""
    values = _columns(booking)
    del values["id"]
    session.execute(update(_BOOKINGS).where(_BOOKINGS.c.id == booking.id).values(values))


def close_cases(session: Session, booking_id: str) -> None:
    """The booking no longer holds its cases: they may be booked again."""
    session.execute(update(_CASES).where(_CASES.c.booking_id == booking_id).values(active=False))


def active_booking_of(
    session: Session, case_numbers: Collection[str], *, ignore: str | None = None
) -> tuple[str, str] | None:
    """(case number, booking id) of an active booking holding one of the cases."""
    query = select(_CASES.c.case_number, _CASES.c.booking_id).where(
        _CASES.c.case_number.in_(list(case_numbers)), _CASES.c.active
    )
    if ignore is not None:
        query = query.where(_CASES.c.booking_id != ignore)
    row = session.execute(query.limit(1)).first()
    return (row[0], row[1]) if row is not None else None


def holding(session: Session, case_number: str, *, lock: bool = False) -> list[StoredBooking]:
    """The active bookings (scheduled, pending) holding the case, oldest first; ``lock`` takes
    their row locks (PostgreSQL) until the transaction ends."""
    query = (
        select(_BOOKINGS)
        .where(
            _BOOKINGS.c.id.in_(
                select(_CASES.c.booking_id).where(
                    _CASES.c.case_number == case_number, _CASES.c.active
                )
            ),
            _BOOKINGS.c.status.in_([str(status) for status in ACTIVE_STATUSES]),
        )
        .order_by(_BOOKINGS.c.created_at, _BOOKINGS.c.id)
    )
    return [_stored(row) for row in session.execute(query.with_for_update() if lock else query)]


def relabel(
    session: Session, booking_id: str, cases: Iterable[BookedCase], *, now: datetime
) -> None:
    """Store each case's level of review and window in the booking as ``cases`` give them; a
    case whose level changes is the P2P of the determination in force from ``now`` on."""
    for case in cases:
        this = (_CASES.c.booking_id == booking_id) & (_CASES.c.case_number == case.case_number)
        session.execute(
            update(_CASES)
            .where(this, _CASES.c.level_of_review != case.level_of_review)
            .values(level_since=now)
        )
        session.execute(
            update(_CASES)
            .where(this)
            .values(level_of_review=case.level_of_review, valid_until=case.valid_until)
        )


def add_event(
    session: Session,
    booking: StoredBooking,
    event: str,
    *,
    actor: str,
    now: datetime,
    detail: str = "",
) -> None:
    """Append the booking's state after a change to its history."""
    session.execute(
        insert(_EVENTS).values(
            booking_id=booking.id,
            sequence=booking.sequence,
            event=event,
            status=str(booking.status),
            reviewer_id=booking.reviewer_id,
            start_at=booking.start_at,
            end_at=booking.end_at,
            actor=actor,
            detail=detail,
            at=now,
        )
    )


def views(
    session: Session,
    bookings: Sequence[StoredBooking],
    *,
    cases: dict[str, tuple[BookedCase, ...]] | None = None,
) -> list[BookingView]:
    """The API's view of each booking: two queries (cases, reviewers) for any number."""
    if not bookings:
        return []
    ids = [booking.id for booking in bookings]
    found = cases if cases is not None else booked_cases(session, ids)
    reviewer_ids = {b.reviewer_id for b in bookings if b.reviewer_id}
    reviewers: dict[str, ReviewerSummary] = {}
    if reviewer_ids:
        states: dict[str, list[str]] = {}
        for reviewer_id, state in session.execute(
            select(ReviewerLicenseRow.reviewer_id, ReviewerLicenseRow.state)
            .where(ReviewerLicenseRow.reviewer_id.in_(reviewer_ids))  # type: ignore[attr-defined]
            .order_by(ReviewerLicenseRow.state)  # type: ignore[arg-type]
        ):
            states.setdefault(reviewer_id, []).append(state)
        for reviewer_id, name, credentials, specialty, npi in session.execute(
            select(
                ReviewerRow.reviewer_id,
                ReviewerRow.name,
                ReviewerRow.credentials,
                ReviewerRow.specialty,
                ReviewerRow.npi,
            ).where(ReviewerRow.reviewer_id.in_(reviewer_ids))  # type: ignore[attr-defined]
        ):
            reviewers[reviewer_id] = ReviewerSummary(
                reviewer_id, name, credentials, specialty, npi, tuple(states.get(reviewer_id, ()))
            )
    return [
        BookingView.of(
            booking,
            found.get(booking.id, ()),
            reviewers.get(booking.reviewer_id) if booking.reviewer_id else None,
        )
        for booking in bookings
    ]


def view(session: Session, booking_id: str, *, scope: Scope) -> BookingView | None:
    booking = get(session, booking_id, scope=scope)
    return views(session, [booking])[0] if booking is not None else None


def booked_cases(
    session: Session, booking_ids: Collection[str]
) -> dict[str, tuple[BookedCase, ...]]:
    """Each booking's cases in request order."""
    found: dict[str, list[BookedCase]] = {}
    for booking_id, number, level, valid_until in session.execute(
        select(
            _CASES.c.booking_id,
            _CASES.c.case_number,
            _CASES.c.level_of_review,
            _CASES.c.valid_until,
        )
        .where(_CASES.c.booking_id.in_(list(booking_ids)))
        .order_by(_CASES.c.booking_id, _CASES.c.position)
    ):
        found.setdefault(booking_id, []).append(BookedCase(number, level, valid_until))
    return {booking_id: tuple(cases) for booking_id, cases in found.items()}


def lookups(session: Session, booking_id: str) -> tuple[tuple[str, date], ...]:
    """A booking's cases as (case number, member DOB), in request order: what re-checking
    its eligibility takes."""
    rows = session.execute(
        select(_CASES.c.case_number, CaseRow.member_dob)
        .join(CaseRow, CaseRow.case_number == _CASES.c.case_number)  # type: ignore[arg-type]
        .where(_CASES.c.booking_id == booking_id)
        .order_by(_CASES.c.position)
    )
    return tuple((number, dob) for number, dob in rows)


def provider_no_shows(session: Session, case_numbers: Collection[str]) -> dict[str, int]:
    """How many bookings of each case ended with the provider not answering."""
    rows = session.execute(
        select(_CASES.c.case_number, func.count())
        .join(_BOOKINGS, _BOOKINGS.c.id == _CASES.c.booking_id)
        .where(
            _CASES.c.case_number.in_(list(case_numbers)),
            _BOOKINGS.c.status == BookingStatus.NO_SHOW,
            _BOOKINGS.c.no_show_party == Party.PROVIDER,
        )
        .group_by(_CASES.c.case_number)
    )
    return {case_number: int(count) for case_number, count in rows}


def case_p2ps(
    session: Session, case_numbers: Collection[str], *, scope: Scope
) -> dict[str, list[CaseP2P]]:
    """Each case's bookings that still say something about it: the one holding it (active)
    and the completed ones, oldest booked first, each marked ``visible`` when ``scope`` admits
    it. One statement whatever the number of cases, and the same statement for none."""
    visible = and_(true(), *_admitted(scope)).label("visible")
    rows = session.execute(
        select(
            _CASES.c.case_number,
            _BOOKINGS.c.id,
            _BOOKINGS.c.status,
            _BOOKINGS.c.start_at,
            func.coalesce(_CASES.c.level_since, _BOOKINGS.c.created_at, type_=UTCDateTime),
            _CASES.c.active,
            visible,
        )
        .join(_BOOKINGS, _BOOKINGS.c.id == _CASES.c.booking_id)
        .where(
            _CASES.c.case_number.in_(list(case_numbers)),
            or_(_CASES.c.active, _BOOKINGS.c.status == BookingStatus.COMPLETED),
        )
        .order_by(_BOOKINGS.c.created_at, _BOOKINGS.c.id)
    )
    found: dict[str, list[CaseP2P]] = {}
    for number, booking_id, status, start, booked_at, active, admitted in rows:
        found.setdefault(number, []).append(
            CaseP2P(
                booking_id=booking_id,
                status=BookingStatus(status),
                start=start,
                booked_at=booked_at,
                active=bool(active),
                visible=bool(admitted),
            )
        )
    return found


def scheduled(
    session: Session,
    *,
    ids: Collection[str] | None = None,
    reviewer_id: str | None = None,
    overlapping: tuple[datetime, datetime] | None = None,
    lock: bool = False,
) -> list[StoredBooking]:
    """Scheduled bookings by id and/or a reviewer's over a period, oldest request first
    (the optimizer's arrival order); ``lock`` takes their row locks (PostgreSQL)."""
    query = select(_BOOKINGS).where(_BOOKINGS.c.status == BookingStatus.SCHEDULED)
    if ids is not None:
        query = query.where(_BOOKINGS.c.id.in_(list(ids)))
    if reviewer_id is not None:
        query = query.where(_BOOKINGS.c.reviewer_id == reviewer_id)
    if overlapping is not None:
        start, end = overlapping
        query = query.where(_BOOKINGS.c.start_at < end, _BOOKINGS.c.end_at > start)
    query = query.order_by(_BOOKINGS.c.created_at, _BOOKINGS.c.id)
    return [_stored(row) for row in session.execute(query.with_for_update() if lock else query)]


def pending(session: Session) -> list[StoredBooking]:
    """Requests waiting for the optimizer, oldest first (their arrival order)."""
    query = (
        select(_BOOKINGS)
        .where(_BOOKINGS.c.status == BookingStatus.PENDING_ASSIGNMENT)
        .order_by(_BOOKINGS.c.created_at, _BOOKINGS.c.id)
    )
    return [_stored(row) for row in session.execute(query)]


def of_reviewer(
    session: Session,
    reviewer_id: str,
    *,
    starting: tuple[datetime, datetime],
    statuses: Iterable[BookingStatus],
) -> list[StoredBooking]:
    """The reviewer's bookings in ``statuses`` starting inside [from, to), earliest first:
    an agenda or a calendar feed."""
    start, end = starting
    query = (
        select(_BOOKINGS)
        .where(
            _BOOKINGS.c.reviewer_id == reviewer_id,
            _BOOKINGS.c.status.in_([str(s) for s in statuses]),
            _BOOKINGS.c.start_at >= start,
            _BOOKINGS.c.start_at < end,
        )
        .order_by(_BOOKINGS.c.start_at, _BOOKINGS.c.id)
    )
    return [_stored(row) for row in session.execute(query)]


@dataclass(frozen=True, slots=True)
class BookingFilter:
    case_number: str | None = None
    status: str | None = None
    reviewer_id: str | None = None
    provider_email: str | None = None
    provider_org: str | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None
    needs_attention: bool | None = None


def search(
    session: Session,
    filters: BookingFilter,
    *,
    scope: Scope,
    before: tuple[datetime, str] | None,
    limit: int,
) -> list[StoredBooking]:
    """Bookings in ``scope`` matching ``filters``, newest first, created before the
    ``before`` key (created_at, id) of the previous page's last booking."""
    b = _BOOKINGS.c
    query = _in_scope(select(_BOOKINGS), scope)
    if filters.case_number:
        query = query.where(
            b.id.in_(select(_CASES.c.booking_id).where(_CASES.c.case_number == filters.case_number))
        )
    if filters.status:
        query = query.where(b.status == filters.status)
    if filters.reviewer_id:
        query = query.where(b.reviewer_id == filters.reviewer_id)
    if filters.provider_email:
        query = query.where(b.provider_email == filters.provider_email)
    if filters.provider_org:
        query = query.where(b.provider_org == filters.provider_org)
    if filters.start_from:
        query = query.where(b.start_at >= filters.start_from)
    if filters.start_to:
        query = query.where(b.start_at < filters.start_to)
    if filters.needs_attention is not None:
        flagged = b.attention.is_not(None)
        query = query.where(flagged if filters.needs_attention else ~flagged)
    if before is not None:
        created_at, booking_id = before
        query = query.where(
            or_(b.created_at < created_at, (b.created_at == created_at) & (b.id < booking_id))
        )
    query = query.order_by(b.created_at.desc(), b.id.desc()).limit(limit)
    return [_stored(row) for row in session.execute(query)]


def exists(session: Session, booking_id: str, *, scope: Scope) -> bool:
    query = _in_scope(select(_BOOKINGS.c.id).where(_BOOKINGS.c.id == booking_id), scope)
    return session.execute(query).first() is not None


def calendar_version(
    session: Session,
    reviewer_id: str,
    *,
    starting: tuple[datetime, datetime],
    statuses: Iterable[BookingStatus],
) -> tuple[int, datetime | None]:
    """How many of the reviewer's bookings ``of_reviewer`` would list, and their latest
    change: together, what a calendar feed's content depends on (one indexed aggregate)."""
    start, end = starting
    count, latest = session.execute(
        select(func.count(), func.max(_BOOKINGS.c.updated_at)).where(
            _BOOKINGS.c.reviewer_id == reviewer_id,
            _BOOKINGS.c.status.in_([str(s) for s in statuses]),
            _BOOKINGS.c.start_at >= start,
            _BOOKINGS.c.start_at < end,
        )
    ).one()
    return int(count), latest
