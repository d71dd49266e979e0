"""A reviewer's week (``GET /v1/reviewers/{id}/agenda``) and the times a booking can be moved
to (``POST /v1/bookings/{id}/availability``), through the real app on both databases.

NOW is Monday 2026-11-23T15:00Z: 10:00 EST, 08:00 MST (Phoenix, no DST), 07:00 PST. Minimum
notice is 2 h, so the first bookable start is 17:00Z. The default case is a commercial PA
reconsideration valid until the end of 2026-12-04 in New York. A reviewer's week runs Monday
to Sunday in the *reviewer's* zone, whatever UTC's date is; tests that need another "now"
move the app's clock (``clock.instant``) before asking.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, update

from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import BookingRow
from tests.api.helpers import (
    ADMIN,
    ALL_DAYS,
    ALL_HOURS,
    CHICAGO,
    ENDINGS,
    NEW_YORK,
    PORTAL,
    REVIEWER,
    Clock,
    assert_problem,
    availability_of,
    booked,
    cancel,
    complete,
    contact_body,
    end_booking,
    lookup,
    no_show,
    push_case,
    push_reviewer,
    reschedule,
    reviewer_days,
    slot_starts,
    weekly,
)

pytestmark = pytest.mark.anyio

LOS_ANGELES = "America/Los_Angeles"
PHOENIX = "America/Phoenix"
#: every hour of every day, so that a test's times are never outside working hours
AROUND_THE_CLOCK = weekly("00:00", "24:00", ALL_DAYS)
AGENDA_FIELDS = {
    "reviewer_id",
    "name",
    "credentials",
    "time_zone",
    "today",
    "week_start",
    "week_end",
    "previous_week_start",
    "next_week_start",
    "calendar_feed_url",
    "bookings",
    "now",
}


@pytest.fixture
def client(client_at_clock: httpx.AsyncClient) -> httpx.AsyncClient:
    """Every test here runs on the app at ``clock`` (NOW unless the test moves it)."""
    return client_at_clock


# ---- calls -------------------------------------------------------------------------------------


async def agenda(
    client: httpx.AsyncClient,
    reviewer_id: str,
    week_start: str | None = None,
    headers: dict[str, str] = REVIEWER,
) -> httpx.Response:
    params = {"week_start": week_start} if week_start is not None else {}
    return await client.get(f"/v1/reviewers/{reviewer_id}/agenda", params=params, headers=headers)


async def agenda_of(
    client: httpx.AsyncClient, reviewer_id: str, week_start: str | None = None
) -> dict[str, Any]:
    response = await agenda(client, reviewer_id, week_start)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == AGENDA_FIELDS, body
    return body


def week_of(found: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """(today, week_start, week_end, previous_week_start, next_week_start)."""
    return (
        found["today"],
        found["week_start"],
        found["week_end"],
        found["previous_week_start"],
        found["next_week_start"],
    )


def starts(found: dict[str, Any]) -> list[str]:
    return [booking["start"] for booking in found["bookings"]]


def utc(instant: str) -> str:
    """``2026-11-29T16:30:00-08:00`` → ``2026-11-30T00:30Z`` (to say what day UTC thinks it is)."""
    return datetime.fromisoformat(instant).astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


async def move_options(
    client: httpx.AsyncClient,
    booking_id: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] = PORTAL,
) -> httpx.Response:
    return await client.post(
        f"/v1/bookings/{booking_id}/availability", json=body or {}, headers=headers
    )


async def move_options_of(
    client: httpx.AsyncClient, booking_id: str, **body: Any
) -> dict[str, Any]:
    """Times ``booking_id`` can move to; every day and hour unless ``preferences`` is given."""
    body.setdefault("preferences", {"days": list(ALL_DAYS), "hours": ALL_HOURS})
    response = await move_options(client, booking_id, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


# ---- the agenda: which bookings, in which week ---------------------------------------------------


async def test_the_agenda_lists_the_weeks_held_p2ps_earliest_first_without_links(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    await push_reviewer(
        client,
        "rev-ny",
        name="Dr. Nora York",
        credentials="MD, FACS",
        working_hours=weekly("09:00", "17:00", ALL_DAYS),
    )
    await push_reviewer(client, "rev-other")
    for number in ("G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G9"):
        await push_case(client, number)
    # booked out of order; one in Chicago time, to show each keeps its requester's zone
    wednesday = await booked(client, "G1", "rev-ny", "2026-11-25T08:00:00-06:00", time_zone=CHICAGO)
    tuesday_late = await booked(client, "G2", "rev-ny", "2026-11-24T16:45:00-05:00")
    sunday = await booked(client, "G3", "rev-ny", "2026-11-29T16:45:00-05:00")
    tuesday = await booked(client, "G4", "rev-ny", "2026-11-24T12:00:00-05:00")
    monday = await booked(client, "G5", "rev-ny", "2026-11-23T12:00:00-05:00")
    called_off = await booked(client, "G6", "rev-ny", "2026-11-26T10:00:00-05:00")
    next_week = await booked(client, "G7", "rev-ny", "2026-11-30T09:00:00-05:00")
    others = await booked(client, "G8", "rev-other", "2026-11-24T13:00:00-05:00")
    parked = await booked(client, "G9", "rev-ny", "2026-11-27T10:00:00-05:00")
    # recorded ahead of the calls, as only an admin may (a correction)
    assert (await complete(client, tuesday["id"], "upheld", headers=ADMIN)).status_code == 200
    assert (await no_show(client, monday["id"], "provider", headers=ADMIN)).status_code == 200
    assert (await cancel(client, called_off["id"])).status_code == 200
    # a request waiting for a time has no reviewer; one carrying a reviewer id is not listed
    # either (the service never writes one, but the agenda must not depend on that)
    with transaction(engine) as session:
        session.exec(  # type: ignore[call-overload]
            update(BookingRow)
            .where(BookingRow.id == parked["id"])  # type: ignore[arg-type]
            .values(status="pending_assignment")
        )

    found = await agenda_of(client, "rev-ny")

    assert (found["reviewer_id"], found["name"], found["credentials"], found["time_zone"]) == (
        "rev-ny",
        "Dr. Nora York",
        "MD, FACS",
        NEW_YORK,
    )
    assert week_of(found) == ("2026-11-23", "2026-11-23", "2026-11-29", "2026-11-16", "2026-11-30")
    assert [b["id"] for b in found["bookings"]] == [
        monday["id"],
        tuesday["id"],
        tuesday_late["id"],
        wednesday["id"],
        sunday["id"],
    ]
    assert [b["status"] for b in found["bookings"]] == [
        "no_show",
        "completed",
        "scheduled",
        "scheduled",
        "scheduled",
    ]
    assert starts(found) == [
        "2026-11-23T12:00:00-05:00",
        "2026-11-24T12:00:00-05:00",
        "2026-11-24T16:45:00-05:00",
        "2026-11-25T08:00:00-06:00",
        "2026-11-29T16:45:00-05:00",
    ]
    for listed in found["bookings"]:
        # the provider's invite and manage links are not the reviewer's to see
        assert listed["links"] == {"invite_ics": None, "manage": None}, listed
        fetched = await client.get(f"/v1/bookings/{listed['id']}", headers=PORTAL)
        assert fetched.status_code == 200, fetched.text
        assert {**fetched.json(), "links": listed["links"]} == listed
    assert listed["contact"] == contact_body()

    # the feed URL is the one an administrator sees on the reviewer
    profile = await client.get("/v1/reviewers/rev-ny", headers=ADMIN)
    assert profile.status_code == 200, profile.text
    assert found["calendar_feed_url"] == profile.json()["calendar_feed_url"]
    assert found["calendar_feed_url"].startswith("http://testserver/")

    # the week after holds only its own P2P; the week before, none; "today" does not move
    following = await agenda_of(client, "rev-ny", found["next_week_start"])
    assert week_of(following) == (
        "2026-11-23",
        "2026-11-30",
        "2026-12-06",
        "2026-11-23",
        "2026-12-07",
    )
    assert [b["id"] for b in following["bookings"]] == [next_week["id"]]
    previous = await agenda_of(client, "rev-ny", found["previous_week_start"])
    assert week_of(previous) == (
        "2026-11-23",
        "2026-11-16",
        "2026-11-22",
        "2026-11-09",
        "2026-11-23",
    )
    assert previous["bookings"] == []
    # and the other reviewer sees only theirs
    assert [b["id"] for b in (await agenda_of(client, "rev-other"))["bookings"]] == [others["id"]]


async def test_a_los_angeles_reviewers_week_ends_at_their_sunday_midnight_not_utcs(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-la", time_zone=LOS_ANGELES, working_hours=AROUND_THE_CLOCK)
    for number in ("L1", "L2", "L3", "L4"):
        await push_case(client, number)
    # NOW + 2 h is Monday 09:00 PST, the first bookable time
    first = await booked(client, "L1", "rev-la", "2026-11-23T09:00:00-08:00", time_zone=LOS_ANGELES)
    sunday_afternoon = await booked(
        client, "L2", "rev-la", "2026-11-29T16:30:00-08:00", time_zone=LOS_ANGELES
    )
    last = await booked(client, "L3", "rev-la", "2026-11-29T23:45:00-08:00", time_zone=LOS_ANGELES)
    monday_midnight = await booked(
        client, "L4", "rev-la", "2026-11-30T00:00:00-08:00", time_zone=LOS_ANGELES
    )
    # in UTC the Sunday ones are already Monday, the first day of the next week
    assert utc(sunday_afternoon["start"]) == "2026-11-30T00:30Z"
    assert utc(last["start"]) == "2026-11-30T07:45Z"

    this_week = await agenda_of(client, "rev-la")
    assert week_of(this_week) == (
        "2026-11-23",
        "2026-11-23",
        "2026-11-29",
        "2026-11-16",
        "2026-11-30",
    )
    assert [b["id"] for b in this_week["bookings"]] == [
        first["id"],
        sunday_afternoon["id"],
        last["id"],
    ]
    assert starts(this_week) == [
        "2026-11-23T09:00:00-08:00",
        "2026-11-29T16:30:00-08:00",
        "2026-11-29T23:45:00-08:00",
    ]
    next_week = await agenda_of(client, "rev-la", "2026-11-30")
    assert starts(next_week) == ["2026-11-30T00:00:00-08:00"]
    assert [b["id"] for b in next_week["bookings"]] == [monday_midnight["id"]]


async def test_one_instant_falls_in_different_weeks_for_new_york_and_phoenix(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await push_reviewer(client, "rev-ny", working_hours=AROUND_THE_CLOCK)
    await push_reviewer(client, "rev-az", time_zone=PHOENIX, working_hours=AROUND_THE_CLOCK)
    await push_case(client, "P1")
    await push_case(client, "P2")
    # 2026-11-30T05:00Z: Monday 00:00 in New York, still Sunday 22:00 in Phoenix (MST all year)
    in_new_york = await booked(client, "P1", "rev-ny", "2026-11-30T00:00:00-05:00")
    in_phoenix = await booked(
        client, "P2", "rev-az", "2026-11-29T22:00:00-07:00", time_zone=PHOENIX
    )
    assert utc(in_new_york["start"]) == utc(in_phoenix["start"]) == "2026-11-30T05:00Z"

    # half past midnight in New York on Monday; 22:30 on Sunday in Phoenix; Monday in UTC
    clock.instant = datetime(2026, 11, 30, 5, 30, tzinfo=UTC)
    new_york = await agenda_of(client, "rev-ny")
    assert week_of(new_york) == (
        "2026-11-30",
        "2026-11-30",
        "2026-12-06",
        "2026-11-23",
        "2026-12-07",
    )
    assert [b["id"] for b in new_york["bookings"]] == [in_new_york["id"]]
    phoenix = await agenda_of(client, "rev-az")
    assert week_of(phoenix) == (
        "2026-11-29",
        "2026-11-23",
        "2026-11-29",
        "2026-11-16",
        "2026-11-30",
    )
    assert [b["id"] for b in phoenix["bookings"]] == [in_phoenix["id"]]
    assert starts(phoenix) == ["2026-11-29T22:00:00-07:00"]

    # asked for the other's week, each is empty
    assert (await agenda_of(client, "rev-ny", "2026-11-23"))["bookings"] == []
    assert (await agenda_of(client, "rev-az", "2026-11-30"))["bookings"] == []


@pytest.mark.parametrize(
    ("now", "determined", "week", "inside", "outside"),
    [
        pytest.param(
            # New York leaves DST on Sunday 2026-11-01: that week lasts 169 hours
            datetime(2026, 10, 26, 14, 0, tzinfo=UTC),
            "2026-10-23T10:00:00-04:00",
            ("2026-10-26", "2026-11-01", "2026-10-19", "2026-11-02"),
            "2026-11-01T23:45:00-05:00",
            "2026-11-02T00:00:00-05:00",
            id="fall-back",
        ),
        pytest.param(
            # New York enters DST on Sunday 2027-03-14: that week lasts 167 hours
            datetime(2027, 3, 8, 15, 0, tzinfo=UTC),
            "2027-03-05T10:00:00-05:00",
            ("2027-03-08", "2027-03-14", "2027-03-01", "2027-03-15"),
            "2027-03-14T23:45:00-04:00",
            "2027-03-15T00:00:00-04:00",
            id="spring-forward",
        ),
    ],
)
async def test_a_week_with_a_dst_change_ends_at_local_sunday_midnight(
    client: httpx.AsyncClient,
    clock: Clock,
    now: datetime,
    determined: str,
    week: tuple[str, str, str, str],
    inside: str,
    outside: str,
) -> None:
    clock.instant = now
    await push_reviewer(client, "rev-ny", working_hours=AROUND_THE_CLOCK)
    for number in ("D1", "D2"):
        await push_case(client, number, received_at=determined, determination_at=determined)
    last = await booked(client, "D1", "rev-ny", inside)
    first_of_next = await booked(client, "D2", "rev-ny", outside)

    found = await agenda_of(client, "rev-ny")
    assert week_of(found) == (week[0], *week)
    assert [b["id"] for b in found["bookings"]] == [last["id"]]
    assert starts(found) == [inside]
    following = await agenda_of(client, "rev-ny", week[3])
    assert [b["id"] for b in following["bookings"]] == [first_of_next["id"]]


async def test_a_moved_p2p_leaves_one_agenda_for_another(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    await push_reviewer(client, "rev-b")
    await push_case(client, "R1")
    made = await booked(client, "R1", "rev-a", "2026-11-24T10:00:00-05:00")
    assert [b["id"] for b in (await agenda_of(client, "rev-a"))["bookings"]] == [made["id"]]

    moved = await reschedule(client, made["id"], "2026-12-01T11:00:00-05:00", reviewer_id="rev-b")
    assert moved.status_code == 200, moved.text
    assert (await agenda_of(client, "rev-a"))["bookings"] == []
    assert (await agenda_of(client, "rev-b"))["bookings"] == []
    following = await agenda_of(client, "rev-b", "2026-11-30")
    assert [(b["id"], b["start"], b["sequence"]) for b in following["bookings"]] == [
        (made["id"], "2026-12-01T11:00:00-05:00", 1)
    ]


# ---- the agenda: who may ask, and what it refuses ------------------------------------------------


async def test_the_agenda_is_for_reviewer_and_admin_keys(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-ny")
    assert (await agenda(client, "rev-ny")).status_code == 200
    assert (await agenda(client, "rev-ny", headers=ADMIN)).status_code == 200
    assert_problem(await agenda(client, "rev-ny", headers=PORTAL), 403, "forbidden")
    assert_problem(await agenda(client, "rev-ny", headers={}), 401, "unauthorized")


@pytest.mark.parametrize("week_start", ["2026-11-24", "2026-11-29", "2026-12-01"])
async def test_an_agenda_week_must_start_on_a_monday(
    client: httpx.AsyncClient, week_start: str
) -> None:
    await push_reviewer(client, "rev-ny")
    body = assert_problem(
        await agenda(client, "rev-ny", week_start), 422, "validation", fields={"week_start"}
    )
    assert "Monday" in body["errors"][0]["message"]


@pytest.mark.parametrize("week_start", ["next-monday", "2026-13-01", "30/11/2026", ""])
async def test_an_agenda_week_start_must_be_a_date(
    client: httpx.AsyncClient, week_start: str
) -> None:
    await push_reviewer(client, "rev-ny")
    response = await agenda(client, "rev-ny", week_start)
    assert_problem(response, 422, "validation", fields={"week_start"})


#: The first and last Mondays the date type holds: the week before / after cannot be named.
@pytest.mark.parametrize("week_start", ["0001-01-01", "9999-12-27"])
async def test_an_agenda_week_at_the_edge_of_the_calendar_is_refused(
    client: httpx.AsyncClient, week_start: str
) -> None:
    await push_reviewer(client, "rev-ny")
    response = await agenda(client, "rev-ny", week_start)
    assert_problem(response, 422, "validation", fields={"week_start"})


async def test_the_agenda_of_an_unknown_reviewer_is_404(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-ny")
    body = assert_problem(await agenda(client, "rev-nobody"), 404, "not-found")
    assert "rev-nobody" in body["detail"]
    assert_problem(await agenda(client, "rev-nobody", "2026-11-30"), 404, "not-found")


# ---- times to move a booking to -------------------------------------------------------------------


async def test_a_bookings_own_time_does_not_block_its_move(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    await push_reviewer(client, "rev-b")
    for number in ("M1", "M2", "M3", "M4", "M5"):
        await push_case(client, number)
    # a two-case request (30 minutes) like the booking's, asked before anything is booked
    untouched = await availability_of(client, "M3", "M4", time_zone=CHICAGO)

    made = await booked(
        client, ["M1", "M2"], "rev-a", "2026-11-24T10:00:00-05:00", time_zone=CHICAGO
    )
    assert made["duration_minutes"] == 30
    # for anyone else, 09:45, 10:00 and 10:15 EST overlap it
    others = slot_starts(await availability_of(client, "M3", "M4", time_zone=CHICAGO), "rev-a")
    for start in (
        "2026-11-24T08:45:00-06:00",
        "2026-11-24T09:00:00-06:00",
        "2026-11-24T09:15:00-06:00",
    ):
        assert start not in others

    # the booking itself may move anywhere it could have been booked: no date of birth asked,
    # in the booking's zone (Chicago) by default, its current time and 15 minutes later offered
    moves = await move_options_of(client, made["id"])
    assert moves == untouched
    assert moves["time_zone"] == CHICAGO
    assert moves["duration_minutes"] == 30
    mine = slot_starts(moves, "rev-a")
    assert "2026-11-24T09:00:00-06:00" in mine  # its own time
    assert "2026-11-24T09:15:00-06:00" in mine  # overlaps its own time
    assert "rev-b" in {r["reviewer_id"] for t in moves["tiers"] for r in t["reviewers"]}

    # another booking still blocks the reviewer's time (13:00–13:15 EST = 12:00 CST)
    await booked(client, "M5", "rev-a", "2026-11-24T13:00:00-05:00")
    moves = await move_options_of(client, made["id"])
    mine = slot_starts(moves, "rev-a")
    assert "2026-11-24T11:45:00-06:00" not in mine  # 12:45–13:15 EST overlaps it
    assert "2026-11-24T12:00:00-06:00" not in mine
    assert "2026-11-24T12:15:00-06:00" in mine
    assert "2026-11-24T09:15:00-06:00" in mine
    assert "2026-11-24T12:00:00-06:00" in slot_starts(moves, "rev-b")

    # an offered time is one the booking can really move to: fifteen minutes later
    moved = await reschedule(client, made["id"], "2026-11-24T09:15:00-06:00")
    assert moved.status_code == 200, moved.text
    assert (moved.json()["start"], moved.json()["sequence"]) == ("2026-11-24T09:15:00-06:00", 1)


async def test_a_bookings_own_time_does_not_count_towards_the_daily_cap(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-cap", max_consults_per_day=1)
    for number in ("C1", "C2"):
        await push_case(client, number)
    made = await booked(client, "C1", "rev-cap", "2026-11-24T10:00:00-05:00")
    # anyone else: Tuesday is full
    others = reviewer_days(await availability_of(client, "C2"), "rev-cap")
    assert "2026-11-24" not in others
    assert "2026-11-25" in others
    # the booking itself: Tuesday is open, its own time included
    days = reviewer_days(await move_options_of(client, made["id"]), "rev-cap")
    assert "2026-11-24T10:00:00-05:00" in [slot["start"] for slot in days["2026-11-24"]]
    assert days["2026-11-24"][0]["start"] == "2026-11-24T09:00:00-05:00"
    assert days["2026-11-24"][-1]["start"] == "2026-11-24T16:45:00-05:00"
    # and the move is accepted: its own P2P does not fill the day it moves within
    moved = await reschedule(client, made["id"], "2026-11-24T14:00:00-05:00")
    assert moved.status_code == 200, moved.text
    assert moved.json()["start"] == "2026-11-24T14:00:00-05:00"


async def test_a_move_honours_the_zone_preferences_and_week_asked_for(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "W1")
    made = await booked(client, "W1", "rev-a", "2026-11-24T10:00:00-05:00")

    # no body at all: the booking's zone, the default preferences (Mon–Fri, 07:00–18:59)
    plain = await move_options(client, made["id"])
    assert plain.status_code == 200, plain.text
    found = plain.json()
    assert (found["time_zone"], found["week_start"], found["week_end"]) == (
        NEW_YORK,
        "2026-11-23",
        "2026-11-29",
    )
    assert (found["previous_week_start"], found["next_week_start"]) == ("2026-11-16", "2026-11-30")
    assert found["valid_until"] == "2026-12-05T04:59:59Z"
    tuesday = [s["start"] for s in reviewer_days(found, "rev-a")["2026-11-24"]]
    assert tuesday[0] == "2026-11-24T09:00:00-05:00"
    assert "2026-11-24T10:00:00-05:00" in tuesday

    # in Los Angeles, Tuesday mornings only: 09:00 EST is 06:00 PST, outside 08:00–09:59
    mornings = await move_options_of(
        client,
        made["id"],
        time_zone=LOS_ANGELES,
        preferences={"days": ["tue"], "hours": [8, 9]},
    )
    assert mornings["time_zone"] == LOS_ANGELES
    days = reviewer_days(mornings, "rev-a")
    assert list(days) == ["2026-11-24"]
    assert [s["start"] for s in days["2026-11-24"]] == [
        f"2026-11-24T{hour}:{minute}:00-08:00"
        for hour in ("08", "09")
        for minute in ("00", "15", "30", "45")
    ]
    assert days["2026-11-24"][0]["label"] == "8:00 am PST"

    # the next week, up to the end of the reconsideration window (Friday 2026-12-04)
    following = await move_options_of(client, made["id"], week_start="2026-11-30")
    assert (following["week_start"], following["week_end"]) == ("2026-11-30", "2026-12-06")
    assert list(reviewer_days(following, "rev-a")) == [
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
        "2026-12-03",
        "2026-12-04",
    ]


@pytest.mark.parametrize("ending", ENDINGS)
async def test_an_ended_booking_cannot_be_moved(client: httpx.AsyncClient, ending: str) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "E1")
    made = await booked(client, "E1", "rev-a", "2026-11-24T10:00:00-05:00")
    await end_booking(client, made["id"], ending)
    body = assert_problem(await move_options(client, made["id"]), 409, "invalid-transition")
    assert body["booking_status"] == ending


async def test_a_request_still_waiting_for_a_time_cannot_be_moved(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "R1")
    submitted = await client.post(
        "/v1/p2p-requests",
        json={"cases": [lookup("R1")], "time_zone": NEW_YORK, "contact": contact_body()},
        headers=PORTAL,
    )
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["status"] == "pending_assignment"
    response = await move_options(client, submitted.json()["id"])
    body = assert_problem(response, 409, "invalid-transition")
    assert body["booking_status"] == "pending_assignment"


async def test_moving_an_unknown_booking_is_404(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    unknown = str(uuid.uuid4())
    body = assert_problem(await move_options(client, unknown), 404, "not-found")
    assert unknown in body["detail"]
    # also with a time zone given (no look-up of the booking's own zone to fall back on)
    response = await move_options(client, unknown, {"time_zone": NEW_YORK})
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"week_start": "2026-11-24"}, "week_start"),
        ({"week_start": "2026-11-29"}, "week_start"),
        ({"week_start": "next monday"}, "week_start"),
        ({"time_zone": "Eastern Standard Time"}, "time_zone"),
        ({"preferences": {"hours": [24]}}, "preferences.hours[0]"),
        ({"cases": [{"case_number": "X1", "member_dob": "1970-05-17"}]}, "cases"),
    ],
)
async def test_a_bad_move_question_names_its_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "V1")
    made = await booked(client, "V1", "rev-a", "2026-11-24T10:00:00-05:00")
    response = await move_options(client, made["id"], body)
    assert_problem(response, 422, "validation", fields={field})


@pytest.mark.parametrize("week_start", ["0001-01-01", "9999-12-27"])
async def test_a_move_week_at_the_edge_of_the_calendar_is_refused(
    client: httpx.AsyncClient, week_start: str
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "V1")
    made = await booked(client, "V1", "rev-a", "2026-11-24T10:00:00-05:00")
    response = await move_options(client, made["id"], {"week_start": week_start})
    assert_problem(response, 422, "validation", fields={"week_start"})


async def test_a_malformed_booking_id_is_an_unknown_booking(client: httpx.AsyncClient) -> None:
    for booking_id in ("not-a-uuid", str(uuid.uuid4()).upper()):
        response = await move_options(client, booking_id)
        assert_problem(response, 404, "not-found")


async def test_only_portal_and_admin_keys_may_look_for_move_times(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "K1")
    made = await booked(client, "K1", "rev-a", "2026-11-24T10:00:00-05:00")
    assert (await move_options(client, made["id"], headers=ADMIN)).status_code == 200
    assert_problem(await move_options(client, made["id"], headers=REVIEWER), 403, "forbidden")
    assert_problem(await move_options(client, made["id"], headers={}), 401, "unauthorized")
    not_json = await client.post(
        f"/v1/bookings/{made['id']}/availability",
        content="week_start=2026-11-30",
        headers={**PORTAL, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_problem(not_json, 415, "unsupported-media-type")


async def test_the_agenda_tells_the_day_view_the_services_time(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    """The day view offers recording a call only once it has started by the service's clock
    (the one the 409 call-not-started goes by), not by the reviewer's computer."""
    await push_reviewer(client, "rev-a")
    assert datetime.fromisoformat((await agenda_of(client, "rev-a"))["now"]) == clock.instant
    clock.advance(hours=30)
    assert datetime.fromisoformat((await agenda_of(client, "rev-a"))["now"]) == clock.instant
