"""``p2p-scheduler bench load``: the portal's whole booking flow under concurrent users.

``bench booking`` times one request kind in isolation. Production traffic is a mix: a
portal user looks the case up, opens the week, perhaps holds a time while typing the
contact details, books, and later moves or cancels it. Those requests compete for the
same rows (``slot_cells``, the booking, its cases, the outbox), so their latencies under
load say more about capacity than any one endpoint alone. This benchmark drives the real
server on PostgreSQL (the production database; several ``serve --workers`` share it) with
N client threads doing that flow for a bounded time, then checks in the database that no
reviewer ended up with two overlapping scheduled bookings, and prints one JSON object.

One **cycle** of a client, through HTTP with a portal key:

1. ``POST /v1/eligibility`` for the client's case;
2. ``POST /v1/availability`` for a seeded week (next week or the one after), requester
   zone and preferred days and hours, as a portal user would set them;
3. with probability ``HOLD_SHARE``, ``POST /v1/holds`` on the chosen slot;
4. ``POST /v1/bookings`` with a fresh ``Idempotency-Key`` (and the hold, if any);
5. then, with probability ``RESCHEDULE_SHARE``, ``POST /v1/bookings/{id}/reschedule`` to
   another slot of the same answer, else ``POST /v1/bookings/{id}/cancel`` with a reason.

The slot is one of the first few on the screen half of the time (``POPULAR_SHARE``: what
most people click) and anywhere in the answer otherwise, so clients really collide. A 409
(``slot-taken`` on a hold, booking or reschedule) is then the normal, correct answer: it is
counted by status and problem type, and the client starts a new cycle (a portal reloads the
week after "this time was just taken"). Only 5xx answers and transport failures are errors.

Choices, and why:

- **PostgreSQL only**: the question is how much portal traffic one production database
  and N server processes carry; SQLite serialises every writer and answers another
  question. The URL names a *server*; a scratch ``p2p_bench_<random>`` database is created
  and dropped in it (``bench.scratch_database``), so a run never touches existing data.
  It defaults to ``P2P_TEST_POSTGRES_URL``, the server the test suite already uses.
- **Cases**: one per cycle at most. A case can have one live booking; a cancel frees it
  and the client keeps it for its next cycle, a reschedule leaves it booked and the client
  takes a fresh one. The pool is sized so that it does not run dry (``ran_dry`` says so if
  it ever does). Twenty reviewers, all qualified for every case, weekdays 08:00-18:00 in
  five zones: a week answer holds a few hundred slots after the preferences, like a
  specialty with a handful of reviewers per state.
- **Seeded**: ``--seed`` fixes each client's choices (zone, week, preferences, slot,
  hold or not, reschedule or cancel); what the server answers still depends on timing,
  so two runs make the same choices, not necessarily the same bookings.
- **Checks afterwards, in the database**: ``double_bookings`` looks at the bookings
  themselves (``bench.count_double_bookings``), and the count of scheduled bookings must
  equal bookings made minus bookings cancelled. ``outbox_lag`` is the outbox's depth at the
  end: the benchmark's server has no SMTP or webhook transport configured (like ``bench
  booking``), so every email written waits for a worker, and the figures show how much a
  worker would find and how old the oldest message is.
- **Exit status**: the JSON is printed in every case; the command then exits 1 when any
  double booking, 5xx answer or transport failure was seen (so CI and scripts notice), 2
  when the benchmark could not run at all.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Annotated, Any

import httpx
import typer

from p2p_scheduler.db import outbox_store
from p2p_scheduler.db.engine import DatabaseError
from p2p_scheduler.domain.clock import system_clock
from p2p_scheduler.services import records
from p2p_scheduler.services.lifecycle import CANCEL_REASONS
from p2p_scheduler.tools.bench import (
    BENCH_SKILL,
    BENCH_STATE,
    PROVIDER_EMAIL,
    PROVIDER_PHONE,
    WORKDAYS,
    ZONES,
    BenchError,
    CasePool,
    _emit,
    _fail,
    _portal_key,
    _problem,
    _progress,
    _synthetic_case,
    at_start_line,
    booking_reviewers,
    count_double_bookings,
    count_scheduled,
    database_label,
    fresh_engine,
    insert_cases,
    machine,
    next_monday,
    percentiles,
    portal_client,
    run_clients,
    running_server,
    scratch_database,
)

#: The environment variable the test suite reads its PostgreSQL server from; the default here
#: so that a developer who runs the PostgreSQL tests can run the benchmark as it is.
POSTGRES_ENV = "P2P_TEST_POSTGRES_URL"

#: In the order of a cycle; every one is reported, even when it never ran.
OPERATIONS = ("eligibility", "availability", "hold", "book", "reschedule", "cancel")

#: The portal mix (probabilities per cycle, drawn from each client's seeded generator).
HOLD_SHARE = 0.5  # hold the slot first, as a portal does while the contact form is open
RESCHEDULE_SHARE = 0.4  # after booking: move it; otherwise cancel it
POPULAR_SHARE = 0.5  # pick one of the first POPULAR_SLOTS on the screen (collisions)
POPULAR_SLOTS = 3
NEXT_WEEK_SHARE = 0.7  # next week; otherwise the week after

LOAD_REVIEWERS = 20
#: Cases are sized for this many cycles per second (a cycle ends with at most one case left
#: booked), far above what two CPUs manage, so that the pool never runs dry first.
SIZED_FOR_CYCLES_PER_SECOND = 100
MIN_CASES = 500


class Outcome(Enum):
    """What a cycle leaves the client's case as: free to book again, or used up."""

    KEEP = "keep"  # not booked (a 409, a cancel, nothing to pick): book it next cycle
    RETIRE = "retire"  # left booked (or useless): take a fresh case


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: which operation, the HTTP status ("error": no answer), how long."""

    operation: str
    status: str
    problem: str | None  # the problem type's last segment for non-2xx answers
    ms: float


@dataclass(slots=True)
class ClientLog:
    """Everything one client thread saw; merged by the main thread after the run."""

    samples: list[Sample] = field(default_factory=list)
    cycles: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Slot:
    """A slot from an availability answer, as the portal would send it back."""

    reviewer_id: str
    start: str  # as the server rendered it (requester's offset)


class Deadline(Exception):
    """The run's time is up; the cycle in hand is abandoned where it is."""


class PortalUser:
    """One simulated portal user: an HTTP connection, a seeded generator and a log.

    Each request checks the deadline first, so the run ends on time instead of finishing
    a cycle of five requests; what was made is still counted.
    """

    def __init__(self, http: httpx.Client, rng: random.Random, deadline: float, log: ClientLog):
        self.http = http
        self.rng = rng
        self.deadline = deadline
        self.log = log

    def call(
        self,
        operation: str,
        path: str,
        body: dict[str, object],
        headers: dict[str, str] | None = None,
    ) -> httpx.Response | None:
        """POST ``body``; record the status and time. ``None`` when no answer came back."""
        if time.perf_counter() >= self.deadline:
            raise Deadline
        started = time.perf_counter()
        try:
            response = self.http.post(path, json=body, headers=headers)
        except httpx.TransportError:
            ms = (time.perf_counter() - started) * 1000
            self.log.samples.append(Sample(operation, "error", None, ms))
            return None
        ms = (time.perf_counter() - started) * 1000
        ok = response.is_success
        problem = None if ok else _problem(response)
        self.log.samples.append(Sample(operation, str(response.status_code), problem, ms))
        return response

    def pick(self, slots: Sequence[Slot]) -> Slot:
        """One of the first few slots on the screen (popular), or any of them."""
        if self.rng.random() < POPULAR_SHARE:
            return self.rng.choice(slots[:POPULAR_SLOTS])
        return self.rng.choice(slots)

    def availability_body(self, lookup: list[dict[str, str]], now: datetime) -> dict[str, object]:
        """A seeded week, zone and preferences, as a portal user would set them."""
        zone = self.rng.choice(ZONES)
        week = next_monday(now, zone)
        if self.rng.random() >= NEXT_WEEK_SHARE:
            week += timedelta(days=7)
        days = sorted(self.rng.sample(range(len(WORKDAYS)), self.rng.randint(2, 5)))
        first = self.rng.randint(7, 12)
        hours = list(range(first, min(first + self.rng.randint(3, 6), 19)))
        return {
            "cases": lookup,
            "time_zone": zone,
            "preferences": {"days": [WORKDAYS[day].value for day in days], "hours": hours},
            "week_start": week.isoformat(),
        }

    def cycle(self, case_number: str, dob: str) -> Outcome:
        """Eligibility → availability → hold? → book → reschedule or cancel (module docstring)."""
        lookup = [{"case_number": case_number, "member_dob": dob}]
        response = self.call("eligibility", "/v1/eligibility", {"cases": lookup})
        if response is None or response.status_code != 200:
            return Outcome.KEEP
        if not response.json().get("eligible"):
            self.log.cycles["not_eligible"] += 1
            return Outcome.RETIRE

        query = self.availability_body(lookup, system_clock())
        response = self.call("availability", "/v1/availability", query)
        if response is None or response.status_code != 200:
            return Outcome.KEEP
        slots = _slots(response.json())
        if not slots:
            self.log.cycles["empty_availability"] += 1
            return Outcome.KEEP
        zone = str(query["time_zone"])
        chosen = self.pick(slots)
        slot_body: dict[str, object] = {
            "cases": lookup,
            "reviewer_id": chosen.reviewer_id,
            "start": chosen.start,
            "time_zone": zone,
        }

        hold_id: str | None = None
        if self.rng.random() < HOLD_SHARE:
            response = self.call("hold", "/v1/holds", slot_body)
            if response is None or response.status_code != 201:
                return Outcome.KEEP  # "this time was just taken": reload the week
            hold_id = str(response.json()["hold_id"])

        contact = {
            "provider_name": "Synthetic Provider",
            "provider_role": "ordering_provider",
            "phone": PROVIDER_PHONE,
            "email": PROVIDER_EMAIL,
        }
        booking = {**slot_body, "contact": contact}
        if hold_id is not None:
            booking["hold_id"] = hold_id
        response = self.call(
            "book", "/v1/bookings", booking, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        if response is None or response.status_code != 201:
            return Outcome.KEEP
        booking_id = str(response.json()["id"])
        self.log.cycles["booked"] += 1

        others = [slot for slot in slots if slot != chosen]
        if others and self.rng.random() < RESCHEDULE_SHARE:
            target = self.pick(others)
            response = self.call(
                "reschedule",
                f"/v1/bookings/{booking_id}/reschedule",
                {"start": target.start, "reviewer_id": target.reviewer_id},
            )
            if response is not None and response.status_code == 200:
                self.log.cycles["rescheduled"] += 1
            return Outcome.RETIRE  # booked either way: at the new time, or still the old one

        reason = self.rng.choice(CANCEL_REASONS)
        response = self.call(
            "cancel",
            f"/v1/bookings/{booking_id}/cancel",
            {"reason_code": reason, "reason_text": "Load benchmark"},
        )
        if response is not None and response.status_code == 200:
            self.log.cycles["cancelled"] += 1
            return Outcome.KEEP
        return Outcome.RETIRE


def _slots(answer: dict[str, Any]) -> list[Slot]:
    """Every slot of an availability answer, in screen order (tier, reviewer, day, time)."""
    return [
        Slot(reviewer["reviewer_id"], slot["start"])
        for tier in answer["tiers"]
        for reviewer in tier["reviewers"]
        for day in reviewer["days"]
        for slot in day["slots"]
    ]


def _client(
    client: int,
    *,
    base: str,
    token: str,
    pool: CasePool,
    seed: int,
    start_line: threading.Barrier,
    seconds: float,
    log: ClientLog,
) -> None:
    """One portal user's thread: cycles until the deadline (or the case pool runs dry)."""
    rng = random.Random(seed * 1_000 + client)
    with portal_client(base, token) as http:
        if not at_start_line(http, start_line):
            return
        user = PortalUser(http, rng, time.perf_counter() + seconds, log)
        case = None
        while time.perf_counter() < user.deadline:
            case = case or pool.take()
            if case is None:
                return
            log.cycles["started"] += 1
            try:
                outcome = user.cycle(case.case_number, case.member.dob.isoformat())
            except Deadline:
                return
            if outcome is Outcome.RETIRE:
                case = None


def latency(samples_ms: Sequence[float]) -> dict[str, float | int | None]:
    """p50, p95, p99, max (``bench.percentiles``, plus p99) and the sample count.

    ``statistics.quantiles`` needs two samples; an operation that ran once or never still
    gets every key, so the JSON's shape does not depend on the luck of a short run.
    """
    count = len(samples_ms)
    if count < 2:
        only = round(samples_ms[0], 3) if samples_ms else None
        return {"p50": only, "p95": only, "p99": only, "max": only, "count": count}
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    common = percentiles(samples_ms)
    return {
        "p50": common["p50"],
        "p95": common["p95"],
        "p99": round(cuts[98], 3),
        "max": common["max"],
        "count": count,
    }


def _is_server_error(status: str) -> bool:
    return status == "error" or status.startswith("5")


def summarise(samples: Sequence[Sample], cycles: Counter[str], elapsed: float) -> dict[str, object]:
    """The per-operation figures of the JSON from the clients' raw samples."""
    by_operation: dict[str, list[Sample]] = {operation: [] for operation in OPERATIONS}
    for sample in samples:
        by_operation[sample.operation].append(sample)
    statuses = {op: Counter(s.status for s in done) for op, done in by_operation.items()}
    return {
        "requests": len(samples),
        "cycles": {key: cycles[key] for key in sorted(cycles)},
        "throughput": {
            "operations_per_second": round(len(samples) / elapsed, 2),
            "bookings_per_second": round(statuses["book"]["201"] / elapsed, 2),
            "by_operation": {
                op: round(len(done) / elapsed, 2) for op, done in by_operation.items()
            },
        },
        "latency_ms": {
            op: latency([sample.ms for sample in done]) for op, done in by_operation.items()
        },
        "status_counts": {op: dict(sorted(counts.items())) for op, counts in statuses.items()},
        "errors_by_status": {
            op: {status: n for status, n in sorted(counts.items()) if not status.startswith("2")}
            for op, counts in statuses.items()
        },
        "problem_types": {
            op: dict(sorted(Counter(s.problem for s in done if s.problem).items()))
            for op, done in by_operation.items()
        },
        "server_errors": sum(1 for sample in samples if _is_server_error(sample.status)),
    }


LoadDatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="URL",
        envvar=POSTGRES_ENV,
        show_envvar=True,
        help=(
            "PostgreSQL server URL (postgresql+psycopg://user@host:port/db); a temporary "
            "database is created in it and dropped afterwards."
        ),
    ),
]


def bench_load(
    database_url: LoadDatabaseUrl = None,
    clients: Annotated[
        int, typer.Option(metavar="N", min=1, max=256, help="Concurrent portal users.")
    ] = 8,
    seconds: Annotated[
        float,
        typer.Option(metavar="SECONDS", min=0.5, max=3600, help="How long the clients keep going."),
    ] = 20.0,
    server_workers: Annotated[
        int, typer.Option(metavar="N", min=1, max=64, help="Server processes (serve --workers).")
    ] = 1,
    seed: Annotated[int, typer.Option(metavar="N", help="Seed of the clients' choices.")] = 1,
) -> None:
    """The portal mix from concurrent clients on PostgreSQL; then check for double bookings.

    Each client looks its case up, opens a week, maybe holds a slot, books it, then
    reschedules or cancels. Exits 1 after the JSON on a double booking, 5xx or lost request.
    """
    try:
        result = _run_load(database_url, clients, seconds, server_workers, seed)
    except BenchError as error:
        _fail(str(error))
    except DatabaseError as error:
        _fail(f"database error: {str(getattr(error, 'orig', None) or error).splitlines()[0]}")
    _emit(result)
    problems = []
    if result["double_bookings"]:
        problems.append(f"{result['double_bookings']} double bookings")
    if result["server_errors"]:
        problems.append(f"{result['server_errors']} server errors (5xx or no answer)")
    if problems:
        typer.echo(f"p2p-scheduler: bench: FAILED: {', '.join(problems)}", err=True)
        raise typer.Exit(code=1)


def _postgres(url: str | None) -> str:
    """The server URL, refusing anything but PostgreSQL with a line that says what to give."""
    if not url:
        raise BenchError(f"--database-url (or {POSTGRES_ENV}) must name a PostgreSQL server")
    if not url.split(":", 1)[0].startswith("postgres"):
        raise BenchError(
            "bench load runs on PostgreSQL only: --database-url postgresql+psycopg://…"
        )
    return url


def _run_load(
    database_url: str | None, clients: int, seconds: float, server_workers: int, seed: int
) -> dict[str, object]:
    url = _postgres(database_url)
    now = system_clock()
    profiles = booking_reviewers(LOAD_REVIEWERS)
    count = max(MIN_CASES, int(seconds * SIZED_FOR_CYCLES_PER_SECOND) + clients)
    cases = [
        _synthetic_case(f"SYN-L{index:07d}", BENCH_SKILL, BENCH_STATE, now)
        for index in range(count)
    ]
    pool = CasePool(cases)
    logs = [ClientLog() for _ in range(clients)]

    with scratch_database(url) as scratch, fresh_engine(scratch) as engine:
        if engine.dialect.name != "postgresql":
            raise BenchError("bench load runs on PostgreSQL only")
        kind, label = engine.dialect.name, database_label(engine)
        _progress(f"{label}: {len(profiles)} reviewers, {len(cases)} cases …")
        records.load_if_empty(engine=engine, reviewers=profiles, cases=[])
        insert_cases(engine, cases)
        api_keys, token = _portal_key()
        with running_server(scratch, api_keys, server_workers) as base:
            _progress(
                f"{clients} clients, portal mix for {seconds:g} s, {server_workers} server(s) …"
            )

            def client(index: int, start_line: threading.Barrier) -> None:
                _client(
                    index,
                    base=base,
                    token=token,
                    pool=pool,
                    seed=seed,
                    start_line=start_line,
                    seconds=seconds,
                    log=logs[index],
                )

            elapsed = run_clients(clients, client)
        double_bookings = count_double_bookings(engine)
        in_database = count_scheduled(engine)
        checked_at = datetime.now(UTC)
        outbox = outbox_store.depth(engine, checked_at)

    samples = [sample for log in logs for sample in log.samples]
    if not samples:
        raise BenchError("no request was made; run longer")
    cycles: Counter[str] = Counter()
    for log in logs:
        cycles.update(log.cycles)
    figures = summarise(samples, cycles, elapsed)
    oldest = outbox.oldest_pending_at
    return {
        "benchmark": "load",
        "database": kind,
        "database_version": label,
        "clients": clients,
        "seconds": seconds,
        "server_workers": server_workers,
        "seed": seed,
        "elapsed_seconds": round(elapsed, 3),
        "reviewers": len(profiles),
        "cases": len(cases),
        "mix": {
            "hold": HOLD_SHARE,
            "reschedule": RESCHEDULE_SHARE,
            "cancel": round(1 - RESCHEDULE_SHARE, 3),
            "popular_slot": POPULAR_SHARE,
        },
        **figures,
        "bookings_in_database": in_database,
        # Every 201 booking is scheduled until a 200 cancel; a reschedule keeps it scheduled.
        "bookings_expected": cycles["booked"] - cycles["cancelled"],
        "double_bookings": double_bookings,
        "outbox_lag": {
            "pending": outbox.pending,
            "gave_up": outbox.gave_up,
            "oldest_pending_age_seconds": (
                round((checked_at - oldest.astimezone(UTC)).total_seconds(), 3) if oldest else None
            ),
            "delivery": "none: the benchmark's server has no SMTP or webhook transport",
        },
        "ran_dry": pool.exhausted,
        "machine": machine(),
    }
