"""Launch links (SPEC §14): add one, read one, use it up once, forget the old ones.

Single use holds under concurrent redeems on both databases because using a link is one
``UPDATE … WHERE used_at IS NULL``: PostgreSQL makes the second writer wait on the row and
then finds the condition false, SQLite serialises the writers (``BEGIN IMMEDIATE``); either
way exactly one transaction sees a row changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from p2p_scheduler.db.tables import LaunchLinkRow
from p2p_scheduler.domain.launch_links import REMEMBERED, StoredLaunchLink

_LINKS = LaunchLinkRow.__table__  # type: ignore[attr-defined]


def add(session: Session, link: StoredLaunchLink) -> None:
    session.execute(
        insert(_LINKS).values(
            digest=link.digest,
            sealed=link.sealed,
            provider_org=link.provider_org,
            created_by=link.created_by,
            created_at=link.created_at,
            expires_at=link.expires_at,
            used_at=link.used_at,
        )
    )


def get(session: Session, digest: str) -> StoredLaunchLink | None:
    row = session.execute(select(_LINKS).where(_LINKS.c.digest == digest)).first()
    if row is None:
        return None
    return StoredLaunchLink(
        digest=row.digest,
        sealed=row.sealed,
        provider_org=row.provider_org,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


def use(session: Session, digest: str, *, now: datetime) -> bool:
    """Mark the link used and drop its cases; False when another request used it first."""
    changed = session.execute(
        update(_LINKS)
        .where(_LINKS.c.digest == digest, _LINKS.c.used_at.is_(None))
        .values(used_at=now, sealed=None)
    )
    return changed.rowcount == 1


def forget_expired(session: Session, *, now: datetime) -> None:
    """Expired links lose their cases at once and are forgotten ``REMEMBERED`` later."""
    session.execute(
        update(_LINKS)
        .where(_LINKS.c.expires_at <= now, _LINKS.c.sealed.is_not(None))
        .values(sealed=None)
    )
    session.execute(delete(_LINKS).where(_LINKS.c.expires_at <= now - REMEMBERED))
