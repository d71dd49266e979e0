"""No double booking, ever (SPEC §4): concurrent POST /v1/bookings against the real server.

The real ``p2p-scheduler serve`` runs on SQLite and on PostgreSQL with the real clock. A
reviewer working 08:00–20:00 every day in New York and pre-decision cases held three weeks
are seeded over HTTP; a slot at least three hours ahead is taken from a real availability
answer; then 16 threads, each with its own connection, book at once. What committed is
read back from the database itself, not from the API.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from p2p_scheduler.db import tables as _tables  # noqa: F401  (registers the tables)
from tests.api.helpers import (
    ALL_DAYS,
    ALL_HOURS,
    NEW_YORK,
    PROBLEM_BASE,
    PROBLEM_MEDIA_TYPE,
    availability_body,
    booking_body,
    case_body,
    reviewer_body,
    weekly,
)
from tests.e2e.server import Server, cli_env, start_server, stop
from tests.support import auth

pytestmark = pytest.mark.e2e

ADMIN_KEY = "race-admin-key-0001"
PORTAL_KEY = "race-portal-key-0001"
REVIEWER = "rev-race"
THREADS = 16
GRID = timedelta(minutes=15)
BOOKINGS = SQLModel.metadata.tables["bookings"]
SLOT_CELLS = SQLModel.metadata.tables["slot_cells"]


@pytest.fixture(params=[1, 2], ids=["one-process", "two-processes"])
def server(
    engine: Engine, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """The real server on the test database (``engine`` migrated and emptied it first), as
    one process and as two (``serve --workers 2``: the guarantees are the database's)."""
    env = cli_env(
        P2P_DATABASE_URL=database_url,
        P2P_API_KEYS=f"admin:{ADMIN_KEY},portal:{PORTAL_KEY}",
        P2P_SECRET_KEY="race-secret-key-0123456789",
        P2P_LOG_LEVEL="warning",
    )
    running = start_server(tmp_path, env, "--workers", str(request.param))
    try:
        yield running
    finally:
        stop(running.process)
        print(f"--- server log ({running.log}) ---\n{running.output()}")  # shown on failure


def seed(server: Server, count: int) -> list[str]:
    """The reviewer and ``count`` pre-decision cases, valid for three weeks from now."""
    now = datetime.now(UTC)
    with httpx.Client(base_url=server.base_url, headers=auth(ADMIN_KEY), timeout=30) as admin:
        reviewer = reviewer_body(
            name="Dr. Rae Race",
            time_zone=NEW_YORK,
            skills={"msk_spine": 1},
            licensed_states=["PA"],
            working_hours=weekly("08:00", "20:00", ALL_DAYS),
            max_consults_per_day=96,
        )
        response = admin.put(f"/v1/reviewers/{REVIEWER}", json=reviewer)
        assert response.status_code == 201, response.text
        numbers = [f"R{index:03d}" for index in range(count)]
        for number in numbers:
            body = case_body(
                status="in_review",
                determination_at=None,
                received_at=(now - timedelta(hours=1)).isoformat(),
                hold_due_at=(now + timedelta(days=21)).isoformat(),
            )
            response = admin.put(f"/v1/cases/{number}", json=body)
            assert response.status_code == 201, response.text
    return numbers


def offered_starts(server: Server, cases: list[str]) -> list[datetime]:
    """Every start availability offers for ``cases`` this week and next (UTC, ascending)."""
    starts: list[datetime] = []
    week_start: str | None = None
    with httpx.Client(base_url=server.base_url, headers=auth(PORTAL_KEY), timeout=30) as portal:
        for _ in range(2):
            body = availability_body(*cases, days=ALL_DAYS, hours=ALL_HOURS, week_start=week_start)
            response = portal.post("/v1/availability", json=body)
            assert response.status_code == 200, response.text
            found = response.json()
            for tier in found["tiers"]:
                for reviewer in tier["reviewers"]:
                    if reviewer["reviewer_id"] == REVIEWER:
                        starts += [
                            datetime.fromisoformat(slot["start"])
                            for day in reviewer["days"]
                            for slot in day["slots"]
                        ]
            week_start = found["next_week_start"]
    return sorted(start.astimezone(UTC) for start in starts)


def fire(
    server: Server,
    bodies: list[dict[str, Any]],
    *,
    server_for: Callable[[int], Server] | None = None,
) -> list[httpx.Response]:
    """POST every body at once, one thread and one connection each (body ``i`` to
    ``server_for(i)`` when given, else all to ``server``)."""
    barrier = threading.Barrier(len(bodies))
    results: list[httpx.Response | BaseException | None] = [None] * len(bodies)

    def run(index: int) -> None:
        target = server_for(index) if server_for else server
        with httpx.Client(base_url=target.base_url, headers=auth(PORTAL_KEY), timeout=60) as portal:
            portal.get("/health")  # connect before the barrier, so the POSTs really race
            barrier.wait(timeout=30)
            try:
                results[index] = portal.post("/v1/bookings", json=bodies[index])
            except BaseException as error:  # reported below, with the others
                results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a booking request hung"
    failures = [r for r in results if not isinstance(r, httpx.Response)]
    assert not failures, failures
    return [r for r in results if isinstance(r, httpx.Response)]


def assert_slot_taken(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["type"] == PROBLEM_BASE + "slot-taken", response.text


def scheduled_rows(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(BOOKINGS.c.id, BOOKINGS.c.start_at, BOOKINGS.c.end_at)
                .where(BOOKINGS.c.reviewer_id == REVIEWER, BOOKINGS.c.status == "scheduled")
                .order_by(BOOKINGS.c.start_at)
            )
        )


def utc(value: datetime) -> datetime:
    """Database datetimes as aware UTC (SQLite hands back whatever the type decorator gives)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def test_sixteen_requests_for_one_slot_book_it_once(server: Server, engine: Engine) -> None:
    cases = seed(server, THREADS)
    earliest = datetime.now(UTC) + timedelta(hours=3)
    start = next(s for s in offered_starts(server, cases[:1]) if s >= earliest)
    assert start.minute % 15 == 0 and start.second == 0
    local_start = start.astimezone(ZoneInfo(NEW_YORK)).isoformat()

    responses = fire(server, [booking_body(case, REVIEWER, local_start) for case in cases])

    won = [r for r in responses if r.status_code == 201]
    assert len(won) == 1, [(r.status_code, r.text) for r in responses]
    assert won[0].json()["start"] == local_start
    lost = [r for r in responses if r.status_code != 201]
    assert len(lost) == THREADS - 1
    for response in lost:
        assert_slot_taken(response)

    with engine.connect() as connection:
        at_that_time = connection.execute(
            select(BOOKINGS.c.id).where(
                BOOKINGS.c.reviewer_id == REVIEWER,
                BOOKINGS.c.status == "scheduled",
                BOOKINGS.c.start_at == start,
            )
        ).all()
        cells = connection.execute(
            select(SLOT_CELLS.c.booking_id).where(SLOT_CELLS.c.reviewer_id == REVIEWER)
        ).all()
        every_booking = connection.execute(select(BOOKINGS.c.id)).all()
    assert [row.id for row in at_that_time] == [won[0].json()["id"]]
    assert [row.booking_id for row in cells] == [won[0].json()["id"]]
    assert len(every_booking) == 1, "a losing request left a booking behind"


def test_sixteen_staggered_thirty_minute_requests_never_overlap(
    server: Server, engine: Engine
) -> None:
    cases = seed(server, 2 * THREADS)
    pairs = [cases[2 * i : 2 * i + 2] for i in range(THREADS)]
    earliest = datetime.now(UTC) + timedelta(hours=3)
    offered = set(offered_starts(server, pairs[0]))
    first = next(
        s
        for s in sorted(offered)
        if s >= earliest and all(s + k * GRID in offered for k in range(THREADS))
    )
    starts = [first + k * GRID for k in range(THREADS)]  # each 30 minutes: neighbours overlap
    bodies = [
        booking_body(pair, REVIEWER, start.astimezone(ZoneInfo(NEW_YORK)).isoformat())
        for pair, start in zip(pairs, starts, strict=True)
    ]

    responses = fire(server, bodies)

    won = [r.json() for r in responses if r.status_code == 201]
    for response in responses:
        if response.status_code != 201:
            assert_slot_taken(response)
    assert 1 <= len(won) <= THREADS // 2, [(r.status_code, r.text) for r in responses]

    rows = scheduled_rows(engine)
    assert sorted(row.id for row in rows) == sorted(booking["id"] for booking in won)
    spans = [(utc(row.start_at), utc(row.end_at)) for row in rows]
    for start, end in spans:
        assert end - start == timedelta(minutes=30)
        assert start in starts
    for (_, end), (next_start, _) in pairwise(spans):
        assert end <= next_start, f"overlapping bookings committed: {spans}"
    # a maximal set: every losing start overlaps a winner
    for start in starts:
        assert any(s < start + 2 * GRID and start < e for s, e in spans), start
    with engine.connect() as connection:
        cells = connection.execute(
            select(SLOT_CELLS.c.cell_at, SLOT_CELLS.c.booking_id).where(
                SLOT_CELLS.c.reviewer_id == REVIEWER
            )
        ).all()
    assert len(cells) == 2 * len(rows)
    assert {row.booking_id for row in cells} == {row.id for row in rows}


def test_sixteen_requests_on_a_one_a_day_reviewer_book_one(server: Server, engine: Engine) -> None:
    """The daily cap is a hard limit too (SPEC §3, §6), also for requests that do not overlap."""
    cases = seed(server, THREADS)
    with httpx.Client(base_url=server.base_url, headers=auth(ADMIN_KEY), timeout=30) as admin:
        capped = reviewer_body(
            name="Dr. Rae Race",
            time_zone=NEW_YORK,
            skills={"msk_spine": 1},
            licensed_states=["PA"],
            working_hours=weekly("08:00", "20:00", ALL_DAYS),
            max_consults_per_day=1,
        )
        assert admin.put(f"/v1/reviewers/{REVIEWER}", json=capped).status_code == 200
    earliest = datetime.now(UTC) + timedelta(hours=3)
    offered = set(offered_starts(server, cases[:1]))
    step = 2 * GRID  # 16 separate quarter hours, half an hour apart, all on one working day
    first = next(
        s
        for s in sorted(offered)
        if s >= earliest and all(s + k * step in offered for k in range(THREADS))
    )
    bodies = [
        booking_body(case, REVIEWER, (first + k * step).astimezone(ZoneInfo(NEW_YORK)).isoformat())
        for k, case in enumerate(cases)
    ]

    responses = fire(server, bodies)

    assert [r.status_code for r in responses].count(201) == 1, [r.status_code for r in responses]
    for response in responses:
        if response.status_code != 201:
            assert_slot_taken(response)
    assert len(scheduled_rows(engine)) == 1
