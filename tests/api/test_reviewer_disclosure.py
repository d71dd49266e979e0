"""Disclosure before the call (SPEC §11): the reviewer profile's ``specialty`` and optional
``npi``, and the booking, the invite and the e-mails naming the reviewer with name,
credentials and specialty (state P2P laws: TX, LA, AR; NH adds licence and NPI)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import Engine, select

from p2p_scheduler.config import Settings, load_settings
from p2p_scheduler.db.tables import OutboxRow
from p2p_scheduler.services.notifications import EmailRecipe, render_email
from tests.api.helpers import (
    ADMIN,
    assert_problem,
    booked,
    booking_of,
    ny,
    push_case,
    push_reviewer,
    reviewer_body,
)
from tests.support import TEST_API_KEYS

pytestmark = pytest.mark.anyio

SPECIALTY = "Orthopaedic surgery"
NPI = "1234567893"  # CMS's worked example: the check digit of 123456789 is 3
DISCLOSED = f"Reviewer: Dr. Ada Reviewer, MD — {SPECIALTY}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(
        Settings,
        database_url=database_url,
        api_keys=TEST_API_KEYS,
        secret_key="test-secret-key-0123456789",
        base_url="http://testserver",
    )


async def put(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await client.put("/v1/reviewers/rev-d", json=body, headers=ADMIN)


async def got(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/v1/reviewers/rev-d", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


async def test_specialty_and_npi_are_stored_and_read_back(client: httpx.AsyncClient) -> None:
    made = await put(client, reviewer_body(specialty=f"  {SPECIALTY} ", npi=NPI))
    assert made.status_code == 201, made.text
    shown = await got(client)
    assert (shown["specialty"], shown["npi"]) == (SPECIALTY, NPI)
    assert made.json() == shown


async def test_an_npi_sent_as_a_number_is_the_same_npi(client: httpx.AsyncClient) -> None:
    assert (await put(client, reviewer_body(npi=int(NPI)))).status_code == 201
    assert (await got(client))["npi"] == NPI


@pytest.mark.parametrize(
    "absent", [{}, {"specialty": None, "npi": None}, {"npi": ""}], ids=["left-out", "null", "blank"]
)
async def test_both_are_optional_so_existing_clients_keep_working(
    client: httpx.AsyncClient, absent: dict[str, Any]
) -> None:
    assert (await put(client, reviewer_body(**absent))).status_code == 201
    shown = await got(client)
    assert (shown["specialty"], shown["npi"]) == ("", None)


async def test_a_replacement_without_them_clears_them(client: httpx.AsyncClient) -> None:
    await put(client, reviewer_body(specialty=SPECIALTY, npi=NPI))
    assert (await put(client, reviewer_body())).status_code == 200
    shown = await got(client)
    assert (shown["specialty"], shown["npi"]) == ("", None)


@pytest.mark.parametrize(
    ("npi", "words"),
    [
        pytest.param("1234567890", "check digit", id="bad-check-digit"),
        pytest.param("123456789", "10-digit", id="nine-digits"),
        pytest.param("12345678930", "10-digit", id="eleven-digits"),
        pytest.param("12345678A3", "10-digit", id="a-letter"),
        pytest.param("123-456-7893", "10-digit", id="dashes"),
        pytest.param("１２３４５６７８９３", "10-digit", id="full-width-digits"),
        pytest.param(True, None, id="a-boolean"),
        pytest.param(1234567890, "check digit", id="a-number-with-a-bad-check-digit"),
    ],
)
async def test_a_wrong_npi_is_422_naming_npi_in_plain_words(
    client: httpx.AsyncClient, npi: Any, words: str | None
) -> None:
    problem = assert_problem(
        await put(client, reviewer_body(npi=npi)), 422, "validation", fields={"npi"}
    )
    [error] = problem["errors"]
    if words:
        assert words in error["message"], error
        assert "Value error" not in error["message"]
    assert_problem(await client.get("/v1/reviewers/rev-d", headers=ADMIN), 404, "not-found")


@pytest.mark.parametrize(
    "specialty",
    [pytest.param("x" * 101, id="101-chars"), pytest.param("Ortho\npaedics", id="two-lines")],
)
async def test_a_wrong_specialty_is_422_naming_specialty(
    client: httpx.AsyncClient, specialty: str
) -> None:
    response = await put(client, reviewer_body(specialty=specialty))
    assert_problem(response, 422, "validation", fields={"specialty"})


async def disclosed_booking(client: httpx.AsyncClient) -> dict[str, Any]:
    await push_reviewer(
        client,
        "rev-d",
        name="Dr. Ada Reviewer",
        credentials="MD",
        specialty=SPECIALTY,
        npi=NPI,
        licensed_states=["TX", "PA", "LA"],
    )
    await push_case(client, "S1")
    return await booked(client, "S1", "rev-d", ny("2026-11-24", "10:00"))


async def test_the_booking_discloses_the_reviewer(client: httpx.AsyncClient) -> None:
    made = await disclosed_booking(client)
    expected = {
        "reviewer_id": "rev-d",
        "name": "Dr. Ada Reviewer",
        "credentials": "MD",
        "specialty": SPECIALTY,
        "npi": NPI,
        "licensed_states": ["LA", "PA", "TX"],
    }
    assert made["reviewer"] == expected
    assert (await booking_of(client, made["id"]))["reviewer"] == expected
    listed = await client.get("/v1/bookings", params={"case_number": "S1"}, headers=ADMIN)
    assert listed.json()["items"][0]["reviewer"] == expected


async def test_the_invite_names_the_reviewers_specialty_but_the_summary_no_more(
    client: httpx.AsyncClient,
) -> None:
    made = await disclosed_booking(client)
    response = await client.get(made["links"]["invite_ics"].removeprefix("http://testserver"))
    assert response.status_code == 200, response.text
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert DISCLOSED in str(event["DESCRIPTION"]).splitlines()
    assert SPECIALTY not in str(event["SUMMARY"])
    # the attendee is addressed by name and credentials, as calendars list people
    names = [str(a.params.get("CN")) for a in event["ATTENDEE"]]
    assert "Dr. Ada Reviewer, MD" in names


def emails(engine: Engine, booking_id: str) -> list[EmailMessage]:
    with engine.connect() as connection:
        bodies = connection.execute(
            select(OutboxRow.body).where(  # type: ignore[call-overload]
                OutboxRow.channel == "email", OutboxRow.booking_id == booking_id
            )
        ).scalars()
        return [render_email(EmailRecipe.from_json(body)) for body in bodies]


async def test_the_confirmation_emails_name_the_reviewers_specialty(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    made = await disclosed_booking(client)
    sent = emails(engine, made["id"])
    assert sent, "the booking wrote its confirmation e-mails"
    for message in sent:
        plain = message.get_body(("plain",))
        html = message.get_body(("html",))
        assert plain is not None and html is not None
        assert DISCLOSED in plain.get_content().splitlines()  # type: ignore[attr-defined]
        assert f"{SPECIALTY}" in html.get_content()  # type: ignore[attr-defined]
        assert SPECIALTY not in message["Subject"]


async def test_a_reviewer_without_a_specialty_is_named_as_before(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    await push_reviewer(client, "rev-d", name="Dr. Ada Reviewer", credentials="MD")
    await push_case(client, "S1")
    made = await booked(client, "S1", "rev-d", ny("2026-11-24", "10:00"))
    assert (made["reviewer"]["specialty"], made["reviewer"]["npi"]) == ("", None)
    [plain, *_] = [m.get_body(("plain",)) for m in emails(engine, made["id"])]
    assert plain is not None
    assert "Reviewer: Dr. Ada Reviewer, MD" in plain.get_content().splitlines()  # type: ignore[attr-defined]
