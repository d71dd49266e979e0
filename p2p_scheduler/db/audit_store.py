"""Writes and reads of the audit trail (``audit_events``; append-only by trigger)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from p2p_scheduler.db.tables import AuditRow


def last_after(session: Session, entity: str, entity_id: str) -> str | None:
    """The object as the newest audit row left it (``None`` if it was never audited)."""
    return session.exec(
        select(AuditRow.after)
        .where(AuditRow.entity == entity, AuditRow.entity_id == entity_id)
        .order_by(AuditRow.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()


def add(session: Session, row: AuditRow) -> None:
    session.add(row)


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
) -> list[AuditRow]:
    """Oldest first from ``after_id`` (the cursor), at most ``limit`` rows."""
    query = select(AuditRow)
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
    return list(session.exec(query.order_by(AuditRow.id).limit(limit)))  # type: ignore[arg-type]
