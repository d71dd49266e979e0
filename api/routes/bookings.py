"""Holds and bookings (portal)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from api.auth import (
    Principal,
    authorize,
    bearer,
    provider_org_of,
    require,
    require_json,
    require_or_manage_link,
)
from api.booking_once import book_once
from api.deps import EngineDep, LimitsDep, NotifierDep, NowDep, PolicyDep, PresentDep
from api.negotiation import prefers_html
from api.paths import BookingId, HoldId
from api.problems import responses
from api.ratelimit import limit_link
from api.routes import portal
from api.schemas.common import IDENTIFIER, Code, Instant
from api.schemas.scheduling import (
    BookingIn,
    BookingOut,
    BookingPage,
    CancelIn,
    CompleteIn,
    HoldIn,
    HoldOut,
    NoShowIn,
    RescheduleIn,
)
from p2p_scheduler.db.engine import Engine
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.errors import Forbidden, LinkRevoked, NotFound
from p2p_scheduler.domain.links import Purpose
from p2p_scheduler.services import booking, calendars, lifecycle
from p2p_scheduler.services.notifications import Notifier

router = APIRouter(prefix="/v1", tags=["bookings"])

PortalKey = Annotated[Principal, Depends(require("portal"))]
#: a portal key, or the booking's manage link (the provider's page, SPEC §11)
PortalKeyOrLink = Annotated[Principal, Depends(require_or_manage_link("portal"))]


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
        scope=principal.scope,
    )
    return HoldOut.of(view)


@router.delete(
    "/holds/{hold_id}",
    status_code=204,
    summary="Release a hold",
    dependencies=[Depends(require("portal"))],
    responses=responses(401, 403, 404, 422),
)
def delete_hold(engine: EngineDep, hold_id: HoldId) -> Response:
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
    notifier: NotifierDep,
    present: PresentDep,
    idempotency_key: Annotated[
        str | None, Header(max_length=200, description="makes retries return the first result")
    ] = None,
) -> Response:
    status, payload = await book_once(
        engine=engine,
        policy=policy,
        limits=limits,
        now=now,
        notifier=notifier,
        principal=principal,
        body=body,
        provider_org=provider_org_of(principal, body.provider_org),
        render=lambda view: present(view).model_dump_json(),
        idempotency_key=idempotency_key,
        path="/v1/bookings",
        raw=await request.body(),
    )
    return Response(content=payload, status_code=status, media_type="application/json")


READER_ROLES = frozenset({"portal", "provider", "reviewer", "admin"})


async def _api_key_or_manage_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    token: Annotated[
        str | None,
        Query(max_length=400, description="a manage link's token, instead of an API key"),
    ] = None,
) -> Principal | str:
    """The manage token when one is given (checked against the booking by the route), else
    the caller must hold a portal or reviewer key or token."""
    if token is None:
        return await authorize(request, credentials, READER_ROLES)
    booking_id = request.path_params.get("booking_id")
    if isinstance(booking_id, str):
        limit_link(request, Purpose.MANAGE, booking_id, token)
    return token


@router.get(
    "/bookings/{booking_id}",
    response_model=BookingOut,
    summary="One booking (with a portal or reviewer key, or the token of its manage link)",
    responses=responses(401, 403, 404, 410, 422),
)
def get_booking(
    request: Request,
    engine: EngineDep,
    notifier: NotifierDep,
    present: PresentDep,
    now: NowDep,
    caller: Annotated[Principal | str, Depends(_api_key_or_manage_token)],
    booking_id: BookingId,
) -> BookingOut | Response:
    if isinstance(caller, str):  # the manage link's token: the provider's own link
        if prefers_html(request.headers.get("accept")):
            return _manage_page(request, engine, notifier, booking_id, caller, now)
        view = calendars.booking_for_token(engine, notifier, booking_id, caller, now=now)
        return Response(
            present(view).model_dump_json(),
            media_type="application/json",
            headers=portal.LINK_PAGE_HEADERS,
        )
    view = booking.get_booking(engine=engine, booking_id=booking_id, scope=caller.scope)
    return present(view, links=caller.sees_provider_links)


def _manage_page(
    request: Request, engine: Engine, notifier: Notifier, booking_id: str, token: str, now: datetime
) -> Response:
    """The manage link opened in a browser: the page, or a page saying why it does not open
    (the same statuses the JSON answers: 404, 403, 410)."""
    try:
        calendars.booking_for_token(engine, notifier, booking_id, token, now=now)
    except LinkRevoked as gone:
        when = portal.cancelled_on(gone.extra.get("cancelled_at"), gone.extra.get("time_zone"))
        return portal.link_notice(
            request,
            410,
            "This P2P was cancelled",
            f"This P2P was cancelled on {when}, so this link no longer works.",
            "To request a new one, look the case up again in your portal.",
        )
    except Forbidden:
        return portal.link_notice(
            request,
            403,
            "This link was replaced",
            "This link is not valid any more: a newer one was sent for this P2P.",
            "Use the link in the latest e-mail about it.",
        )
    except NotFound:
        return portal.link_notice(
            request,
            404,
            "This link is not valid",
            "This link is not valid: it may be incomplete, or it has expired.",
            "Copy the whole link from the e-mail, or use the link in the latest e-mail you "
            "were sent about this P2P.",
        )
    return portal.manage_page(request)


@router.get(
    "/bookings",
    response_model=BookingPage,
    summary="My P2P requests: newest first, with cursor pagination",
    responses=responses(401, 403, 422),
)
def list_bookings(
    engine: EngineDep,
    present: PresentDep,
    principal: Annotated[Principal, Depends(require("portal", "reviewer"))],
    case_number: Annotated[str | None, Query(pattern=IDENTIFIER)] = None,
    status: Annotated[Code[BookingStatus] | None, Query()] = None,
    reviewer_id: Annotated[str | None, Query(pattern=IDENTIFIER)] = None,
    provider_email: Annotated[str | None, Query(max_length=254)] = None,
    provider_org: Annotated[
        str | None,
        Query(pattern=IDENTIFIER, description="only this provider organisation's bookings"),
    ] = None,
    start_from: Annotated[Instant | None, Query(alias="from")] = None,
    start_to: Annotated[Instant | None, Query(alias="to")] = None,
    needs_attention: Annotated[
        bool | None,
        Query(description="true: only bookings a person must look at (see `attention`)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> BookingPage:
    views, next_cursor = lifecycle.search(
        engine=engine,
        filters=lifecycle.BookingFilter(
            case_number=case_number,
            status=status.value if status else None,
            reviewer_id=reviewer_id,
            provider_email=provider_email,
            provider_org=provider_org,
            start_from=start_from,
            start_to=start_to,
            needs_attention=needs_attention,
        ),
        scope=principal.scope,
        limit=limit,
        cursor=cursor,
    )
    links = principal.sees_provider_links
    return BookingPage(items=[present(v, links=links) for v in views], next_cursor=next_cursor)


@router.post(
    "/bookings/{booking_id}/reschedule",
    response_model=BookingOut,
    summary="Move a booking to a new start and/or reviewer (same id, sequence + 1); with a "
    "portal key or the booking's manage link",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 404, 409, 410, 415, 422),
)
def reschedule_booking(
    booking_id: BookingId,
    body: RescheduleIn,
    principal: PortalKeyOrLink,
    engine: EngineDep,
    policy: PolicyDep,
    limits: LimitsDep,
    now: NowDep,
    notifier: NotifierDep,
    present: PresentDep,
) -> BookingOut:
    view = lifecycle.reschedule(
        engine=engine,
        policy=policy,
        limits=limits,
        now=now,
        booking_id=booking_id,
        start=body.start,
        reviewer_id=body.reviewer_id,
        actor=principal.key_id,
        scope=principal.scope,
        announcer=notifier,
    )
    return present(view)


@router.post(
    "/bookings/{booking_id}/cancel",
    response_model=BookingOut,
    summary="Cancel a booking (reason required); its time is released; with a portal key or "
    "the booking's manage link",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 404, 409, 410, 415, 422),
)
def cancel_booking(
    booking_id: BookingId,
    body: CancelIn,
    principal: PortalKeyOrLink,
    engine: EngineDep,
    now: NowDep,
    notifier: NotifierDep,
    present: PresentDep,
) -> BookingOut:
    view = lifecycle.cancel(
        engine=engine,
        now=now,
        booking_id=booking_id,
        reason_code=body.reason_code.value,
        reason_text=body.reason_text,
        actor=principal.key_id,
        scope=principal.scope,
        announcer=notifier,
    )
    return present(view)


ReviewerKey = Annotated[Principal, Depends(require("reviewer"))]


@router.post(
    "/bookings/{booking_id}/complete",
    response_model=BookingOut,
    summary="Record the consultation's outcome (reviewer or admin)",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 404, 409, 415, 422),
)
def complete_booking(
    booking_id: BookingId,
    body: CompleteIn,
    principal: ReviewerKey,
    engine: EngineDep,
    now: NowDep,
    notifier: NotifierDep,
    present: PresentDep,
) -> BookingOut:
    view = lifecycle.complete(
        engine=engine,
        now=now,
        booking_id=booking_id,
        outcome=body.outcome.value,
        notes=body.notes,
        actor=principal.key_id,
        scope=principal.scope,
        # a reviewer records it once the call has begun; an admin may correct it any time
        any_time=principal.role == "admin",
        announcer=notifier,
    )
    return present(view, links=principal.sees_provider_links)


@router.post(
    "/bookings/{booking_id}/no-show",
    response_model=BookingOut,
    summary="Record that the provider or the reviewer did not answer (reviewer or admin)",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 404, 409, 415, 422),
)
def no_show_booking(
    booking_id: BookingId,
    body: NoShowIn,
    principal: ReviewerKey,
    engine: EngineDep,
    now: NowDep,
    notifier: NotifierDep,
    present: PresentDep,
) -> BookingOut:
    view = lifecycle.no_show(
        engine=engine,
        now=now,
        booking_id=booking_id,
        party=body.party.value,
        notes=body.notes,
        actor=principal.key_id,
        scope=principal.scope,
        # a reviewer records it once the call has begun; an admin may correct it any time
        any_time=principal.role == "admin",
        announcer=notifier,
    )
    return present(view, links=principal.sees_provider_links)


@router.post(
    "/bookings/{booking_id}/links/rotate",
    response_model=BookingOut,
    summary="Revoke the booking's invite and manage links; the answer carries new ones",
    responses=responses(401, 403, 404, 422),
)
def rotate_booking_links(
    booking_id: BookingId,
    engine: EngineDep,
    now: NowDep,
    present: PresentDep,
    principal: Annotated[Principal, Depends(require("portal"))],
) -> BookingOut:
    view = calendars.rotate_booking_links(
        engine, booking_id, now=now, actor=principal.key_id, scope=principal.scope
    )
    return present(view)
