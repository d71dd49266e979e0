"""The operations report (SPEC §12): P2P figures of a period, grouped, for UM leaders.

One read-only transaction: the bookings of the period (``report_store``), then the working
time of every reviewer the utilisation counts (active reviewers, and any who held a booking
of the period) from their profiles and time off. The figures are pure
(``domain.report``, whose docstring says how each maps to the stored data).

No PHI: the report holds counts, ratios, codes and reviewer ids only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from p2p_scheduler.db import calendar_reads, repo, report_store
from p2p_scheduler.db.engine import Engine, transaction
from p2p_scheduler.domain.availability import Interval
from p2p_scheduler.domain.report import (
    GroupBy,
    GroupFigures,
    build_groups,
    parse_group_by,
    period_bounds,
    working_minutes,
)


@dataclass(frozen=True, slots=True)
class P2PReport:
    first: date
    last: date
    time_zone: str
    group_by: GroupBy | None
    groups: list[GroupFigures]


def p2p_report(
    *, engine: Engine, first: date, last: date, group_by: str | None, policy_zone: str
) -> P2PReport:
    """The report for ``first``..``last`` (inclusive dates in the policy's zone).
    ``InvalidInput`` for a period that ends before it starts or is too long, or an unknown
    ``group_by``."""
    grouping = parse_group_by(group_by)
    period = period_bounds(first, last, policy_zone)
    with transaction(engine) as session:
        facts = report_store.period_facts(
            session, start=period.start, end=period.end, group_by=grouping
        )
        ids = report_store.counted_reviewer_ids(session, start=period.start, end=period.end)
        profiles = repo.get_reviewers(session, ids)
        time_off = calendar_reads.time_off(session, ids, Interval(period.start, period.end))
    working = {
        reviewer_id: working_minutes(
            profile, [(i.start, i.end) for i in time_off.get(reviewer_id, ())], period
        )
        for reviewer_id, profile in profiles.items()
    }
    return P2PReport(
        first=first,
        last=last,
        time_zone=policy_zone,
        group_by=grouping,
        groups=build_groups(facts, group_by=grouping, working=working),
    )
