"""POST /v1/holds, POST /v1/bookings and GET /v1/bookings/{id} through the real app.

NOW is Monday 2026-11-23T15:00Z = 10:00 EST (minimum notice 2 h, horizon 30 days). The
default case is a commercial denial in PA three days before NOW: a reconsideration valid
until the end of 2026-12-04 in New York. The reviewer works 09:00–17:00 Mon–Fri in New York.
Every rejection must be problem+json and leave nothing behind: no booking, booking case,
history event, claimed cell, hold or idempotency record, and the slot still offered.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event, func, select
from sqlmodel import Session, SQLModel

from p2p_scheduler.db import tables as _tables  # noqa: F401  (registers the tables)
from p2p_scheduler.services import idempotency
from tests.api.helpers import (
    ADMIN,
    NEW_YORK,
    PORTAL,
    RECONSIDERATION_UNTIL,
    WRONG_DOB,
    assert_problem,
    availability_of,
    book,
    booking_body,
    contact_body,
    push_case,
    push_reviewer,
    slot_body,
    slot_starts,
)
from tests.support import NOW, REVIEWER_KEY, auth

pytestmark = pytest.mark.anyio

REVIEWER = "rev-ny"
TUESDAY_10 = "2026-11-24T10:00:00-05:00"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
WRITTEN_TABLES = (
    "bookings",
    "booking_cases",
    "booking_events",
    "slot_cells",
    "holds",
    "idempotency_keys",
)
BOOKING_FIELDS = {
    "id",
    "status",
    "start",
    "end",
    "time_zone",
    "sequence",
    "reviewer",
    "cases",
    "contact",
    "links",
}


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(
                select(func.count()).select_from(SQLModel.metadata.tables[name])
            ).scalar_one()
            for name in WRITTEN_TABLES
        }


NOTHING = dict.fromkeys(WRITTEN_TABLES, 0)


@pytest.fixture
async def seeded(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Cases B1–B6 (reconsideration, PA), a second one in appeal, and the reviewer."""
    for number in ("B1", "B2", "B3", "B4", "B5", "B6"):
        await push_case(client, number)
    await push_case(
        client, "AP1", appeal_filed_at="2026-11-22T10:00:00-05:00", determined_by="rev-orig"
    )
    await push_case(client, "APPR", status="approved")
    await push_reviewer(client, REVIEWER, name="Dr. Nora York", credentials="MD, FACS")
    await push_reviewer(client, "rev-nj", licensed_states=["NJ"])
    await push_reviewer(client, "rev-orig")
    return client


async def offered(client: httpx.AsyncClient, start: str, case: str = "B6") -> bool:
    """Whether availability still offers ``start`` with the reviewer (for an unbooked case)."""
    return start in slot_starts(await availability_of(client, case), REVIEWER)


def assert_booking(body: dict[str, Any]) -> None:
    assert set(body) >= BOOKING_FIELDS, body
    assert UUID.match(body["id"])
    assert set(body["reviewer"]) >= {"reviewer_id", "name", "credentials"}
    for case in body["cases"]:
        assert set(case) >= {"case_number", "level_of_review", "valid_until"}
    assert set(body["links"]) >= {"invite_ics", "manage"}
    prefix = f"http://testserver/v1/bookings/{body['id']}"
    assert body["links"]["invite_ics"].startswith(f"{prefix}/invite.ics?token="), body["links"]
    assert body["links"]["manage"].startswith(f"{prefix}?token="), body["links"]


# ---- a valid booking ---------------------------------------------------------------------------


async def test_a_valid_booking(seeded: httpx.AsyncClient, engine: Engine) -> None:
    client = seeded
    response = await book(
        client, "B1", REVIEWER, "2026-11-24T17:00:00Z", time_zone="America/Chicago"
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_booking(body)
    assert body["status"] == "scheduled"
    # given in UTC, answered in the requester's zone with its offset
    assert body["start"] == "2026-11-24T11:00:00-06:00"
    assert body["end"] == "2026-11-24T11:15:00-06:00"
    assert body["time_zone"] == "America/Chicago"
    assert body["sequence"] == 0
    assert body["duration_minutes"] == 15
    assert body["valid_until"] == RECONSIDERATION_UNTIL
    assert body["reviewer"] == {
        "reviewer_id": REVIEWER,
        "name": "Dr. Nora York",
        "credentials": "MD, FACS",
        "specialty": "",  # none given: disclosure is tested in test_reviewer_disclosure
        "npi": None,
        "licensed_states": body["reviewer"]["licensed_states"],
    }
    assert body["cases"] == [
        {
            "case_number": "B1",
            "level_of_review": "reconsideration",
            "valid_until": RECONSIDERATION_UNTIL,
            # the policy's wording, as the look-up gives it
            "level_of_review_label": "Reconsideration P2P",
        }
    ]
    assert body["contact"] == contact_body()
    assert body["created_at"] == "2026-11-23T15:00:00Z"

    fetched = await client.get(f"/v1/bookings/{body['id']}", headers=PORTAL)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == body
    by_reviewer = await client.get(f"/v1/bookings/{body['id']}", headers=auth(REVIEWER_KEY))
    assert by_reviewer.status_code == 200
    assert by_reviewer.json() == {**body, "links": {"invite_ics": None, "manage": None}}

    counts = row_counts(engine)
    assert counts["bookings"] == counts["booking_cases"] == counts["booking_events"] == 1
    assert counts["slot_cells"] == 1
    assert not await offered(client, "2026-11-24T12:00:00-05:00")
    assert await offered(client, "2026-11-24T12:15:00-05:00")


async def test_a_two_case_booking_lasts_thirty_minutes(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    client = seeded
    response = await book(client, ["B1", "AP1"], REVIEWER, TUESDAY_10)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["start"] == TUESDAY_10
    assert body["end"] == "2026-11-24T10:30:00-05:00"
    assert body["duration_minutes"] == 30
    assert body["time_zone"] == NEW_YORK
    assert [(c["case_number"], c["level_of_review"]) for c in body["cases"]] == [
        ("B1", "reconsideration"),
        ("AP1", "appeal"),
    ]
    assert [c["level_of_review_label"] for c in body["cases"]] == [
        "Reconsideration P2P",
        "Appeal P2P",
    ]
    assert body["cases"][1]["valid_until"] == "2026-12-23T04:59:59Z"
    assert body["valid_until"] == RECONSIDERATION_UNTIL  # the earliest of the cases
    assert row_counts(engine)["slot_cells"] == 2


# ---- conflicts ---------------------------------------------------------------------------------


async def test_the_same_slot_cannot_be_booked_twice(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    client = seeded
    first = await book(client, "B1", REVIEWER, TUESDAY_10)
    assert first.status_code == 201, first.text
    before = row_counts(engine)

    again = await book(client, "B2", REVIEWER, TUESDAY_10)
    body = assert_problem(again, 409, "slot-taken")
    assert "Pick another time" in body["detail"]
    # same instant written in another zone
    again_utc = await book(client, "B2", REVIEWER, "2026-11-24T15:00:00Z", time_zone="UTC")
    assert_problem(again_utc, 409, "slot-taken")
    assert row_counts(engine) == before


async def test_overlapping_bookings_are_refused_and_touching_ones_allowed(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    client = seeded
    first = await book(client, "B1", REVIEWER, TUESDAY_10)
    assert first.status_code == 201, first.text
    before = row_counts(engine)

    # 09:45–10:15 overlaps 10:00–10:15
    overlap = await book(client, ["B2", "B3"], REVIEWER, "2026-11-24T09:45:00-05:00")
    assert_problem(overlap, 409, "slot-taken")
    assert row_counts(engine) == before

    before_touching = await book(client, ["B2", "B3"], REVIEWER, "2026-11-24T09:30:00-05:00")
    assert before_touching.status_code == 201, before_touching.text
    after_touching = await book(client, "B4", REVIEWER, "2026-11-24T10:15:00-05:00")
    assert after_touching.status_code == 201, after_touching.text
    # a 30-minute booking starting in the middle of the 10:15 one
    inside = await book(client, ["B5", "B6"], REVIEWER, "2026-11-24T10:00:00-05:00")
    assert_problem(inside, 409, "slot-taken")


async def test_a_case_cannot_be_in_two_active_bookings(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    client = seeded
    first = await book(client, "B1", REVIEWER, TUESDAY_10)
    assert first.status_code == 201, first.text
    booking_id = first.json()["id"]
    before = row_counts(engine)

    again = await book(client, "B1", REVIEWER, "2026-11-24T11:00:00-05:00")
    body = assert_problem(again, 409, "case-already-booked")
    assert body["booking_id"] == booking_id
    assert booking_id in body["detail"]

    inside_a_pair = await book(client, ["B2", "B1"], REVIEWER, "2026-11-24T11:00:00-05:00")
    assert assert_problem(inside_a_pair, 409, "case-already-booked")["booking_id"] == booking_id
    assert row_counts(engine) == before
    assert await offered(client, "2026-11-24T11:00:00-05:00")


async def test_booking_outside_working_hours_is_refused(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    for start in (
        "2026-11-24T08:45:00-05:00",  # before 09:00
        "2026-11-24T17:00:00-05:00",  # the day ends at 17:00
        "2026-11-28T10:00:00-05:00",  # Saturday
    ):
        response = await book(seeded, "B1", REVIEWER, start)
        assert_problem(response, 409, "slot-taken")
    assert row_counts(engine) == NOTHING
    # the last quarter hour of the day ends exactly at 17:00
    last = await book(seeded, "B1", REVIEWER, "2026-11-24T16:45:00-05:00")
    assert last.status_code == 201, last.text


# ---- holds -------------------------------------------------------------------------------------


async def hold(client: httpx.AsyncClient, cases: str | list[str], start: str) -> dict[str, Any]:
    response = await client.post(
        "/v1/holds", json=slot_body(cases, REVIEWER, start), headers=PORTAL
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_booking_with_the_hold_consumes_it(seeded: httpx.AsyncClient, engine: Engine) -> None:
    client = seeded
    held = await hold(client, "B1", TUESDAY_10)
    assert row_counts(engine)["holds"] == 1

    booked = await book(client, "B1", REVIEWER, TUESDAY_10, hold_id=held["hold_id"])
    assert booked.status_code == 201, booked.text
    assert booked.json()["start"] == TUESDAY_10
    counts = row_counts(engine)
    assert counts["holds"] == 0
    assert counts["slot_cells"] == 1  # the booking's, not the hold's

    gone = await client.delete(f"/v1/holds/{held['hold_id']}", headers=PORTAL)
    assert_problem(gone, 404, "not-found")
    assert not await offered(client, TUESDAY_10)


async def test_a_held_slot_cannot_be_booked_without_its_hold(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    client = seeded
    held = await hold(client, "B1", TUESDAY_10)
    before = row_counts(engine)

    other = await book(client, "B2", REVIEWER, TUESDAY_10)
    body = assert_problem(other, 409, "slot-taken")
    assert "held" in body["detail"]
    own_without_hold = await book(client, "B1", REVIEWER, TUESDAY_10)
    assert_problem(own_without_hold, 409, "slot-taken")
    overlapping = await book(client, ["B2", "B3"], REVIEWER, "2026-11-24T09:45:00-05:00")
    assert_problem(overlapping, 409, "slot-taken")
    assert row_counts(engine) == before

    booked = await book(client, "B1", REVIEWER, TUESDAY_10, hold_id=held["hold_id"])
    assert booked.status_code == 201, booked.text


async def test_a_hold_only_books_its_own_slot(seeded: httpx.AsyncClient, engine: Engine) -> None:
    client = seeded
    held = await hold(client, "B1", TUESDAY_10)
    before = row_counts(engine)
    for body in (
        booking_body("B1", REVIEWER, "2026-11-24T11:00:00-05:00", hold_id=held["hold_id"]),
        booking_body("B2", REVIEWER, TUESDAY_10, hold_id=held["hold_id"]),
        booking_body("B1", REVIEWER, TUESDAY_10, hold_id=str(uuid.uuid4())),
    ):
        response = await client.post("/v1/bookings", json=body, headers=PORTAL)
        assert_problem(response, 422, "validation", fields={"hold_id"})
    assert row_counts(engine) == before


async def test_a_hold_id_of_the_wrong_length_is_named_hold_id(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    body = booking_body("B1", REVIEWER, TUESDAY_10, hold_id="not-a-hold")
    response = await seeded.post("/v1/bookings", json=body, headers=PORTAL)
    assert_problem(response, 422, "validation", fields={"hold_id"})
    assert row_counts(engine) == NOTHING


async def test_holds_refuse_what_bookings_refuse(seeded: httpx.AsyncClient, engine: Engine) -> None:
    client = seeded
    booked = await book(client, "B1", REVIEWER, TUESDAY_10)
    assert booked.status_code == 201, booked.text
    before = row_counts(engine)
    for body, status, kind in (
        (slot_body("B2", REVIEWER, TUESDAY_10), 409, "slot-taken"),
        (slot_body("B1", REVIEWER, "2026-11-24T11:00:00-05:00"), 409, "case-already-booked"),
        (slot_body("B2", "rev-nj", TUESDAY_10), 422, "not-qualified"),
        (slot_body("B2", REVIEWER, "2026-11-24T10:07:00-05:00"), 422, "validation"),
        (slot_body("APPR", REVIEWER, "2026-11-24T11:00:00-05:00"), 422, "not-eligible"),
    ):
        response = await client.post("/v1/holds", json=body, headers=PORTAL)
        assert_problem(response, status, kind)
    assert row_counts(engine) == before


async def test_hold_ids_in_the_path_are_checked(seeded: httpx.AsyncClient) -> None:
    missing = await seeded.delete(f"/v1/holds/{uuid.uuid4()}", headers=PORTAL)
    assert_problem(missing, 404, "not-found")
    malformed = await seeded.delete("/v1/holds/not-a-uuid", headers=PORTAL)
    assert malformed.status_code in (404, 422)


# ---- idempotency -------------------------------------------------------------------------------


async def test_a_retry_with_the_same_key_returns_the_first_result(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    client = seeded
    headers = {**PORTAL, "Idempotency-Key": "retry-0001"}
    body = booking_body("B1", REVIEWER, TUESDAY_10)
    first = await client.post("/v1/bookings", json=body, headers=headers)
    assert first.status_code == 201, first.text
    replay = await client.post("/v1/bookings", json=body, headers=headers)
    assert replay.status_code == 201
    assert replay.content == first.content
    assert replay.headers["content-type"] == "application/json"
    counts = row_counts(engine)
    assert counts["bookings"] == 1
    assert counts["idempotency_keys"] == 1

    changed = booking_body("B2", REVIEWER, "2026-11-24T11:00:00-05:00")
    reused = await client.post("/v1/bookings", json=changed, headers=headers)
    assert_problem(reused, 422, "idempotency-key-reused", fields={"Idempotency-Key"})
    assert row_counts(engine) == counts

    # keys belong to the API key that sent them: the admin's "retry-0001" is a new request
    other_key = await client.post(
        "/v1/bookings", json=body, headers={**ADMIN, "Idempotency-Key": "retry-0001"}
    )
    assert_problem(other_key, 409, "case-already-booked")


async def test_a_failed_attempt_frees_its_key(seeded: httpx.AsyncClient, engine: Engine) -> None:
    client = seeded
    taken = await book(client, "B1", REVIEWER, TUESDAY_10)
    assert taken.status_code == 201, taken.text
    headers = {**PORTAL, "Idempotency-Key": "retry-0002"}

    refused = await client.post(
        "/v1/bookings", json=booking_body("B2", REVIEWER, TUESDAY_10), headers=headers
    )
    assert_problem(refused, 409, "slot-taken")
    assert row_counts(engine)["idempotency_keys"] == 0

    fixed = booking_body("B2", REVIEWER, "2026-11-24T11:00:00-05:00")
    accepted = await client.post("/v1/bookings", json=fixed, headers=headers)
    assert accepted.status_code == 201, accepted.text
    replay = await client.post("/v1/bookings", json=fixed, headers=headers)
    assert replay.content == accepted.content


class SimulatedCrash(Exception):
    """Stands for the process dying at the point where a test raises it."""


@contextmanager
def crash_when(engine: Engine, statement: str, *, after_commit: bool) -> Iterator[list[str]]:
    """Raise ``SimulatedCrash`` once, in the transaction that runs a statement starting with
    ``statement``: right after it runs, or (``after_commit``) right after that transaction
    has committed. Yields the crashes raised."""
    crashes: list[str] = []
    armed: list[bool] = []

    def watch(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if not crashes and not armed and sql.lstrip().upper().startswith(statement):
            if not after_commit:
                crashes.append(sql)
                raise SimulatedCrash(sql)
            armed.append(True)

    def committed(session: Any) -> None:
        if armed and not crashes:
            crashes.append("commit")
            raise SimulatedCrash("after commit")

    event.listen(engine, "after_cursor_execute", watch)
    event.listen(Session, "after_commit", committed)
    try:
        yield crashes
    finally:
        event.remove(engine, "after_cursor_execute", watch)
        event.remove(Session, "after_commit", committed)


async def test_a_crash_after_the_booking_commits_still_replays_its_201(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    """SPEC §9 "Idempotency survives a crash": the process dies right after the booking's
    transaction commits; the retry gets the original 201, not a second booking attempt."""
    headers = {**PORTAL, "Idempotency-Key": "crash-0001"}
    body = booking_body("B1", REVIEWER, TUESDAY_10)
    with crash_when(engine, "INSERT INTO BOOKINGS ", after_commit=True) as crashes:
        lost = await seeded.post("/v1/bookings", json=body, headers=headers)
    assert crashes and lost.status_code == 500
    with engine.connect() as connection:
        [booking_id] = connection.execute(select(SQLModel.metadata.tables["bookings"].c.id))
    retry = await seeded.post("/v1/bookings", json=body, headers=headers)
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == booking_id[0]
    assert row_counts(engine)["bookings"] == 1


async def test_a_failure_inside_the_booking_transaction_leaves_neither_booking_nor_answer(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    headers = {**PORTAL, "Idempotency-Key": "crash-0002"}
    body = booking_body("B1", REVIEWER, TUESDAY_10)
    with crash_when(engine, "INSERT INTO BOOKING_EVENTS ", after_commit=False) as crashes:
        lost = await seeded.post("/v1/bookings", json=body, headers=headers)
    assert crashes and lost.status_code == 500
    assert row_counts(engine) == NOTHING
    retry = await seeded.post("/v1/bookings", json=body, headers=headers)
    assert retry.status_code == 201, retry.text
    assert row_counts(engine)["idempotency_keys"] == 1


async def test_the_answer_commits_in_the_booking_transaction(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    """The transaction that inserts the booking also stores the key's answer."""
    statements: list[str] = []
    transactions: list[list[str]] = []

    def watch(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        statements.append(sql.lstrip().upper())

    def commit(conn: Any) -> None:
        transactions.append(statements.copy())
        statements.clear()

    event.listen(engine, "after_cursor_execute", watch)
    event.listen(engine, "commit", commit)
    try:
        first = await seeded.post(
            "/v1/bookings",
            json=booking_body("B1", REVIEWER, TUESDAY_10),
            headers={**PORTAL, "Idempotency-Key": "atomic-0001"},
        )
    finally:
        event.remove(engine, "after_cursor_execute", watch)
        event.remove(engine, "commit", commit)
    assert first.status_code == 201, first.text
    [booking_tx] = [
        t for t in transactions if any(s.startswith("INSERT INTO BOOKINGS ") for s in t)
    ]
    assert any(s.startswith("UPDATE IDEMPOTENCY_KEYS SET") for s in booking_tx), booking_tx


async def test_an_attempt_that_died_in_flight_is_taken_over_at_once(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    """A key left in flight by a process that died before its booking committed does not
    make the retry wait (no 409 request-in-progress): nothing holds it, so the retry books."""
    probe = await seeded.post(
        "/v1/bookings",
        json=booking_body("B2", REVIEWER, "2026-11-24T11:00:00-05:00"),
        headers={**PORTAL, "Idempotency-Key": "probe-0001"},
    )
    assert probe.status_code == 201, probe.text
    keys = SQLModel.metadata.tables["idempotency_keys"]
    raw = json.dumps(booking_body("B1", REVIEWER, TUESDAY_10)).encode()
    with engine.begin() as connection:
        owner = connection.execute(select(keys.c.key_id)).scalar_one()
        connection.execute(
            keys.insert().values(
                key_id=owner,
                key="died-0001",
                request_hash=idempotency.fingerprint("POST", "/v1/bookings", raw),
                state="in_flight",
                created_at=NOW,
            )
        )
    retry = await seeded.post(
        "/v1/bookings",
        content=raw,
        headers={**PORTAL, "Idempotency-Key": "died-0001", "Content-Type": "application/json"},
    )
    assert retry.status_code == 201, retry.text
    replay = await seeded.post(
        "/v1/bookings",
        content=raw,
        headers={**PORTAL, "Idempotency-Key": "died-0001", "Content-Type": "application/json"},
    )
    assert replay.content == retry.content


async def test_an_idempotency_key_is_at_most_200_characters(seeded: httpx.AsyncClient) -> None:
    response = await seeded.post(
        "/v1/bookings",
        json=booking_body("B1", REVIEWER, TUESDAY_10),
        headers={**PORTAL, "Idempotency-Key": "k" * 201},
    )
    assert_problem(response, 422, "validation")


# ---- every kind of bad input: a problem, nothing written ---------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _parent(body: dict[str, Any], path: str) -> tuple[Any, Any]:
    """The container holding ``path`` ("contact.phone", "cases.0.member_dob") and its key."""
    *parents, last = path.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    return target, int(last) if last.isdigit() else last


def _set(path: str, value: Any) -> Mutation:
    def mutate(body: dict[str, Any]) -> None:
        target, key = _parent(body, path)
        target[key] = value

    return mutate


def _drop(*paths: str) -> Mutation:
    def mutate(body: dict[str, Any]) -> None:
        for path in paths:
            target, key = _parent(body, path)
            del target[key]

    return mutate


def _update(**values: Any) -> Mutation:
    def mutate(body: dict[str, Any]) -> None:
        body.update(values)

    return mutate


BAD_INPUTS: list[Any] = [
    # (id, mutation, status, kind, fields)
    ("missing-reviewer", _drop("reviewer_id"), 422, "validation", {"reviewer_id"}),
    ("missing-start", _drop("start"), 422, "validation", {"start"}),
    ("missing-cases", _drop("cases"), 422, "validation", {"cases"}),
    ("missing-zone", _drop("time_zone"), 422, "validation", {"time_zone"}),
    ("missing-contact", _drop("contact"), 422, "validation", {"contact"}),
    (
        "missing-contact-fields",
        _drop("contact.phone", "contact.email", "contact.provider_name"),
        422,
        "validation",
        {"contact.phone", "contact.email", "contact.provider_name"},
    ),
    ("missing-dob", _drop("cases.0.member_dob"), 422, "validation", {"cases[0].member_dob"}),
    ("no-cases", _set("cases", []), 422, "validation", {"cases"}),
    ("cases-not-a-list", _set("cases", "B1"), 422, "validation", {"cases"}),
    ("reviewer-not-a-string", _set("reviewer_id", 42), 422, "validation", {"reviewer_id"}),
    ("start-not-a-time", _set("start", "tomorrow at ten"), 422, "validation", {"start"}),
    ("start-boolean", _set("start", True), 422, "validation", {"start"}),
    ("start-without-offset", _set("start", "2026-11-24T10:00:00"), 422, "validation", {"start"}),
    ("contact-not-an-object", _set("contact", "call me"), 422, "validation", {"contact"}),
    ("phone-a-number", _set("contact.phone", 5555550100), 422, "validation", {"contact.phone"}),
    ("dob-not-a-date", _set("cases.0.member_dob", "17/05/1970"), 422, "validation", None),
    ("unknown-field", _set("room", "4B"), 422, "validation", {"room"}),
    ("unknown-contact-field", _set("contact.fax", "555"), 422, "validation", {"contact.fax"}),
    (
        "unknown-reviewer",
        _set("reviewer_id", "rev-nobody"),
        422,
        "validation",
        {"reviewer_id"},
    ),
    ("bad-reviewer-id", _set("reviewer_id", "../etc"), 422, "validation", {"reviewer_id"}),
    ("not-qualified", _set("reviewer_id", "rev-nj"), 422, "not-qualified", {"reviewer_id"}),
    (
        "appeal-determining-reviewer",
        _update(cases=[{"case_number": "AP1", "member_dob": "1970-05-17"}], reviewer_id="rev-orig"),
        422,
        "not-qualified",
        {"reviewer_id"},
    ),
    ("off-grid", _set("start", "2026-11-24T10:07:00-05:00"), 422, "validation", {"start"}),
    ("seconds", _set("start", "2026-11-24T10:00:30-05:00"), 422, "validation", {"start"}),
    ("in-the-past", _set("start", "2026-11-23T09:00:00-05:00"), 422, "validation", {"start"}),
    ("right-now", _set("start", "2026-11-23T10:00:00-05:00"), 422, "validation", {"start"}),
    (
        "inside-minimum-notice",
        _set("start", "2026-11-23T11:45:00-05:00"),
        422,
        "validation",
        {"start"},
    ),
    (
        "after-valid-until",
        _set("start", "2026-12-07T10:00:00-05:00"),
        422,
        "validation",
        {"start"},
    ),
    (
        "ends-after-valid-until",
        _set("start", "2026-12-04T23:45:00-05:00"),
        422,
        "validation",
        {"start"},
    ),
    ("non-iana-zone", _set("time_zone", "Eastern Time"), 422, "validation", {"time_zone"}),
    ("offset-as-zone", _set("time_zone", "-05:00"), 422, "validation", {"time_zone"}),
    (
        "unknown-case",
        _set("cases", [{"case_number": "B999", "member_dob": "1970-05-17"}]),
        422,
        "validation",
        {"cases[0]"},
    ),
    (
        "wrong-dob",
        _set("cases", [{"case_number": "B1", "member_dob": WRONG_DOB}]),
        422,
        "validation",
        {"cases[0]"},
    ),
    (
        "second-case-unknown",
        _set(
            "cases",
            [
                {"case_number": "B1", "member_dob": "1970-05-17"},
                {"case_number": "B999", "member_dob": "1970-05-17"},
            ],
        ),
        422,
        "validation",
        {"cases[1]"},
    ),
    (
        "case-twice",
        _set("cases", [{"case_number": "B1", "member_dob": "1970-05-17"}] * 2),
        422,
        "validation",
        {"cases"},
    ),
    (
        "not-eligible",
        _set("cases", [{"case_number": "APPR", "member_dob": "1970-05-17"}]),
        422,
        "not-eligible",
        None,
    ),
    ("short-phone", _set("contact.phone", "555"), 422, "validation", {"contact.phone"}),
    ("letters-phone", _set("contact.phone", "555-CALL-NOW"), 422, "validation", {"contact.phone"}),
    ("bad-alt-phone", _set("contact.alt_phone", "12"), 422, "validation", {"contact.alt_phone"}),
    ("ext-letters", _set("contact.phone_ext", "12a"), 422, "validation", {"contact.phone_ext"}),
    (
        "ext-too-long",
        _set("contact.phone_ext", "123456789"),
        422,
        "validation",
        {"contact.phone_ext"},
    ),
    (
        "alt-ext-letters",
        _set("contact.alt_phone_ext", "x9"),
        422,
        "validation",
        {"contact.alt_phone_ext"},
    ),
    ("bad-email", _set("contact.email", "olive-at-clinic"), 422, "validation", {"contact.email"}),
    (
        "email-no-domain",
        _set("contact.email", "olive@clinic"),
        422,
        "validation",
        {"contact.email"},
    ),
    (
        "office-staff-holds-the-call",
        _set("contact.provider_role", "office_staff"),
        422,
        "validation",
        {"contact.provider_role"},
    ),
    (
        "empty-provider-name",
        _set("contact.provider_name", "  "),
        422,
        "validation",
        {"contact.provider_name"},
    ),
    (
        "control-characters",
        _set("contact.instructions", "call\x00me"),
        422,
        "validation",
        {"contact.instructions"},
    ),
    ("hold-id-too-long", _set("hold_id", "x" * 40), 422, "validation", {"hold_id"}),
    ("hold-id-unknown", _set("hold_id", str(uuid.UUID(int=7))), 422, "validation", {"hold_id"}),
]


@pytest.mark.parametrize(
    ("mutate", "status", "kind", "fields"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS],
)
async def test_bad_input_is_refused_and_nothing_is_written(
    seeded: httpx.AsyncClient,
    engine: Engine,
    mutate: Mutation,
    status: int,
    kind: str,
    fields: set[str] | None,
) -> None:
    client = seeded
    body = booking_body("B1", REVIEWER, TUESDAY_10)
    mutate(body)
    for headers in (PORTAL, {**PORTAL, "Idempotency-Key": "bad-input-0001"}):
        response = await client.post("/v1/bookings", json=body, headers=headers)
        assert_problem(response, status, kind, fields=fields)
        assert row_counts(engine) == NOTHING
    assert await offered(client, TUESDAY_10)

    valid = await client.post(
        "/v1/bookings",
        json=booking_body("B1", REVIEWER, TUESDAY_10),
        headers={**PORTAL, "Idempotency-Key": "bad-input-0001"},
    )
    assert valid.status_code == 201, valid.text


@pytest.mark.parametrize(
    "raw",
    [b'{"cases": [', b"", b"[]", b"null", b'"booking"', b"\xff\xfe{}"],
    ids=["truncated", "empty", "array", "null", "string", "not-utf8"],
)
async def test_malformed_json_is_refused_and_nothing_is_written(
    seeded: httpx.AsyncClient, engine: Engine, raw: bytes
) -> None:
    response = await seeded.post(
        "/v1/bookings",
        content=raw,
        headers={**PORTAL, "Content-Type": "application/json"},
    )
    assert_problem(response, 422, "validation")
    assert row_counts(engine) == NOTHING
    valid = await book(seeded, "B1", REVIEWER, TUESDAY_10)
    assert valid.status_code == 201, valid.text


async def test_a_body_that_is_not_json_is_refused(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    response = await seeded.post(
        "/v1/bookings",
        content=b"cases=B1",
        headers={**PORTAL, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_problem(response, 415, "unsupported-media-type")
    assert row_counts(engine) == NOTHING


async def test_beyond_the_horizon_is_refused(seeded: httpx.AsyncClient, engine: Engine) -> None:
    client = seeded
    await push_case(
        client,
        "P1",
        status="pending_info",
        determination_at=None,
        received_at="2026-11-20T09:00:00-05:00",
    )
    # NOW + 30 days = Wed 2026-12-23 10:00 EST
    late = await book(client, "P1", REVIEWER, "2026-12-23T12:00:00-05:00")
    assert_problem(late, 422, "validation", fields={"start"})
    assert row_counts(engine) == NOTHING
    in_reach = await book(client, "P1", REVIEWER, "2026-12-23T09:45:00-05:00")
    assert in_reach.status_code == 201, in_reach.text


async def test_the_horizon_means_the_same_to_availability_and_booking(
    seeded: httpx.AsyncClient, engine: Engine
) -> None:
    client = seeded
    await push_case(
        client,
        "P1",
        status="pending_info",
        determination_at=None,
        received_at="2026-11-20T09:00:00-05:00",
    )
    boundary = "2026-12-23T10:00:00-05:00"  # starts at NOW + 30 days, ends 15 minutes after
    found = await availability_of(client, "P1", week_start="2026-12-21")
    assert boundary not in slot_starts(found, REVIEWER)
    response = await book(client, "P1", REVIEWER, boundary)
    assert_problem(response, 422, "validation", fields={"start"})


# ---- who may book, and reading bookings --------------------------------------------------------


async def test_booking_needs_a_portal_key(seeded: httpx.AsyncClient, engine: Engine) -> None:
    body = booking_body("B1", REVIEWER, TUESDAY_10)
    anonymous = await seeded.post("/v1/bookings", json=body)
    assert_problem(anonymous, 401, "unauthorized")
    wrong_key = await seeded.post("/v1/bookings", json=body, headers=auth("not-a-key"))
    assert_problem(wrong_key, 401, "unauthorized")
    reviewer = await seeded.post("/v1/bookings", json=body, headers=auth(REVIEWER_KEY))
    assert_problem(reviewer, 403, "forbidden")
    reviewer_hold = await seeded.post(
        "/v1/holds", json=slot_body("B1", REVIEWER, TUESDAY_10), headers=auth(REVIEWER_KEY)
    )
    assert_problem(reviewer_hold, 403, "forbidden")
    assert row_counts(engine) == NOTHING


async def test_reading_an_unknown_booking(seeded: httpx.AsyncClient) -> None:
    missing = await seeded.get(f"/v1/bookings/{uuid.uuid4()}", headers=PORTAL)
    assert_problem(missing, 404, "not-found")
    malformed = await seeded.get("/v1/bookings/B1", headers=PORTAL)
    assert malformed.status_code in (404, 422)
    anonymous = await seeded.get(f"/v1/bookings/{uuid.uuid4()}")
    assert_problem(anonymous, 401, "unauthorized")
