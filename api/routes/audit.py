"""The audit trail: a booking's history, and the admin's query over every change."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from api.auth import Principal, require
from api.deps import EngineDep
from api.paths import BookingId
from api.problems import responses
from api.schemas.audit import AuditEventOut, AuditPage
from api.schemas.common import IDENTIFIER, Instant
from p2p_scheduler.services import audit

router = APIRouter(prefix="/v1", tags=["audit"])

Limit = Annotated[int, Query(ge=1, le=audit.MAX_PAGE)]
Cursor = Annotated[str | None, Query(max_length=20)]


def _page(found: tuple[list[audit.AuditEvent], str | None]) -> AuditPage:
    events, next_cursor = found
    return AuditPage(items=[AuditEventOut.of(e) for e in events], next_cursor=next_cursor)


@router.get(
    "/bookings/{booking_id}/history",
    response_model=AuditPage,
    summary="Every change to a booking, oldest first: who, when, why, before and after",
    responses=responses(401, 403, 404, 422),
)
def booking_history(
    principal: Annotated[Principal, Depends(require("portal", "reviewer", "ops"))],
    engine: EngineDep,
    booking_id: BookingId,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> AuditPage:
    return _page(
        audit.booking_history(engine, booking_id, scope=principal.scope, limit=limit, cursor=cursor)
    )


@router.get(
    "/audit",
    response_model=AuditPage,
    summary="The audit trail of cases, reviewers and bookings, oldest first (admin, ops)",
    dependencies=[Depends(require("ops"))],
    responses=responses(401, 403, 422),
)
def audit_trail(
    engine: EngineDep,
    entity: Annotated[Literal["booking", "case", "reviewer"] | None, Query()] = None,
    entity_id: Annotated[str | None, Query(pattern=IDENTIFIER)] = None,
    actor_id: Annotated[str | None, Query(max_length=255)] = None,
    since: Annotated[Instant | None, Query(alias="from")] = None,
    until: Annotated[Instant | None, Query(alias="to")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> AuditPage:
    return _page(
        audit.trail(
            engine,
            entity=entity,
            entity_id=entity_id,
            actor_id=actor_id,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
    )
