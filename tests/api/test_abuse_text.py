"""Abuse run 2026-12-04, findings 1 and 2 (issue 16; SPEC §9 "Text is text", "Errors never
echo data"), on both databases.

NUL in a free-text field, a query value or a cursor once answered 500 on PostgreSQL (SQLite
stored it) and the 500 logged the statement's parameters; C1 controls and U+2028/U+2029 were
stored and written raw into invites; ``time_zone: "localtime"`` reached invites as
``TZID:localtime``. Now every one is a 422 naming the field, nothing is written, and a
database error never carries the request's values.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine, func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from api.app import create_app
from p2p_scheduler.config import Settings
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import AuditRow, BookingRow, HoldRow, TimeOffRow
from tests.api.helpers import (
    ADMIN,
    PORTAL,
    REVIEWER,
    assert_problem,
    availability_body,
    booked,
    booking_body,
    booking_of,
    case_body,
    contact_body,
    ny,
    push_case,
    push_reviewer,
    reviewer_body,
    slot_body,
)
from tests.support import OPS_KEY, auth

pytestmark = pytest.mark.anyio

OPS = auth(OPS_KEY)
TUE = "2026-11-24"
START = ny(TUE, "10:00")
#: NUL (PostgreSQL cannot store it), a C1 control (NEL), the line separator and a C0 (BEL)
BAD = {"nul": "\x00", "c1": "\x85", "u2028": "\u2028", "c0": "\x07"}
bad_chars = pytest.mark.parametrize("char", list(BAD.values()), ids=list(BAD))


def _count(engine: Engine, table: Any) -> int:
    with transaction(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


async def _booking(client: httpx.AsyncClient) -> dict[str, Any]:
    await push_case(client, "T-1")
    await push_reviewer(client, "rev-t")
    return await booked(client, "T-1", "rev-t", START)


# ---- request bodies ---------------------------------------------------------------------


@bad_chars
@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        ("cancel", {"reason_code": "other", "reason_text": "Clinic closed{c}today"}, PORTAL),
        ("complete", {"outcome": "upheld", "notes": "Discussed{c}imaging"}, REVIEWER),
        ("no-show", {"party": "provider", "notes": "Rang{c}twice"}, REVIEWER),
    ],
    ids=["cancel-reason_text", "complete-notes", "no-show-notes"],
)
async def test_control_characters_in_booking_notes_are_422_and_change_nothing(
    client: httpx.AsyncClient,
    engine: Engine,
    char: str,
    path: str,
    body: dict[str, str],
    headers: dict[str, str],
) -> None:
    booking = await _booking(client)
    events_before = _count(engine, AuditRow)
    sent = {key: value.replace("{c}", char) for key, value in body.items()}
    name = next(key for key in sent if key in ("reason_text", "notes"))
    response = await client.post(f"/v1/bookings/{booking['id']}/{path}", json=sent, headers=headers)
    assert_problem(response, 422, "validation", fields={name})
    assert (await booking_of(client, booking["id"]))["status"] == "scheduled"
    assert _count(engine, AuditRow) == events_before


@bad_chars
async def test_control_characters_in_a_time_off_reason_are_422_and_store_nothing(
    client: httpx.AsyncClient, engine: Engine, char: str
) -> None:
    await push_reviewer(client, "rev-t")
    response = await client.post(
        "/v1/reviewers/rev-t/time-off",
        json={"start": ny(TUE, "09:00"), "end": ny(TUE, "12:00"), "reason": f"Con{char}ference"},
        headers=ADMIN,
    )
    assert_problem(response, 422, "validation", fields={"reason"})
    assert _count(engine, TimeOffRow) == 0


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"], ids=["c1-nel", "u2028", "u2029"])
@pytest.mark.parametrize("where", ["end", "start"])
async def test_a_separator_at_either_end_is_refused_not_trimmed(
    client: httpx.AsyncClient, engine: Engine, char: str, where: str
) -> None:
    """Python counts NEL and the Unicode separators as white space, so stripping the value
    before checking it used to drop them quietly (found by re-running the attack: a time-off
    ``reason`` of "x\x85" was stored as "x"); the check sees the text as sent."""
    await push_reviewer(client, "rev-t")
    reason = f"Conference{char}" if where == "end" else f"{char}Conference"
    response = await client.post(
        "/v1/reviewers/rev-t/time-off",
        json={"start": ny(TUE, "09:00"), "end": ny(TUE, "12:00"), "reason": reason},
        headers=ADMIN,
    )
    assert_problem(response, 422, "validation", fields={"reason"})
    assert _count(engine, TimeOffRow) == 0
    body = booking_body("T-1", "rev-t", START, instructions=f"Ask for Dr. Orderly{char}")
    await push_case(client, "T-1")
    refused = await client.post("/v1/bookings", json=body, headers=PORTAL)
    assert_problem(refused, 422, "validation", fields={"contact.instructions"})


@bad_chars
@pytest.mark.parametrize(
    "field",
    ["instructions", "contact_name", "contact_location", "provider_name", "provider_role"],
)
async def test_control_characters_in_a_booking_contact_are_422_and_book_nothing(
    client: httpx.AsyncClient, engine: Engine, char: str, field: str
) -> None:
    await push_case(client, "T-1")
    await push_reviewer(client, "rev-t")
    value = contact_body()[field]
    body = booking_body("T-1", "rev-t", START, **{field: value[:3] + char + value[3:]})
    response = await client.post("/v1/bookings", json=body, headers=PORTAL)
    assert_problem(response, 422, "validation", fields={f"contact.{field}"})
    assert _count(engine, BookingRow) == 0


@bad_chars
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"member": {"name": "Jane{c}Roe"}}, "member.name"),
        ({"member": {"member_id": "M{c}1"}}, "member.member_id"),
        ({"member": {"health_plan": "Acme{c}Health"}}, "member.health_plan"),
        ({"case_type": "MSK{c}Spine"}, "case_type"),
    ],
    ids=["member-name", "member-id", "health-plan", "case-type"],
)
async def test_control_characters_in_a_case_snapshot_are_422_and_store_nothing(
    client: httpx.AsyncClient, char: str, overrides: dict[str, Any], field: str
) -> None:
    if "member" in overrides:
        sent = {"member": {k: v.replace("{c}", char) for k, v in overrides["member"].items()}}
    else:
        sent = {k: v.replace("{c}", char) for k, v in overrides.items()}
    response = await client.put("/v1/cases/T-9", json=case_body(**sent), headers=ADMIN)
    assert_problem(response, 422, "validation", fields={field})
    assert_problem(await client.get("/v1/cases/T-9", headers=ADMIN), 404, "not-found")


@bad_chars
@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Dr. Ada{c}Reviewer"), ("credentials", "M{c}D"), ("email", "ada{c}@example.org")],
)
async def test_control_characters_in_a_reviewer_profile_are_422_and_store_nothing(
    client: httpx.AsyncClient, char: str, field: str, value: str
) -> None:
    body = reviewer_body(**{field: value.replace("{c}", char)})
    response = await client.put("/v1/reviewers/rev-9", json=body, headers=ADMIN)
    assert_problem(response, 422, "validation", fields={field})
    assert_problem(await client.get("/v1/reviewers/rev-9", headers=ADMIN), 404, "not-found")


@pytest.mark.parametrize("char", ["\r", "\x0b", "\x0c", "\x7f"], ids=["cr", "vt", "ff", "del"])
async def test_multi_line_fields_take_only_tab_and_line_feed(
    client: httpx.AsyncClient, engine: Engine, char: str
) -> None:
    await push_case(client, "T-1")
    await push_reviewer(client, "rev-t")
    body = booking_body("T-1", "rev-t", START, instructions=f"Line one{char}Line two")
    response = await client.post("/v1/bookings", json=body, headers=PORTAL)
    assert_problem(response, 422, "validation", fields={"contact.instructions"})
    assert _count(engine, BookingRow) == 0


async def test_tabs_and_line_feeds_stay_allowed_in_multi_line_fields(
    client_at_clock: httpx.AsyncClient, clock: Any
) -> None:
    client = client_at_clock
    await push_case(client, "T-1")
    await push_case(client, "T-2")
    await push_reviewer(client, "rev-t")
    instructions = "Ask for Dr. Orderly\n\tthen the front desk"
    first = await booked(client, "T-1", "rev-t", START, instructions=instructions)
    assert first["contact"]["instructions"] == instructions
    second = await booked(client, "T-2", "rev-t", ny(TUE, "11:00"))

    reason = "Clinic closed\n\tall day"
    cancelled = await client.post(
        f"/v1/bookings/{first['id']}/cancel",
        json={"reason_code": "other", "reason_text": reason},
        headers=PORTAL,
    )
    assert cancelled.status_code == 200, cancelled.text

    clock.advance(days=1, hours=1)  # Tuesday 11:00 New York: the second call has started
    notes = "Discussed imaging\n\t- upheld"
    done = await client.post(
        f"/v1/bookings/{second['id']}/complete",
        json={"outcome": "upheld", "notes": notes},
        headers=REVIEWER,
    )
    assert done.status_code == 200, done.text


# ---- query strings, path parameters and cursors ----------------------------------------


@bad_chars
@pytest.mark.parametrize(
    ("path", "params", "field", "headers"),
    [
        ("/v1/bookings", {"provider_email": "a{c}@example.org"}, "provider_email", PORTAL),
        ("/v1/bookings", {"cursor": "abc{c}def"}, "cursor", PORTAL),
        ("/v1/audit", {"actor_id": "portal{c}1"}, "actor_id", OPS),
        ("/v1/audit", {"cursor": "1{c}2"}, "cursor", OPS),
        ("/v1/bookings/{booking_id}/history", {"cursor": "1{c}"}, "cursor", PORTAL),
    ],
    ids=["provider_email", "bookings-cursor", "actor_id", "audit-cursor", "history-cursor"],
)
async def test_control_characters_in_a_query_are_422_naming_the_parameter(
    client: httpx.AsyncClient,
    char: str,
    path: str,
    params: dict[str, str],
    field: str,
    headers: dict[str, str],
) -> None:
    booking = await _booking(client)
    sent = {key: value.replace("{c}", char) for key, value in params.items()}
    response = await client.get(path.format(booking_id=booking["id"]), params=sent, headers=headers)
    assert_problem(response, 422, "validation", fields={field})


@bad_chars
async def test_a_bookings_cursor_whose_id_holds_control_characters_is_422(
    client: httpx.AsyncClient, char: str
) -> None:
    await _booking(client)
    raw = f"2026-11-23T15:00:00+00:00|{char}x".encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = await client.get("/v1/bookings", params={"cursor": cursor}, headers=PORTAL)
    assert_problem(response, 422, "validation", fields={"cursor"})


@bad_chars
async def test_control_characters_in_a_path_id_are_422_naming_it(
    client: httpx.AsyncClient, char: str
) -> None:
    path = "/v1/cases/" + quote(f"T{char}9")
    response = await client.put(path, json=case_body(), headers=ADMIN)
    assert_problem(response, 422, "validation", fields={"case_number"})


async def test_an_unauthenticated_caller_still_gets_401_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/bookings", params={"provider_email": "a\x00b"})
    assert_problem(response, 401, "unauthorized")


# ---- time zones ---------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["localtime", "Factory", "US/Eastern", "EST5EDT", "posixrules"])
async def test_a_zone_that_is_no_iana_location_is_422(
    client: httpx.AsyncClient, engine: Engine, zone: str
) -> None:
    await push_case(client, "T-1")
    await push_reviewer(client, "rev-t")
    found = await client.post(
        "/v1/availability", json=availability_body("T-1", time_zone=zone), headers=PORTAL
    )
    assert_problem(found, 422, "validation", fields={"time_zone"})
    held = await client.post(
        "/v1/holds", json=slot_body("T-1", "rev-t", START, time_zone=zone), headers=PORTAL
    )
    assert_problem(held, 422, "validation", fields={"time_zone"})
    booking = await client.post(
        "/v1/bookings", json=booking_body("T-1", "rev-t", START, time_zone=zone), headers=PORTAL
    )
    assert_problem(booking, 422, "validation", fields={"time_zone"})
    reviewer = await client.put(
        "/v1/reviewers/rev-z", json=reviewer_body(time_zone=zone), headers=ADMIN
    )
    assert_problem(reviewer, 422, "validation", fields={"time_zone"})
    assert _count(engine, HoldRow) == 0
    assert _count(engine, BookingRow) == 0


@pytest.mark.parametrize("zone", ["America/Chicago", "UTC", "Pacific/Honolulu"])
async def test_a_canonical_zone_still_works(client: httpx.AsyncClient, zone: str) -> None:
    await push_case(client, "T-1")
    await push_reviewer(client, "rev-t")
    found = await client.post(
        "/v1/availability", json=availability_body("T-1", time_zone=zone), headers=PORTAL
    )
    assert found.status_code == 200, found.text
    held = await client.post(
        "/v1/holds", json=slot_body("T-1", "rev-t", START, time_zone=zone), headers=PORTAL
    )
    assert held.status_code == 201, held.text
    booking = await booked(client, "T-1", "rev-t", START, hold_id=held.json()["hold_id"])
    assert booking["status"] == "scheduled"


# ---- database errors never echo data ---------------------------------------------------


async def test_a_database_error_carries_the_statement_but_not_its_parameters(
    engine: Engine,
) -> None:
    secret = "Quinlan-secret-value-4711"
    with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
        connection.execute(
            text("SELECT missing_column FROM cases WHERE case_number = :n"), {"n": secret}
        )
    message = str(raised.value)
    assert "missing_column" in message  # the statement's shape stays
    assert secret not in message
    assert "parameters hidden" in message


def test_the_apps_own_engine_hides_parameters(settings: Settings) -> None:
    app = create_app(settings)
    try:
        assert app.state.engine.hide_parameters
    finally:
        app.state.engine.dispose()
