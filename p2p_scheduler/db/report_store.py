"""The reads behind the operations report (SPEC §12): one row per booking of a period.

One query reads what the figures need of every booking whose start (or, without a start,
whose creation) falls in the period: the booking's own columns, its first case's group
field, the reviewer's priority for that case's skill, and how often it was rescheduled.
The figures themselves are computed in Python (``domain.report``): a median and the
preferred-window test in the requester's zone are not portable SQL, and one row per
booking of a year (100,000) reads in well under a second on PostgreSQL (``bench report``).

The period test is on ``coalesce(start_at, created_at)``, the expression migration 0017
indexes, so a short period reads only its own rows on both databases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlmodel import Session

from p2p_scheduler.db.tables import (
    BookingCaseRow,
    BookingEventRow,
    BookingRow,
    CaseRow,
    ReviewerRow,
    ReviewerSkillRow,
)
from p2p_scheduler.domain.report import BookingFacts, GroupBy

_BOOKINGS = BookingRow.__table__  # type: ignore[attr-defined]
_CASES = BookingCaseRow.__table__  # type: ignore[attr-defined]
_CASE_ROWS = CaseRow.__table__  # type: ignore[attr-defined]
_SKILLS = ReviewerSkillRow.__table__  # type: ignore[attr-defined]
_EVENTS = BookingEventRow.__table__  # type: ignore[attr-defined]
_REVIEWERS = ReviewerRow.__table__  # type: ignore[attr-defined]

#: the event a move of a booking writes (``lifecycle.reschedule``: the portal, the manage
#: page and a time-off reassignment alike)
RESCHEDULED = "rescheduled"


def _group_column(group_by: GroupBy | None) -> object:
    columns = {
        GroupBy.STATE: _CASE_ROWS.c.member_state,
        GroupBy.LINE_OF_BUSINESS: _CASE_ROWS.c.line_of_business,
        GroupBy.LEVEL_OF_REVIEW: _CASES.c.level_of_review,
        GroupBy.REVIEWER: _BOOKINGS.c.reviewer_id,
        GroupBy.SKILL: _CASE_ROWS.c.skill,
    }
    return columns[group_by] if group_by is not None else None


def booking_facts(
    session: Session, *, start: datetime, end: datetime, group_by: GroupBy | None
) -> list[BookingFacts]:
    """Every booking whose start (or creation, without a start) is in ``[start, end)``, with
    its first case's ``group_by`` field."""
    b = _BOOKINGS.c
    reschedules = (
        select(func.count())
        .select_from(_EVENTS)
        .where(_EVENTS.c.booking_id == b.id, _EVENTS.c.event == RESCHEDULED)
        .scalar_subquery()
    )
    group = _group_column(group_by)
    at = func.coalesce(b.start_at, b.created_at)
    query = (
        select(
            group if group is not None else b.status,  # a placeholder, ignored without one
            b.status,
            b.created_at,
            b.start_at,
            b.duration_minutes,
            b.reviewer_id,
            _SKILLS.c.priority,
            b.cancel_reason_code,
            b.no_show_party,
            b.outcome,
            b.time_zone,
            b.preferred_days,
            b.preferred_hours,
            reschedules,
        )
        .select_from(_BOOKINGS)
        .join(_CASES, and_(_CASES.c.booking_id == b.id, _CASES.c.position == 0))
        .join(_CASE_ROWS, _CASE_ROWS.c.case_number == _CASES.c.case_number)
        .outerjoin(
            _SKILLS,
            and_(_SKILLS.c.reviewer_id == b.reviewer_id, _SKILLS.c.skill == _CASE_ROWS.c.skill),
        )
        .where(at >= start, at < end)
    )
    return [
        BookingFacts(
            key=key if group is not None else None,
            status=status,
            created_at=created_at,
            start_at=start_at,
            duration_minutes=duration,
            reviewer_id=reviewer_id,
            tier=priority,
            cancel_reason=reason,
            no_show_party=party,
            outcome=outcome,
            time_zone=zone,
            preferred_days=tuple(days) if days is not None else None,
            preferred_hours=tuple(hours) if hours is not None else None,
            reschedules=count,
        )
        for (
            key,
            status,
            created_at,
            start_at,
            duration,
            reviewer_id,
            priority,
            reason,
            party,
            outcome,
            zone,
            days,
            hours,
            count,
        ) in session.execute(query)
    ]


def active_reviewer_ids(session: Session) -> list[str]:
    """Reviewers who are active now: whose working time the overall utilisation counts."""
    return list(
        session.execute(
            select(_REVIEWERS.c.reviewer_id)
            .where(_REVIEWERS.c.active)
            .order_by(_REVIEWERS.c.reviewer_id)
        ).scalars()
    )
