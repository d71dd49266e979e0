"""Reviewer profiles: skills, licences, zone, weekly hours, daily cap (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import Principal, require, require_json
from api.deps import EngineDep, LimitsDep, NotifierDep, NowDep, PolicyDep, SettingsDep
from api.paths import ReviewerId
from api.problems import responses
from api.schemas.common import IDENTIFIER
from api.schemas.records import FeedOut, ReviewerIn, ReviewerOut
from api.schemas.scheduling import AffectedOut, TimeOffIn, TimeOffOut
from p2p_scheduler.services import calendars, records, time_off

router = APIRouter(
    prefix="/v1/reviewers", tags=["reviewers"], dependencies=[Depends(require("admin"))]
)

#: PUT creates the reviewer: an id that cannot be stored is the client's mistake to fix, so a
#: wrong shape stays a 422 naming ``reviewer_id``. Every other route addresses an existing
#: reviewer, and there a wrong shape is an unknown id: 404 (``api.paths``).
NewReviewerId = Path(pattern=IDENTIFIER, description="reviewer id")


@router.put(
    "/{reviewer_id}",
    response_model=ReviewerOut,
    summary="Create or replace a reviewer",
    dependencies=[Depends(require_json)],
    responses={
        201: {"model": ReviewerOut, "description": "Created"},
        **responses(401, 403, 415, 422),
    },
)
def put_reviewer(
    body: ReviewerIn,
    response: Response,
    engine: EngineDep,
    notifier: NotifierDep,
    now: NowDep,
    principal: Annotated[Principal, Depends(require("admin"))],
    reviewer_id: str = NewReviewerId,
) -> ReviewerOut:
    stored, created = records.put_reviewer(
        engine=engine, profile=body.profile(reviewer_id), actor=principal.key_id, now=now
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/reviewers/{reviewer_id}"
    return ReviewerOut.of(stored, calendars.feed_url(engine, notifier, reviewer_id, now=now))


@router.get(
    "/{reviewer_id}",
    response_model=ReviewerOut,
    summary="Read a reviewer",
    responses=responses(401, 403, 404, 422),
)
def get_reviewer(
    engine: EngineDep, notifier: NotifierDep, now: NowDep, reviewer_id: ReviewerId
) -> ReviewerOut:
    profile = records.get_reviewer(engine=engine, reviewer_id=reviewer_id)
    return ReviewerOut.of(profile, calendars.feed_url(engine, notifier, reviewer_id, now=now))


@router.post(
    "/{reviewer_id}/calendar-feed/rotate",
    response_model=FeedOut,
    summary="Revoke the reviewer's calendar feed URL and issue a new one",
    responses=responses(401, 403, 404, 422),
)
def rotate_feed(
    engine: EngineDep,
    notifier: NotifierDep,
    now: NowDep,
    principal: Annotated[Principal, Depends(require("admin"))],
    reviewer_id: ReviewerId,
) -> FeedOut:
    url = calendars.rotate_feed(engine, notifier, reviewer_id, now=now, actor=principal.key_id)
    return FeedOut(calendar_feed_url=url)


@router.post(
    "/{reviewer_id}/time-off",
    response_model=TimeOffOut,
    status_code=201,
    summary="Block a period; bookings inside it are reassigned, moved or flagged for a person",
    dependencies=[Depends(require_json)],
    responses=responses(401, 403, 404, 415, 422),
)
async def add_time_off(
    body: TimeOffIn,
    settings: SettingsDep,
    engine: EngineDep,
    policy: PolicyDep,
    limits: LimitsDep,
    notifier: NotifierDep,
    now: NowDep,
    principal: Annotated[Principal, Depends(require("admin"))],
    reviewer_id: ReviewerId,
) -> TimeOffOut:
    # Finding other reviewers and times is a (small, time-limited) solver run: off the loop.
    affected = await run_in_threadpool(
        lambda: time_off.add(
            engine=engine,
            policy=policy,
            limits=limits,
            now=now,
            reviewer_id=reviewer_id,
            start=body.start,
            end=body.end,
            reason=body.reason,
            time_limit_seconds=settings.optimizer_time_limit_seconds,
            workers=settings.optimizer_workers,
            actor=principal.key_id,
            announcer=notifier,
        )
    )
    return TimeOffOut(
        affected=[AffectedOut(booking_id=a.booking_id, action=a.action) for a in affected]
    )
