"""The audit trail: who changed which case, reviewer or booking, when, why, before and after.

A UM organisation must be able to answer "who moved this consultation, and what was it
before?" long after the fact, so every change writes one ``audit_events`` row in the same
transaction as the change itself (it commits or rolls back with it), and the table refuses
UPDATE and DELETE by trigger.

*Who* is an API key's id (``portal-2``: its role and its position in ``P2P_API_KEYS``; the
secret never), a token's role and subject (``provider`` and its ``sub``), or one of the
service's own jobs (``optimizer``). *Before* is the object as
the previous audit row of that object left it, so the trail reads as a chain of states.

No PHI beyond what the object's audit needs: a case is recorded without the member's name,
date of birth and member ID (the state and health plan, which decide eligibility, stay).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from p2p_scheduler.db import audit_store, bookings
from p2p_scheduler.db.engine import Engine, Session, transaction
from p2p_scheduler.domain.access import Scope
from p2p_scheduler.domain.bookings import StoredBooking
from p2p_scheduler.domain.errors import InvalidInput, NotFound
from p2p_scheduler.domain.model import CaseSnapshot, ReviewerProfile

ROLES = frozenset({"admin", "portal", "reviewer", "ops"})
#: member fields that identify a person and never enter the audit
MEMBER_PHI = ("name", "dob", "member_id")
#: booking columns that are bookkeeping, not the booking's state
BOOKING_BOOKKEEPING = frozenset({"id", "created_at", "updated_at"})


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    at: datetime
    actor_role: str
    actor_id: str
    entity: str
    entity_id: str
    action: str
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def actor_parts(actor: str) -> tuple[str, str]:
    """(role, id) of an actor: a token's actor is ``<role>:<sub>`` (``api.auth``), an API
    key's id is ``<role>-<n>`` by construction (``config.ApiKey``); anything else is one of
    the service's own jobs."""
    role, colon, subject = actor.partition(":")
    if colon:
        return role, subject
    role = actor.rsplit("-", 1)[0]
    return (role if role in ROLES else "service"), actor


def record(
    session: Session,
    *,
    actor: str,
    entity: str,
    entity_id: str,
    action: str,
    now: datetime,
    after: dict[str, Any] | None = None,
    reason: str = "",
    created: bool = False,
) -> None:
    """Append one event; ``after`` is the object's new state (``None`` for an event that
    does not change the object's own fields, such as a time off). ``created``: the object
    is new in this transaction, so it has no *before* to look up."""
    role, actor_id = actor_parts(actor)
    audit_store.add(
        session,
        at=now,
        actor_role=role,
        actor_id=actor_id[:255],
        entity=entity,
        entity_id=entity_id,
        action=action,
        reason=reason[:1000],
        before=audit_store.last_after(session, entity, entity_id)
        if after and not created
        else None,
        after=_dumps(after) if after is not None else None,
    )


def booking(
    session: Session,
    booking: StoredBooking,
    action: str,
    *,
    actor: str,
    now: datetime,
    reason: str = "",
    created: bool = False,
) -> None:
    state = {
        key: value
        for key, value in dataclasses.asdict(booking).items()
        if key not in BOOKING_BOOKKEEPING
    }
    record(
        session,
        actor=actor,
        entity="booking",
        entity_id=booking.id,
        action=action,
        now=now,
        after=state,
        reason=reason,
        created=created,
    )


def case_state(case: CaseSnapshot) -> dict[str, Any]:
    state = dataclasses.asdict(case)
    for key in MEMBER_PHI:
        state["member"].pop(key, None)
    return state


def reviewer_state(profile: ReviewerProfile) -> dict[str, Any]:
    return dataclasses.asdict(profile)


def _event(row: Any) -> AuditEvent:
    return AuditEvent(
        id=row.id or 0,
        at=row.at,
        actor_role=row.actor_role,
        actor_id=row.actor_id,
        entity=row.entity,
        entity_id=row.entity_id,
        action=row.action,
        reason=row.reason,
        before=json.loads(row.before) if row.before else None,
        after=json.loads(row.after) if row.after else None,
    )


def _dumps(state: dict[str, Any]) -> str:
    return json.dumps(state, default=_plain, sort_keys=True, separators=(",", ":"))


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(value, key=str)
    raise TypeError(f"cannot audit a {type(value).__name__}")


MAX_PAGE = 500


def trail(
    engine: Engine,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[AuditEvent], str | None]:
    """Oldest first, ``limit`` at a time; the cursor is the last event's id (opaque to
    callers). ``booking_history`` is the trail of one booking that must exist."""
    after_id = None
    if cursor:
        if not cursor.isdigit() or len(cursor) > 18:
            raise InvalidInput("This cursor is not one this API returned.", field="cursor")
        after_id = int(cursor)
    limit = max(1, min(limit, MAX_PAGE))
    with transaction(engine) as session:
        found = [
            _event(row)
            for row in audit_store.search(
                session,
                entity=entity,
                entity_id=entity_id,
                actor_id=actor_id,
                since=since,
                until=until,
                after_id=after_id,
                limit=limit + 1,
            )
        ]
    page = found[:limit]
    return page, (str(page[-1].id) if len(found) > limit else None)


def booking_history(
    engine: Engine,
    booking_id: str,
    *,
    scope: Scope,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[AuditEvent], str | None]:
    """A booking's history: its audit trail (404 when there is no such booking in ``scope``)."""
    with transaction(engine) as session:
        if not bookings.exists(session, booking_id, scope=scope):
            raise NotFound(f"No booking {booking_id!r} exists.")
    return trail(engine, entity="booking", entity_id=booking_id, cursor=cursor, limit=limit)
