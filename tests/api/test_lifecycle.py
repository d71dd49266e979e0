"""The booking lifecycle through the real app: My P2P requests, reschedule, cancel, complete,
no-show and reviewer time off (SPEC §4, §7, §9).

NOW is Monday 2026-11-23T15:00Z = 10:00 EST; minimum notice 2 h. Every test sets itself up
through the admin endpoints: reviewers ``rev-a`` and ``rev-b`` in New York working Mon–Fri
09:00–17:00, licensed in PA, msk_spine tier 1; commercial PA cases denied three days before
NOW (a reconsideration valid until the end of 2026-12-04 in New York = 2026-12-05T04:59:59Z).
Bookings go through ``POST /v1/bookings`` with the portal key.

The app here runs on a clock the test can move (``clock.advance``) so that "newest first" and
"a new determination after the completed P2P" can be observed; it stays at NOW unless moved.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    ADMIN,
    CHICAGO,
    ENDINGS,
    NO_LINKS,
    PORTAL,
    RECONSIDERATION_UNTIL,
    REVIEWER,
    Clock,
    assert_problem,
    availability_of,
    book,
    booked,
    booking_of,
    cancel,
    check,
    complete,
    end_booking,
    lookup,
    no_show,
    ny,
    push_case,
    push_reviewer,
    reschedule,
    reviewer_days,
    slot_body,
)

pytestmark = pytest.mark.anyio

REV_A = "rev-a"
REV_B = "rev-b"
CANCEL_REASONS = (
    "provider_unavailable",
    "reviewer_unavailable",
    "case_resolved",
    "scheduled_in_error",
    "duplicate",
    "other",
)
OUTCOMES = ("upheld", "overturned", "modified", "information_only")
TUE, WED, THU = "2026-11-24", "2026-11-25", "2026-11-26"


@pytest.fixture
def client(client_at_clock: httpx.AsyncClient) -> httpx.AsyncClient:
    """Every test here runs on the app at ``clock`` (NOW unless the test moves it)."""
    return client_at_clock


# ---- calls ------------------------------------------------------------------------------------


async def setup(client: httpx.AsyncClient, *numbers: str) -> None:
    """Reviewers rev-a and rev-b, and the cases ``numbers``."""
    for reviewer_id in (REV_A, REV_B):
        await push_reviewer(client, reviewer_id)
    for number in numbers:
        await push_case(client, number)


async def listing(client: httpx.AsyncClient, **params: Any) -> httpx.Response:
    return await client.get("/v1/bookings", params=params, headers=PORTAL)


async def listed_ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await listing(client, limit=100, **params)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next_cursor"] is None
    return [item["id"] for item in page["items"]]


async def walk(client: httpx.AsyncClient, **params: Any) -> list[list[str]]:
    """Every page of a listing, following ``next_cursor`` to the end."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        response = await listing(client, **query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor never ends"


async def eligibility(client: httpx.AsyncClient, number: str) -> dict[str, Any]:
    response = await check(client, lookup(number))
    assert response.status_code == 200, response.text
    return response.json()


async def slots_of(
    client: httpx.AsyncClient, number: str, reviewer_id: str
) -> dict[str, list[str]]:
    """The reviewer's open starts this week for ``number`` (every day and hour), by NY date."""
    days = reviewer_days(await availability_of(client, number), reviewer_id)
    return {day: [slot["start"] for slot in slots] for day, slots in days.items()}


# ---- 1. one booking, and My P2P requests ------------------------------------------------------


async def test_get_booking_answers_the_booking_in_the_requesters_zone(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "G1")
    made = await booked(
        client,
        "G1",
        REV_A,
        ny(TUE, "10:00"),
        time_zone=CHICAGO,
        phone="(555) 555-5555",
        phone_ext="123",
        instructions="Ask Olive",
    )
    assert made["status"] == "scheduled"
    assert made["sequence"] == 0
    assert made["start"] == "2026-11-24T09:00:00-06:00"
    assert made["end"] == "2026-11-24T09:15:00-06:00"
    assert made["time_zone"] == CHICAGO
    assert made["duration_minutes"] == 15
    assert {k: made["reviewer"][k] for k in ("reviewer_id", "name", "credentials")} == {
        "reviewer_id": REV_A,
        "name": "Dr. rev-a",
        "credentials": "MD",
    }
    assert len(made["cases"]) == 1
    assert made["cases"][0]["case_number"] == "G1"
    assert made["cases"][0]["level_of_review"] == "reconsideration"
    assert made["cases"][0]["valid_until"] == RECONSIDERATION_UNTIL
    assert made["contact"]["provider_name"] == "Dr. Olive Orderly"
    assert made["contact"]["provider_role"] == "ordering_provider"
    assert made["contact"]["phone"] == "(555) 555-5555"
    assert made["contact"]["phone_ext"] == "123"
    assert made["contact"]["email"] == "olive.orderly@clinic.example.org"
    assert made["contact"]["instructions"] == "Ask Olive"
    assert set(made["links"]) >= {"invite_ics", "manage"}
    uuid.UUID(made["id"])

    for headers in (PORTAL, ADMIN):
        response = await client.get(f"/v1/bookings/{made['id']}", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == made
    # a reviewer sees the booking but never the provider's invite and manage links (SPEC §9)
    response = await client.get(f"/v1/bookings/{made['id']}", headers=REVIEWER)
    assert response.json() == {**made, "links": NO_LINKS}


async def test_list_filters_by_case_status_reviewer_email_and_start_range(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await setup(client, "L1", "L2", "L3", "L4")
    alice, bob = "alice@clinic.example.org", "bob@clinic.example.org"
    b1 = await booked(client, "L1", REV_A, ny(TUE, "10:00"), email=alice)
    clock.advance(seconds=1)
    b2 = await booked(client, "L2", REV_B, ny(TUE, "11:00"), email=bob)
    clock.advance(seconds=1)
    b3 = await booked(client, "L3", REV_A, ny(WED, "10:00"), email=alice)
    clock.advance(seconds=1)
    b4 = await booked(client, "L4", REV_B, ny(THU, "10:00"), email=bob)
    clock.advance(seconds=1)
    assert (await cancel(client, b3["id"])).status_code == 200
    # the cancelled case is booked again: its history keeps both bookings
    b5 = await booked(client, "L3", REV_A, ny(WED, "11:00"), email=alice)
    ids = {name: b["id"] for name, b in {"b1": b1, "b2": b2, "b3": b3, "b4": b4, "b5": b5}.items()}

    # newest first, by default
    assert await listed_ids(client) == [ids["b5"], ids["b4"], ids["b3"], ids["b2"], ids["b1"]]
    response = await listing(client)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    page = response.json()
    assert set(page) >= {"items", "next_cursor"}
    assert page["next_cursor"] is None
    assert page["items"][1] == await booking_of(client, ids["b4"])  # items are whole bookings

    assert await listed_ids(client, case_number="L1") == [ids["b1"]]
    assert await listed_ids(client, case_number="L3") == [ids["b5"], ids["b3"]]
    assert await listed_ids(client, case_number="NOPE-1") == []
    assert await listed_ids(client, status="cancelled") == [ids["b3"]]
    assert await listed_ids(client, status="scheduled") == [
        ids["b5"],
        ids["b4"],
        ids["b2"],
        ids["b1"],
    ]
    assert await listed_ids(client, status="completed") == []
    assert await listed_ids(client, reviewer_id=REV_B) == [ids["b4"], ids["b2"]]
    assert await listed_ids(client, provider_email=alice) == [ids["b5"], ids["b3"], ids["b1"]]
    assert await listed_ids(client, provider_email="nobody@example.org") == []
    # start range: Tuesday only, then Wednesday on
    assert await listed_ids(client, **{"from": ny(TUE, "00:00"), "to": ny(WED, "00:00")}) == [
        ids["b2"],
        ids["b1"],
    ]
    assert await listed_ids(client, **{"from": ny(WED, "00:00")}) == [
        ids["b5"],
        ids["b4"],
        ids["b3"],
    ]
    assert await listed_ids(client, to=ny(WED, "00:00")) == [ids["b2"], ids["b1"]]
    # an instant written in another offset means the same instant; `from` includes its start
    assert await listed_ids(client, **{"from": "2026-11-24T16:00:00Z", "to": ny(WED, "00:00")}) == [
        ids["b2"]
    ]
    # filters combine
    assert await listed_ids(client, reviewer_id=REV_A, status="scheduled") == [
        ids["b5"],
        ids["b1"],
    ]
    assert await listed_ids(
        client, provider_email=bob, **{"from": ny(WED, "00:00"), "to": ny(THU, "23:00")}
    ) == [ids["b4"]]


async def test_list_pages_walk_every_booking_newest_first_without_gaps(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    numbers = [f"P{i}" for i in range(1, 6)]
    await setup(client, *numbers)
    made = []
    for index, number in enumerate(numbers):
        made.append((await booked(client, number, REV_A, ny(TUE, f"1{index}:00")))["id"])
        clock.advance(seconds=1)
    newest_first = list(reversed(made))

    pages = await walk(client, limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [i for page in pages for i in page] == newest_first

    pages = await walk(client, limit=1)
    assert [i for page in pages for i in page] == newest_first

    # exactly `limit` left: the last full page says there is no next one
    pages = await walk(client, limit=5)
    assert pages == [newest_first]

    # a filter holds across pages
    assert await listed_ids(client, status="scheduled") == newest_first
    assert (await cancel(client, made[1])).status_code == 200
    assert (await cancel(client, made[3])).status_code == 200
    pages = await walk(client, limit=1, status="scheduled")
    assert [i for page in pages for i in page] == [made[4], made[2], made[0]]


async def test_list_pages_do_not_lose_bookings_made_at_the_same_instant(
    client: httpx.AsyncClient,
) -> None:
    """All five are created at NOW exactly: the cursor must still split them cleanly."""
    numbers = [f"S{i}" for i in range(1, 6)]
    await setup(client, *numbers)
    made = {
        (await booked(client, number, REV_A, ny(WED, f"1{index}:00")))["id"]
        for index, number in enumerate(numbers)
    }
    everything = await listed_ids(client)
    assert set(everything) == made
    for limit in (1, 2, 3, 4):
        flat = [i for page in await walk(client, limit=limit) for i in page]
        assert len(flat) == len(set(flat)), f"duplicates with limit={limit}"
        assert flat == everything, f"gaps or another order with limit={limit}"


async def test_list_limit_defaults_to_20_and_the_cursor_gives_the_rest(
    client: httpx.AsyncClient,
) -> None:
    numbers = [f"M{i}" for i in range(1, 23)]
    await setup(client, *numbers)
    for index, number in enumerate(numbers):
        minutes = 9 * 60 + 15 * index  # 09:00, 09:15, … 14:15 on Tuesday
        await booked(client, number, REV_A, ny(TUE, f"{minutes // 60:02d}:{minutes % 60:02d}"))
    response = await listing(client)
    assert response.status_code == 200, response.text
    first = response.json()
    assert len(first["items"]) == 20
    assert isinstance(first["next_cursor"], str) and first["next_cursor"]
    response = await listing(client, cursor=first["next_cursor"])
    assert response.status_code == 200, response.text
    rest = response.json()
    assert len(rest["items"]) == 2
    assert rest["next_cursor"] is None
    ids = [item["id"] for item in first["items"] + rest["items"]]
    assert len(set(ids)) == 22


async def test_list_rejects_bad_limits_cursors_and_filters(client: httpx.AsyncClient) -> None:
    await setup(client, "Q1")
    await booked(client, "Q1", REV_A, ny(TUE, "10:00"))
    ok = await listing(client, limit=100)
    assert ok.status_code == 200, ok.text
    for limit in (101, 1000, 0, -1, "ten"):
        assert_problem(await listing(client, limit=limit), 422, "validation", fields={"limit"})
    assert_problem(await listing(client, status="done"), 422, "validation", fields={"status"})
    naive = await listing(client, **{"from": "2026-11-24T10:00:00"})
    assert_problem(naive, 422, "validation", fields={"from"})
    assert_problem(await listing(client, to="tomorrow"), 422, "validation", fields={"to"})


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!!",
        "%%%",
        _b64(b"no separator here"),
        _b64(b"not-a-date|00000000-0000-0000-0000-000000000000"),
        _b64(b"\xff\xfe\xfd|x"),
        # a timestamp without an offset: the API never returns one
        _b64(b"2026-11-23T15:00:00|00000000-0000-0000-0000-000000000000"),
        # an instant before year 1 in UTC
        _b64(b"0001-01-01T00:00:00+14:00|00000000-0000-0000-0000-000000000000"),
    ],
    ids=[
        "word",
        "punctuation",
        "percent",
        "no-pipe",
        "no-date",
        "not-utf8",
        "naive-stamp",
        "out-of-range-stamp",
    ],
)
async def test_list_rejects_a_cursor_it_did_not_issue(
    client: httpx.AsyncClient, cursor: str
) -> None:
    await setup(client, "C1")
    await booked(client, "C1", REV_A, ny(TUE, "10:00"))
    response = await listing(client, cursor=cursor, limit=1)
    assert_problem(response, 422, "validation", fields={"cursor"})


#: valid ISO 8601 instants with an offset that fall outside year 1…9999 once in UTC
OUT_OF_RANGE = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:45:00-14:00"]


@pytest.mark.parametrize("instant", OUT_OF_RANGE)
@pytest.mark.parametrize("name", ["from", "to"])
async def test_list_refuses_a_start_range_outside_the_calendar(
    client: httpx.AsyncClient, name: str, instant: str
) -> None:
    """SPEC §9: out-of-range fields → 422 naming the field (not a 500)."""
    await setup(client, "C1")
    await booked(client, "C1", REV_A, ny(TUE, "10:00"))
    response = await listing(client, **{name: instant})
    assert_problem(response, 422, "validation", fields={name})


# ---- 2. reschedule ----------------------------------------------------------------------------


async def test_reschedule_keeps_the_id_and_raises_the_sequence(client: httpx.AsyncClient) -> None:
    await setup(client, "R1")
    made = await booked(client, "R1", REV_A, ny(TUE, "10:00"), time_zone=CHICAGO)
    assert made["sequence"] == 0

    response = await reschedule(client, made["id"], ny(TUE, "14:30"))
    assert response.status_code == 200, response.text
    moved = response.json()
    assert moved["id"] == made["id"]
    assert moved["status"] == "scheduled"
    assert moved["sequence"] == 1
    assert moved["start"] == "2026-11-24T13:30:00-06:00"  # in the requester's zone
    assert moved["end"] == "2026-11-24T13:45:00-06:00"
    assert moved["time_zone"] == CHICAGO
    assert moved["reviewer"]["reviewer_id"] == REV_A
    assert moved["cases"] == made["cases"]
    assert moved["contact"] == made["contact"]
    assert await booking_of(client, made["id"]) == moved

    # the new start may be written in any offset (here UTC): Wednesday 09:00 EST
    response = await reschedule(client, made["id"], "2026-11-25T14:00:00Z")
    assert response.status_code == 200, response.text
    again = response.json()
    assert again["id"] == made["id"]
    assert again["sequence"] == 2
    assert again["start"] == "2026-11-25T08:00:00-06:00"
    assert again["end"] == "2026-11-25T08:15:00-06:00"
    assert await booking_of(client, made["id"]) == again
    assert await listed_ids(client) == [made["id"]]  # moved, not copied


async def test_reschedule_releases_the_old_time_and_takes_the_new_one(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "R1", "R2", "R3")
    made = await booked(client, "R1", REV_A, ny(TUE, "10:00"))
    assert ny(TUE, "10:00") not in (await slots_of(client, "R2", REV_A))[TUE]

    response = await reschedule(client, made["id"], ny(TUE, "11:00"))
    assert response.status_code == 200, response.text
    open_now = (await slots_of(client, "R2", REV_A))[TUE]
    assert ny(TUE, "10:00") in open_now
    assert ny(TUE, "11:00") not in open_now

    # someone else can take the old time; nobody can take the new one
    other = await book(client, "R2", REV_A, ny(TUE, "10:00"))
    assert other.status_code == 201, other.text
    assert_problem(await book(client, "R3", REV_A, ny(TUE, "11:00")), 409, "slot-taken")


async def test_reschedule_to_another_reviewer(client: httpx.AsyncClient) -> None:
    await setup(client, "R1", "R2", "R3")
    made = await booked(client, "R1", REV_A, ny(TUE, "10:00"))

    response = await reschedule(client, made["id"], ny(TUE, "10:00"), reviewer_id=REV_B)
    assert response.status_code == 200, response.text
    moved = response.json()
    assert moved["id"] == made["id"]
    assert moved["sequence"] == 1
    assert moved["start"] == ny(TUE, "10:00")
    assert {k: moved["reviewer"][k] for k in ("reviewer_id", "name", "credentials")} == {
        "reviewer_id": REV_B,
        "name": "Dr. rev-b",
        "credentials": "MD",
    }
    assert await listed_ids(client, reviewer_id=REV_B) == [made["id"]]
    assert await listed_ids(client, reviewer_id=REV_A) == []

    # rev-a's time is free again, rev-b's is taken
    assert (await book(client, "R2", REV_A, ny(TUE, "10:00"))).status_code == 201
    assert_problem(await book(client, "R3", REV_B, ny(TUE, "10:00")), 409, "slot-taken")

    # and back to rev-a at another time, with the reviewer named explicitly
    response = await reschedule(client, made["id"], ny(TUE, "15:00"), reviewer_id=REV_A)
    assert response.status_code == 200, response.text
    assert response.json()["reviewer"]["reviewer_id"] == REV_A
    assert response.json()["sequence"] == 2
    assert (await book(client, "R3", REV_B, ny(TUE, "10:00"))).status_code == 201


async def test_reschedule_into_a_taken_slot_is_409_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "R1", "R2", "R3", "R4", "R5")
    # a two-case booking: 10:00–10:30
    await booked(client, ["R1", "R2"], REV_A, ny(TUE, "10:00"))
    mine = await booked(client, "R3", REV_A, ny(TUE, "11:00"))
    held = await client.post(
        "/v1/holds", json=slot_body("R5", REV_A, ny(TUE, "13:00")), headers=PORTAL
    )
    assert held.status_code == 201, held.text

    for start in (ny(TUE, "10:00"), ny(TUE, "10:15"), ny(TUE, "13:00")):
        response = await reschedule(client, mine["id"], start)
        assert_problem(response, 409, "slot-taken")
        assert await booking_of(client, mine["id"]) == mine
    # the booking still holds its own time
    assert_problem(await book(client, "R4", REV_A, ny(TUE, "11:00")), 409, "slot-taken")


async def test_reschedule_refuses_a_start_off_the_grid_or_out_of_bounds(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "R1")
    made = await booked(client, "R1", REV_A, ny(TUE, "10:00"))
    for start in (
        ny(TUE, "10:07"),  # off the 15-minute grid
        "2026-11-24T10:00:30-05:00",  # seconds
        "2026-11-24T10:00:00.500-05:00",
        ny("2026-11-23", "09:00"),  # in the past
        ny("2026-11-23", "11:45"),  # inside the 2 h minimum notice
        ny("2026-12-07", "10:00"),  # after the case's valid-until (end of 2026-12-04)
    ):
        response = await reschedule(client, made["id"], start)
        assert_problem(response, 422, "validation", fields={"start"})
    for body in ({"start": "2026-11-24T10:00:00"}, {"start": "soon"}, {}):
        response = await client.post(
            f"/v1/bookings/{made['id']}/reschedule", json=body, headers=PORTAL
        )
        assert_problem(response, 422, "validation", fields={"start"})
    unknown_field = await client.post(
        f"/v1/bookings/{made['id']}/reschedule",
        json={"start": ny(TUE, "11:00"), "reviewer": REV_B},
        headers=PORTAL,
    )
    assert_problem(unknown_field, 422, "validation", fields={"reviewer"})
    assert await booking_of(client, made["id"]) == made


async def test_reschedule_to_an_unknown_or_unqualified_reviewer_is_422(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "R1")
    await push_reviewer(client, "rev-tx", licensed_states=["TX"])
    made = await booked(client, "R1", REV_A, ny(TUE, "10:00"))
    response = await reschedule(client, made["id"], ny(TUE, "11:00"), reviewer_id="rev-nobody")
    assert_problem(response, 422, "validation", fields={"reviewer_id"})
    response = await reschedule(client, made["id"], ny(TUE, "11:00"), reviewer_id="rev-tx")
    assert_problem(response, 422, "not-qualified")
    response = await reschedule(client, made["id"], ny(TUE, "11:00"), reviewer_id="bad id!")
    assert_problem(response, 422, "validation", fields={"reviewer_id"})
    assert await booking_of(client, made["id"]) == made


@pytest.mark.parametrize("instant", OUT_OF_RANGE)
async def test_reschedule_refuses_a_start_outside_the_calendar(
    client: httpx.AsyncClient, instant: str
) -> None:
    await setup(client, "R1")
    made = await booked(client, "R1", REV_A, ny(TUE, "10:00"))
    response = await reschedule(client, made["id"], instant)
    assert_problem(response, 422, "validation", fields={"start"})
    assert await booking_of(client, made["id"]) == made


async def test_reschedule_rechecks_eligibility(client: httpx.AsyncClient) -> None:
    await setup(client, "R1")
    made = await booked(client, "R1", REV_A, ny(TUE, "10:00"))
    # information received meanwhile: no longer held for a P2P (the booking is flagged, SPEC §14)
    await push_case(
        client, "R1", status="in_review", additional_info_received_at="2026-11-22T10:00:00-05:00"
    )
    before = await booking_of(client, made["id"])
    response = await reschedule(client, made["id"], ny(TUE, "11:00"))
    body = assert_problem(response, 422, "not-eligible")
    assert body.get("blocking_cases", ["R1"]) == ["R1"]
    assert await booking_of(client, made["id"]) == before
    # it can still be cancelled
    assert (await cancel(client, made["id"], "case_resolved")).status_code == 200


async def test_reschedule_may_overlap_the_bookings_own_time(client: httpx.AsyncClient) -> None:
    await setup(client, "R1", "R2")
    made = await booked(client, ["R1", "R2"], REV_A, ny(TUE, "10:00"))  # 10:00–10:30
    response = await reschedule(client, made["id"], ny(TUE, "10:15"))
    assert response.status_code == 200, response.text
    assert response.json()["start"] == ny(TUE, "10:15")
    assert response.json()["end"] == ny(TUE, "10:45")
    assert ny(TUE, "10:00") in (await slots_of_any(client))[TUE]


async def test_reschedule_within_a_full_day_does_not_count_the_booking_twice(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "R1", "R2")
    await push_reviewer(client, REV_A, max_consults_per_day=1)
    made = await booked(client, "R1", REV_A, ny(TUE, "10:00"))
    response = await reschedule(client, made["id"], ny(TUE, "15:00"))
    assert response.status_code == 200, response.text
    # but another day that is already full refuses it
    await booked(client, "R2", REV_A, ny(WED, "10:00"))
    assert_problem(await reschedule(client, made["id"], ny(WED, "15:00")), 409, "slot-taken")


@pytest.mark.parametrize("ending", ENDINGS)
async def test_reschedule_of_an_ended_booking_is_an_invalid_transition(
    client: httpx.AsyncClient, ending: str
) -> None:
    await setup(client, "R1")
    made = await booked(client, "R1", REV_A, ny(TUE, "10:00"))
    await end_booking(client, made["id"], ending)
    before = await booking_of(client, made["id"])
    assert before["status"] == ending
    response = await reschedule(client, made["id"], ny(TUE, "11:00"))
    assert_problem(response, 409, "invalid-transition")
    assert await booking_of(client, made["id"]) == before


async def test_reschedule_needs_a_portal_key(client: httpx.AsyncClient) -> None:
    await setup(client, "R1")
    made = await booked(client, "R1", REV_A, ny(TUE, "10:00"))
    response = await reschedule(client, made["id"], ny(TUE, "11:00"), headers=REVIEWER)
    assert_problem(response, 403, "forbidden")
    response = await client.post(
        f"/v1/bookings/{made['id']}/reschedule", json={"start": ny(TUE, "11:00")}
    )
    assert_problem(response, 401, "unauthorized")
    assert await booking_of(client, made["id"]) == made
    admin = await reschedule(client, made["id"], ny(TUE, "11:00"), headers=ADMIN)
    assert admin.status_code == 200, admin.text


async def test_two_reschedules_into_one_slot_at_once_one_wins(client: httpx.AsyncClient) -> None:
    await setup(client, "R1", "R2")
    first = await booked(client, "R1", REV_A, ny(TUE, "10:00"))
    second = await booked(client, "R2", REV_A, ny(TUE, "11:00"))
    target = ny(TUE, "14:00")
    responses = await asyncio.gather(
        reschedule(client, first["id"], target), reschedule(client, second["id"], target)
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    winner, loser = (first, second) if responses[0].status_code == 200 else (second, first)
    assert (await booking_of(client, winner["id"]))["start"] == target
    assert await booking_of(client, loser["id"]) == loser
    assert await listed_ids(client, **{"from": target, "to": ny(TUE, "14:15")}) == [winner["id"]]


# ---- 3. cancel --------------------------------------------------------------------------------


@pytest.mark.parametrize("reason_code", CANCEL_REASONS)
async def test_cancel_with_each_reason_code(client: httpx.AsyncClient, reason_code: str) -> None:
    await setup(client, "X1")
    made = await booked(client, "X1", REV_A, ny(TUE, "10:00"))
    text = "The member moved to another plan." if reason_code == "other" else None
    response = await cancel(client, made["id"], reason_code, text)
    assert response.status_code == 200, response.text
    gone = response.json()
    assert gone["id"] == made["id"]
    assert gone["status"] == "cancelled"
    assert gone["sequence"] == 1
    assert await booking_of(client, made["id"]) == gone


async def test_cancel_validates_the_reason(client: httpx.AsyncClient) -> None:
    await setup(client, "X1")
    made = await booked(client, "X1", REV_A, ny(TUE, "10:00"))
    url = f"/v1/bookings/{made['id']}/cancel"
    missing = await client.post(url, json={"reason_text": "no longer needed"}, headers=PORTAL)
    assert_problem(missing, 422, "validation", fields={"reason_code"})
    assert_problem(await client.post(url, json={}, headers=PORTAL), 422, "validation")
    for code in ("changed_my_mind", "", "provider unavailable", " other"):
        assert_problem(
            await cancel(client, made["id"], code), 422, "validation", fields={"reason_code"}
        )
    for text in (None, "", "   "):
        response = await cancel(client, made["id"], "other", text)
        assert_problem(response, 422, "validation", fields={"reason_text"})
    too_long = await cancel(client, made["id"], "other", "x" * 501)
    assert_problem(too_long, 422, "validation", fields={"reason_text"})
    not_text = await client.post(url, json={"reason_code": 7}, headers=PORTAL)
    assert_problem(not_text, 422, "validation", fields={"reason_code"})
    assert await booking_of(client, made["id"]) == made  # nothing changed

    # a reason text is optional for the other codes, and accepted with them
    response = await cancel(client, made["id"], "duplicate", "booked twice by the front desk")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"


async def test_cancel_releases_the_time_and_the_case(client: httpx.AsyncClient) -> None:
    await setup(client, "X1", "X2")
    made = await booked(client, "X1", REV_A, ny(TUE, "10:00"))
    # while it is live, the case cannot be booked again
    again = await book(client, "X1", REV_A, ny(TUE, "11:00"))
    body = assert_problem(again, 409, "case-already-booked")
    assert made["id"] in body["detail"]

    assert (await cancel(client, made["id"], "scheduled_in_error")).status_code == 200
    assert ny(TUE, "10:00") in (await slots_of(client, "X2", REV_A))[TUE]
    other = await book(client, "X2", REV_A, ny(TUE, "10:00"))
    assert other.status_code == 201, other.text
    rebooked = await booked(client, "X1", REV_A, ny(TUE, "11:00"))
    assert rebooked["id"] != made["id"]
    assert rebooked["status"] == "scheduled"
    assert rebooked["sequence"] == 0
    assert (await booking_of(client, made["id"]))["status"] == "cancelled"


async def test_cancel_after_reschedule_counts_both_in_the_sequence(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "X1")
    made = await booked(client, "X1", REV_A, ny(TUE, "10:00"))
    assert (await reschedule(client, made["id"], ny(TUE, "11:00"))).status_code == 200
    response = await cancel(client, made["id"])
    assert response.status_code == 200, response.text
    assert response.json()["sequence"] == 2
    assert response.json()["start"] == ny(TUE, "11:00")  # the cancelled time stays on record


@pytest.mark.parametrize("ending", ENDINGS)
async def test_cancel_of_an_ended_booking_is_an_invalid_transition(
    client: httpx.AsyncClient, ending: str
) -> None:
    await setup(client, "X1")
    made = await booked(client, "X1", REV_A, ny(TUE, "10:00"))
    await end_booking(client, made["id"], ending)
    before = await booking_of(client, made["id"])
    response = await cancel(client, made["id"], "duplicate")
    body = assert_problem(response, 409, "invalid-transition")
    assert body.get("booking_status") in (None, ending)
    assert await booking_of(client, made["id"]) == before


async def test_cancel_needs_a_portal_key(client: httpx.AsyncClient) -> None:
    await setup(client, "X1")
    made = await booked(client, "X1", REV_A, ny(TUE, "10:00"))
    assert_problem(await cancel(client, made["id"], headers=REVIEWER), 403, "forbidden")
    assert await booking_of(client, made["id"]) == made


# ---- 4. complete ------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", OUTCOMES)
async def test_complete_records_each_outcome(
    client: httpx.AsyncClient, clock: Clock, outcome: str
) -> None:
    await setup(client, "O1")
    made = await booked(client, "O1", REV_A, ny(TUE, "10:00"))
    clock.advance(days=1, minutes=20)  # Tuesday 10:20 EST: the call has taken place
    response = await complete(client, made["id"], outcome, notes="Discussed the imaging.")
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["id"] == made["id"]
    assert done["status"] == "completed"
    assert done["sequence"] == 0  # only reschedule and cancel raise it (SPEC §9)
    assert done["start"] == made["start"]
    assert done["links"] == NO_LINKS  # the answer goes to a reviewer (SPEC §9)
    assert {**await booking_of(client, made["id"]), "links": NO_LINKS} == done
    assert await listed_ids(client, status="completed") == [made["id"]]


async def test_a_reviewer_records_an_outcome_or_no_show_only_once_the_call_has_begun(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await setup(client, "O1", "O2")
    first = await booked(client, "O1", REV_A, ny(TUE, "10:00"))
    second = await booked(client, "O2", REV_A, ny(TUE, "10:30"))
    clock.advance(days=1, minutes=-1)  # Tuesday 09:59 EST

    for answer in (
        await complete(client, first["id"]),
        await no_show(client, first["id"], "reviewer"),
    ):
        body = assert_problem(answer, 409, "call-not-started")
        # in the reviewer's zone (New York), as the day view shows it
        assert "starts Tue 11/24/2026 10:00 am EST; record" in body["detail"]
    unchanged = await booking_of(client, first["id"])
    assert {**unchanged, "links": None} == {**first, "links": None}  # links are re-signed

    clock.advance(minutes=1)  # 10:00: the call's start
    done = await complete(client, first["id"])
    assert (done.status_code, done.json()["status"]) == (200, "completed")
    early = await no_show(client, second["id"], "provider")
    assert_problem(early, 409, "call-not-started")
    clock.advance(minutes=35)
    missed = await no_show(client, second["id"], "provider")
    assert (missed.status_code, missed.json()["status"]) == (200, "no_show")


async def test_complete_with_an_admin_key(client: httpx.AsyncClient) -> None:
    await setup(client, "O1")
    made = await booked(client, "O1", REV_A, ny(TUE, "10:00"))
    response = await complete(client, made["id"], "modified", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed"


async def test_complete_refuses_portal_keys_and_unknown_outcomes(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "O1")
    made = await booked(client, "O1", REV_A, ny(TUE, "10:00"))
    assert_problem(await complete(client, made["id"], headers=PORTAL), 403, "forbidden")
    for outcome in ("approved", "", "up-held", "upheld "):
        response = await complete(client, made["id"], outcome)
        assert_problem(response, 422, "validation", fields={"outcome"})
    url = f"/v1/bookings/{made['id']}/complete"
    missing = await client.post(url, json={"notes": "x"}, headers=REVIEWER)
    assert_problem(missing, 422, "validation", fields={"outcome"})
    long_notes = await complete(client, made["id"], notes="n" * 1001)
    assert_problem(long_notes, 422, "validation", fields={"notes"})
    assert await booking_of(client, made["id"]) == made


@pytest.mark.parametrize("ending", ENDINGS)
async def test_complete_of_an_ended_booking_is_an_invalid_transition(
    client: httpx.AsyncClient, ending: str
) -> None:
    await setup(client, "O1")
    made = await booked(client, "O1", REV_A, ny(TUE, "10:00"))
    await end_booking(client, made["id"], ending)
    before = await booking_of(client, made["id"])
    assert_problem(await complete(client, made["id"]), 409, "invalid-transition")
    assert await booking_of(client, made["id"]) == before


async def test_a_completed_p2p_blocks_another_for_the_same_determination(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "O1", "O2", "O3")
    assert (await eligibility(client, "O1"))["eligible"] is True
    made = await booked(client, ["O1", "O2"], REV_A, ny(TUE, "10:00"))
    # recorded by an admin ahead of the call, so that Tuesday stays bookable below
    assert (await complete(client, made["id"], "upheld", headers=ADMIN)).status_code == 200

    for number in ("O1", "O2"):
        answer = await eligibility(client, number)
        assert answer["eligible"] is False
        assert answer["blocking_cases"] == [number]
        assert answer["cases"][0]["found"] is True
        assert answer["cases"][0]["eligible"] is False
        assert answer["cases"][0]["reason"] == "blocked_p2p_completed"
        assert any("already been completed" in m for m in answer["cases"][0]["messages"])

    response = await book(client, "O1", REV_A, ny(TUE, "11:00"))
    body = assert_problem(response, 422, "not-eligible")
    assert body.get("blocking_cases", ["O1"]) == ["O1"]
    response = await book(client, ["O3", "O2"], REV_A, ny(TUE, "11:00"))
    body = assert_problem(response, 422, "not-eligible")
    assert body.get("blocking_cases", ["O2"]) == ["O2"]
    # a case that was not in it is unaffected
    assert (await eligibility(client, "O3"))["eligible"] is True
    assert (await book(client, "O3", REV_A, ny(TUE, "11:00"))).status_code == 201


async def test_a_new_determination_allows_another_p2p(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await setup(client, "O1")
    made = await booked(client, "O1", REV_A, ny(TUE, "10:00"))
    clock.advance(days=1)  # Tuesday 10:00 EST, the P2P happened
    assert (await complete(client, made["id"], "modified")).status_code == 200
    assert (await eligibility(client, "O1"))["cases"][0]["reason"] == "blocked_p2p_completed"

    # the case is decided again after the P2P (e.g. partially approved on reconsideration)
    clock.advance(hours=1)
    await push_case(
        client, "O1", status="partially_approved", determination_at="2026-11-24T10:30:00-05:00"
    )
    answer = await eligibility(client, "O1")
    assert answer["eligible"] is True, answer
    assert answer["cases"][0]["level_of_review"] == "reconsideration"
    again = await book(client, "O1", REV_A, ny(WED, "10:00"))
    assert again.status_code == 201, again.text


# ---- 5. no-show -------------------------------------------------------------------------------


async def test_a_provider_no_show_frees_the_slot_and_allows_one_more_booking(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "N1", "N2")
    first = await booked(client, "N1", REV_A, ny(TUE, "10:00"))
    # recorded by an admin, who may before the call's start (a reviewer only once it has
    # begun, SPEC §9), so that Tuesday stays bookable below
    response = await no_show(
        client, first["id"], "provider", headers=ADMIN, notes="Rang twice, voicemail."
    )
    assert response.status_code == 200, response.text
    missed = response.json()
    assert missed["id"] == first["id"]
    assert missed["status"] == "no_show"
    assert missed["sequence"] == 0
    assert await booking_of(client, first["id"]) == missed
    assert await listed_ids(client, status="no_show") == [first["id"]]

    # the slot is free again
    assert (await book(client, "N2", REV_A, ny(TUE, "10:00"))).status_code == 201
    # the case may be booked once more …
    second = await booked(client, "N1", REV_A, ny(TUE, "11:00"))
    assert second["id"] != first["id"]
    assert (await no_show(client, second["id"], "provider", headers=ADMIN)).status_code == 200
    # … but not after a second provider no-show
    third = await book(client, "N1", REV_A, ny(TUE, "12:00"))
    body = assert_problem(third, 422, "not-eligible")
    assert body.get("blocking_cases", ["N1"]) == ["N1"]
    held = await client.post(
        "/v1/holds", json=slot_body("N1", REV_A, ny(TUE, "12:00")), headers=PORTAL
    )
    assert_problem(held, 422, "not-eligible")


async def test_a_reviewer_no_show_may_always_be_rebooked(client: httpx.AsyncClient) -> None:
    await setup(client, "N1")
    for hour in ("10", "11", "12", "13"):
        made = await booked(client, "N1", REV_A, ny(TUE, f"{hour}:00"))
        response = await no_show(client, made["id"], "reviewer", headers=ADMIN)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "no_show"
    assert (await book(client, "N1", REV_A, ny(TUE, "14:00"))).status_code == 201


async def test_reviewer_no_shows_do_not_use_up_the_provider_rebooking(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "N1")
    first = await booked(client, "N1", REV_A, ny(TUE, "10:00"))
    assert (await no_show(client, first["id"], "provider", headers=ADMIN)).status_code == 200
    second = await booked(client, "N1", REV_A, ny(TUE, "11:00"))
    assert (await no_show(client, second["id"], "reviewer", headers=ADMIN)).status_code == 200
    third = await booked(client, "N1", REV_A, ny(TUE, "12:00"))
    assert (await no_show(client, third["id"], "provider", headers=ADMIN)).status_code == 200
    assert_problem(await book(client, "N1", REV_A, ny(TUE, "13:00")), 422, "not-eligible")


async def test_no_show_validates_the_party_and_the_key(client: httpx.AsyncClient) -> None:
    await setup(client, "N1")
    made = await booked(client, "N1", REV_A, ny(TUE, "10:00"))
    for party in ("member", "", "providers", "both"):
        response = await no_show(client, made["id"], party)
        assert_problem(response, 422, "validation", fields={"party"})
    url = f"/v1/bookings/{made['id']}/no-show"
    assert_problem(
        await client.post(url, json={}, headers=REVIEWER), 422, "validation", fields={"party"}
    )
    assert_problem(await no_show(client, made["id"], headers=PORTAL), 403, "forbidden")
    assert await booking_of(client, made["id"]) == made


@pytest.mark.parametrize("ending", ENDINGS)
async def test_no_show_of_an_ended_booking_is_an_invalid_transition(
    client: httpx.AsyncClient, ending: str
) -> None:
    await setup(client, "N1")
    made = await booked(client, "N1", REV_A, ny(TUE, "10:00"))
    await end_booking(client, made["id"], ending)
    before = await booking_of(client, made["id"])
    assert_problem(await no_show(client, made["id"]), 409, "invalid-transition")
    assert await booking_of(client, made["id"]) == before


# ---- 6. reviewer time off ---------------------------------------------------------------------


async def time_off(
    client: httpx.AsyncClient, reviewer_id: str, start: str, end: str, reason: str = "Dentist"
) -> httpx.Response:
    return await client.post(
        f"/v1/reviewers/{reviewer_id}/time-off",
        json={"start": start, "end": end, "reason": reason},
        headers=ADMIN,
    )


async def test_time_off_acts_on_exactly_the_bookings_it_overlaps(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "T1", "T2", "T3", "T4", "T5", "T6", "T7")
    inside = await booked(client, "T1", REV_A, ny(TUE, "10:00"))
    before = await booked(client, "T2", REV_A, ny(TUE, "09:45"))  # ends as the time off starts
    after = await booked(client, "T3", REV_A, ny(TUE, "11:00"))  # starts as it ends
    elsewhere = await booked(client, "T4", REV_B, ny(TUE, "10:00"))  # another reviewer
    gone = await booked(client, "T5", REV_A, ny(TUE, "10:30"))
    assert (await cancel(client, gone["id"])).status_code == 200
    partly = await booked(client, ["T6", "T7"], REV_A, ny(TUE, "16:00"))  # 16:00–16:30

    response = await time_off(client, REV_A, ny(TUE, "10:00"), ny(TUE, "11:00"))
    assert response.status_code == 201, response.text
    # rev-b is busy at 10:00, so the booking moves (test_time_off.py details the choices)
    assert response.json() == {"affected": [{"booking_id": inside["id"], "action": "moved"}]}
    # a period that only overlaps the end of a booking affects it too; rev-b is free then
    response = await time_off(client, REV_A, ny(TUE, "16:15"), ny(TUE, "18:00"))
    assert response.status_code == 201, response.text
    assert response.json()["affected"] == [{"booking_id": partly["id"], "action": "reassigned"}]
    for untouched in (before, after, elsewhere):
        shown = await booking_of(client, untouched["id"])
        assert (shown["status"], shown["sequence"]) == ("scheduled", 0)


async def test_time_off_removes_the_reviewers_slots_and_refuses_bookings_in_it(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "T1", "T2")
    starts = (await slots_of(client, "T1", REV_A))[TUE]
    assert {ny(TUE, "10:00"), ny(TUE, "10:45"), ny(TUE, "14:00")} <= set(starts)

    response = await time_off(client, REV_A, ny(TUE, "10:00"), ny(TUE, "12:00"), "Grand rounds")
    assert response.status_code == 201, response.text
    assert response.json() == {"affected": []}

    starts = (await slots_of(client, "T1", REV_A))[TUE]
    inside = [s for s in starts if ny(TUE, "10:00") <= s < ny(TUE, "12:00")]
    assert inside == []
    assert ny(TUE, "09:45") in starts
    assert ny(TUE, "12:00") in starts
    assert ny(TUE, "10:00") in (await slots_of(client, "T1", REV_B))[TUE]  # not rev-b's

    for start in (ny(TUE, "10:00"), ny(TUE, "11:45")):
        assert_problem(await book(client, "T1", REV_A, start), 409, "slot-taken")
    # a two-case booking starting just before it would run into it
    assert_problem(await book(client, ["T1", "T2"], REV_A, ny(TUE, "09:45")), 409, "slot-taken")
    assert (await book(client, "T1", REV_A, ny(TUE, "12:00"))).status_code == 201
    assert (await book(client, "T2", REV_B, ny(TUE, "10:00"))).status_code == 201


async def test_time_off_over_whole_days(client: httpx.AsyncClient) -> None:
    await setup(client, "T1", "T2", "T3")
    wed = await booked(client, "T1", REV_A, ny(WED, "15:00"))
    thu = await booked(client, "T2", REV_A, ny(THU, "09:00"))
    await booked(client, "T3", REV_A, ny(TUE, "16:45"))
    response = await time_off(client, REV_A, ny(WED, "00:00"), ny("2026-11-27", "00:00"))
    assert response.status_code == 201, response.text
    assert sorted(a["booking_id"] for a in response.json()["affected"]) == sorted(
        [wed["id"], thu["id"]]
    )
    assert {a["action"] for a in response.json()["affected"]} == {"reassigned"}
    for made in (wed, thu):
        shown = await booking_of(client, made["id"])
        assert (shown["reviewer"]["reviewer_id"], shown["start"]) == (REV_B, made["start"])
    days = await slots_of(client, "T3", REV_A)
    assert not days.get(WED) and not days.get(THU)
    assert days.get("2026-11-27")


async def test_time_off_over_a_consultation_under_way_flags_it(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await setup(client, "T1")
    made = await booked(client, "T1", REV_A, ny(TUE, "10:00"))
    clock.advance(days=1, minutes=5)  # Tuesday 10:05: the call has begun
    response = await time_off(client, REV_A, ny(TUE, "09:00"), ny(TUE, "12:00"))
    assert response.json()["affected"] == [{"booking_id": made["id"], "action": "needs_attention"}]
    shown = await booking_of(client, made["id"])
    assert (shown["reviewer"]["reviewer_id"], shown["start"]) == (REV_A, ny(TUE, "10:00"))
    assert shown["attention"] == (
        "The reviewer is off at this time, and the consultation has already begun."
    )


async def test_time_off_validates_its_period_the_reviewer_and_the_key(
    client: httpx.AsyncClient,
) -> None:
    await setup(client)
    backwards = await time_off(client, REV_A, ny(TUE, "12:00"), ny(TUE, "10:00"))
    assert_problem(backwards, 422, "validation", fields={"end"})
    empty = await time_off(client, REV_A, ny(TUE, "12:00"), ny(TUE, "12:00"))
    assert_problem(empty, 422, "validation", fields={"end"})
    naive = await time_off(client, REV_A, "2026-11-24T10:00:00", ny(TUE, "12:00"))
    assert_problem(naive, 422, "validation", fields={"start"})
    missing = await client.post(
        f"/v1/reviewers/{REV_A}/time-off", json={"start": ny(TUE, "10:00")}, headers=ADMIN
    )
    assert_problem(missing, 422, "validation", fields={"end"})
    unknown = await time_off(client, "rev-nobody", ny(TUE, "10:00"), ny(TUE, "12:00"))
    assert_problem(unknown, 404, "not-found")
    portal = await client.post(
        f"/v1/reviewers/{REV_A}/time-off",
        json={"start": ny(TUE, "10:00"), "end": ny(TUE, "12:00")},
        headers=PORTAL,
    )
    assert_problem(portal, 403, "forbidden")
    # nothing above blocked any time
    assert ny(TUE, "10:00") in (await slots_of_any(client))[TUE]


@pytest.mark.parametrize("instant", OUT_OF_RANGE)
async def test_time_off_refuses_instants_outside_the_calendar(
    client: httpx.AsyncClient, instant: str
) -> None:
    await setup(client)
    if instant.startswith("0001"):
        response = await time_off(client, REV_A, instant, ny(TUE, "12:00"))
        assert_problem(response, 422, "validation", fields={"start"})
    else:
        response = await time_off(client, REV_A, ny(TUE, "12:00"), instant)
        assert_problem(response, 422, "validation", fields={"end"})


async def slots_of_any(client: httpx.AsyncClient) -> dict[str, list[str]]:
    await push_case(client, "T-ANY")
    return await slots_of(client, "T-ANY", REV_A)


# ---- 7. unknown and malformed booking ids -----------------------------------------------------

ACTIONS = {
    "get": ("GET", "", None, PORTAL),
    "reschedule": ("POST", "/reschedule", {"start": ny(TUE, "11:00")}, PORTAL),
    "cancel": ("POST", "/cancel", {"reason_code": "duplicate"}, PORTAL),
    "complete": ("POST", "/complete", {"outcome": "upheld"}, REVIEWER),
    "no-show": ("POST", "/no-show", {"party": "provider"}, REVIEWER),
}


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_an_unknown_booking_id_is_404(client: httpx.AsyncClient, action: str) -> None:
    await setup(client, "U1")
    await booked(client, "U1", REV_A, ny(TUE, "10:00"))  # one that exists, so 404 is about the id
    method, suffix, body, headers = ACTIONS[action]
    unknown = str(uuid.uuid4())
    response = await client.request(
        method, f"/v1/bookings/{unknown}{suffix}", json=body, headers=headers
    )
    problem = assert_problem(response, 404, "not-found")
    assert unknown in problem["detail"]


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "12345", "0000000000000000000000000000000g"])
async def test_a_malformed_booking_id_is_an_unknown_booking(
    client: httpx.AsyncClient, action: str, bad_id: str
) -> None:
    """An id that cannot exist is an unknown id: 404, like any other (SPEC §9)."""
    method, suffix, body, headers = ACTIONS[action]
    response = await client.request(
        method, f"/v1/bookings/{bad_id}{suffix}", json=body, headers=headers
    )
    problem = assert_problem(response, 404, "not-found")
    assert bad_id in problem["detail"]
