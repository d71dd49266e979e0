"""Holds and bookings (portal)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import Principal, require, require_json
from api.deps import EngineDep, LimitsDep, NowDep, PolicyDep
from api.problems import responses
from api.schemas.scheduling import BookingIn, BookingOut, HoldIn, HoldOut
from p2p_scheduler import booking, idempotency

router = APIRouter(prefix="/v1", tags=["bookings"])

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
PortalKey = Annotated[Principal, Depends(require("portal"))]


@router.post(
    "/holds",
    response_model=HoldOut,
    status_code=201,
    summary="Hold a slot for a few minutes while the contact form is filled in",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 409, 415, 422),
)
def create_hold(
    body: HoldIn,
    principal: PortalKey,
    engine: EngineDep,
    policy: PolicyDep,
    limits: LimitsDep,
    now: NowDep,
) -> HoldOut:
    view = booking.hold(
        engine=engine,
        policy=policy,
        limits=limits,
        now=now,
        slot=body.slot(),
        actor=principal.key_id,
    )
    return HoldOut.of(view)


@router.delete(
    "/holds/{hold_id}",
    status_code=204,
    summary="Release a hold",
    dependencies=[Depends(require("portal"))],
    responses=responses(401, 403, 404, 422),
)
def delete_hold(engine: EngineDep, hold_id: str = Path(pattern=UUID_PATTERN)) -> Response:
    booking.release_hold(engine=engine, hold_id=hold_id)
    return Response(status_code=204)


@router.post(
    "/bookings",
    response_model=BookingOut,
    status_code=201,
    summary="Book a slot (send an Idempotency-Key to make retries safe)",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 409, 415, 422),
)
async def create_booking(
    request: Request,
    body: BookingIn,
    principal: PortalKey,
    engine: EngineDep,
    policy: PolicyDep,
    limits: LimitsDep,
    now: NowDep,
    idempotency_key: Annotated[
        str | None, Header(max_length=200, description="makes retries return the first result")
    ] = None,
) -> Response:
    def work() -> tuple[int, str]:
        view = booking.book(
            engine=engine,
            policy=policy,
            limits=limits,
            now=now,
            slot=body.slot(),
            contact=body.contact.contact(),
            hold_id=body.hold_id,
            actor=principal.key_id,
        )
        return 201, BookingOut.of(view).model_dump_json()

    if idempotency_key is None:
        status, payload = await run_in_threadpool(work)
    else:
        raw = await request.body()
        status, payload = await run_in_threadpool(
            lambda: idempotency.run_once(
                engine=engine,
                key_id=principal.key_id,
                key=idempotency_key,
                request_hash=idempotency.fingerprint("POST", "/v1/bookings", raw),
                now=now,
                work=work,
            )
        )
    return Response(content=payload, status_code=status, media_type="application/json")


@router.get(
    "/bookings/{booking_id}",
    response_model=BookingOut,
    summary="One booking",
    dependencies=[Depends(require("portal", "reviewer"))],
    responses=responses(401, 403, 404, 422),
)
def get_booking(engine: EngineDep, booking_id: str = Path(pattern=UUID_PATTERN)) -> BookingOut:
    return BookingOut.of(booking.get_booking(engine=engine, booking_id=booking_id))
