"""Two API processes and two outbox workers sharing one PostgreSQL (SPEC §4, §5, §8; issue 7).

README "Calendars, email and webhooks" and "Deployment" promise that every guarantee is the
database's, so any number of ``p2p-scheduler serve`` and ``p2p-scheduler worker`` processes
may share it. This module runs exactly that: two ``serve`` processes (each on its own port,
``P2P_DELIVER_IN_PROCESS=false``) and two ``worker`` processes, all on one PostgreSQL
database, with a real SMTP server (aiosmtpd) and a real HTTP webhook receiver in the test.

- ``test_thirty_two_racing_bookings_...``: 32 threads book 30-minute P2Ps of one reviewer at
  16 starts a quarter hour apart (two contenders per start, each start overlapping its
  neighbours), spread so that the two contenders of a start hit different processes. No
  overlap may commit (read back from the database, not the API), every loser gets 409
  ``slot-taken``, and once the outbox is empty every invitation email and webhook of every
  winner has arrived exactly once.
- ``test_sigterm_mid_load_...``: while clients book and cancel, one API process and one
  worker get SIGTERM. Two things are made deterministic so that the test proves them on
  every run: a booking request is held *in flight* on the stopping API process (every
  booking first locks its reviewer's row, and the test holds that lock) until that process
  has stopped accepting connections, and both workers are *mid-message* (the SMTP server
  holds every DATA command) when one of them is told to stop. The in-flight request must
  still be answered 201; the stopping worker must finish its message and exit 0; every
  2xx answer must be in the database with its case, history, slot cells and outbox rows,
  and nothing else may be; a client may only see a transport error from the stopping
  process, after SIGTERM, for a request that process never handled (its access log is
  checked); and the surviving worker alone (nothing is restarted) must then drain the
  outbox, the stopped worker's leased messages included, delivering every (event,
  recipient) exactly once with nothing given up.

Why it matters: the unit and API tests run one process; only here do two processes race
for one reviewer's time through the database, several workers claim one outbox, and a
rolling restart (SIGTERM) happens under load, as in the Compose deployment.
"""

from __future__ import annotations

import asyncio
import email
import hashlib
import hmac
import json
import queue
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, select, text
from sqlmodel import SQLModel

from p2p_scheduler.db import outbox_store
from p2p_scheduler.db import tables as _tables  # noqa: F401  (registers the tables)
from p2p_scheduler.services.notifications import UID_DOMAIN, EmailRecipe
from tests.api.helpers import ALL_DAYS, NEW_YORK, booking_body, reviewer_body, weekly
from tests.e2e.server import SCRIPT, Server, cli_env, free_port, start_server, stop, wait_until
from tests.e2e.test_booking_race import (
    ADMIN_KEY,
    GRID,
    PORTAL_KEY,
    REVIEWER,
    assert_slot_taken,
    fire,
    offered_starts,
    scheduled_rows,
    seed,
    utc,
)
from tests.e2e.test_notifications import Hooks, Mailbox, _receiver
from tests.support import auth

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

WEBHOOK_SECRET = "whsec-cluster-0123456789"
ORGANIZER = "p2p@plan.example.org"
PROVIDER_EMAIL = "olive.orderly@clinic.example.org"  # contact_body()'s
REVIEWER_EMAIL = "ada.reviewer@example.org"  # reviewer_body()'s, as seed() creates the reviewer
HELD_REVIEWER = "rev-held"  # booked only by the request held in flight at SIGTERM
HELD_REVIEWER_EMAIL = "hal.held@example.org"
BOOKINGS = SQLModel.metadata.tables["bookings"]
BOOKING_CASES = SQLModel.metadata.tables["booking_cases"]
BOOKING_EVENTS = SQLModel.metadata.tables["booking_events"]
SLOT_CELLS = SQLModel.metadata.tables["slot_cells"]
HOLDS = SQLModel.metadata.tables["holds"]
REVIEWERS = SQLModel.metadata.tables["reviewers"]
OUTBOX = SQLModel.metadata.tables["outbox"]
CANCEL = {"reason_code": "provider_unavailable", "reason_text": ""}


# ---- the peers: a (gated) SMTP server and a webhook receiver -----------------------------------


@dataclass
class GatedMailbox(Mailbox):
    """Accepts every message; while ``gate`` is clear every DATA command waits for it
    (``waiting`` counts them), so each sender is held in the middle of a message."""

    gate: threading.Event = field(default_factory=threading.Event)
    waiting: int = 0

    def __post_init__(self) -> None:
        self.gate.set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.gate.is_set():
            self.waiting += 1
            try:
                while not self.gate.is_set():
                    await asyncio.sleep(0.02)
            finally:
                self.waiting -= 1
        return await super().handle_DATA(server, session, envelope)


# ---- the cluster -------------------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Cluster:
    engine: Engine
    apis: list[Server]
    workers: list[Worker]
    mailbox: GatedMailbox
    hooks: Hooks


@pytest.fixture
def pg_engine(database_url: str, request: pytest.FixtureRequest) -> Engine:
    """The conftest ``engine``, PostgreSQL only: several processes sharing one database is
    the production set-up (README "Deployment"); SQLite is the single-host default."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several API processes and workers share PostgreSQL, not SQLite")
    engine: Engine = request.getfixturevalue("engine")
    return engine


def _start_worker(workdir: Path, env: dict[str, str]) -> Worker:
    workdir.mkdir()
    log = workdir / "worker.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(SCRIPT), "worker", "--poll-seconds", "0.1"],
            env=env,
            cwd=workdir,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(process, log)
    wait_until(
        f"worker {workdir.name} to start",
        lambda: process.poll() is not None or "worker: delivering" in worker.output(),
    )
    assert process.poll() is None, worker.output()
    assert "worker: delivering email, webhook" in worker.output(), worker.output()
    return worker


def _start_api(workdir: Path, env: dict[str, str]) -> Server:
    workdir.mkdir()
    return start_server(workdir, env)


@contextmanager
def running_cluster(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    *,
    lease_seconds: int = 60,
) -> Iterator[Cluster]:
    """Two ``serve`` processes (no in-process delivery) and two ``worker`` processes."""
    mailbox, hooks = GatedMailbox(), Hooks()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _receiver(hooks))
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    env = cli_env(
        P2P_DATABASE_URL=database_url,
        P2P_API_KEYS=f"admin:{ADMIN_KEY},portal:{PORTAL_KEY}",
        P2P_SECRET_KEY="cluster-secret-key-0123456789",
        P2P_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
        P2P_ORGANIZER_EMAIL=ORGANIZER,
        P2P_WEBHOOK_URLS=f"http://127.0.0.1:{receiver.server_port}/hooks/p2p",
        P2P_WEBHOOK_SECRET=WEBHOOK_SECRET,
        P2P_DELIVER_IN_PROCESS="false",
        P2P_OUTBOX_LEASE_SECONDS=str(lease_seconds),
        P2P_LOG_LEVEL="info",
        # these tests wait for an empty outbox; reminders hours ahead would keep it waiting
        # (tests/e2e/test_reminders.py delivers them with two workers)
        P2P_REMINDER_LEADS="",
    )
    apis: list[Server] = []
    workers: list[Worker] = []
    try:
        with ThreadPoolExecutor(4) as pool:  # all four start at once
            api_jobs = [pool.submit(_start_api, tmp_path / f"api-{n}", env) for n in (1, 2)]
            worker_jobs = [pool.submit(_start_worker, tmp_path / f"w{n}", env) for n in (1, 2)]
        apis += [job.result() for job in api_jobs if job.exception() is None]
        workers += [job.result() for job in worker_jobs if job.exception() is None]
        for job in (*api_jobs, *worker_jobs):
            job.result()  # the first start-up failure, once the others are in hand to stop
        yield Cluster(engine, apis, workers, mailbox, hooks)
    finally:
        for api in apis:
            stop(api.process)
        for worker in workers:
            stop(worker.process)
        smtp.stop()
        receiver.shutdown()
        for n, api in enumerate(apis, 1):  # shown on failure
            print(f"--- api-{n} log ---\n{api.output()}")
        for n, worker in enumerate(workers, 1):
            print(f"--- worker-{n} log ---\n{worker.output()}")


# ---- reading back what arrived -----------------------------------------------------------------


EmailKey = tuple[str, int, str, str]  # (calendar UID, SEQUENCE, METHOD, recipient)


def received_emails(mailbox: Mailbox) -> Counter[EmailKey]:
    """Every email the SMTP server accepted, as (UID, SEQUENCE, METHOD, recipient)."""
    keys: Counter[EmailKey] = Counter()
    for sender, recipients, raw in mailbox.messages:
        assert sender == ORGANIZER
        assert len(recipients) == 1, recipients
        message = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(message, EmailMessage)
        assert message["To"] == recipients[0]
        parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert len(parts) == 1, message["Subject"]
        calendar = icalendar.Calendar.from_ical(parts[0].get_payload(decode=True))
        events = list(calendar.walk("VEVENT"))
        assert len(events) == 1
        event = events[0]
        method = str(calendar["METHOD"])
        assert str(parts[0].get_param("method")) == method
        keys[(str(event["UID"]), int(event["SEQUENCE"]), method, recipients[0])] += 1
    return keys


def received_webhooks(hooks: Hooks) -> list[dict[str, Any]]:
    """Every webhook the receiver got, each checked against its signature."""
    payloads = []
    for headers, body in hooks.received:
        fields = dict(part.split("=", 1) for part in headers["p2p-signature"].split(","))
        expected = hmac.new(
            WEBHOOK_SECRET.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(fields["v1"], expected), "a webhook with a bad signature"
        payloads.append(json.loads(body))
    return payloads


def outbox_rows(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(OUTBOX)))


def expected_email(row: Any) -> EmailKey:
    """What an outbox email row must arrive as."""
    recipe = EmailRecipe.from_json(row.body)
    assert recipe.to == row.recipient
    return (
        f"{recipe.event.booking_id}@{UID_DOMAIN}",
        recipe.event.sequence,
        recipe.method,
        row.recipient,
    )


def wait_for_empty_outbox(engine: Engine, seconds: float) -> None:
    """Until nothing is pending; fails naming the stuck rows (their last error) if not."""
    deadline = time.monotonic() + seconds
    while outbox_store.depth(engine).pending and time.monotonic() < deadline:
        time.sleep(0.1)
    stuck = [
        (row.channel, row.recipient, row.attempts, row.last_error)
        for row in outbox_rows(engine)
        if row.sent_at is None
    ]
    assert not stuck, f"outbox not delivered within {seconds} s: {stuck}"


def assert_delivered_exactly_once(cluster: Cluster) -> tuple[Counter[EmailKey], list[Any]]:
    """Every outbox row sent, none given up, and each arrived exactly once; returns what
    arrived (emails by key) and the outbox rows."""
    depth = outbox_store.depth(cluster.engine)
    assert (depth.pending, depth.gave_up) == (0, 0), depth
    rows = outbox_rows(cluster.engine)
    assert rows and all(row.sent_at is not None and row.gave_up_at is None for row in rows)
    assert all(row.last_error == "" for row in rows), [r.last_error for r in rows]

    emails = received_emails(cluster.mailbox)
    wanted = Counter(expected_email(row) for row in rows if row.channel == "email")
    assert max(wanted.values()) == 1, "two outbox rows for one (event, recipient)"
    duplicates = {key: n for key, n in emails.items() if n > 1}
    assert not duplicates, f"emails delivered more than once: {duplicates}"
    assert emails == wanted, f"missing: {wanted - emails}, unexpected: {emails - wanted}"

    hooks = received_webhooks(cluster.hooks)
    hook_ids = Counter(hook["id"] for hook in hooks)
    duplicated_hooks = {key: n for key, n in hook_ids.items() if n > 1}
    assert not duplicated_hooks, f"webhooks delivered more than once: {duplicated_hooks}"
    by_event = {row.event_id: row for row in rows if row.channel == "webhook"}
    assert set(hook_ids) == set(by_event)
    for hook in hooks:
        row = by_event[hook["id"]]
        assert (hook["type"], hook["data"]["id"]) == (row.event_type, row.booking_id)
    return emails, rows


def stop_workers(cluster: Cluster) -> None:
    """SIGTERM the workers still running (each finishes its message) so that nothing can
    still be on its way while what arrived is counted."""
    for worker in cluster.workers:
        if worker.process.poll() is None:
            assert stop(worker.process) == 0, worker.output()


# ---- test 1: 32 racing bookings over two processes ---------------------------------------------


def fire_at_both(apis: list[Server], bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    """POST every body at once (``test_booking_race.fire``). Bodies ``i`` and ``i + 16``
    (the two contenders of one start) go to different processes, and which process gets
    the lower-numbered contender alternates every two starts."""
    return fire(apis[0], bodies, server_for=lambda index: apis[(index // 2 + index // 16) % 2])


def test_thirty_two_racing_bookings_on_two_processes_never_overlap_and_notify_once(
    pg_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    with running_cluster(pg_engine, database_url, tmp_path) as cluster:
        first_api = cluster.apis[0]
        cases = seed(first_api, 64)
        pairs = [cases[2 * i : 2 * i + 2] for i in range(32)]
        earliest = datetime.now(UTC) + timedelta(hours=3)
        offered = set(offered_starts(cluster.apis[1], pairs[0]))
        first = next(
            s
            for s in sorted(offered)
            if s >= earliest and all(s + k * GRID in offered for k in range(16))
        )
        starts = [first + k * GRID for k in range(16)]  # 30 minutes each: neighbours overlap
        bodies = [
            booking_body(pair, REVIEWER, starts[i % 16].astimezone(ZoneInfo(NEW_YORK)).isoformat())
            for i, pair in enumerate(pairs)
        ]

        responses = fire_at_both(cluster.apis, bodies)

        codes = Counter(r.status_code for r in responses)
        assert set(codes) <= {201, 409}, [(r.status_code, r.text) for r in responses]
        for response in responses:
            if response.status_code == 409:
                assert_slot_taken(response)
        won = [r.json() for r in responses if r.status_code == 201]
        assert 1 <= len(won) <= 8, codes  # at most 8 disjoint half hours among 16 starts
        served_by = Counter(r.url.port for r in responses if r.status_code == 201)
        print(f"answers: {dict(codes)}; winners by port: {dict(served_by)}")

        # ---- what committed, read from the database ----------------------------------------
        rows = scheduled_rows(pg_engine)
        assert sorted(row.id for row in rows) == sorted(booking["id"] for booking in won)
        spans = [(utc(row.start_at), utc(row.end_at)) for row in rows]
        for start, end in spans:
            assert end - start == timedelta(minutes=30) and start in starts
        for (_, end), (next_start, _) in pairwise(spans):
            assert end <= next_start, f"overlapping bookings committed: {spans}"
        for start in starts:  # a maximal set: every losing start overlaps a winner
            assert any(s < start + 2 * GRID and start < e for s, e in spans), start
        with pg_engine.connect() as connection:
            every_booking = connection.execute(select(func.count()).select_from(BOOKINGS)).one()
            cells = connection.execute(select(SLOT_CELLS.c.booking_id)).all()
        assert every_booking[0] == len(won), "a losing request left a booking behind"
        assert Counter(row.booking_id for row in cells) == {b["id"]: 2 for b in won}

        # ---- every notification delivered exactly once ------------------------------------
        wait_for_empty_outbox(pg_engine, seconds=40)
        stop_workers(cluster)
        emails, outbox = assert_delivered_exactly_once(cluster)
        assert len(outbox) == 3 * len(won)  # two emails and one webhook per booking
        assert sum(emails.values()) == 2 * len(won)
        assert set(emails) == {
            (f"{booking['id']}@{UID_DOMAIN}", 0, "REQUEST", recipient)
            for booking in won
            for recipient in (PROVIDER_EMAIL, REVIEWER_EMAIL)
        }
        hooks = received_webhooks(cluster.hooks)
        assert sorted(hook["data"]["id"] for hook in hooks) == sorted(b["id"] for b in won)
        assert {hook["type"] for hook in hooks} == {"booking.scheduled"}
        assert len({hook["id"] for hook in hooks}) == len(won)
        senders = Counter(row.attempts for row in outbox)
        assert senders == {1: len(outbox)}, f"a message was claimed twice: {senders}"


# ---- test 2: SIGTERM to one API process and one worker in the middle of the load ---------------


@dataclass
class Attempt:
    """One HTTP attempt as a client saw it (``status`` None: a transport error)."""

    op: str
    api: int
    request_id: str
    sent: float
    done: float
    status: int | None
    error: str = ""


@dataclass
class Load:
    """Clients booking (and cancelling every other booking) over both API processes in turn,
    pausing ``pause`` seconds before each new booking. A client that gets a transport error from a
    process sends the request to the other one (the same Idempotency-Key, a new request id)
    and leaves the failed process alone from then on, as a load balancer would."""

    apis: list[Server]
    work: queue.Queue[tuple[str, datetime, bool]]
    stop: threading.Event = field(default_factory=threading.Event)
    attempts: list[Attempt] = field(default_factory=list)
    booked: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # id → (case, start)
    cancelled: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pause: float = 0.05

    def answered(self) -> int:
        with self.lock:
            return sum(1 for a in self.attempts if a.status is not None and a.status < 300)

    def call(
        self,
        clients: list[httpx.Client],
        down: set[int],
        preferred: int,
        op: str,
        path: str,
        body: dict[str, Any],
        headers: dict[str, str],
    ) -> httpx.Response:
        """POST until an answer other than 'in progress' (409 request-in-progress: the first
        attempt is still being answered by its process)."""
        api = preferred if preferred not in down else 1 - preferred
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            request_id = f"{op}-{uuid.uuid4().hex[:16]}"
            sent = time.monotonic()
            try:
                response = clients[api].post(
                    path, json=body, headers={**headers, "X-Request-ID": request_id}
                )
            except httpx.TransportError as error:
                with self.lock:
                    self.attempts.append(
                        Attempt(op, api, request_id, sent, time.monotonic(), None, repr(error))
                    )
                down.add(api)
                api = 1 - api
                continue
            with self.lock:
                self.attempts.append(
                    Attempt(op, api, request_id, sent, time.monotonic(), response.status_code)
                )
            if response.status_code == 409 and response.json()["type"].endswith(
                "/request-in-progress"
            ):
                time.sleep(0.2)
                continue
            return response
        raise AssertionError(f"{op} {path} got no answer within 60 s")

    def client(self, number: int) -> None:
        clients = [
            httpx.Client(base_url=api.base_url, headers=auth(PORTAL_KEY), timeout=60)
            for api in self.apis
        ]
        turn, down = number, set[int]()
        try:
            while not self.stop.wait(self.pause):
                try:
                    case, start, cancel = self.work.get_nowait()
                except queue.Empty:
                    return
                turn += 1
                local = start.astimezone(ZoneInfo(NEW_YORK)).isoformat()
                made = self.call(
                    clients,
                    down,
                    turn % 2,
                    "book",
                    "/v1/bookings",
                    booking_body(case, REVIEWER, local),
                    {"Idempotency-Key": f"book-{case}"},
                )
                if made.status_code != 201:
                    with self.lock:
                        self.problems.append(f"book {case}: {made.status_code} {made.text}")
                    continue
                booking_id = made.json()["id"]
                with self.lock:
                    self.booked[booking_id] = (case, start)
                if not cancel:
                    continue
                turn += 1
                gone = self.call(
                    clients,
                    down,
                    turn % 2,
                    "cancel",
                    f"/v1/bookings/{booking_id}/cancel",
                    CANCEL,
                    {},
                )
                if gone.status_code == 200 and gone.json()["status"] == "cancelled":
                    with self.lock:
                        self.cancelled.add(booking_id)
                else:  # also a 409 "already cancelled": an applied cancel lost its answer
                    with self.lock:
                        self.problems.append(f"cancel {booking_id}: {gone.status_code} {gone.text}")
        except BaseException as error:
            with self.lock:
                self.problems.append(f"client {number}: {error!r}")
        finally:
            for http in clients:
                http.close()


def lock_waiters(engine: Engine, blocker_pid: int) -> int:
    """Sessions waiting for a lock the blocker holds."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
    with engine.connect() as connection:
        return int(connection.execute(text(query), {"pid": blocker_pid}).scalar_one())


def refuses_connections(server: Server) -> bool:
    try:
        httpx.get(f"{server.base_url}/health", timeout=1)
    except httpx.TransportError:
        return True
    return False


def wait_for_exit(process: subprocess.Popen[bytes], what: str, seconds: float = 20) -> int:
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"{what} did not exit within {seconds} s of SIGTERM")


def access_log(server: Server) -> dict[str, int]:
    """request id → status, from the process's JSON access log lines."""
    seen = {}
    for line in server.output().splitlines():
        if line.startswith("{") and '"p2p_scheduler.access"' in line:
            entry = json.loads(line)
            seen[entry["request_id"]] = entry["status"]
    return seen


def seed_held_reviewer(api: Server) -> None:
    with httpx.Client(base_url=api.base_url, headers=auth(ADMIN_KEY), timeout=30) as admin:
        body = reviewer_body(
            name="Dr. Hal Held",
            email=HELD_REVIEWER_EMAIL,
            time_zone=NEW_YORK,
            skills={"msk_spine": 1},
            licensed_states=["PA"],
            working_hours=weekly("08:00", "20:00", ALL_DAYS),
            max_consults_per_day=96,
        )
        assert admin.put(f"/v1/reviewers/{HELD_REVIEWER}", json=body).status_code == 201


@dataclass
class HeldRequest:
    """A booking request that ``api`` has received and is working on, held up in the
    database: every booking first locks its reviewer's row, and the test holds that lock."""

    thread: threading.Thread
    response: httpx.Response | None = None
    error: BaseException | None = None
    answered_at: float | None = None


@contextmanager
def held_in_flight(
    engine: Engine, api: Server, case: str, start: datetime
) -> Iterator[HeldRequest]:
    """POST a booking of HELD_REVIEWER to ``api`` and hold it in flight until the block ends.
    No client books HELD_REVIEWER, so the request is the only session that can wait here."""
    blocker = engine.connect()
    transaction = blocker.begin()
    blocker_pid = int(blocker.execute(text("SELECT pg_backend_pid()")).scalar_one())
    blocker.execute(
        select(REVIEWERS.c.reviewer_id)
        .where(REVIEWERS.c.reviewer_id == HELD_REVIEWER)
        .with_for_update()
    ).one()

    def post() -> None:
        local = start.astimezone(ZoneInfo(NEW_YORK)).isoformat()
        with httpx.Client(base_url=api.base_url, headers=auth(PORTAL_KEY), timeout=60) as portal:
            try:
                held.response = portal.post(
                    "/v1/bookings",
                    json=booking_body(case, HELD_REVIEWER, local),
                    headers={"X-Request-ID": "held-in-flight"},
                )
            except BaseException as error:
                held.error = error
            held.answered_at = time.monotonic()

    held = HeldRequest(threading.Thread(target=post, daemon=True))
    held.thread.start()
    try:
        wait_until(
            "the held booking to wait for the lock", lambda: lock_waiters(engine, blocker_pid)
        )
        yield held
    finally:
        transaction.rollback()  # the held request goes on
        blocker.close()


def assert_answers_are_in_the_database(
    engine: Engine, booked: dict[str, tuple[str, datetime, str]], cancelled: set[str]
) -> None:
    """Every booking answered 201 is there (cancelled when a cancel was answered 200), with
    its case, history, cells and outbox rows; nothing else is."""
    with engine.connect() as connection:
        bookings = {row.id: row for row in connection.execute(select(BOOKINGS))}
        cases_of: dict[str, list[str]] = {}
        for row in connection.execute(select(BOOKING_CASES)):
            cases_of.setdefault(row.booking_id, []).append(row.case_number)
        cells_of = Counter(row.booking_id for row in connection.execute(select(SLOT_CELLS)))
        events_of: dict[str, list[str]] = {}
        for row in connection.execute(select(BOOKING_EVENTS).order_by(BOOKING_EVENTS.c.sequence)):
            events_of.setdefault(row.booking_id, []).append(row.event)
        holds = connection.execute(select(func.count()).select_from(HOLDS)).scalar_one()
    assert set(bookings) == set(booked), "a booking without a 201, or a 201 without a booking"
    assert holds == 0 and None not in cells_of
    messages: dict[tuple[str, str], Counter[str]] = {}
    for row in outbox_rows(engine):
        messages.setdefault((row.booking_id, row.event_type), Counter())[row.channel] += 1
    for booking_id, (case, start, reviewer) in booked.items():
        row = bookings[booking_id]
        gone = booking_id in cancelled
        assert row.status == ("cancelled" if gone else "scheduled"), row
        assert (utc(row.start_at), row.reviewer_id) == (start, reviewer)
        assert cases_of[booking_id] == [case]
        assert cells_of[booking_id] == (0 if gone else 1)  # one quarter hour, or released
        changes = ["scheduled", "cancelled"] if gone else ["scheduled"]
        assert events_of[booking_id] == changes
        for change in changes:  # two emails (provider, reviewer) and one webhook per change
            found = messages.pop((booking_id, f"booking.{change}"), None)
            assert found == {"email": 2, "webhook": 1}, (booking_id, change, found)
    assert not messages, f"outbox rows of no answered change: {messages}"


def test_sigterm_mid_load_to_an_api_process_and_a_worker_loses_nothing(
    pg_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    # On SIGTERM, W1 gives its claimed but unsent messages back at once; a short lease only
    # bounds how long a message held by a process that dies without SIGTERM would wait.
    lease = 10
    with running_cluster(pg_engine, database_url, tmp_path, lease_seconds=lease) as cluster:
        api_a, api_b = cluster.apis
        w1, w2 = cluster.workers
        cases = seed(api_b, 97)
        seed_held_reviewer(api_b)
        earliest = datetime.now(UTC) + timedelta(hours=3)
        starts = [s for s in offered_starts(api_b, cases[:1]) if s >= earliest]
        assert len(starts) >= len(cases), len(starts)
        held_case, held_start = cases[-1], starts[0]
        work: queue.Queue[tuple[str, datetime, bool]] = queue.Queue()
        for n, (case, start) in enumerate(zip(cases[:-1], starts, strict=False)):
            work.put((case, start, n % 2 == 1))  # every other booking is cancelled again
        load = Load(cluster.apis, work)
        clients = [threading.Thread(target=load.client, args=(n,), daemon=True) for n in range(6)]
        for thread in clients:
            thread.start()
        try:
            # ---- in the middle of the load: both workers mid-message, a booking in flight on A
            wait_until("a part of the load to be answered", lambda: load.answered() >= 10)
            cluster.mailbox.gate.clear()
            try:
                wait_until("both workers to be mid-message", lambda: cluster.mailbox.waiting >= 2)
                with held_in_flight(pg_engine, api_a, held_case, held_start) as held:
                    # ---- SIGTERM to API process A and worker W1 -----------------------------
                    sigterm_at = time.monotonic()
                    api_a.process.send_signal(signal.SIGTERM)
                    w1.process.send_signal(signal.SIGTERM)
                    wait_until(
                        "A to stop accepting connections", lambda: refuses_connections(api_a)
                    )
                    time.sleep(0.3)
                    assert held.answered_at is None, held  # A has not dropped the request …
                    assert api_a.process.poll() is None, api_a.output()  # … it waits for it
                    assert w1.process.poll() is None, w1.output()  # W1 finishes its message
            finally:
                cluster.mailbox.gate.set()
            held.thread.join(timeout=30)
            assert held.response is not None, held
            assert held.response.status_code == 201, held.response.text
            held_booking = held.response.json()["id"]
            a_code = wait_for_exit(api_a.process, "API process A")
            assert a_code in (0, -signal.SIGTERM), api_a.output()  # uvicorn re-raises SIGTERM
            assert "Application shutdown complete" in api_a.output()
            assert wait_for_exit(w1.process, "worker W1") == 0, w1.output()

            # ---- the load goes on with B alone for a moment, then stops ---------------------
            answered_before = load.answered()
            wait_until("B to serve more", lambda: load.answered() >= answered_before + 6)
            load.stop.set()
            for thread in clients:
                thread.join(timeout=60)
            assert not any(thread.is_alive() for thread in clients), "a client hung"
            assert not load.problems, load.problems
        finally:
            load.stop.set()  # a failed check must not leave clients hammering the survivors

        # ---- what the clients saw: errors only from A, after SIGTERM, for requests A never had
        attempts = list(load.attempts)
        failed = [a for a in attempts if a.status is None]
        statuses = Counter(a.status for a in attempts)
        late = [a for a in attempts if a.api == 0 and a.status and a.done > sigterm_at]
        print(
            f"attempts: {len(attempts)} {dict(statuses)}; booked {len(load.booked)}, "
            f"cancelled {len(load.cancelled)}; answers from A after SIGTERM: {len(late) + 1} "
            f"(with the held one); transport errors: "
            f"{dict(Counter(a.error.split('(')[0] for a in failed))}"
        )
        assert set(statuses) <= {200, 201, 409, None}, statuses
        for attempt in failed:
            assert attempt.api == 0 and attempt.done > sigterm_at, attempt
        handled_by_a = access_log(api_a)
        assert handled_by_a.get("held-in-flight") == 201
        lost = [a for a in failed if a.request_id in handled_by_a]
        assert not lost, f"A handled requests whose answers never reached the client: {lost}"
        assert any(a.api == 1 and a.sent > sigterm_at and a.status for a in attempts)

        # ---- every 2xx answer is in the database, whole ---------------------------------------
        booked = {i: (case, start, REVIEWER) for i, (case, start) in load.booked.items()}
        booked[held_booking] = (held_case, held_start, HELD_REVIEWER)
        assert_answers_are_in_the_database(pg_engine, booked, load.cancelled)

        # ---- the surviving worker alone delivers everything, exactly once ---------------------
        wait_for_empty_outbox(pg_engine, seconds=lease + 40)
        assert w2.process.poll() is None, w2.output()
        stop_workers(cluster)
        emails, outbox = assert_delivered_exactly_once(cluster)
        assert sum(emails.values()) == 2 * (len(booked) + len(load.cancelled))
        taken_over = sum(1 for row in outbox if row.attempts > 1)
        print(f"messages: {len(outbox)}; delivered by W2 after W1's lease lapsed: {taken_over}")
