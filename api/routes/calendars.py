"""Calendar files behind signed links: a booking's invite, a reviewer's feed (SPEC §5, §7).

No API key: the token in the URL is the credential (calendar clients cannot send headers).
A token that fails answers 404, exactly as an unknown id does (SPEC §9), so ids cannot be
found by guessing; it also counts against the caller's address, and a good one against its
link (``api.ratelimit``).
Both answer ``text/calendar`` with an ETag; ``If-None-Match`` with it answers 304, so a
subscribed calendar polling every hour costs one small response when nothing changed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from api.deps import EngineDep, LimitsDep, NotifierDep, NowDep
from api.paths import BookingId, ReviewerId
from api.problems import responses
from api.ratelimit import limit_link
from p2p_scheduler.domain.links import Purpose
from p2p_scheduler.services import calendars

router = APIRouter(prefix="/v1", tags=["calendars"])

Token = Annotated[str, Query(min_length=1, max_length=400, description="the link's signed token")]
IfNoneMatch = Annotated[str | None, Header(max_length=200)]
CALENDAR = {"content": {"text/calendar": {}}, "description": "an iCalendar file (RFC 5545)"}


def _tags(if_none_match: str | None) -> frozenset[str]:
    return frozenset(t.strip() for t in (if_none_match or "").split(",") if t.strip())


def _answer(
    found: calendars.CalendarFile,
    if_none_match: str | None,
    filename: str,
    disposition: str = "inline",
) -> Response:
    headers = {
        "ETag": found.etag,
        "Cache-Control": "private, max-age=0, must-revalidate",
        "Content-Disposition": f'{disposition}; filename="{filename}"',
    }
    if found.body is None or found.etag in _tags(if_none_match):
        # A 304 carries the Vary its 200 would (RFC 9110 §15.4.5): gzip (``api.app``) adds
        # ``Vary: Accept-Encoding`` to a compressed 200, but a 304 has no body to compress.
        # The ETag is the content's, whatever the coding, so a client's copy revalidates
        # the same way compressed or not.
        return Response(status_code=304, headers={**headers, "Vary": "Accept-Encoding"})
    return Response(found.body, media_type="text/calendar; charset=utf-8", headers=headers)


@router.head("/bookings/{booking_id}/invite.ics", include_in_schema=False)
@router.get(
    "/bookings/{booking_id}/invite.ics",
    summary="The booking's current invite (REQUEST, or CANCEL once cancelled); with "
    "download=true, a copy to keep (PUBLISH, an attachment named by the call's date)",
    response_class=Response,
    responses={200: CALENDAR, 304: {"description": "unchanged"}, **responses(404, 422, 429)},
)
def booking_invite(
    request: Request,
    engine: EngineDep,
    notifier: NotifierDep,
    now: NowDep,
    booking_id: BookingId,
    token: Token,
    if_none_match: IfNoneMatch = None,
    download: Annotated[
        bool, Query(description="true: for one's own calendar (no RSVP), as a file to save")
    ] = False,
) -> Response:
    limit_link(request, Purpose.INVITE, booking_id, token)
    found = calendars.current_invite(
        engine, notifier, booking_id, token, now=now, download=download
    )
    if download:
        return _answer(found, if_none_match, found.filename, "attachment")
    return _answer(found, if_none_match, "invite.ics")


@router.get(
    "/calendars/reviewers/{reviewer_id}.ics",
    summary="A reviewer's P2Ps as a subscribable calendar",
    response_class=Response,
    responses={200: CALENDAR, 304: {"description": "unchanged"}, **responses(404, 422, 429)},
)
def reviewer_feed(
    request: Request,
    engine: EngineDep,
    notifier: NotifierDep,
    now: NowDep,
    limits: LimitsDep,
    reviewer_id: ReviewerId,
    token: Token,
    if_none_match: IfNoneMatch = None,
) -> Response:
    limit_link(request, Purpose.FEED, reviewer_id, token)
    found = calendars.reviewer_feed(
        engine,
        notifier,
        reviewer_id,
        token,
        now=now,
        horizon_days=limits.max_horizon_days,
        known_tags=_tags(if_none_match),
    )
    return _answer(found, if_none_match, f"{reviewer_id}.ics")
