"""The reads behind the operations report (SPEC §12), aggregated in SQL.

The bookings of a period are those whose start (or, without a start, whose creation) falls
in it; each counts in the group of its first case (``position`` 0). Four portable queries
over that set, each answering a few rows per group, not a row per booking:

1. counts by group × status × reason code × no-show party × outcome × "has a reviewer" ×
   "tier 1", with the sum of their durations (booked minutes);
2. ``rescheduled`` history events per group (driven from the events, by the index of
   migration 0017);
3. the median seconds from creation to start per group, with window functions
   (``row_number``/``count`` over the group: SQLite has no ``percentile_cont``);
4. one row per booking that carries preferences and has a start (its start in epoch seconds,
   the requester's zone and the raw preference lists): whether a start falls in a preferred
   bin is a question of the requester's zone, which SQLite cannot answer.

Reading one row per booking of a year instead (100,000 rows, two instants each, parsed by
the driver) took seconds on SQLite; these answer in a fraction of that (``bench report``).
The period test is on ``coalesce(start_at, created_at)``, the expression migration 0017
indexes, so a short period reads only its own rows.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, or_, select
from sqlmodel import Session

from p2p_scheduler.db.calendar_reads import epoch_seconds
from p2p_scheduler.db.tables import (
    BookingCaseRow,
    BookingEventRow,
    BookingRow,
    CaseRow,
    ReviewerRow,
    ReviewerSkillRow,
)
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.report import (
    CALL_STATUSES,
    GroupBy,
    PeriodFacts,
    PreferredStart,
    StatusCount,
)

_BOOKINGS = BookingRow.__table__  # type: ignore[attr-defined]
_CASES = BookingCaseRow.__table__  # type: ignore[attr-defined]
_CASE_ROWS = CaseRow.__table__  # type: ignore[attr-defined]
_SKILLS = ReviewerSkillRow.__table__  # type: ignore[attr-defined]
_EVENTS = BookingEventRow.__table__  # type: ignore[attr-defined]
_REVIEWERS = ReviewerRow.__table__  # type: ignore[attr-defined]

#: the event a move of a booking writes (``lifecycle.reschedule``: the portal, the manage
#: page and a time-off reassignment alike)
RESCHEDULED = "rescheduled"


def _group_column(group_by: GroupBy | None) -> Any:
    columns = {
        GroupBy.STATE: _CASE_ROWS.c.member_state,
        GroupBy.LINE_OF_BUSINESS: _CASE_ROWS.c.line_of_business,
        GroupBy.LEVEL_OF_REVIEW: _CASES.c.level_of_review,
        GroupBy.REVIEWER: _BOOKINGS.c.reviewer_id,
        GroupBy.SKILL: _CASE_ROWS.c.skill,
    }
    return columns[group_by] if group_by is not None else None


#: the group fields that live on the first case (the others are the booking's own)
_CASE_FIELDS = frozenset(
    {GroupBy.STATE, GroupBy.LINE_OF_BUSINESS, GroupBy.LEVEL_OF_REVIEW, GroupBy.SKILL}
)


def _in_period(
    query: Any, start: datetime, end: datetime, *, cases: bool, skills: bool = False
) -> Any:
    """``query`` over the bookings of ``[start, end)``, joined to their first case when
    ``cases`` (a group field or the skill needs it) and to the reviewer's skill row."""
    b = _BOOKINGS.c
    at = func.coalesce(b.start_at, b.created_at)
    if cases or skills:
        query = query.join(_CASES, and_(_CASES.c.booking_id == b.id, _CASES.c.position == 0)).join(
            _CASE_ROWS, _CASE_ROWS.c.case_number == _CASES.c.case_number
        )
    if skills:
        query = query.outerjoin(
            _SKILLS,
            and_(_SKILLS.c.reviewer_id == b.reviewer_id, _SKILLS.c.skill == _CASE_ROWS.c.skill),
        )
    return query.where(at >= start, at < end)


def _keyed(column: Any, *rest: Any) -> tuple[Any, ...]:
    return (column, *rest) if column is not None else rest


#: a booking's reviewer, as one small number: none, a reviewer not at tier 1, tier 1
NO_REVIEWER, OTHER_TIER, TIER_1 = 0, 1, 2


def period_facts(
    session: Session, *, start: datetime, end: datetime, group_by: GroupBy | None
) -> PeriodFacts:
    """What the report's figures need of the bookings of ``[start, end)``."""
    b = _BOOKINGS.c
    group = _group_column(group_by)
    on_case = group_by in _CASE_FIELDS

    def key_of(row: Any) -> str | None:
        return row[0] if group is not None else None

    def rest(row: Any) -> Any:
        return row[1:] if group is not None else row

    # Few grouping columns (the codes are exclusive: a reason only on a cancel, a party only
    # on a no-show, an outcome only on a completion), so the database hashes, not sorts.
    code = func.coalesce(b.cancel_reason_code, b.no_show_party, b.outcome)
    reviewer = case(
        (b.reviewer_id.is_(None), NO_REVIEWER),
        (_SKILLS.c.priority == 1, TIER_1),
        else_=OTHER_TIER,
    )
    facets = (b.status, code, reviewer)
    counts_query = _in_period(
        select(*_keyed(group, *facets, func.count(), func.sum(b.duration_minutes))).select_from(
            _BOOKINGS
        ),
        start,
        end,
        cases=True,
        skills=True,
    ).group_by(*_keyed(group, *facets))
    counts = []
    for row in session.execute(counts_query).all():
        status, found_code, found_reviewer, n, minutes = rest(row)
        counts.append(
            StatusCount(
                key=key_of(row),
                status=status,
                cancel_reason=found_code if status == BookingStatus.CANCELLED else None,
                no_show_party=found_code if status == BookingStatus.NO_SHOW else None,
                outcome=found_code if status == BookingStatus.COMPLETED else None,
                with_reviewer=found_reviewer != NO_REVIEWER,
                tier_1=found_reviewer == TIER_1,
                bookings=int(n),
                minutes=int(minutes or 0),
            )
        )

    moves_query = _in_period(
        select(*_keyed(group, func.count()))
        .select_from(_EVENTS)
        .join(_BOOKINGS, b.id == _EVENTS.c.booking_id),
        start,
        end,
        cases=on_case,
    ).where(_EVENTS.c.event == RESCHEDULED)
    if group is not None:
        moves_query = moves_query.group_by(group)
    reschedules = {key_of(row): int(rest(row)[0]) for row in session.execute(moves_query).all()}

    # One row per booking with a start whose call is on a calendar (the median) or that
    # carries preferences: plain integers and short texts, nothing for the driver to parse.
    days = func.nullif(cast(b.preferred_days, Text), "null")  # JSON null: no preferences
    hours = func.nullif(cast(b.preferred_hours, Text), "null")
    calls = [str(status) for status in CALL_STATUSES]
    starts_query = _in_period(
        select(
            *_keyed(
                group,
                b.status,
                epoch_seconds(b.start_at),
                epoch_seconds(b.created_at),
                b.time_zone,
                days,
                hours,
            )
        ).select_from(_BOOKINGS),
        start,
        end,
        cases=on_case,
    ).where(
        b.start_at.is_not(None),
        or_(b.status.in_(calls), and_(days.is_not(None), hours.is_not(None))),
    )
    leads: dict[str | None, list[int]] = {}
    preferred = []
    for row in session.execute(starts_query).all():
        key = key_of(row)
        status, at, created, zone, raw_days, raw_hours = rest(row)
        if status in calls:
            leads.setdefault(key, []).append(at - created)
        if raw_days is not None and raw_hours is not None:
            preferred.append(
                PreferredStart(
                    key=key,
                    start_epoch=int(at),
                    time_zone=zone,
                    days=_strings(raw_days),
                    hours=_numbers(raw_hours),
                )
            )
    return PeriodFacts(
        counts=counts, reschedules=reschedules, lead_seconds=leads, preferred=preferred
    )


@lru_cache(maxsize=1024)
def _strings(raw: str) -> frozenset[str]:
    """A stored JSON list of weekdays (few distinct values: parsed once each)."""
    return frozenset(str(item) for item in json.loads(raw) or ())


@lru_cache(maxsize=1024)
def _numbers(raw: str) -> frozenset[int]:
    return frozenset(int(item) for item in json.loads(raw) or ())


def counted_reviewer_ids(session: Session, *, start: datetime, end: datetime) -> list[str]:
    """The reviewers whose working time the utilisation counts: those active now, and those
    who hold a booking starting in ``[start, end)`` (active or not now)."""
    b = _BOOKINGS.c
    r = _REVIEWERS.c
    held = (
        select(b.id)
        .where(b.reviewer_id == r.reviewer_id, b.start_at >= start, b.start_at < end)
        .exists()
    )
    return list(
        session.execute(
            select(r.reviewer_id).where(or_(r.active, held)).order_by(r.reviewer_id)
        ).scalars()
    )
