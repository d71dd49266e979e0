"""A reviewer's week of P2Ps (reviewer keys): what the reviewer day view shows."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import Principal, require
from api.deps import EngineDep, NotifierDep, NowDep, PresentDep
from api.paths import ReviewerId
from api.problems import responses
from api.schemas.scheduling import AgendaOut
from p2p_scheduler.services import agenda, calendars

router = APIRouter(prefix="/v1/reviewers", tags=["reviewers"])


@router.get(
    "/{reviewer_id}/agenda",
    response_model=AgendaOut,
    summary="The reviewer's P2Ps of one week, in the reviewer's zone, with the feed URL",
    responses=responses(401, 403, 404, 422),
)
def get_agenda(
    principal: Annotated[Principal, Depends(require("reviewer"))],
    engine: EngineDep,
    notifier: NotifierDep,
    present: PresentDep,
    now: NowDep,
    reviewer_id: ReviewerId,
    week_start: Annotated[
        date | None,
        Query(description="a Monday in the reviewer's zone; default: this week"),
    ] = None,
) -> AgendaOut:
    found = agenda.week(
        engine=engine,
        reviewer_id=reviewer_id,
        week_start=week_start,
        now=now,
        scope=principal.scope,
    )
    profile = found.reviewer
    return AgendaOut(
        reviewer_id=profile.reviewer_id,
        name=profile.name,
        credentials=profile.credentials,
        time_zone=profile.time_zone,
        today=found.today,
        week_start=found.week_start,
        week_end=found.week_end,
        previous_week_start=found.previous_week_start,
        next_week_start=found.next_week_start,
        calendar_feed_url=calendars.feed_url(engine, notifier, reviewer_id, now=now),
        # No invite or manage links: those are the provider's.
        bookings=[present(view, links=False) for view in found.bookings],
        now=now,
    )
