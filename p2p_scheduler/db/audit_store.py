"""Writes and reads of the audit trail (``audit_events``; append-only by trigger)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, select

from p2p_scheduler.db.tables import AuditRow

_AUDIT = AuditRow.__table__  # type: ignore[attr-defined]


def last_after(session: Session, entity: str, entity_id: str) -> str | None:
    """The object as the newest audit row left it (``None`` if it was never audited)."""
    return session.exec(
        select(AuditRow.after)
        .where(AuditRow.entity == entity, AuditRow.entity_id == entity_id)
        .order_by(AuditRow.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()


def add(
    session: Session,
    *,
    at: datetime,
    actor_role: str,
    actor_id: str,
    entity: str,
    entity_id: str,
    action: str,
    reason: str,
    before: str | None,
    after: str | None,
) -> None:
    session.execute(
        insert(_AUDIT).values(
            at=at,
            actor_role=actor_role,
            actor_id=actor_id,
            entity=entity,
            entity_id=entity_id,
            action=action,
            reason=reason,
            before=before,
            after=after,
        )
    )


def search(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: int | None = None,
    limit: int,
) -> list[Any]:
    """Oldest first from ``after_id`` (the cursor), at most ``limit`` rows (each with the
    table's columns as attributes)."""
    query = select(_AUDIT)
    if entity is not None:
        query = query.where(AuditRow.entity == entity)
    if entity_id is not None:
        query = query.where(AuditRow.entity_id == entity_id)
    if actor_id is not None:
        query = query.where(AuditRow.actor_id == actor_id)
    if since is not None:
        query = query.where(AuditRow.at >= since)
    if until is not None:
        query = query.where(AuditRow.at < until)
    if after_id is not None:
        query = query.where(AuditRow.id > after_id)  # type: ignore[operator]
    return list(session.execute(query.order_by(_AUDIT.c.id).limit(limit)))
