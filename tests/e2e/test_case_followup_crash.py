"""Bookings follow their case across a crash (SPEC §14): SIGKILL the real server while the UM
system pushes case updates, then retry them.

Sixteen cases are booked, one call each. Sixteen ``PUT /v1/cases/{n}`` approving them are sent
at once and the server is killed with SIGKILL as soon as three answers arrive. Read from the
database itself: every case whose approval committed has its booking cancelled
(``case_resolved``) with its CANCEL e-mails in the outbox; every other case is as it was, with
its booking still scheduled. Never one without the other. After a restart, the UM system's
retry of every PUT leaves every booking cancelled, each with exactly one set of CANCELs.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from tests.api.helpers import case_body
from tests.e2e.server import Server, wait_until
from tests.e2e.test_abuse_idempotency import (
    ADMIN_KEY,
    BURST,
    REVIEWERS,
    post,
    requests_for,
    seed,
    serving,
    sigkill,
)
from tests.support import auth

pytestmark = pytest.mark.e2e

CASES = SQLModel.metadata.tables["cases"]
BOOKINGS = SQLModel.metadata.tables["bookings"]
BOOKING_CASES = SQLModel.metadata.tables["booking_cases"]
OUTBOX = SQLModel.metadata.tables["outbox"]


def approval() -> dict[str, object]:
    now = datetime.now(UTC)
    return case_body(
        status="approved",
        determination_at=now.isoformat(),
        received_at=(now - timedelta(hours=1)).isoformat(),
    )


def put(server: Server, number: str) -> httpx.Response:
    with httpx.Client(base_url=server.base_url, headers=auth(ADMIN_KEY), timeout=60) as admin:
        return admin.put(f"/v1/cases/{number}", json=approval())


def burst(server: Server, numbers: list[str]) -> tuple[list[threading.Thread], list[object]]:
    """One thread and connection per PUT, released at once; answers collect in the list."""
    barrier = threading.Barrier(len(numbers))
    answers: list[object] = []

    def run(number: str) -> None:
        barrier.wait(timeout=30)
        try:
            answers.append(put(server, number))
        except httpx.HTTPError as error:  # the killed server
            answers.append(error)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in numbers]
    for thread in threads:
        thread.start()
    return threads, answers


def state(engine: Engine) -> dict[str, tuple[str, str, str | None, int]]:
    """Case number → (case status, booking status, cancel reason, CANCEL e-mails written)."""
    cancels = (
        select(func.count())
        .where(OUTBOX.c.booking_id == BOOKINGS.c.id, OUTBOX.c.event_type == "booking.cancelled")
        .scalar_subquery()
    )
    query = (
        select(
            CASES.c.case_number,
            CASES.c.status,
            BOOKINGS.c.status,
            BOOKINGS.c.cancel_reason_code,
            cancels,
        )
        .join(BOOKING_CASES, BOOKING_CASES.c.case_number == CASES.c.case_number)
        .join(BOOKINGS, BOOKINGS.c.id == BOOKING_CASES.c.booking_id)
    )
    with engine.connect() as connection:
        return {row[0]: (row[1], row[2], row[3], int(row[4])) for row in connection.execute(query)}


FOLLOWED = ("approved", "cancelled", "case_resolved", 2)  # provider and reviewer CANCELs
AS_WAS = ("in_review", "scheduled", None, 0)


def test_sigkill_mid_case_updates_never_leaves_a_case_without_its_bookings(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path / "before") as server:
        cases = seed(server)
        for request in requests_for(server, cases, [REVIEWERS[0]] * BURST):
            assert post(server, request).status_code == 201
        threads, answers = burst(server, cases)
        wait_until(
            "three answers", lambda: sum(isinstance(a, httpx.Response) for a in answers) >= 3
        )
        sigkill(server)
        for thread in threads:
            thread.join(timeout=60)

    at_kill = state(engine)
    assert set(at_kill) == set(cases)
    assert set(at_kill.values()) <= {FOLLOWED, AS_WAS}, at_kill
    followed = sum(value == FOLLOWED for value in at_kill.values())
    assert followed >= 3

    with serving(database_url, tmp_path / "after") as server:
        for number in cases:
            assert put(server, number).status_code == 200
    assert set(state(engine).values()) == {FOLLOWED}
    print(f"SIGKILL mid case updates: {followed} of {BURST} followed at the kill, rest on retry")
