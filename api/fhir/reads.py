"""Reads and searches of the FHIR interface (SPEC §13): Practitioner, PractitionerRole,
Schedule, Slot and Appointment, each on the use case its ``/v1`` equivalent calls.

Who may ask, as on ``/v1``:
- reviewers, their roles, schedules and slots are what a portal shows to pick a time
  (``POST /v1/availability``): portal (and admin, and provider tokens);
- an Appointment is a booking: portal and reviewer, as ``GET /v1/bookings`` and
  ``GET /v1/bookings/{id}``, with the caller's scope (a provider token sees its
  organisation's, a reviewer token its own; any other is an unknown id, 404).

Searches answer a Bundle ``searchset`` with ``self`` and ``next`` links; ``_count`` (1–100,
default 50) sets the page size and ``_cursor`` (from a ``next`` link) the page.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from api.auth import Principal, require
from api.deps import EngineDep, LimitsDep, NowDep
from api.fhir import resources
from api.fhir.answers import FhirResponse, fhir_response, found, outcomes
from api.fhir.ids import reviewer_id_of
from api.fhir.resources import BOOKING_STATUSES, CASE_SYSTEM
from api.fhir.search import page_links, period_of, reference_id
from api.paths import BookingId, ReviewerId
from api.schemas.common import IDENTIFIER
from p2p_scheduler.domain.availability import Interval
from p2p_scheduler.domain.calendar_cells import CellState
from p2p_scheduler.domain.errors import InvalidInput, NotFound
from p2p_scheduler.domain.model import ReviewerProfile
from p2p_scheduler.services import booking, lifecycle, records, reviewer_slots

router = APIRouter()

#: what a portal shows to pick a time (as ``POST /v1/availability``)
Portal = Annotated[Principal, Depends(require("portal"))]
#: bookings (as ``GET /v1/bookings``): every caller within its scope
BookingReader = Annotated[Principal, Depends(require("portal", "reviewer"))]

DEFAULT_COUNT = 50
Count = Annotated[int, Query(alias="_count", ge=1, le=100, description="results per page (1–100)")]
Cursor = Annotated[
    str | None,
    Query(alias="_cursor", max_length=200, description="the page, from a `next` link"),
]
#: a cell's state → Slot.status
SLOT_STATUS = {
    CellState.FREE: "free",
    CellState.BOOKED: "busy",
    CellState.HELD: "busy-tentative",
    CellState.TIME_OFF: "busy-unavailable",
}
SEARCHSET = found("Bundle searchset")
_ID = re.compile(IDENTIFIER)


def _bundle(
    request: Request,
    resources_found: list[resources.Resource],
    *,
    next_cursor: str | None,
    total: int | None = None,
) -> FhirResponse:
    self_url, next_url = page_links(request.url, next_cursor)
    return fhir_response(
        resources.searchset(resources_found, total=total, self_url=self_url, next_url=next_url)
    )


def _known_id(value: str) -> bool:
    """Whether ``value`` could be a reviewer id or case number at all (one that cannot is
    found nowhere: a search for it matches nothing)."""
    return _ID.fullmatch(value) is not None


def _reviewer(engine: EngineDep, resource_id: str) -> ReviewerProfile:
    return records.get_reviewer(engine=engine, reviewer_id=reviewer_id_of(resource_id))


def _reviewers_named(
    engine: EngineDep, reference: str, resource: str, name: str
) -> list[ReviewerProfile]:
    reviewer_id = reviewer_id_of(reference_id(reference, resource, name))
    if not _known_id(reviewer_id):
        return []
    matched, _ = records.reviewers(engine=engine, reviewer_ids=[reviewer_id], after=None, limit=1)
    return matched


# ---- Practitioner ---------------------------------------------------------------------------


@router.get(
    "/Practitioner/{reviewer_id}",
    summary="FHIR Practitioner: a reviewer (name, credentials, NPI)",
    responses={**found("the resource"), **outcomes(401, 403, 404)},
)
async def read_practitioner(
    engine: EngineDep, principal: Portal, reviewer_id: ReviewerId
) -> FhirResponse:
    profile = await run_in_threadpool(_reviewer, engine, reviewer_id)
    return fhir_response(resources.practitioner_from_reviewer(profile))


@router.get(
    "/Practitioner",
    summary="FHIR Practitioner search: reviewers, by `_id` or all, in id order",
    responses={**SEARCHSET, **outcomes(401, 403, 422)},
)
async def search_practitioners(
    request: Request,
    engine: EngineDep,
    principal: Portal,
    ids: Annotated[
        str | None, Query(alias="_id", max_length=2000, description="reviewer ids, comma-separated")
    ] = None,
    count: Count = DEFAULT_COUNT,
    cursor: Cursor = None,
) -> FhirResponse:
    named = (
        None
        if ids is None
        else [reviewer_id_of(i.strip()) for i in ids.split(",") if _known_id(i.strip())]
    )
    if cursor is not None and not _known_id(cursor):
        raise InvalidInput("_cursor: use the next link as given.", field="_cursor")
    profiles, next_cursor = await run_in_threadpool(
        lambda: records.reviewers(engine=engine, reviewer_ids=named, after=cursor, limit=count)
    )
    return _bundle(
        request,
        [resources.practitioner_from_reviewer(p) for p in profiles],
        next_cursor=next_cursor,
    )


# ---- PractitionerRole and Schedule: one per reviewer, id = the reviewer's ---------------------


@router.get(
    "/PractitionerRole/{reviewer_id}",
    summary="FHIR PractitionerRole: a reviewer's specialty and licensed states",
    responses={**found("the resource"), **outcomes(401, 403, 404)},
)
async def read_practitioner_role(
    engine: EngineDep, principal: Portal, reviewer_id: ReviewerId
) -> FhirResponse:
    profile = await run_in_threadpool(_reviewer, engine, reviewer_id)
    return fhir_response(resources.practitioner_role_from_reviewer(profile))


@router.get(
    "/PractitionerRole",
    summary="FHIR PractitionerRole search by `practitioner`",
    responses={**SEARCHSET, **outcomes(401, 403, 422)},
)
async def search_practitioner_roles(
    request: Request,
    engine: EngineDep,
    principal: Portal,
    practitioner: Annotated[str, Query(max_length=300, description="Practitioner/{reviewer id}")],
) -> FhirResponse:
    matched = await run_in_threadpool(
        _reviewers_named, engine, practitioner, "Practitioner", "practitioner"
    )
    roles = [resources.practitioner_role_from_reviewer(p) for p in matched]
    return _bundle(request, roles, next_cursor=None, total=len(roles))


@router.get(
    "/Schedule/{reviewer_id}",
    summary="FHIR Schedule: a reviewer's consultation hours (one per reviewer)",
    responses={**found("the resource"), **outcomes(401, 403, 404)},
)
async def read_schedule(
    engine: EngineDep, principal: Portal, reviewer_id: ReviewerId
) -> FhirResponse:
    profile = await run_in_threadpool(_reviewer, engine, reviewer_id)
    return fhir_response(resources.schedule_from_reviewer(profile))


@router.get(
    "/Schedule",
    summary="FHIR Schedule search by `actor`",
    responses={**SEARCHSET, **outcomes(401, 403, 422)},
)
async def search_schedules(
    request: Request,
    engine: EngineDep,
    principal: Portal,
    actor: Annotated[str, Query(max_length=300, description="Practitioner/{reviewer id}")],
) -> FhirResponse:
    matched = await run_in_threadpool(_reviewers_named, engine, actor, "Practitioner", "actor")
    schedules = [resources.schedule_from_reviewer(p) for p in matched]
    return _bundle(request, schedules, next_cursor=None, total=len(schedules))


# ---- Slot -----------------------------------------------------------------------------------


@router.get(
    "/Slot",
    summary="FHIR Slot search: a reviewer's 15-minute slots (free, busy, busy-tentative for a "
    "hold, busy-unavailable for time off) over at most 31 days",
    responses={**SEARCHSET, **outcomes(401, 403, 422)},
)
async def search_slots(
    request: Request,
    engine: EngineDep,
    limits: LimitsDep,
    now: NowDep,
    principal: Portal,
    schedule: Annotated[str, Query(max_length=300, description="Schedule/{reviewer id}")],
    start: Annotated[
        list[str],
        Query(description="the slot's start with a prefix: start=ge2026-12-08&start=lt2026-12-09"),
    ],
    status: Annotated[
        str | None, Query(max_length=100, description="free, busy, busy-tentative, …")
    ] = None,
    count: Count = DEFAULT_COUNT,
    cursor: Cursor = None,
) -> FhirResponse:
    period = period_of(start, "start")
    if period.start is None or period.end is None:
        raise InvalidInput(
            "start: give both ends of the period, like start=ge2026-12-08&start=lt2026-12-09.",
            field="start",
        )
    wanted = None if status is None else {s.strip().lower() for s in status.split(",")}
    if wanted is not None and not wanted <= set(SLOT_STATUS.values()):
        raise InvalidInput(
            f"status: use {', '.join(SLOT_STATUS.values())} (got {status!r}).", field="status"
        )
    offset = _offset(cursor)
    reviewer_id = reviewer_id_of(reference_id(schedule, "Schedule", "schedule"))
    window = Interval(period.start, period.end)

    def cells() -> list[resources.SlotTime]:
        try:
            _, matched = reviewer_slots.cells(
                engine=engine, reviewer_id=reviewer_id, window=window, now=now, limits=limits
            )
        except NotFound:  # a search for an unknown schedule finds nothing
            return []
        return [
            resources.SlotTime(cell.start, cell.end, SLOT_STATUS[cell.state])
            for cell in matched
            if wanted is None or SLOT_STATUS[cell.state] in wanted
        ]

    reviewer_slots.check_period(window)
    every = await run_in_threadpool(cells) if _known_id(reviewer_id) else []
    page = every[offset : offset + count]
    more = str(offset + count) if offset + count < len(every) else None
    slots = [resources.slot_resource(reviewer_id, cell) for cell in page]
    return _bundle(request, slots, next_cursor=more, total=len(every))


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 6:
        raise InvalidInput("_cursor: use the next link as given.", field="_cursor")
    return int(cursor)


# ---- Appointment ----------------------------------------------------------------------------


@router.get(
    "/Appointment/{booking_id}",
    summary="FHIR Appointment: a booking (status, time, reviewer, requester, case numbers)",
    responses={**found("the resource"), **outcomes(401, 403, 404)},
)
async def read_appointment(
    engine: EngineDep, principal: BookingReader, booking_id: BookingId
) -> FhirResponse:
    view = await run_in_threadpool(
        lambda: booking.get_booking(engine=engine, booking_id=booking_id, scope=principal.scope)
    )
    return fhir_response(resources.appointment_from_booking(view))


@router.get(
    "/Appointment",
    summary="FHIR Appointment search: bookings by practitioner, date, status or case number, "
    "newest first",
    responses={**SEARCHSET, **outcomes(401, 403, 422)},
)
async def search_appointments(
    request: Request,
    engine: EngineDep,
    principal: BookingReader,
    practitioner: Annotated[
        str | None, Query(max_length=300, description="Practitioner/{reviewer id}")
    ] = None,
    date: Annotated[
        list[str] | None,
        Query(description="the start with a prefix: date=ge2026-12-08&date=lt2026-12-09"),
    ] = None,
    status: Annotated[
        str | None, Query(max_length=100, description="proposed, booked, fulfilled, …")
    ] = None,
    identifier: Annotated[
        str | None, Query(max_length=300, description="urn:p2p-scheduler:case|{case number}")
    ] = None,
    count: Count = DEFAULT_COUNT,
    cursor: Cursor = None,
) -> FhirResponse:
    period = period_of(date or [], "date")
    reviewer_id = (
        None
        if practitioner is None
        else reviewer_id_of(reference_id(practitioner, "Practitioner", "practitioner"))
    )
    case_number = None
    if identifier is not None:
        system, bar, value = identifier.rpartition("|")
        if bar and system not in ("", CASE_SYSTEM):
            raise InvalidInput(
                f"identifier: search by case number, like {CASE_SYSTEM}|C-1001.",
                field="identifier",
            )
        case_number = value
    statuses = _booking_status(status)
    nothing = statuses == () or any(
        value is not None and not _known_id(value) for value in (reviewer_id, case_number)
    )
    if nothing or (period.start and period.end and period.end <= period.start):
        return _bundle(request, [], next_cursor=None, total=0)
    filters = lifecycle.BookingFilter(
        case_number=case_number,
        status=statuses[0] if statuses else None,
        reviewer_id=reviewer_id,
        start_from=period.start,
        start_to=period.end,
    )
    views, next_cursor = await run_in_threadpool(
        lambda: lifecycle.search(
            engine=engine, filters=filters, scope=principal.scope, limit=count, cursor=cursor
        )
    )
    matched = [resources.appointment_from_booking(view) for view in views]
    return _bundle(request, matched, next_cursor=next_cursor)


def _booking_status(status: str | None) -> tuple[str, ...] | None:
    """The booking status an Appointment ``status`` search stands for: None for any, ``()``
    for one no booking can be in (a hold is ``pending``, and holds are not bookings)."""
    if status is None:
        return None
    codes = {code.strip().lower() for code in status.split(",") if code.strip()}
    unknown = sorted(codes - set(BOOKING_STATUSES))
    if unknown or not codes:
        raise InvalidInput(
            f"status: use one of {', '.join(BOOKING_STATUSES)} (got {status!r}).", field="status"
        )
    matched = tuple(str(s) for code in sorted(codes) for s in BOOKING_STATUSES[code])
    if len(matched) > 1:
        raise InvalidInput("status: search for one status at a time.", field="status")
    return matched
