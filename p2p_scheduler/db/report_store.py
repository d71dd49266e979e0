"""The reads behind the operations report (SPEC §12), aggregated in SQL, in one statement.

The bookings of a period are those whose start (or, without a start, whose creation) falls
in it; each counts in the group of its first case (``position`` 0). One common table
expression joins them once to their first case, the reviewer's priority for its skill and
their count of ``rescheduled`` events; three parts are read from it (``UNION ALL``), each a
few rows per group but the last:

1. counts by group × status × code (reason, party or outcome) × reviewer (none, tier 1,
   other), with their minutes and reschedules;
2. the median seconds from creation to start per group, with window functions
   (``row_number``/``count`` over the group: SQLite has no ``percentile_cont``);
3. one row per booking with a start that carries preferences (its start in epoch seconds,
   the requester's zone and the raw preference lists): whether a start falls in a preferred
   bin is a question of the requester's zone, which SQLite cannot answer.

Reading a row per booking of a year instead (100,000 rows, two instants each, parsed by the
driver) took seconds on SQLite; three statements joined the bookings to their cases three
times. ``bench report`` has the figures. The period test is on ``coalesce(start_at,
created_at)``, the expression migration 0017 indexes (a short period reads only its rows, and
PostgreSQL gets the expression's statistics); the events are reached through its
``(event, booking_id)`` index.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
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


def _in_period(query: Any, start: datetime, end: datetime) -> Any:
    """``query`` over the bookings of ``[start, end)``, joined to their first case and to
    their reviewer's skill row for that case's skill (absent: no reviewer, or not held)."""
    b = _BOOKINGS.c
    at = func.coalesce(b.start_at, b.created_at)
    return (
        query.join(_CASES, and_(_CASES.c.booking_id == b.id, _CASES.c.position == 0))
        .join(_CASE_ROWS, _CASE_ROWS.c.case_number == _CASES.c.case_number)
        .outerjoin(
            _SKILLS,
            and_(_SKILLS.c.reviewer_id == b.reviewer_id, _SKILLS.c.skill == _CASE_ROWS.c.skill),
        )
        .where(at >= start, at < end)
    )


#: a booking's reviewer, as one small number: none, a reviewer not at tier 1, tier 1
NO_REVIEWER, OTHER_TIER, TIER_1 = 0, 1, 2
#: the three parts of the answer: counts per group and facet, the median lead time per group,
#: and one row per start with preferences
COUNTS, MEDIANS, STARTS = 0, 1, 2


def period_facts(
    session: Session, *, start: datetime, end: datetime, group_by: GroupBy | None
) -> PeriodFacts:
    """What the report's figures need of the bookings of ``[start, end)``: one statement,
    so the bookings are joined to their first case once (see the module's docstring)."""
    b = _BOOKINGS.c
    group = _group_column(group_by)
    moves = (
        select(_EVENTS.c.booking_id, func.count().label("n"))
        .where(_EVENTS.c.event == RESCHEDULED)
        .group_by(_EVENTS.c.booking_id)
        .subquery("moves")
    )
    period = (
        _in_period(
            select(
                (group if group is not None else cast(null(), String)).label("k"),
                b.status.label("status"),
                # the codes are exclusive: a reason only on a cancel, a party only on a
                # no-show, an outcome only on a completion
                func.coalesce(b.cancel_reason_code, b.no_show_party, b.outcome).label("code"),
                case(
                    (b.reviewer_id.is_(None), NO_REVIEWER),
                    (_SKILLS.c.priority == 1, TIER_1),
                    else_=OTHER_TIER,
                ).label("who"),
                b.duration_minutes.label("minutes"),
                func.coalesce(moves.c.n, 0).label("moves"),
                epoch_seconds(b.start_at).label("at"),
                epoch_seconds(b.created_at).label("created"),
                b.time_zone.label("zone"),
                # JSON null (what the JSON type writes for None): no preferences
                func.nullif(cast(b.preferred_days, Text), "null").label("days"),
                func.nullif(cast(b.preferred_hours, Text), "null").label("hours"),
            )
            .select_from(_BOOKINGS)
            .outerjoin(moves, moves.c.booking_id == b.id),
            start,
            end,
        )
    ).cte("period")
    p = period.c
    number, text_, real = BigInteger(), Text(), Float()
    facets = (p.k, p.status, p.code, p.who)
    counted = select(
        literal(COUNTS).label("part"),
        *facets,
        func.count().label("n"),
        func.sum(p.minutes).label("minutes"),
        func.sum(p.moves).label("moves"),
        cast(null(), real).label("median"),
        cast(null(), number).label("at"),
        cast(null(), text_).label("zone"),
        cast(null(), text_).label("days"),
        cast(null(), text_).label("hours"),
    ).group_by(*facets)
    # the median seconds from creation to start per group, with window functions (SQLite
    # has no percentile_cont): the middle one or two of the group's calls by lead time
    calls = [str(status) for status in CALL_STATUSES]
    lead = p.at - p.created
    ranked = (
        select(
            p.k,
            lead.label("lead"),
            func.row_number().over(partition_by=p.k, order_by=lead).label("rn"),
            func.count().over(partition_by=p.k).label("cnt"),
        )
        .where(p.at.is_not(None), p.status.in_(calls))
        .subquery("ranked")
    )
    r = ranked.c
    medians = (
        select(
            literal(MEDIANS),
            r.k,
            cast(null(), text_),
            cast(null(), text_),
            cast(null(), number),
            cast(null(), number),
            cast(null(), number),
            cast(null(), number),
            cast(func.avg(r.lead), real),
            cast(null(), number),
            cast(null(), text_),
            cast(null(), text_),
            cast(null(), text_),
        )
        .where(or_(r.rn == (r.cnt + 1) // 2, r.rn == (r.cnt + 2) // 2))
        .group_by(r.k)
    )
    # one row per booking with a start that carries preferences (the requester's zone
    # decides whether the start is in them, which SQLite cannot tell)
    starts = select(
        literal(STARTS),
        p.k,
        p.status,
        cast(null(), text_),
        cast(null(), number),
        cast(null(), number),
        cast(null(), number),
        cast(null(), number),
        cast(null(), real),
        p.at,
        p.zone,
        p.days,
        p.hours,
    ).where(p.at.is_not(None), p.days.is_not(None), p.hours.is_not(None))
    counts: list[StatusCount] = []
    reschedules: dict[str | None, int] = {}
    median_seconds: dict[str | None, float] = {}
    preferred: list[PreferredStart] = []
    for row in session.execute(union_all(counted, medians, starts)).all():
        part, key, status, code, who, n, minutes, moved, median, at, zone, days, hours = row
        if part == COUNTS:
            counts.append(
                StatusCount(
                    key=key,
                    status=status,
                    cancel_reason=code if status == BookingStatus.CANCELLED else None,
                    no_show_party=code if status == BookingStatus.NO_SHOW else None,
                    outcome=code if status == BookingStatus.COMPLETED else None,
                    with_reviewer=who != NO_REVIEWER,
                    tier_1=who == TIER_1,
                    bookings=int(n),
                    minutes=int(minutes or 0),
                )
            )
            reschedules[key] = reschedules.get(key, 0) + int(moved or 0)
        elif part == MEDIANS:
            median_seconds[key] = float(median)
        else:
            preferred.append(
                PreferredStart(
                    key=key,
                    start_epoch=int(at),
                    time_zone=zone,
                    days=_strings(days),
                    hours=_numbers(hours),
                )
            )
    return PeriodFacts(
        counts=counts,
        reschedules=reschedules,
        median_lead_seconds=median_seconds,
        preferred=preferred,
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
