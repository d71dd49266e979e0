"""A wrong date of birth and an unknown case cost the same work (SPEC §2 look-up, issue 16
finding 15): the answer was already the same, but a known case with a wrong date of birth
was read and parsed, so it answered ~0.07 ms later than an unknown number. Both now run the
same statements and find no row; measured by the statements, not by a clock."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine, event

from tests.api.helpers import (
    MEMBER_DOB,
    WRONG_DOB,
    booked,
    check,
    ny,
    push_case,
    push_reviewer,
)

pytestmark = pytest.mark.anyio


async def _statements(client: httpx.AsyncClient, engine: Engine, number: str, dob: str) -> list:
    seen: list[tuple[str, int]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((statement, cursor.rowcount if cursor.rowcount is not None else -1))

    event.listen(engine, "after_cursor_execute", record)
    try:
        response = await check(client, {"case_number": number, "member_dob": dob})
    finally:
        event.remove(engine, "after_cursor_execute", record)
    assert response.status_code == 200, response.text
    assert response.json()["cases"][0]["found"] is False
    return seen


async def test_a_wrong_date_of_birth_does_the_work_of_an_unknown_case(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    await push_case(client, "K1")
    known = await _statements(client, engine, "K1", WRONG_DOB)
    unknown = await _statements(client, engine, "K2", WRONG_DOB)
    assert [statement for statement, _ in known] == [statement for statement, _ in unknown]
    assert known  # the look-up does read the database
    # and the right date of birth still finds the case
    right = await check(client, {"case_number": "K1", "member_dob": MEMBER_DOB})
    assert right.json()["cases"][0]["found"] is True


async def test_a_booked_case_with_a_wrong_date_of_birth_does_the_work_of_an_unknown_case(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    """The look-up also reads the cases' bookings (SPEC §14): for the cases it found, so a
    wrong date of birth reads the bookings of none, exactly like an unknown number, and a
    booked case is as invisible as any other."""
    await push_reviewer(client, "rev-a")
    await push_case(client, "K1")
    made = await booked(client, "K1", "rev-a", ny("2026-11-24", "10:00"))
    known = await _statements(client, engine, "K1", WRONG_DOB)
    unknown = await _statements(client, engine, "K2", WRONG_DOB)
    assert known == unknown  # the same statements, each finding no row
    assert any("booking_cases" in statement for statement, _ in known)  # bookings are read
    right = await check(client, {"case_number": "K1", "member_dob": MEMBER_DOB})
    assert right.json()["cases"][0]["p2p"]["booking_id"] == made["id"]
