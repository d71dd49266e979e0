"""The audit trail as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from p2p_scheduler.services.audit import AuditEvent


class ActorOut(BaseModel):
    role: str = Field(description="admin, portal, reviewer, or service (the optimizer)")
    id: str = Field(description="the API key's id (e.g. portal-1), never its secret")


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor: ActorOut
    entity: str = Field(description="booking, case or reviewer")
    entity_id: str
    action: str
    reason: str
    before: dict[str, Any] | None = Field(description="the object before (null: first record)")
    after: dict[str, Any] | None = Field(
        description="the object after (null: the event changed none of its own fields)"
    )

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            id=event.id,
            at=event.at,
            actor=ActorOut(role=event.actor_role, id=event.actor_id),
            entity=event.entity,
            entity_id=event.entity_id,
            action=event.action,
            reason=event.reason,
            before=event.before,
            after=event.after,
        )


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None
