"""Calendar reads behind signed links: a booking's current invite, a reviewer's feed.

Both are served to whoever holds a valid token (no API key: a calendar client subscribing to
a feed cannot send one). A calendar token that fails in any way answers exactly as an unknown
id does (404, the same words), and a forged or expired one is refused before anything is
looked up, so a probe can neither tell which part was wrong nor find reviewers or bookings by
guessing ids (SPEC §9, §10). A manage link that fails answers ``Forbidden``, except the
genuine link of a cancelled booking: 410, the cancel revoked it for good.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from p2p_scheduler import __version__
from p2p_scheduler.db import bookings, calendar_reads, repo
from p2p_scheduler.db.engine import Engine, Session, transaction
from p2p_scheduler.domain import invites
from p2p_scheduler.domain.access import EVERYTHING, Scope
from p2p_scheduler.domain.bookings import BookingView
from p2p_scheduler.domain.enums import CALENDAR_STATUSES, BookingStatus
from p2p_scheduler.domain.errors import Forbidden, LinkRevoked, NotFound
from p2p_scheduler.domain.links import InvalidToken, Purpose
from p2p_scheduler.domain.policy.days import start_of_day
from p2p_scheduler.services import audit
from p2p_scheduler.services.notifications import UID_DOMAIN, Notifier

#: A feed shows consultations from a month back to the booking horizon ahead (no booking can
#: lie further out: each was made at most that far ahead of its creation). Cancelled ones stay
#: (as STATUS:CANCELLED) for as long, so subscribed calendars drop them. The window moves by
#: whole days in the reviewer's zone, so a feed's bytes (and its tag) hold for a day.
FEED_PAST = timedelta(days=30)
FEED_STATUSES = frozenset({*CALENDAR_STATUSES, BookingStatus.CANCELLED})
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class _Rendered:
    """The last feeds this process rendered, by tag. Rendering a thousand events takes
    icalendar about a second; the tag names the content exactly (profile, window, bookings'
    count and latest change), so bytes rendered for a tag stay right for as long as the tag
    is current, and a download without ``If-None-Match`` costs no render either."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._feeds: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tag: str) -> bytes | None:
        with self._lock:
            body = self._feeds.get(tag)
            if body is not None:
                self._feeds.move_to_end(tag)
            return body

    def put(self, tag: str, body: bytes) -> None:
        with self._lock:
            self._feeds[tag] = body
            self._feeds.move_to_end(tag)
            while len(self._feeds) > self._size:
                self._feeds.popitem(last=False)


#: a few dozen reviewers' feeds (about 1 MB each at a thousand events)
_RENDERED = _Rendered(32)


@dataclass(frozen=True, slots=True)
class CalendarFile:
    """A calendar's bytes and tag; ``body`` is ``None`` when the caller already holds the
    tag (``If-None-Match``), so nothing was rendered."""

    body: bytes | None
    etag: str
    #: what a download is called (``p2p-2026-12-07.ics``); empty: the route names it
    filename: str = ""


def _refuse() -> Forbidden:
    return Forbidden(
        "This link is not valid (it may have expired or been replaced). "
        "Use the latest link you were sent."
    )


def booking_for_token(
    engine: Engine, notifier: Notifier, booking_id: str, token: str, *, now: datetime
) -> BookingView:
    """The booking behind a manage link (the link stands in for an API key).

    A token that is not ours or not for this booking answers as an unknown id, before any
    look-up (SPEC §9: no guessing ids; the feeds do the same). A cancel revokes the manage
    link for good: the link the booking had when it was cancelled (the version before the
    cancel's bump; or at it, as answers minted before the fix handed out) answers 410. A
    genuine link of an older version (replaced by ``links/rotate``) answers 403: its holder
    was once sent it, so saying the booking exists tells them nothing new."""
    version = _token_version(notifier, Purpose.MANAGE, token, booking_id, now, "booking")
    with transaction(engine) as session:
        view = _booking(session, booking_id)
    if view.status == BookingStatus.CANCELLED:
        if version in (view.manage_link_version - 1, view.manage_link_version):
            raise LinkRevoked(
                "This booking was cancelled, so its manage link no longer works.",
                cancelled_at=(view.updated_at or view.created_at).isoformat(),
                time_zone=view.time_zone,
            )
        raise _refuse()
    if version != view.manage_link_version:
        raise _refuse()
    return view


def current_invite(
    engine: Engine,
    notifier: Notifier,
    booking_id: str,
    token: str,
    *,
    now: datetime,
    download: bool = False,
) -> CalendarFile:
    """The booking's invite as it stands: REQUEST, or CANCEL once cancelled (SPEC §9); a
    ``download`` (the manage page's "Add to calendar") is a PUBLISH, a copy asking nobody to
    respond."""
    version = _token_version(notifier, Purpose.INVITE, token, booking_id, now, "booking")
    with transaction(engine) as session:
        view = _booking(session, booking_id)
        if version != view.invite_link_version:
            raise _unknown("booking", booking_id)
        if view.start is None:
            raise NotFound("This P2P request has no time yet; its invite comes once it has one.")
        reviewer = repo.get_reviewer(session, view.reviewer.reviewer_id) if view.reviewer else None
    cancelled = view.status == BookingStatus.CANCELLED
    body = invites.invite(
        notifier.invite_event(view, reviewer, cancelled=cancelled),
        method="PUBLISH" if download else "CANCEL" if cancelled else "REQUEST",
        organizer_email=notifier.organizer_email,
        uid_domain=UID_DOMAIN,
        time_zone=view.time_zone,
        dtstamp=view.updated_at,  # the last change: the same bytes until the next one
    )
    day = view.start.astimezone(ZoneInfo(view.time_zone)).date()
    return CalendarFile(body, _etag(body), f"p2p-{day.isoformat()}.ics")


def reviewer_feed(
    engine: Engine,
    notifier: Notifier,
    reviewer_id: str,
    token: str,
    *,
    now: datetime,
    horizon_days: int,
    known_tags: frozenset[str] = frozenset(),
) -> CalendarFile:
    """A subscribable calendar of the reviewer's P2Ps, in the reviewer's zone.

    Calendar clients poll feeds all day, mostly to hear "nothing changed". The tag is
    therefore computed from what the feed is made of (the reviewer's profile version, the
    window, and the count and latest change of its bookings: one aggregate query), not
    from its bytes, and a caller holding it gets its answer without a render.
    """
    version = _token_version(notifier, Purpose.FEED, token, reviewer_id, now, "reviewer")
    with transaction(engine) as session:
        link_version, profile_version = _feed_versions(session, reviewer_id)
        if version != link_version:
            raise _unknown("reviewer", reviewer_id)
        reviewer = repo.get_reviewer(session, reviewer_id)
        assert reviewer is not None
        today = now.astimezone(ZoneInfo(reviewer.time_zone)).date()
        window = (
            start_of_day(today - FEED_PAST, reviewer.time_zone),
            start_of_day(today + timedelta(days=horizon_days + 1), reviewer.time_zone),
        )
        count, latest = bookings.calendar_version(
            session, reviewer_id, starting=window, statuses=FEED_STATUSES
        )
        etag = _tag(
            profile_version,
            window[0].isoformat(),
            window[1].isoformat(),
            str(count),
            latest.isoformat() if latest else "-",
            notifier.organizer_email,
        )
        if etag in known_tags:
            return CalendarFile(None, etag)
        if (cached := _RENDERED.get(etag)) is not None:
            return CalendarFile(cached, etag)
        views = bookings.views(
            session,
            bookings.of_reviewer(session, reviewer_id, starting=window, statuses=FEED_STATUSES),
        )
    events = [
        notifier.invite_event(view, reviewer, cancelled=view.status == BookingStatus.CANCELLED)
        for view in views
    ]
    body = invites.feed(
        events,
        calendar_name=f"P2P consultations — {reviewer.name}",
        organizer_email=notifier.organizer_email,
        uid_domain=UID_DOMAIN,
        time_zone=reviewer.time_zone,
        dtstamp=latest or _EPOCH,
    )
    _RENDERED.put(etag, body)
    return CalendarFile(body, etag)


def feed_url(engine: Engine, notifier: Notifier, reviewer_id: str, *, now: datetime) -> str:
    with transaction(engine) as session:
        version, _ = _feed_versions(session, reviewer_id)
    return notifier.feed_url(reviewer_id, version, now)


def rotate_feed(
    engine: Engine, notifier: Notifier, reviewer_id: str, *, now: datetime, actor: str
) -> str:
    """Revoke the reviewer's feed URL and return the new one."""
    with transaction(engine) as session:
        version = calendar_reads.next_feed_version(session, reviewer_id)
        if version is None:
            raise NotFound(f"No reviewer {reviewer_id!r} exists.")
        audit.record(
            session,
            actor=actor,
            entity="reviewer",
            entity_id=reviewer_id,
            action="feed_rotated",
            now=now,
            reason="calendar feed URL revoked; a new one issued",
        )
    return notifier.feed_url(reviewer_id, version, now)


def rotate_booking_links(
    engine: Engine, booking_id: str, *, now: datetime, actor: str, scope: Scope
) -> BookingView:
    """Revoke a booking's invite and manage links (the answer carries the new ones).

    A cancelled booking has no manage link left to revoke: its version stays where the
    cancel put it, so the link it had at the cancel keeps answering 410, not 403."""
    with transaction(engine) as session:
        found = bookings.get(session, booking_id, scope=scope, lock=True)
        if found is None:
            raise NotFound(f"No booking {booking_id!r} exists.")
        rotated = dataclasses.replace(
            found,
            invite_link_version=found.invite_link_version + 1,
            manage_link_version=found.manage_link_version
            + (0 if found.status == BookingStatus.CANCELLED else 1),
            updated_at=now,
        )
        bookings.save(session, rotated)
        audit.booking(session, rotated, "links_rotated", actor=actor, now=now)
        [view] = bookings.views(session, [rotated])
        return view


def _booking(session: Session, booking_id: str) -> BookingView:
    # the signed token, checked by the caller, is the authority here, not a caller's scope
    found = bookings.view(session, booking_id, scope=EVERYTHING)
    if found is None:
        raise _unknown("booking", booking_id)
    return found


def _feed_versions(session: Session, reviewer_id: str) -> tuple[int, str]:
    found = calendar_reads.feed_versions(session, reviewer_id)
    if found is None:
        raise _unknown("reviewer", reviewer_id)
    return found


def _unknown(what: str, subject: str) -> NotFound:
    """What an unknown id in the path answers (the words of ``api.paths.unknown_id``)."""
    return NotFound(f"No {what} {subject!r} exists.")


def _token_version(
    notifier: Notifier, purpose: Purpose, token: str, subject: str, now: datetime, what: str
) -> int:
    """The link version a calendar token was issued at, if it is ours, unexpired and for
    ``subject``; else the unknown-id answer, before any look-up: a forged token costs the
    same (one HMAC) whether or not ``subject`` exists (SPEC §9: no guessing ids)."""
    try:
        token_subject, version = notifier.signer.read(purpose, token, now=now)
    except InvalidToken:
        raise _unknown(what, subject) from None
    if token_subject != subject:
        raise _unknown(what, subject)
    return version


def link_subject(notifier: Notifier, purpose: Purpose, token: str, *, now: datetime) -> str | None:
    """Whom a link token was signed for, if it is ours and unexpired (its version is not
    checked): what a link request is rate limited by, before anything is looked up."""
    try:
        subject, _ = notifier.signer.read(purpose, token, now=now)
    except InvalidToken:
        return None
    return subject


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _tag(*parts: str) -> str:
    return _etag("|".join((__version__, *parts)).encode())
