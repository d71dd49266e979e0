"""``p2p-scheduler bench …``: repeatable performance figures, printed as one JSON object.

``bench availability``
    How long the availability screen takes for one week (SPEC §3, §7): 500 reviewers across
    the eight skills, a dozen states and five US zones, 50 of them qualified for the one
    benchmark case (skill and licence in the member's state), each with 30 % of the week's
    working time booked. Timed three ways: the use case in-process
    (``availability_search.search``: the database reads plus the pure work), the pure part
    alone (``free_slots`` over the 50 calendars) and over HTTP against the real server,
    next to ``GET /health`` on the same connection, so that the ratio of the two says what
    the endpoint costs on top of the HTTP stack. Over HTTP twice: the whole week, and the
    same request with ``slots_per_day`` (the seeds' page shows four times per reviewer's
    day and "Show more…"); the whole week is listed as far as the answer's cap
    (``P2P_AVAILABILITY_MAX_SLOTS``) allows, and the figures say how many slots it listed; the client accepts gzip as browsers do (httpx sends
    ``Accept-Encoding: gzip, deflate`` by default and decodes what it gets), and the sizes
    of both answers, as JSON and as they travelled, are reported.
``bench optimizer``
    The pure solver on a generated instance (``solver.benchmark``): CP-SAT against the two
    greedy baselines, with build and solve times, objective, bound, gap and peak memory.
``bench feed``
    A reviewer's subscribable calendar feed with a thousand consultations over its window,
    over HTTP: a full download and a revalidation with the ETag (the 304 a polling calendar
    client gets all day when nothing changed), next to ``GET /health``.
``bench booking``
    Concurrent ``POST /v1/bookings`` against the real server: several client threads book
    distinct cases into a shared list of candidate slots, a quarter of which are handed to
    two clients at once (two portal users picking the same time off the same screen), for a
    fixed time. Reports throughput, status counts and latency, then checks in the database
    that no reviewer has two overlapping scheduled bookings (SPEC §4: "no double booking,
    ever").

Choices, and why:

- **A fresh database per run, removed afterwards**, so that a run never touches existing
  data and always measures the same thing. By default a temporary SQLite file; a SQLite
  URL names a file that must not exist yet; a PostgreSQL URL names a *server*: the run
  creates ``p2p_bench_<random>`` in it and drops it again (``WITH (FORCE)``).
- **Synthetic, fictional data from a fixed seed**: the same data set on every run and
  machine, and nothing resembling PHI. The output holds only counts and timings.
- **Reviewers and the benchmark cases go in through the records use case**
  (``records.load_if_empty``: the same row mapping the API uses). The thousands of existing
  bookings are written as rows (the booking, its cases, its 15-minute cells) in one
  transaction: going through ``booking.book`` one at a time would take minutes and yield
  the same rows. Their history rows are left out: nothing measured here reads them.
- **The benchmark week is next week** (the Monday after today, requester's zone), a full
  week, so the figures do not depend on the weekday the benchmark runs on.
- **Warm timings**: a few untimed calls come first (the availability caches, the
  connection pool, HTTP keep-alive), because a serving process is warm; the first request
  after start-up is not what users see.
- ``time.perf_counter`` around each call; percentiles from ``statistics.quantiles``
  (inclusive method: the sample is the population of interest).
- **The server is the real console script** (``p2p-scheduler serve`` in a subprocess on a
  free port), with the service's default limits and policy: the caller's other ``P2P_*``
  variables are dropped so the in-process and HTTP figures measure the same rules. Log
  level ``warning``, so no access-log line per request: the service is timed, not the
  terminal. Clients and server share the machine (reported under ``machine``).
"""

from __future__ import annotations

import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import IO, Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import httpx
import typer
from pydantic import ValidationError

from p2p_scheduler.config import DatabaseSettings
from p2p_scheduler.db import migrate
from p2p_scheduler.db.bench_store import (
    bulk_insert,
    case_row,
    count_double_bookings,
    count_scheduled,
    database_label,
    scratch_postgres,
    url_backend,
)
from p2p_scheduler.db.engine import DatabaseError, Engine, make_engine
from p2p_scheduler.domain import availability
from p2p_scheduler.domain.clock import system_clock
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.model import (
    CaseSnapshot,
    CaseStatus,
    LineOfBusiness,
    Member,
    ReviewerProfile,
    Weekday,
    WorkingHours,
)
from p2p_scheduler.domain.policy import load_policy
from p2p_scheduler.services import availability_search, records
from p2p_scheduler.services.booking import Limits
from p2p_scheduler.tools.demo import CASE_TYPES
from solver import benchmark as solver_benchmark
from solver.generate import SIZES as SOLVER_SIZES

bench_app = typer.Typer(
    help="Benchmarks on a fresh, temporary database; each prints one JSON object.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain click help: no "<bool>"/"<str>" type column, docstrings reflowed as paragraphs
    rich_markup_mode=None,
)

# ---- the synthetic world -------------------------------------------------------------------------

#: Fixed, so every run builds the same data set.
SEED = 20_260_101
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",  # no DST
    "America/Los_Angeles",
)
SKILLS = tuple(CASE_TYPES)  # the demo's eight skill codes
STATES = ("PA", "NY", "NJ", "FL", "GA", "IL", "MO", "TX", "LA", "CA", "WA", "AZ")
#: The benchmark case: Pennsylvania has no state override in the default policy, so the plain
#: rules apply (any tier, licence in the member's state).
BENCH_SKILL = "msk_spine"
BENCH_STATE = "PA"
REQUESTER_ZONE = "America/New_York"
SYNTHETIC_DOB = date(1970, 1, 1)
PROVIDER_PHONE = "555-555-0100"
PROVIDER_EMAIL = "provider@example.org"
#: The API's preference defaults (SPEC §9: Mon–Fri, hourly bins 7…18).
WORKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
PREFERRED_DAYS = frozenset(WORKDAYS)
PREFERRED_HOURS = frozenset(range(7, 19))

QUARTER = timedelta(minutes=15)
WARMUP_CALLS = 5
STARTUP_SECONDS = 60
REQUEST_TIMEOUT = 60.0


def _weekly(days: Sequence[Weekday], start: str, end: str) -> tuple[WorkingHours, ...]:
    return tuple(WorkingHours(day, start, end) for day in days)


#: Weekly hours (reviewer-local): full days, early and late shifts, four-day weeks, a lunch break.
HOURS_PATTERNS: tuple[tuple[WorkingHours, ...], ...] = (
    _weekly(WORKDAYS, "08:00", "16:00"),
    _weekly(WORKDAYS, "09:00", "17:00"),
    _weekly(WORKDAYS, "07:00", "15:30"),
    _weekly(WORKDAYS, "10:00", "18:30"),
    _weekly(WORKDAYS[:4], "08:00", "18:00"),
    _weekly(WORKDAYS, "08:00", "12:00") + _weekly(WORKDAYS, "13:00", "17:00"),
)


class BenchError(Exception):
    """A benchmark could not run; the message says why (printed without a traceback)."""


@dataclass(frozen=True, slots=True)
class PlannedBooking:
    """An existing consultation to write: ``quarters`` × 15 minutes from ``start`` (UTC).

    Its duration follows SPEC §2 (15 minutes per case), so it covers ``quarters`` cases.
    """

    reviewer_id: str
    start: datetime
    quarters: int


def _synthetic_case(number: str, skill: str, state: str, now: datetime) -> CaseSnapshot:
    """An eligible pre-decision case (in review, held until ``now`` + 25 days)."""
    return CaseSnapshot(
        case_number=number,
        member=Member(
            name="Synthetic Member",
            dob=SYNTHETIC_DOB,
            state=state,
            member_id=f"M-{number}",
            health_plan="Synthetic Health Plan",
        ),
        line_of_business=LineOfBusiness.COMMERCIAL,
        case_type=CASE_TYPES[skill],
        skill=skill,
        status=CaseStatus.IN_REVIEW,
        received_at=now - timedelta(days=1),
        hold_due_at=now + timedelta(days=25),
    )


def _reviewer(
    index: int, *, zone: str, skills: dict[str, int], states: set[str], **rest: Any
) -> ReviewerProfile:
    return ReviewerProfile(
        reviewer_id=f"bench-rev-{index:04d}",
        name=f"Reviewer {index:04d}",
        credentials="MD",
        email=f"reviewer{index:04d}@example.org",
        time_zone=zone,
        skills=skills,
        licensed_states=frozenset(states),
        **rest,
    )


def availability_reviewers(rng: random.Random, count: int, qualified: int) -> list[ReviewerProfile]:
    """``count`` reviewers; every ``count // qualified``-th one (``qualified`` in all) may hold
    the benchmark case: active, the benchmark skill at tier 1, 2 or 3, a Pennsylvania licence.

    Others hold one to three random skills; those among them who hold the benchmark skill get
    no Pennsylvania licence, so the search finds them by skill and must then rule them out by
    licence, as it would in production. A few of the others are inactive.
    """
    every = count // qualified
    others = [skill for skill in SKILLS if skill != BENCH_SKILL]
    profiles = []
    for index in range(count):
        is_qualified = index % every == 0 and index // every < qualified
        if is_qualified:
            held = rng.sample(others, rng.randint(0, 2))
            held.insert(rng.randrange(len(held) + 1), BENCH_SKILL)  # tiers 1 to 3
        else:
            held = rng.sample(SKILLS, rng.randint(1, 3))
        states = set(rng.sample(STATES, rng.randint(2, 5)))
        if is_qualified:
            states.add(BENCH_STATE)
        elif BENCH_SKILL in held:
            states.discard(BENCH_STATE)
        profiles.append(
            _reviewer(
                index,
                zone=ZONES[index % len(ZONES)],
                skills={skill: tier for tier, skill in enumerate(held, start=1)},
                states=states,
                working_hours=rng.choice(HOURS_PATTERNS),
                max_consults_per_day=rng.randint(10, 14),
                active=is_qualified or rng.random() > 0.05,
            )
        )
    return profiles


def _utc(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    hour, minute = int(hhmm[:2]), int(hhmm[3:5])
    return datetime.combine(day, clock_time(hour, minute), tzinfo=zone).astimezone(UTC)


def working_quarters(profile: ReviewerProfile, days: Sequence[date]) -> list[list[datetime]]:
    """The reviewer's 15-minute cells (UTC starts) on their local ``days``, one list per block.

    The patterns above stay between 07:00 and 18:30, clear of DST transitions, so combining a
    date with a wall time is exact here.
    """
    zone = ZoneInfo(profile.time_zone)
    blocks = []
    for day in days:
        for block in profile.working_hours:
            if Weekday(block.weekday).iso == day.isoweekday():
                start, end = _utc(day, block.start, zone), _utc(day, block.end, zone)
                blocks.append([start + k * QUARTER for k in range((end - start) // QUARTER)])
    return blocks


def plan_bookings(
    rng: random.Random, reviewer_id: str, blocks: list[list[datetime]], fraction: float
) -> list[PlannedBooking]:
    """Random, non-overlapping bookings of 15, 30 or 45 minutes covering ``fraction`` of the cells.

    Starts are drawn uniformly over the week and a booking never spans two blocks, which is
    how consultations booked one by one end up scattered through a reviewer's days.
    """
    target = round(fraction * sum(len(cells) for cells in blocks))
    positions = [(b, i) for b, cells in enumerate(blocks) for i in range(len(cells))]
    rng.shuffle(positions)
    taken: set[tuple[int, int]] = set()
    planned: list[PlannedBooking] = []
    booked = 0
    for b, i in positions:
        if booked >= target:
            break
        size = min(rng.choices((1, 2, 3), weights=(6, 3, 1))[0], target - booked)
        span = [(b, i + k) for k in range(size)]
        if i + size > len(blocks[b]) or not taken.isdisjoint(span):
            continue
        taken.update(span)
        planned.append(PlannedBooking(reviewer_id, blocks[b][i], size))
        booked += size
    return planned


def insert_bookings(
    engine: Engine,
    planned: Sequence[PlannedBooking],
    *,
    profiles: dict[str, ReviewerProfile],
    now: datetime,
    provider_org: str | None = None,
) -> None:
    """Write scheduled bookings as ``booking.book`` would leave them, in one transaction
    (made for ``provider_org``, when given).

    Each booking gets its own cases (one per 15 minutes; a case sits in one active booking
    only) and its 15-minute cells (buffer 0, the default).
    """
    cases: list[dict[str, object]] = []
    bookings: list[dict[str, object]] = []
    links: list[dict[str, object]] = []
    cells: list[dict[str, object]] = []
    for plan in planned:
        profile = profiles[plan.reviewer_id]
        skill, state = next(iter(profile.skills)), min(profile.licensed_states)
        booking_id = str(uuid.uuid4())
        valid_until = now + timedelta(days=25)
        bookings.append(
            {
                "id": booking_id,
                "status": str(BookingStatus.SCHEDULED),
                "reviewer_id": plan.reviewer_id,
                "start_at": plan.start,
                "end_at": plan.start + plan.quarters * QUARTER,
                "duration_minutes": 15 * plan.quarters,
                "time_zone": REQUESTER_ZONE,
                "valid_until": valid_until,
                "provider_name": "Synthetic Provider",
                "provider_role": "ordering_provider",
                "phone": PROVIDER_PHONE,
                "provider_email": PROVIDER_EMAIL,
                "provider_org": provider_org,
                "created_by": "bench",
                "created_at": now,
                "updated_at": now,
            }
        )
        for position in range(plan.quarters):
            case = _synthetic_case(f"SYN-B{len(cases):07d}", skill, state, now)
            cases.append(case_row(case))
            links.append(
                {
                    "booking_id": booking_id,
                    "case_number": case.case_number,
                    "position": position,
                    "level_of_review": "pre_decision",
                    "valid_until": valid_until,
                }
            )
            cells.append(
                {
                    "reviewer_id": plan.reviewer_id,
                    "cell_at": plan.start + position * QUARTER,
                    "booking_id": booking_id,
                }
            )
    bulk_insert(engine, cases=cases, bookings=bookings, booking_cases=links, cells=cells)


def insert_cases(engine: Engine, cases: Sequence[CaseSnapshot]) -> None:
    """Bulk-insert case snapshots: thousands, too many for one upsert each."""
    bulk_insert(engine, cases=[case_row(case) for case in cases])


def next_monday(now: datetime, zone: str) -> date:
    today = now.astimezone(ZoneInfo(zone)).date()
    return today + timedelta(days=7 - today.weekday())


# ---- databases -----------------------------------------------------------------------------------


@contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    """A fresh, empty database for one run (its URL), removed afterwards.

    ``None``: a temporary SQLite file. A SQLite URL: that file, which must not exist yet. A
    PostgreSQL URL names a server (and a database to connect to for administration): a new
    database ``p2p_bench_<random>`` is created there and dropped with ``WITH (FORCE)``.
    """
    if url is None:
        with tempfile.TemporaryDirectory(prefix="p2p-bench-") as directory:
            yield f"sqlite:///{Path(directory) / 'bench.db'}"
        return
    try:
        url = DatabaseSettings(database_url=url).database_url  # postgresql:// → +psycopg
    except ValidationError:
        raise BenchError(
            "--database-url must start with sqlite:/// or postgresql+psycopg://"
        ) from None
    backend, database = url_backend(url)
    if backend == "sqlite":
        if not database or database == ":memory:":
            raise BenchError("--database-url: SQLite needs a file (the server is another process)")
        path = Path(database)
        if path.exists():
            raise BenchError(f"--database-url: {path} exists; name a file that does not exist yet")
        try:
            yield url
        finally:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        return
    with scratch_postgres(url) as scratch:
        yield scratch


@contextmanager
def fresh_engine(url: str) -> Iterator[Engine]:
    """An engine on the scratch database, migrated to head (what ``serve`` would do)."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()


# ---- the server ----------------------------------------------------------------------------------


def _console_script() -> str:
    beside = Path(sys.executable).parent / "p2p-scheduler"
    found = str(beside) if beside.exists() else shutil.which("p2p-scheduler")
    if found is None:
        raise BenchError("the p2p-scheduler console script is not installed")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(log: IO[bytes], lines: int = 20) -> str:
    log.seek(0)
    return "\n".join(log.read().decode(errors="replace").splitlines()[-lines:])


@contextmanager
def running_server(
    database_url: str, api_keys: str, workers: int = 1, settings: dict[str, str] | None = None
) -> Iterator[str]:
    """``p2p-scheduler serve`` on a free local port (its base URL), stopped afterwards;
    ``settings``: more ``P2P_*`` variables (an OpenID Connect issuer …)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("P2P_")}
    env.update(
        P2P_DATABASE_URL=database_url,
        P2P_API_KEYS=api_keys,
        P2P_SECRET_KEY=secrets.token_urlsafe(32),
        P2P_BASE_URL=base,
        P2P_LOG_LEVEL="warning",
        # the benchmark's clients are one key at full speed: measure the service, not the limit
        P2P_RATE_LIMIT_PER_MINUTE="0",
    )
    env.update(settings or {})
    command = [_console_script(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    raise BenchError(f"the server exited with {process.returncode}:\n{_tail(log)}")
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchError(
                        f"the server did not answer /health within {STARTUP_SECONDS} s"
                    )
                time.sleep(0.1)
            yield base
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


# ---- measuring -----------------------------------------------------------------------------------


def timed_ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and max in milliseconds, rounded to microseconds."""
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "p50": round(cuts[49], 3),
        "p95": round(cuts[94], 3),
        "max": round(max(samples_ms), 3),
    }


def machine() -> dict[str, object]:
    """What the figures were measured on; the load average (1, 5, 15 minutes, at the end of
    the run, where the system has one) shows whether something else competed for the CPUs."""
    load = [round(value, 2) for value in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": load,
    }


def _progress(message: str) -> None:
    typer.echo(f"bench: {message}", err=True)


def _fail(message: str) -> NoReturn:
    typer.echo(f"p2p-scheduler: bench: {message}", err=True)
    raise typer.Exit(code=2)


def _emit(result: dict[str, object]) -> None:
    typer.echo(json.dumps(result))


def _portal_key() -> tuple[str, str]:
    """A throw-away portal key: (the P2P_API_KEYS value, the bearer token)."""
    key = secrets.token_urlsafe(24)
    return f"portal:{key}", key


def _slot_count(found: availability_search.Availability) -> tuple[int, int]:
    """(reviewers with slots, slots) of a search result (all found, listed or not)."""
    reviewers = [reviewer for tier in found.tiers for reviewer in tier.reviewers]
    return len(reviewers), sum(day.total for r in reviewers for day in r.days)


def _http_slot_count(body: dict[str, Any], key: str = "slots") -> int:
    """Slots listed in an HTTP answer (``key="total_slots"``: slots counted by its days)."""
    return sum(
        len(day[key]) if key == "slots" else day[key]
        for tier in body["tiers"]
        for reviewer in tier["reviewers"]
        for day in reviewer["days"]
    )


def _shown(found: availability_search.Availability, per_day: int) -> int:
    """How many slots an answer cut to ``per_day`` per reviewer's day lists."""
    return sum(
        min(per_day, day.total)
        for tier in found.tiers
        for reviewer in tier.reviewers
        for day in reviewer.days
    )


def _answer_bytes(response: httpx.Response) -> dict[str, object]:
    """An answer's size as JSON and as it travelled (after any content coding)."""
    return {
        "json": len(response.content),
        "wire": response.num_bytes_downloaded,
        "content_encoding": response.headers.get("content-encoding", "identity"),
    }


# ---- bench availability --------------------------------------------------------------------------

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="URL",
        help=(
            "sqlite:///FILE (must not exist yet) or a PostgreSQL server URL "
            "(postgresql+psycopg://user@host:port/db; a temporary database is created in it). "
            "Default: a temporary SQLite file."
        ),
    ),
]


#: What the seeds' P2P page shows of each reviewer's day before "Show more…".
SLOTS_PER_DAY = 4


@dataclass(frozen=True, slots=True)
class AvailabilityWorld:
    profiles: list[ReviewerProfile]
    planned: list[PlannedBooking]
    busy_fraction: float
    case: CaseSnapshot
    week_start: date


def build_availability_world(
    now: datetime, *, reviewers: int = 500, qualified: int = 50, busy_fraction: float = 0.3
) -> AvailabilityWorld:
    rng = random.Random(SEED)
    profiles = availability_reviewers(rng, reviewers, qualified)
    week_start = next_monday(now, REQUESTER_ZONE)
    week = [week_start + timedelta(days=offset) for offset in range(7)]
    planned: list[PlannedBooking] = []
    cells = 0
    for profile in profiles:
        blocks = working_quarters(profile, week)
        cells += sum(len(block) for block in blocks)
        planned += plan_bookings(rng, profile.reviewer_id, blocks, busy_fraction)
    booked = sum(plan.quarters for plan in planned)
    case = _synthetic_case("SYN-A0000001", BENCH_SKILL, BENCH_STATE, now)
    return AvailabilityWorld(profiles, planned, booked / cells, case, week_start)


def _qualified(profile: ReviewerProfile) -> bool:
    """Whether the reviewer may hold the benchmark case under the default policy."""
    return (
        profile.active and BENCH_SKILL in profile.skills and BENCH_STATE in profile.licensed_states
    )


def pure_calendars(world: AvailabilityWorld, limits: Limits) -> list[availability.ReviewerCalendar]:
    """The qualified reviewers' calendars as ``availability_search.search`` assembles them."""
    by_reviewer: dict[str, list[PlannedBooking]] = {}
    for plan in world.planned:
        by_reviewer.setdefault(plan.reviewer_id, []).append(plan)
    buffer = timedelta(minutes=limits.buffer_minutes)
    calendars = []
    for profile in world.profiles:
        if not _qualified(profile):
            continue
        plans = by_reviewer.get(profile.reviewer_id, [])
        zone = ZoneInfo(profile.time_zone)
        per_day = Counter(plan.start.astimezone(zone).date() for plan in plans)
        busy = tuple(
            availability.Interval(cell - buffer, cell + QUARTER)
            for plan in plans
            for cell in (plan.start + k * QUARTER for k in range(plan.quarters))
        )
        calendars.append(
            availability.ReviewerCalendar(
                profile=profile,
                tier=profile.skills[BENCH_SKILL],
                busy=busy,
                booked_per_day=dict(per_day),
            )
        )
    return calendars


@bench_app.command("availability", short_help="Time one week of availability.")
def bench_availability(
    database_url: DatabaseUrl = None,
    repeat: Annotated[
        int, typer.Option(metavar="N", min=2, help="Timed repetitions of each measurement.")
    ] = 200,
) -> None:
    """Time one week of availability: in-process, the pure part alone, and over HTTP."""
    try:
        _emit(_run_availability(database_url, repeat))
    except BenchError as error:
        _fail(str(error))
    except DatabaseError as error:
        _fail(f"database error: {str(getattr(error, 'orig', None) or error).splitlines()[0]}")


def _run_availability(database_url: str | None, repeat: int) -> dict[str, object]:
    now = system_clock()
    world = build_availability_world(now)
    qualified = sum(1 for profile in world.profiles if _qualified(profile))
    policy = load_policy(None)
    limits = Limits()
    cases = ((world.case.case_number, world.case.member.dob),)

    with scratch_database(database_url) as url:
        with fresh_engine(url) as engine:
            label = database_label(engine)
            _progress(f"{label}: {len(world.profiles)} reviewers, {len(world.planned)} bookings …")
            records.load_if_empty(engine=engine, reviewers=world.profiles, cases=[world.case])
            insert_bookings(
                engine,
                world.planned,
                profiles={p.reviewer_id: p for p in world.profiles},
                now=now,
            )

            def search() -> availability_search.Availability:
                return availability_search.search(
                    engine=engine,
                    policy=policy,
                    limits=limits,
                    now=now,
                    cases=cases,
                    time_zone=REQUESTER_ZONE,
                    days=PREFERRED_DAYS,
                    hours=PREFERRED_HOURS,
                    week_start=world.week_start,
                )

            _progress(f"in-process search × {repeat} …")
            found = search()
            for _ in range(WARMUP_CALLS):
                search()
            in_process = [timed_ms(search) for _ in range(repeat)]

        reviewers_with_slots, slots = _slot_count(found)
        calendars = pure_calendars(world, limits)
        query = availability.SlotQuery(
            duration_minutes=found.duration_minutes,
            not_before=now + timedelta(minutes=limits.min_notice_minutes),
            not_after=min(found.valid_until, now + timedelta(days=limits.max_horizon_days)),
            week_start=world.week_start,
            requester_zone=REQUESTER_ZONE,
            days=PREFERRED_DAYS,
            hours=PREFERRED_HOURS,
        )

        def pure() -> list[list[availability.Slot]]:
            return [availability.free_slots(calendar, query) for calendar in calendars]

        # The pure figure must time the same work as the search, or it means nothing.
        if sum(len(s) for s in pure()) != slots:
            raise BenchError("the pure calendars disagree with the search; the data set is off")
        for _ in range(WARMUP_CALLS):
            pure()
        pure_ms = [timed_ms(pure) for _ in range(repeat)]

        _progress(f"HTTP: POST /v1/availability and GET /health × {repeat} …")
        api_keys, token = _portal_key()
        body = {
            "cases": [{"case_number": n, "member_dob": dob.isoformat()} for n, dob in cases],
            "time_zone": REQUESTER_ZONE,
            "preferences": {
                "days": [day.value for day in WORKDAYS],
                "hours": sorted(PREFERRED_HOURS),
            },
            "week_start": world.week_start.isoformat(),
        }
        limited_body = {**body, "slots_per_day": SLOTS_PER_DAY}
        with (
            running_server(url, api_keys) as base,
            portal_client(base, token) as http,
        ):

            def post(request: dict[str, object] = body) -> httpx.Response:
                response = http.post("/v1/availability", json=request)
                if response.status_code != 200:
                    raise BenchError(
                        f"POST /v1/availability answered {response.status_code}: "
                        f"{response.text[:300]}"
                    )
                return response

            def post_limited() -> httpx.Response:
                return post(limited_body)

            def health() -> httpx.Response:
                response = http.get("/health")
                if response.status_code != 200:
                    raise BenchError(f"GET /health answered {response.status_code}")
                return response

            whole, limited = post(), post_limited()
            answer = whole.json()
            if (over_http := _http_slot_count(answer, "total_slots")) != slots:
                raise BenchError(f"HTTP found {over_http} slots, in-process {slots}")
            if (listed := _http_slot_count(answer)) > answer["max_slots"]:
                raise BenchError(f"HTTP listed {listed} slots, over its cap {answer['max_slots']}")
            shown = _shown(found, SLOTS_PER_DAY)
            if (
                _http_slot_count(limited.json()) != shown
                or _http_slot_count(limited.json(), "total_slots") != slots
            ):
                raise BenchError(f"slots_per_day={SLOTS_PER_DAY} does not cut the week right")
            sizes = {"all": _answer_bytes(whole), "limited": _answer_bytes(limited)}
            for _ in range(WARMUP_CALLS):
                post()
                post_limited()
                health()
            # Interleaved, so that drift (other load, CPU frequency) affects all alike.
            http_availability: list[float] = []
            http_limited: list[float] = []
            http_health: list[float] = []
            for _ in range(repeat):
                http_availability.append(timed_ms(post))
                http_health.append(timed_ms(health))
                http_limited.append(timed_ms(post_limited))

    availability_ms = percentiles(http_availability)
    limited_ms = percentiles(http_limited)
    health_ms = percentiles(http_health)
    limited_key = f"slots_per_day_{SLOTS_PER_DAY}"
    return {
        "benchmark": "availability",
        "database": label,
        "reviewers": len(world.profiles),
        "qualified": qualified,
        "busy_fraction": round(world.busy_fraction, 3),
        "bookings": len(world.planned),
        "week_start": world.week_start.isoformat(),
        "repeat": repeat,
        "result": {
            "reviewers_with_slots": reviewers_with_slots,
            "slots": slots,
            "slots_listed": listed,
            "truncated": answer["truncated"],
            f"slots_shown_{limited_key}": shown,
        },
        "in_process_ms": percentiles(in_process),
        "pure_ms": percentiles(pure_ms),
        "http_ms": {
            "availability": {key: availability_ms[key] for key in ("p50", "p95")},
            "health": {key: health_ms[key] for key in ("p50", "p95")},
            "p95_ratio": round(availability_ms["p95"] / health_ms["p95"], 2),
            f"availability_{limited_key}": {key: limited_ms[key] for key in ("p50", "p95")},
            f"p95_ratio_{limited_key}": round(limited_ms["p95"] / health_ms["p95"], 2),
        },
        "answer_bytes": {"all": sizes["all"], limited_key: sizes["limited"]},
        "machine": machine(),
    }


# ---- bench feed ----------------------------------------------------------------------------------

FEED_BOOKINGS = 1000


def feed_bookings(profile: ReviewerProfile, now: datetime, count: int) -> list[PlannedBooking]:
    """``count`` one-case consultations of one reviewer spread over the feed's window (a
    month back to the horizon ahead), every working quarter hour in turn."""
    today = now.astimezone(ZoneInfo(profile.time_zone)).date()
    days = [today + timedelta(days=offset) for offset in range(-29, 29)]
    quarters = [q for day in working_quarters(profile, days) for q in day]
    step = max(1, len(quarters) // count)
    return [PlannedBooking(profile.reviewer_id, start, 1) for start in quarters[::step][:count]]


@bench_app.command("feed", short_help="Time a reviewer's calendar feed.")
def bench_feed(
    database_url: DatabaseUrl = None,
    bookings: Annotated[
        int,
        typer.Option(metavar="N", min=1, max=20000, help="Consultations in the reviewer's feed."),
    ] = FEED_BOOKINGS,
    repeat: Annotated[
        int, typer.Option(metavar="N", min=2, help="Timed repetitions of each request.")
    ] = 100,
) -> None:
    """Time a reviewer's calendar feed over HTTP: a full download and a revalidation (304)."""
    try:
        _emit(_run_feed(database_url, bookings, repeat))
    except BenchError as error:
        _fail(str(error))
    except DatabaseError as error:
        _fail(f"database error: {str(getattr(error, 'orig', None) or error).splitlines()[0]}")


def _run_feed(database_url: str | None, count: int, repeat: int) -> dict[str, object]:
    now = system_clock()
    profile = _reviewer(
        1,
        zone="America/Chicago",
        skills={BENCH_SKILL: 1},
        states={"TX"},
        working_hours=_weekly(WORKDAYS, "07:00", "19:00"),
        max_consults_per_day=48,
    )
    planned = feed_bookings(profile, now, count)
    with scratch_database(database_url) as url:
        with fresh_engine(url) as engine:
            label = database_label(engine)
            _progress(f"{label}: one reviewer, {len(planned)} bookings …")
            records.load_if_empty(engine=engine, reviewers=[profile], cases=[])
            insert_bookings(engine, planned, profiles={profile.reviewer_id: profile}, now=now)
        admin = secrets.token_urlsafe(24)
        with (
            running_server(url, f"admin:{admin}") as base,
            portal_client(base, admin) as http,
        ):
            reviewer = http.get(f"/v1/reviewers/{profile.reviewer_id}")
            if reviewer.status_code != 200:
                raise BenchError(f"GET /v1/reviewers answered {reviewer.status_code}")
            feed = reviewer.json()["calendar_feed_url"].removeprefix(base)
            # The first download renders the feed; later ones of an unchanged feed do not.
            started = time.perf_counter()
            first = http.get(feed)
            first_ms = (time.perf_counter() - started) * 1000
            if first.status_code != 200:
                raise BenchError(f"the feed answered {first.status_code}: {first.text[:300]}")
            events = first.text.count("BEGIN:VEVENT")
            if events != len(planned):
                raise BenchError(f"the feed lists {events} events, {len(planned)} were booked")
            tag = first.headers["ETag"]

            def full() -> None:
                if (response := http.get(feed)).status_code != 200:
                    raise BenchError(f"the feed answered {response.status_code}")

            def revalidate() -> None:
                response = http.get(feed, headers={"If-None-Match": tag})
                if response.status_code != 304:
                    raise BenchError(f"a revalidation answered {response.status_code}, not 304")

            def health() -> None:
                if (response := http.get("/health")).status_code != 200:
                    raise BenchError(f"GET /health answered {response.status_code}")

            for _ in range(WARMUP_CALLS):
                full()
                revalidate()
                health()
            timings: dict[str, list[float]] = {"full": [], "not_modified": [], "health": []}
            for _ in range(repeat):
                timings["full"].append(timed_ms(full))
                timings["not_modified"].append(timed_ms(revalidate))
                timings["health"].append(timed_ms(health))
    return {
        "benchmark": "feed",
        "database": label,
        "bookings": len(planned),
        "feed_bytes": len(first.content),
        "first_download_ms": round(first_ms, 3),
        "repeat": repeat,
        "http_ms": {name: percentiles(samples) for name, samples in timings.items()},
        "machine": machine(),
    }


# ---- bench booking -------------------------------------------------------------------------------

#: How many requests per second the candidate slots and cases are sized for, so that a run
#: does not run dry (it stops early and says so if it ever does).
SIZED_FOR_REQUESTS_PER_SECOND = 1000
#: The share of candidate slots handed to two clients.
OVERLAP = 0.25
BOOKING_HOURS = _weekly(WORKDAYS, "08:00", "18:00")
BOOKING_DAYS_AHEAD = range(1, 22)  # tomorrow … three weeks: past the notice, inside the horizon


@dataclass(frozen=True, slots=True)
class Candidate:
    reviewer_id: str
    start: datetime


class SlotFeed:
    """Candidate slots, earliest first, each handed to one client — and about ``overlap`` of
    them to a second, different client as well.

    Earliest first is what everyone sees at the top of the availability screen; the second
    hand-out reaches a client while the first one's request is usually still in flight, so
    the two really race for the reviewer's cells (or the second finds them taken: 409).
    """

    def __init__(self, candidates: Sequence[Candidate], overlap: float, rng: random.Random):
        self._candidates = iter(candidates)
        self._overlap = overlap
        self._rng = rng
        self._shared: list[tuple[int, Candidate]] = []  # (first taker, candidate)
        self._lock = threading.Lock()
        self.exhausted = False

    def take(self, client: int) -> Candidate | None:
        with self._lock:
            for index, (owner, candidate) in enumerate(self._shared):
                if owner != client:
                    del self._shared[index]
                    return candidate
            fresh = next(self._candidates, None)
            if fresh is None:
                self.exhausted = True
            elif self._rng.random() < self._overlap:
                self._shared.append((client, fresh))
            return fresh


class CasePool:
    """Distinct eligible cases; a client keeps its case until a booking of it succeeds."""

    def __init__(self, cases: Sequence[CaseSnapshot]):
        self._cases = iter(cases)
        self._lock = threading.Lock()
        self.exhausted = False

    def take(self) -> CaseSnapshot | None:
        with self._lock:
            case = next(self._cases, None)
            self.exhausted |= case is None
            return case


@dataclass(frozen=True, slots=True)
class Attempt:
    status: str  # the HTTP status code, or "error" for a transport failure
    problem: str | None  # the problem type's last segment ("slot-taken"), for non-201 answers
    ms: float


def _booking_body(case: CaseSnapshot, candidate: Candidate) -> dict[str, object]:
    return {
        "cases": [{"case_number": case.case_number, "member_dob": case.member.dob.isoformat()}],
        "reviewer_id": candidate.reviewer_id,
        "start": candidate.start.astimezone(ZoneInfo(REQUESTER_ZONE)).isoformat(),
        "time_zone": REQUESTER_ZONE,
        "contact": {
            "provider_name": "Synthetic Provider",
            "provider_role": "ordering_provider",
            "phone": PROVIDER_PHONE,
            "email": PROVIDER_EMAIL,
        },
    }


def _problem(response: httpx.Response) -> str | None:
    try:
        kind = response.json().get("type", "")
    except ValueError:
        return None
    return str(kind).rstrip("/").rsplit("/", 1)[-1] or None


def run_clients(clients: int, target: Callable[[int, threading.Barrier], None]) -> float:
    """Start ``clients`` threads, release them together, wait for all; the seconds taken.

    Behind a barrier, so connection set-up is not timed and every client starts at once.
    """
    start_line = threading.Barrier(clients + 1)
    threads = [
        threading.Thread(target=target, args=(client, start_line), daemon=True)
        for client in range(clients)
    ]
    for thread in threads:
        thread.start()
    try:
        start_line.wait(timeout=STARTUP_SECONDS)
    except threading.BrokenBarrierError:
        raise BenchError("a client could not reach the server") from None
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def portal_client(base: str, token: str) -> httpx.Client:
    """An HTTP client of the benchmark's server with the portal's key."""
    return httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_TIMEOUT
    )


def at_start_line(http: httpx.Client, start_line: threading.Barrier) -> bool:
    """Open the keep-alive connection, then wait for every other client, so that all clocks
    start together. False when the run is off (every waiting client is released; the main
    thread reports why)."""
    try:
        http.get("/health")
        start_line.wait()
    except (httpx.HTTPError, threading.BrokenBarrierError):
        start_line.abort()
        return False
    return True


def _client(
    client: int,
    *,
    base: str,
    token: str,
    feed: SlotFeed,
    pool: CasePool,
    start_line: threading.Barrier,
    seconds: float,
    out: list[Attempt],
) -> None:
    """One portal user: book, and on a conflict try the next slot with the same case.

    Every request carries a fresh ``Idempotency-Key``, as portals send one (SPEC §4), so
    the idempotency bookkeeping is part of what is measured.
    """
    with portal_client(base, token) as http:
        if not at_start_line(http, start_line):
            return
        deadline = time.perf_counter() + seconds
        case: CaseSnapshot | None = None
        while time.perf_counter() < deadline:
            case = case or pool.take()
            candidate = feed.take(client)
            if case is None or candidate is None:
                return
            body = _booking_body(case, candidate)
            started = time.perf_counter()
            try:
                response = http.post(
                    "/v1/bookings", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
                )
            except httpx.TransportError:
                out.append(Attempt("error", None, (time.perf_counter() - started) * 1000))
                continue
            ms = (time.perf_counter() - started) * 1000
            booked = response.status_code == 201
            out.append(
                Attempt(str(response.status_code), None if booked else _problem(response), ms)
            )
            if booked:
                case = None


def booking_reviewers(count: int) -> list[ReviewerProfile]:
    """Reviewers who may all hold every benchmark case, full weekdays, no daily cap in the way."""
    return [
        _reviewer(
            index,
            zone=ZONES[index % len(ZONES)],
            skills={BENCH_SKILL: 1},
            states={BENCH_STATE},
            working_hours=BOOKING_HOURS,
            max_consults_per_day=40,  # every quarter of 08:00–18:00: only collisions refuse
        )
        for index in range(count)
    ]


def booking_candidates(profiles: Sequence[ReviewerProfile], now: datetime) -> list[Candidate]:
    candidates = []
    for profile in profiles:
        today = now.astimezone(ZoneInfo(profile.time_zone)).date()
        days = [today + timedelta(days=offset) for offset in BOOKING_DAYS_AHEAD]
        for block in working_quarters(profile, days):
            candidates += [Candidate(profile.reviewer_id, start) for start in block]
    candidates.sort(key=lambda c: (c.start, c.reviewer_id))
    return candidates


@bench_app.command(
    "booking", short_help="Concurrent colliding bookings; check for double bookings."
)
def bench_booking(
    database_url: DatabaseUrl = None,
    clients: Annotated[
        int, typer.Option(metavar="N", min=1, max=256, help="Concurrent client threads.")
    ] = 8,
    seconds: Annotated[
        float,
        typer.Option(
            metavar="SECONDS", min=0.5, max=3600, help="How long the clients keep booking."
        ),
    ] = 10.0,
    server_workers: Annotated[
        int, typer.Option(metavar="N", min=1, max=64, help="Server processes (serve --workers).")
    ] = 1,
) -> None:
    """Concurrent POST /v1/bookings with colliding slots; then check for double bookings."""
    try:
        _emit(_run_booking(database_url, clients, seconds, server_workers))
    except BenchError as error:
        _fail(str(error))
    except DatabaseError as error:
        _fail(f"database error: {str(getattr(error, 'orig', None) or error).splitlines()[0]}")


def _run_booking(
    database_url: str | None, clients: int, seconds: float, server_workers: int
) -> dict[str, object]:
    now = system_clock()
    needed = int(seconds * SIZED_FOR_REQUESTS_PER_SECOND)
    per_reviewer = len(booking_candidates(booking_reviewers(1), now))
    profiles = booking_reviewers(max(20, -(-needed // per_reviewer)))
    candidates = booking_candidates(profiles, now)
    # A case is used up only by a successful booking, and each candidate slot can take only
    # one, so as many cases as candidates never run out first.
    cases = [
        _synthetic_case(f"SYN-C{index:07d}", BENCH_SKILL, BENCH_STATE, now)
        for index in range(len(candidates))
    ]
    feed = SlotFeed(candidates, OVERLAP, random.Random(SEED))
    pool = CasePool(cases)

    with scratch_database(database_url) as url, fresh_engine(url) as engine:
        label = database_label(engine)
        _progress(f"{label}: {len(profiles)} reviewers, {len(cases)} cases …")
        records.load_if_empty(engine=engine, reviewers=profiles, cases=[])
        insert_cases(engine, cases)
        api_keys, token = _portal_key()
        with running_server(url, api_keys, server_workers) as base:
            _progress(f"{clients} clients booking for {seconds:g} s, {server_workers} server(s) …")
            results: list[list[Attempt]] = [[] for _ in range(clients)]

            def client(number: int, start_line: threading.Barrier) -> None:
                _client(
                    number,
                    base=base,
                    token=token,
                    feed=feed,
                    pool=pool,
                    start_line=start_line,
                    seconds=seconds,
                    out=results[number],
                )

            elapsed = run_clients(clients, client)
        double_bookings = count_double_bookings(engine)
        in_database = count_scheduled(engine)

    attempts = [attempt for per_client in results for attempt in per_client]
    if len(attempts) < 2:
        raise BenchError("fewer than two requests were made; run longer")
    statuses = Counter(attempt.status for attempt in attempts)
    problems = Counter(attempt.problem for attempt in attempts if attempt.problem)
    return {
        "benchmark": "booking",
        "database": label,
        "clients": clients,
        "server_workers": server_workers,
        "seconds": seconds,
        "elapsed_seconds": round(elapsed, 3),
        "requests": len(attempts),
        "bookings_per_second": round(statuses["201"] / elapsed, 2),
        "status_counts": dict(sorted(statuses.items())),
        "problem_types": dict(sorted(problems.items())),
        "latency_ms": percentiles([attempt.ms for attempt in attempts]),
        "bookings_in_database": in_database,
        "double_bookings": double_bookings,
        "ran_dry": feed.exhausted or pool.exhausted,
        "machine": machine(),
    }


# ---- bench optimizer -----------------------------------------------------------------------------


@bench_app.command("optimizer", short_help="CP-SAT against simple rules on a generated instance.")
def bench_optimizer(
    size: Annotated[
        str,
        typer.Option(
            metavar="S|M|L",
            help="S = 100 requests × 20 reviewers, M = 1,000 × 200, L = 5,000 × 1,000.",
        ),
    ] = "S",
    seed: Annotated[int, typer.Option(metavar="N", help="Seed of the generated instance.")] = 1,
    workers: Annotated[
        int, typer.Option(metavar="N", min=1, max=64, help="CP-SAT search workers.")
    ] = 2,
    time_limit: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS", min=0.1, max=3600, help="CP-SAT time limit (s); default per size."
        ),
    ] = None,
) -> None:
    """CP-SAT against first-come-first-served and earliest-deadline-first on a generated
    instance (no database: the pure solver), every answer validated."""
    if size not in SOLVER_SIZES:
        _fail(f"--size must be one of {', '.join(SOLVER_SIZES)}")
    figures = solver_benchmark.run(size, seed, workers=workers, time_limit=time_limit)
    _emit({"benchmark": "optimizer", **figures, "machine": machine()})
