"""Calendar reads behind signed links: a booking's current invite, a reviewer's feed.

Both are served to whoever holds a valid token (no API key: a calendar client subscribing to
a feed cannot send one). A token that fails in any way gets the same ``Forbidden`` answer,
so a probe learns nothing about which part was wrong.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from p2p_scheduler.db import repo
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import BookingRow, ReviewerRow
from p2p_scheduler.domain import invites
from p2p_scheduler.domain.errors import Forbidden, NotFound
from p2p_scheduler.domain.links import InvalidToken, Purpose
from p2p_scheduler.services import audit
from p2p_scheduler.services.booking import BookingView, view_of
from p2p_scheduler.services.notifications import UID_DOMAIN, Notifier

#: A feed shows consultations from a month back to a year ahead; cancelled ones stay (as
#: STATUS:CANCELLED) for as long, so subscribed calendars drop them.
FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=365)
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CalendarFile:
    body: bytes
    etag: str


def _refuse() -> Forbidden:
    return Forbidden(
        "This link is not valid (it may have expired or been replaced). "
        "Use the latest link you were sent."
    )


def booking_for_token(
    engine: Engine, notifier: Notifier, booking_id: str, token: str, *, now: datetime
) -> BookingView:
    """The booking behind a manage link (the link stands in for an API key)."""
    with transaction(engine) as session:
        row = _booking(session, booking_id)
        _verify(notifier, Purpose.MANAGE, token, row.id, row.manage_link_version, now)
        return view_of(session, row)


def current_invite(
    engine: Engine, notifier: Notifier, booking_id: str, token: str, *, now: datetime
) -> CalendarFile:
    """The booking's invite as it stands: REQUEST, or CANCEL once cancelled (SPEC §9)."""
    with transaction(engine) as session:
        row = _booking(session, booking_id)
        _verify(notifier, Purpose.INVITE, token, row.id, row.invite_link_version, now)
        if row.start_at is None:
            raise NotFound("This P2P request has no time yet; its invite comes once it has one.")
        view = view_of(session, row)
        reviewer = repo.get_reviewer(session, row.reviewer_id) if row.reviewer_id else None
    cancelled = view.status == "cancelled"
    body = invites.invite(
        notifier.invite_event(view, reviewer, cancelled=cancelled),
        method="CANCEL" if cancelled else "REQUEST",
        organizer_email=notifier.organizer_email,
        uid_domain=UID_DOMAIN,
        time_zone=view.time_zone,
        dtstamp=row.updated_at,  # the last change: the same bytes until the next one
    )
    return CalendarFile(body, _etag(body))


def reviewer_feed(
    engine: Engine, notifier: Notifier, reviewer_id: str, token: str, *, now: datetime
) -> CalendarFile:
    """A subscribable calendar of the reviewer's P2Ps, in the reviewer's zone."""
    with transaction(engine) as session:
        _verify(
            notifier, Purpose.FEED, token, reviewer_id, _feed_version(session, reviewer_id), now
        )
        reviewer = repo.get_reviewer(session, reviewer_id)
        assert reviewer is not None
        rows = list(
            session.exec(
                select(BookingRow).where(
                    BookingRow.reviewer_id == reviewer_id,
                    BookingRow.status.in_(("scheduled", "completed", "no_show", "cancelled")),  # type: ignore[attr-defined]
                    BookingRow.start_at >= now - FEED_PAST,  # type: ignore[operator]
                    BookingRow.start_at < now + FEED_FUTURE,  # type: ignore[operator]
                )
            )
        )
        views = [view_of(session, row) for row in rows]
    events = [
        notifier.invite_event(view, reviewer, cancelled=view.status == "cancelled")
        for view in views
    ]
    body = invites.feed(
        events,
        calendar_name=f"P2P consultations — {reviewer.name}",
        organizer_email=notifier.organizer_email,
        uid_domain=UID_DOMAIN,
        time_zone=reviewer.time_zone,
        dtstamp=max((row.updated_at for row in rows), default=_EPOCH),
    )
    return CalendarFile(body, _etag(body))


def feed_url(engine: Engine, notifier: Notifier, reviewer_id: str, *, now: datetime) -> str:
    with transaction(engine) as session:
        version = _feed_version(session, reviewer_id)
    return notifier.feed_url(reviewer_id, version, now)


def rotate_feed(
    engine: Engine, notifier: Notifier, reviewer_id: str, *, now: datetime, actor: str
) -> str:
    """Revoke the reviewer's feed URL and return the new one."""
    with transaction(engine) as session:
        version = session.exec(
            update(ReviewerRow)  # type: ignore[call-overload]
            .where(ReviewerRow.reviewer_id == reviewer_id)  # type: ignore[arg-type]
            .values(feed_link_version=ReviewerRow.feed_link_version + 1)
            .returning(ReviewerRow.feed_link_version)
        ).first()
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
    return notifier.feed_url(reviewer_id, version[0], now)


def rotate_booking_links(
    engine: Engine, booking_id: str, *, now: datetime, actor: str
) -> BookingView:
    """Revoke a booking's invite and manage links (the answer carries the new ones)."""
    with transaction(engine) as session:
        row = session.get(BookingRow, booking_id, with_for_update=True)
        if row is None:
            raise NotFound(f"No booking {booking_id!r} exists.")
        row.invite_link_version += 1
        row.manage_link_version += 1
        row.updated_at = now
        session.add(row)
        audit.booking(session, row, "links_rotated", actor=actor, now=now)
        session.flush()
        return view_of(session, row)


def _booking(session: Session, booking_id: str) -> BookingRow:
    row = session.get(BookingRow, booking_id)
    if row is None:
        raise NotFound(f"No booking {booking_id!r} exists.")
    return row


def _feed_version(session: Session, reviewer_id: str) -> int:
    version = session.exec(
        select(ReviewerRow.feed_link_version).where(ReviewerRow.reviewer_id == reviewer_id)
    ).first()
    if version is None:
        raise NotFound(f"No reviewer {reviewer_id!r} exists.")
    return version


def _verify(
    notifier: Notifier, purpose: Purpose, token: str, subject: str, version: int, now: datetime
) -> None:
    try:
        notifier.signer.verify(purpose, token, subject=subject, version=version, now=now)
    except InvalidToken:
        raise _refuse() from None


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
