"""Open P2P times, a week at a time in the requester's zone (portal)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.auth import Principal, require, require_json, require_or_manage_link
from api.deps import EngineDep, LimitsDep, NowDep, PolicyDep
from api.paths import BookingId
from api.problems import responses
from api.schemas.scheduling import AvailabilityIn, AvailabilityOut, MoveAvailabilityIn
from p2p_scheduler.services import availability_search

router = APIRouter(prefix="/v1", tags=["availability"])


@router.post(
    "/availability",
    response_model=AvailabilityOut,
    summary="Reviewers' open times for the cases, by skill tier, reviewer and day",
    dependencies=[Depends(require("portal")), Depends(require_json)],
    responses=responses(401, 403, 415, 422),
)
def find_availability(
    body: AvailabilityIn, engine: EngineDep, policy: PolicyDep, limits: LimitsDep, now: NowDep
) -> Response:
    found = availability_search.search(
        engine=engine,
        policy=policy,
        limits=limits,
        now=now,
        cases=tuple((c.case_number, c.member_dob) for c in body.cases),
        time_zone=body.time_zone,
        days=frozenset(body.preferences.days),
        hours=frozenset(body.preferences.hours),
        week_start=body.week_start,
        reviewer_id=body.reviewer_id,
        max_slots=body.max_slots,
        slots_per_day=body.slots_per_day,
    )
    return _answer(found)


@router.post(
    "/bookings/{booking_id}/availability",
    response_model=AvailabilityOut,
    summary="Times a scheduled booking can be moved to (its own time does not block them); "
    "with a portal key or the booking's manage link",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 404, 409, 410, 415, 422),
)
def find_move_availability(
    body: MoveAvailabilityIn,
    principal: Annotated[Principal, Depends(require_or_manage_link("portal"))],
    engine: EngineDep,
    policy: PolicyDep,
    limits: LimitsDep,
    now: NowDep,
    booking_id: BookingId,
) -> Response:
    move = availability_search.move_of(engine, booking_id, scope=principal.scope)
    found = availability_search.search(
        engine=engine,
        policy=policy,
        limits=limits,
        now=now,
        cases=move.cases,
        time_zone=body.time_zone or move.time_zone,
        days=frozenset(body.preferences.days),
        hours=frozenset(body.preferences.hours),
        week_start=body.week_start,
        moving=booking_id,
        reviewer_id=body.reviewer_id,
        max_slots=body.max_slots,
        slots_per_day=body.slots_per_day,
    )
    return _answer(found)


def _answer(found: availability_search.Availability) -> Response:
    """The JSON answer, as cut by the search (the request's ``slots_per_day`` and the
    answer's cap).

    A week can hold thousands of slots: serialise once, in pydantic-core, rather than
    letting FastAPI validate the model again and encode it a second time in Python.
    """
    out = AvailabilityOut.of(found)
    return Response(out.model_dump_json(), media_type="application/json")
