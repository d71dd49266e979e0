"""``p2p-scheduler bench report``: how long the operations report (SPEC §12) takes over a year
of 100,000 bookings (the issue's target: at most 1 s on PostgreSQL).

The data: 200 reviewers across the eight skills, five zones and a dozen states, and
``--bookings`` bookings (default 100,000) whose starts are spread over one calendar year
(``YEAR``, in the policy's zone), created 1 to 21 days before their start. Statuses as a
busy UM operation sees them after the fact: 72 % completed (every outcome), 9 % cancelled
(every reason code), 5 % no-shows (both parties), 9 % still scheduled, 5 % pending requests
(no start: they belong to the period of their creation). One in ten bookings holds two or
three cases; one in five came from a pending request and carries preferences; one in eight
was rescheduled once or twice (a ``rescheduled`` history event each).

Then ``reports.p2p_report`` — the use case the route calls: the database read and the pure
figures — is timed for the whole year, once per ``group_by`` and without one, ``--repeat``
times each after one untimed warm-up call, and for one month (the short period the
expression index of migration 0017 serves).

Choices, and why:

- **A fresh database per run, removed afterwards** (``bench.scratch_database``): a temporary
  SQLite file, or a ``p2p_bench_<random>`` database created on the PostgreSQL server named
  by ``--database-url`` and dropped afterwards.
- **Rows in bulk** (Core multi-row inserts in one transaction, then ``ANALYZE``): booking one
  by one through the use cases would take most of an hour and yield the same rows. The
  bookings' 15-minute cells are left out: the report never reads them (so past bookings
  overlapping is harmless here).
- **In-process, not over HTTP**: the report's cost is the read and the figures; the HTTP
  layer adds what every route adds (``bench feed`` measures that), and the JSON of a report
  is a few kilobytes.
- **Synthetic, fictional data from a fixed seed**; the output holds only counts and timings.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from p2p_scheduler.db.bench_store import analyze, bulk_insert, database_label
from p2p_scheduler.db.engine import DatabaseError, Engine
from p2p_scheduler.domain.enums import BookingStatus, CancelReason, Outcome, Party
from p2p_scheduler.domain.model import ReviewerProfile, Weekday
from p2p_scheduler.domain.policy import load_policy
from p2p_scheduler.domain.report import GroupBy
from p2p_scheduler.services import records, reports
from p2p_scheduler.tools.bench import (
    HOURS_PATTERNS,
    PROVIDER_EMAIL,
    PROVIDER_PHONE,
    SEED,
    SKILLS,
    STATES,
    SYNTHETIC_DOB,
    ZONES,
    BenchError,
    DatabaseUrl,
    _emit,
    _fail,
    _progress,
    _reviewer,
    fresh_engine,
    machine,
    percentiles,
    scratch_database,
)

#: the issue's target for one report over a year of 100,000 bookings, on PostgreSQL
TARGET_SECONDS = 1.0
YEAR = 2025
REVIEWERS = 200
BOOKINGS = 100_000
#: (status, weight) of the bookings, and the codes each status spreads over
STATUS_MIX = (
    (BookingStatus.COMPLETED, 72),
    (BookingStatus.CANCELLED, 9),
    (BookingStatus.NO_SHOW, 5),
    (BookingStatus.SCHEDULED, 9),
    (BookingStatus.PENDING_ASSIGNMENT, 5),
)
LEVELS = ("pre_decision", "reconsideration", "appeal", "consultative_only")
LINES = ("commercial", "medicare", "medicaid")
ROWS_PER_INSERT = 20_000


def _profiles(rng: random.Random) -> list[ReviewerProfile]:
    profiles = []
    for index in range(REVIEWERS):
        held = rng.sample(SKILLS, rng.randint(1, 3))
        profiles.append(
            _reviewer(
                index,
                zone=ZONES[index % len(ZONES)],
                skills={skill: tier for tier, skill in enumerate(held, start=1)},
                states=set(rng.sample(STATES, rng.randint(2, 5))),
                working_hours=rng.choice(HOURS_PATTERNS),
                max_consults_per_day=14,
            )
        )
    return profiles


def _load(engine: Engine, rng: random.Random, count: int, profiles: list[ReviewerProfile]) -> None:
    """``count`` bookings over ``YEAR``, written ``ROWS_PER_INSERT`` bookings at a time."""
    zone = ZoneInfo(load_policy(None).time_zone)
    year_start = datetime(YEAR, 1, 1, tzinfo=zone).astimezone(UTC)
    year_seconds = int(
        (datetime(YEAR + 1, 1, 1, tzinfo=zone).astimezone(UTC) - year_start).total_seconds()
    )
    statuses = [status for status, _ in STATUS_MIX]
    weights = [weight for _, weight in STATUS_MIX]
    days = list(Weekday)
    case_serial = 0
    for first in range(0, count, ROWS_PER_INSERT):
        cases: list[dict[str, object]] = []
        bookings: list[dict[str, object]] = []
        links: list[dict[str, object]] = []
        events: list[dict[str, object]] = []
        for _ in range(min(ROWS_PER_INSERT, count - first)):
            profile = rng.choice(profiles)
            status = rng.choices(statuses, weights)[0]
            # a start on the quarter hour somewhere in the year, created 1 to 21 days before
            start = year_start + timedelta(seconds=rng.randrange(year_seconds) // 900 * 900)
            created = start - timedelta(hours=rng.randint(24, 21 * 24))
            pending = status == BookingStatus.PENDING_ASSIGNMENT
            if pending:  # no start: in the period of its creation
                created = year_start + timedelta(seconds=rng.randrange(year_seconds))
            n_cases = rng.choices((1, 2, 3), weights=(90, 7, 3))[0]
            from_request = pending or rng.random() < 0.2
            booking_id = str(uuid.uuid4())
            skill = rng.choice(list(profile.skills))
            bookings.append(
                {
                    "id": booking_id,
                    "status": str(status),
                    "reviewer_id": None if pending else profile.reviewer_id,
                    "start_at": None if pending else start,
                    "end_at": None if pending else start + timedelta(minutes=15 * n_cases),
                    "duration_minutes": 15 * n_cases,
                    "time_zone": ZONES[rng.randrange(len(ZONES))],
                    "valid_until": start + timedelta(days=2),
                    "provider_name": "Synthetic Provider",
                    "provider_role": "ordering_provider",
                    "phone": PROVIDER_PHONE,
                    "provider_email": PROVIDER_EMAIL,
                    "cancel_reason_code": str(rng.choice(list(CancelReason)))
                    if status == BookingStatus.CANCELLED
                    else None,
                    "no_show_party": str(rng.choice(list(Party)))
                    if status == BookingStatus.NO_SHOW
                    else None,
                    "outcome": str(rng.choice(list(Outcome)))
                    if status == BookingStatus.COMPLETED
                    else None,
                    "preferred_days": [str(d) for d in days[:5]] if from_request else None,
                    "preferred_hours": list(range(rng.choice((7, 9)), 19))
                    if from_request
                    else None,
                    "created_by": "bench",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            for position in range(n_cases):
                case_serial += 1
                number = f"SYN-R{case_serial:07d}"
                cases.append(
                    {
                        "case_number": number,
                        "member_name": "Synthetic Member",
                        "member_dob": SYNTHETIC_DOB,
                        "member_state": rng.choice(STATES),
                        "member_id": f"M-{number}",
                        "health_plan": "Synthetic Health Plan",
                        "line_of_business": rng.choice(LINES),
                        "case_type": "Synthetic",
                        "skill": skill,
                        "status": "denied",
                    }
                )
                links.append(
                    {
                        "booking_id": booking_id,
                        "case_number": number,
                        "position": position,
                        "level_of_review": rng.choice(LEVELS),
                        "valid_until": start + timedelta(days=2),
                        "active": status
                        in (BookingStatus.SCHEDULED, BookingStatus.PENDING_ASSIGNMENT),
                    }
                )
            moves = rng.choices((0, 1, 2), weights=(88, 9, 3))[0] if not pending else 0
            for sequence in range(1, moves + 1):
                events.append(
                    {
                        "booking_id": booking_id,
                        "sequence": sequence,
                        "event": "rescheduled",
                        "status": str(BookingStatus.SCHEDULED),
                        "reviewer_id": profile.reviewer_id,
                        "start_at": start,
                        "end_at": start + timedelta(minutes=15 * n_cases),
                        "actor": "bench",
                        "at": created + timedelta(hours=sequence),
                    }
                )
        bulk_insert(engine, cases=cases, bookings=bookings, booking_cases=links, events=events)
        _progress(f"{first + len(bookings)} bookings written …")


def _timed(
    engine: Engine, first: date, last: date, group_by: GroupBy | None, repeat: int
) -> dict[str, object]:
    zone = load_policy(None).time_zone

    def run() -> reports.P2PReport:
        return reports.p2p_report(
            engine=engine, first=first, last=last, group_by=group_by, policy_zone=zone
        )

    found = run()  # warm: the connection pool, the reviewer profile cache
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "groups": len(found.groups),
        "bookings": sum(group.bookings for group in found.groups),
        "ms": percentiles(samples),
    }


def bench_report(
    database_url: DatabaseUrl = None,
    bookings: Annotated[
        int, typer.Option(metavar="N", min=100, max=1_000_000, help="Bookings over the year.")
    ] = BOOKINGS,
    repeat: Annotated[
        int, typer.Option(metavar="N", min=2, help="Timed reports per group_by.")
    ] = 7,
) -> None:
    """Time the operations report over a year of bookings, per group_by."""
    try:
        _emit(_run_report(database_url, bookings, repeat))
    except BenchError as error:
        _fail(str(error))
    except DatabaseError as error:
        _fail(f"database error: {str(getattr(error, 'orig', None) or error).splitlines()[0]}")


def _run_report(database_url: str | None, count: int, repeat: int) -> dict[str, object]:
    rng = random.Random(SEED)
    profiles = _profiles(rng)
    with scratch_database(database_url) as url, fresh_engine(url) as engine:
        label = database_label(engine)
        _progress(f"{label}: {len(profiles)} reviewers, {count} bookings over {YEAR} …")
        records.load_if_empty(engine=engine, reviewers=profiles, cases=[])
        started = time.perf_counter()
        _load(engine, rng, count, profiles)
        analyze(engine)
        load_seconds = time.perf_counter() - started
        year = (date(YEAR, 1, 1), date(YEAR, 12, 31))
        month = (date(YEAR, 6, 1), date(YEAR, 6, 30))
        timings: dict[str, object] = {}
        for group_by in (None, *GroupBy):
            name = group_by.value if group_by else "none"
            _progress(f"timing the year, group_by {name} …")
            timings[name] = _timed(engine, *year, group_by, repeat)
        _progress("timing one month …")
        month_timing = _timed(engine, *month, GroupBy.STATE, repeat)
    worst = max(t["ms"]["p95"] for t in timings.values())  # type: ignore[index]
    return {
        "benchmark": "report",
        "database": label,
        "reviewers": len(profiles),
        "bookings": count,
        "load_seconds": round(load_seconds, 1),
        "repeat": repeat,
        "year": {"from": year[0].isoformat(), "to": year[1].isoformat(), "by_group_by": timings},
        "month_by_state": {
            "from": month[0].isoformat(),
            "to": month[1].isoformat(),
            **month_timing,
        },
        "target_ms": TARGET_SECONDS * 1000,
        "worst_p95_ms": worst,
        "within_target": worst <= TARGET_SECONDS * 1000,
        "machine": machine(),
    }
