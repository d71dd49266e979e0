"""Identities and scopes through the real app on both databases (SPEC §10): what a practice,
a reviewer, an operations person and a trusted back end each see and may change when they
call with an OpenID Connect access token of the tests' issuer, beside the tests' API keys.

Who may call which route at all, and what a bad token answers, are another module's; this
one is behaviour: ``provider_org`` on what a provider makes, another organisation's booking
answering exactly like an unknown one, a reviewer acting on the bookings it holds, the audit
naming the token's person, and ``Idempotency-Key`` per person.

NOW is Monday 2026-11-23T15:00Z (10:00 EST); minimum notice 2 h. Reviewers ``rev-a`` and
``rev-b`` work 09:00–17:00 New York time Mon–Fri; cases are commercial PA reconsiderations
valid until the end of 2026-12-04. The app runs on ``clock`` (tests that need a call to have
begun move it).
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from p2p_scheduler.config import Settings
from tests.api.helpers import (
    ADMIN,
    NO_LINKS,
    PORTAL,
    REVIEWER,
    Clock,
    assert_problem,
    book,
    booked,
    booking_body,
    booking_of,
    cancel,
    complete,
    contact_body,
    lookup,
    no_show,
    ny,
    push_case,
    push_reviewer,
    reschedule,
    slot_body,
)
from tests.support import OPS_KEY, auth
from tests.tokens import ORG_A, ORG_B, TestIssuer, provider, reviewer, role

pytestmark = pytest.mark.anyio

REV_A, REV_B = "rev-a", "rev-b"
TUE, WED, THU = "2026-11-24", "2026-11-25", "2026-11-26"
OPS = auth(OPS_KEY)
#: the tables a booking, a pending request or an idempotent retry writes to
WRITTEN = (
    "bookings",
    "booking_cases",
    "booking_events",
    "audit_events",
    "outbox",
    "idempotency_keys",
    "holds",
)


@pytest.fixture
def settings(token_settings: Settings) -> Settings:
    """The app of ``client_at_clock`` accepts the issuer's tokens besides the tests' keys."""
    return token_settings


@pytest.fixture
def client(client_at_clock: httpx.AsyncClient) -> httpx.AsyncClient:
    return client_at_clock


def bearer(issuer: TestIssuer, claims: dict[str, Any], **options: Any) -> dict[str, str]:
    return auth(issuer.mint(claims, **options))


async def setup(client: httpx.AsyncClient, *case_numbers: str) -> None:
    for reviewer_id in (REV_A, REV_B):
        await push_reviewer(client, reviewer_id)
    for number in case_numbers:
        await push_case(client, number)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in WRITTEN
        }


def for_org(provider_org: str | None, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A ``POST /v1/bookings`` body (``booking_body``) naming ``provider_org``."""
    return {**booking_body(*args, **kwargs), "provider_org": provider_org}


async def made_for(
    client: httpx.AsyncClient, provider_org: str, *args: Any, headers: dict[str, str] = PORTAL
) -> dict[str, Any]:
    response = await client.post("/v1/bookings", json=for_org(provider_org, *args), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def request_body(*case_numbers: str, **extra: Any) -> dict[str, Any]:
    """``POST /v1/p2p-requests``: the cases on any weekday morning."""
    return {
        "cases": [lookup(number) for number in case_numbers],
        "time_zone": "America/New_York",
        "preferences": {"days": ["tue", "wed", "thu"], "hours": [9, 10, 11]},
        "contact": contact_body(),
        **extra,
    }


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get("/v1/bookings", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def without_instance(problem: dict[str, Any], booking_id: str) -> dict[str, Any]:
    """A problem with the id it was asked about written as ``<id>`` and no ``instance`` (the
    path, which names the id too): what an unknown id's problem must equal."""
    found = {key: value for key, value in problem.items() if key != "instance"}
    return {
        key: value.replace(booking_id, "<id>") if isinstance(value, str) else value
        for key, value in found.items()
    }


# ---- provider_org on what is made ------------------------------------------------------------


async def test_a_provider_tokens_booking_carries_its_organisation_everywhere(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    await setup(client, "A1", "A2")
    practice = bearer(issuer, provider(ORG_A))

    made = await booked(client, "A1", REV_A, ny(TUE, "10:00"), headers=practice)

    assert made["provider_org"] == ORG_A
    shown = await client.get(f"/v1/bookings/{made['id']}", headers=practice)
    assert shown.status_code == 200, shown.text
    assert shown.json() == made
    assert ids(await listed(client, practice)) == [made["id"]]
    assert (await listed(client, practice))["items"][0] == made
    assert (await booking_of(client, made["id"]))["provider_org"] == ORG_A  # the portal's view
    # naming its own organisation is what leaving it out means
    own = await client.post(
        "/v1/bookings", json=for_org(ORG_A, "A2", REV_A, ny(TUE, "11:00")), headers=practice
    )
    assert own.status_code == 201, own.text
    assert own.json()["provider_org"] == ORG_A


async def test_a_provider_tokens_pending_request_carries_its_organisation(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    await setup(client, "P1", "P2")
    practice = bearer(issuer, provider(ORG_A))

    response = await client.post("/v1/p2p-requests", json=request_body("P1"), headers=practice)

    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["status"], made["provider_org"]) == ("pending_assignment", ORG_A)
    shown = await client.get(f"/v1/bookings/{made['id']}", headers=practice)
    assert shown.json() == made
    assert (await listed(client, practice, status="pending_assignment"))["items"] == [made]
    own = await client.post(
        "/v1/p2p-requests", json=request_body("P2", provider_org=ORG_A), headers=practice
    )
    assert own.status_code == 201, own.text
    assert own.json()["provider_org"] == ORG_A


async def test_a_provider_naming_another_organisation_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, issuer: TestIssuer, engine: Engine
) -> None:
    await setup(client, "A1")
    practice = bearer(issuer, provider(ORG_A))
    before = counts(engine)

    attempts = [
        await client.post(
            "/v1/bookings",
            json=for_org(ORG_B, "A1", REV_A, ny(TUE, "10:00")),
            headers=practice,
        ),
        await client.post(
            "/v1/bookings",
            json=for_org(ORG_B, "A1", REV_A, ny(TUE, "10:00")),
            headers={**practice, "Idempotency-Key": "first-try"},
        ),
        await client.post(
            "/v1/p2p-requests", json=request_body("A1", provider_org=ORG_B), headers=practice
        ),
    ]

    for answer in attempts:
        problem = assert_problem(answer, 422, "validation", fields={"provider_org"})
        assert ORG_B in problem["detail"]
    assert counts(engine) == before
    assert (await listed(client, PORTAL))["items"] == []
    # the refusal freed the Idempotency-Key: the corrected request goes through with it
    fixed = await client.post(
        "/v1/bookings",
        json=booking_body("A1", REV_A, ny(TUE, "10:00")),
        headers={**practice, "Idempotency-Key": "first-try"},
    )
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["provider_org"] == ORG_A


async def test_a_portal_key_sets_any_organisation_and_filters_by_it(
    client: httpx.AsyncClient,
) -> None:
    await setup(client, "K1", "K2", "K3", "K4")
    for_a = await made_for(client, ORG_A, "K1", REV_A, ny(TUE, "10:00"))
    for_b = await made_for(client, ORG_B, "K2", REV_A, ny(TUE, "11:00"))
    nobodys = await book(client, "K3", REV_A, ny(TUE, "12:00"))
    pending = await client.post(
        "/v1/p2p-requests", json=request_body("K4", provider_org=ORG_B), headers=PORTAL
    )

    assert (for_a["provider_org"], for_b["provider_org"]) == (ORG_A, ORG_B)
    assert pending.status_code == 201, pending.text
    assert pending.json()["provider_org"] == ORG_B
    # a booking made without one says so: the key is there, null
    assert nobodys.status_code == 201, nobodys.text
    assert "provider_org" in nobodys.json() and nobodys.json()["provider_org"] is None
    raw = await client.get(f"/v1/bookings/{nobodys.json()['id']}", headers=PORTAL)
    assert '"provider_org":null' in raw.text.replace(" ", "")
    assert ids(await listed(client, PORTAL, provider_org=ORG_A)) == [for_a["id"]]
    assert set(ids(await listed(client, PORTAL, provider_org=ORG_B))) == {
        for_b["id"],
        pending.json()["id"],
    }
    assert ids(await listed(client, PORTAL, provider_org="practice-c")) == []
    everything = await listed(client, PORTAL)
    assert len(everything["items"]) == 4
    assert {item["provider_org"] for item in everything["items"]} == {ORG_A, ORG_B, None}


# ---- another organisation's booking is an unknown one ----------------------------------------


async def test_another_organisations_booking_answers_exactly_like_an_unknown_id(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    await setup(client, "A1")
    made = await booked(client, "A1", REV_A, ny(TUE, "10:00"), headers=bearer(issuer, provider()))
    other = bearer(issuer, provider(ORG_B))
    unknown = str(uuid.uuid4())
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "", None),
        ("POST", "/reschedule", {"start": ny(WED, "11:00")}),
        ("POST", "/reschedule", {"start": ny(WED, "11:07")}),  # off the grid: still 404
        ("POST", "/cancel", {"reason_code": "provider_unavailable"}),
        ("GET", "/history", None),
        ("POST", "/links/rotate", None),
        ("POST", "/availability", {"week_start": "2026-11-30"}),
    ]

    for method, suffix, body in calls:
        theirs = await client.request(
            method, f"/v1/bookings/{made['id']}{suffix}", json=body, headers=other
        )
        nobodys = await client.request(
            method, f"/v1/bookings/{unknown}{suffix}", json=body, headers=other
        )
        where = f"{method} {suffix or '/'}"
        assert_problem(theirs, 404, "not-found")
        assert_problem(nobodys, 404, "not-found")
        assert without_instance(theirs.json(), made["id"]) == without_instance(
            nobodys.json(), unknown
        ), where
        assert theirs.headers.get("content-type") == nobodys.headers.get("content-type"), where

    after = await booking_of(client, made["id"])
    assert (after["status"], after["sequence"], after["start"]) == ("scheduled", 0, made["start"])
    assert after["links"] == made["links"]  # not rotated
    history = await client.get(f"/v1/bookings/{made['id']}/history", headers=PORTAL)
    assert [event["action"] for event in history.json()["items"]] == ["scheduled"]


async def test_another_organisations_ended_booking_is_still_not_found_not_a_conflict(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    # Scope comes before every other rule (SPEC §10): cancelling a cancelled booking is a 409
    # for its own organisation, but to another one the booking does not exist.
    await setup(client, "A1")
    practice = bearer(issuer, provider())
    made = await booked(client, "A1", REV_A, ny(TUE, "10:00"), headers=practice)
    assert (await cancel(client, made["id"], headers=practice)).status_code == 200

    mine = await cancel(client, made["id"], headers=practice)
    theirs = await cancel(client, made["id"], headers=bearer(issuer, provider(ORG_B)))

    assert_problem(mine, 409, "invalid-transition")
    assert_problem(theirs, 404, "not-found")


async def test_a_malformed_body_gets_the_same_answer_for_another_organisations_booking(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    await setup(client, "A1")
    made = await booked(client, "A1", REV_A, ny(TUE, "10:00"), headers=bearer(issuer, provider()))
    other = bearer(issuer, provider(ORG_B))
    unknown = str(uuid.uuid4())

    for suffix, body in (("/cancel", {"reason_code": "bored"}), ("/reschedule", {})):
        theirs = await client.post(f"/v1/bookings/{made['id']}{suffix}", json=body, headers=other)
        nobodys = await client.post(f"/v1/bookings/{unknown}{suffix}", json=body, headers=other)
        assert theirs.status_code == nobodys.status_code
        assert without_instance(theirs.json(), made["id"]) == without_instance(
            nobodys.json(), unknown
        )


async def test_an_organisations_list_never_shows_another_organisations_bookings(
    client: httpx.AsyncClient, issuer: TestIssuer, clock: Clock
) -> None:
    await setup(client, *(f"L{n}" for n in range(1, 6)))
    practice_a, practice_b = bearer(issuer, provider()), bearer(issuer, provider(ORG_B))
    made: dict[str, list[str]] = {ORG_A: [], ORG_B: []}
    # interleaved, a second apart, so newest-first pages of B would cross A's bookings
    for n, (org, headers) in enumerate(
        [(ORG_A, practice_a), (ORG_B, practice_b)] * 2 + [(ORG_A, practice_a)], start=1
    ):
        answer = await booked(client, f"L{n}", REV_A, ny(WED, f"{9 + n}:00"), headers=headers)
        made[org].append(answer["id"])
        clock.advance(seconds=1)

    assert ids(await listed(client, practice_b)) == made[ORG_B][::-1]
    assert ids(await listed(client, practice_a)) == made[ORG_A][::-1]
    named = await listed(client, practice_b, provider_org=ORG_A)
    assert named == {"items": [], "next_cursor": None}
    for_case = await listed(client, practice_b, case_number="L1")  # A's case
    assert for_case == {"items": [], "next_cursor": None}
    # one at a time: B's pages hold B's bookings, and the last one says there is no more
    seen, cursor, pages = [], None, 0
    while True:
        page = await listed(client, practice_b, limit=1, **({"cursor": cursor} if cursor else {}))
        pages += 1
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        assert raw.rsplit("|", 1)[1] in made[ORG_B]
    assert (seen, pages) == (made[ORG_B][::-1], 2)
    # a cursor of A's list, handed to B, pages B's bookings only
    a_page = await listed(client, practice_a, limit=1)
    assert a_page["next_cursor"] is not None
    onwards = await listed(client, practice_b, cursor=a_page["next_cursor"])
    assert set(ids(onwards)) <= set(made[ORG_B])
    assert onwards["next_cursor"] is None


async def test_a_case_another_organisation_booked_is_refused_without_naming_its_booking(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    await setup(client, "C1")
    practice_a, practice_b = bearer(issuer, provider()), bearer(issuer, provider(ORG_B))
    made = await booked(client, "C1", REV_A, ny(TUE, "10:00"), headers=practice_a)

    attempts = {
        "booking": await book(client, "C1", REV_A, ny(TUE, "11:00"), headers=practice_b),
        "hold": await client.post(
            "/v1/holds", json=slot_body("C1", REV_A, ny(TUE, "11:00")), headers=practice_b
        ),
        "request": await client.post(
            "/v1/p2p-requests", json=request_body("C1"), headers=practice_b
        ),
    }
    for what, answer in attempts.items():
        problem = assert_problem(answer, 409, "case-already-booked")
        assert made["id"] not in answer.text, what
        assert (problem["case_number"], problem.get("booking_id")) == ("C1", None), what
    # its own organisation, and a trusted back end, are told which booking holds the case
    for headers in (practice_a, PORTAL):
        own = await book(client, "C1", REV_A, ny(TUE, "11:00"), headers=headers)
        assert assert_problem(own, 409, "case-already-booked")["booking_id"] == made["id"]


# ---- reviewers --------------------------------------------------------------------------------


async def test_a_reviewer_completes_and_records_no_shows_on_its_own_bookings_only(
    client: httpx.AsyncClient, issuer: TestIssuer, clock: Clock
) -> None:
    await setup(client, "R1", "R2", "R3", "R4")
    own = await booked(client, "R1", REV_A, ny(TUE, "10:00"))
    missed = await booked(client, "R2", REV_A, ny(TUE, "10:30"))
    theirs = await booked(client, "R3", REV_B, ny(TUE, "10:00"))
    later = await booked(client, "R4", REV_A, ny(THU, "10:00"))
    me = bearer(issuer, reviewer(REV_A))
    early = await complete(client, own["id"], headers=me)
    assert_problem(early, 409, "call-not-started")

    clock.advance(days=1, hours=1)  # Tuesday 11:00 EST: both of rev-a's Tuesday calls began
    done = await complete(client, own["id"], headers=me)
    no_answer = await no_show(client, missed["id"], headers=me)
    not_mine = await complete(client, theirs["id"], headers=me)
    not_mine_either = await no_show(client, theirs["id"], headers=me)
    unknown = str(uuid.uuid4())
    nobodys = await complete(client, unknown, headers=me)
    not_yet = await no_show(client, later["id"], headers=me)

    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["links"]) == ("completed", NO_LINKS)
    assert no_answer.status_code == 200, no_answer.text
    assert (no_answer.json()["status"], no_answer.json()["links"]) == ("no_show", NO_LINKS)
    assert_problem(not_mine, 404, "not-found")
    assert_problem(not_mine_either, 404, "not-found")
    assert without_instance(not_mine.json(), theirs["id"]) == without_instance(
        nobodys.json(), unknown
    )
    assert_problem(not_yet, 409, "call-not-started")
    assert (await booking_of(client, theirs["id"]))["status"] == "scheduled"
    # the audit names the reviewer's person
    history = await client.get(f"/v1/bookings/{own['id']}/history", headers=me)
    assert history.status_code == 200, history.text
    assert history.json()["items"][-1]["actor"] == {
        "role": "reviewer",
        "id": f"{REV_A}@plan.example.org",
    }
    assert_problem(
        await client.get(f"/v1/bookings/{theirs['id']}/history", headers=me), 404, "not-found"
    )


async def test_a_reviewers_list_and_reads_hold_only_its_bookings_without_provider_links(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    await setup(client, "R1", "R2", "R3")
    mine = [
        await booked(client, "R1", REV_A, ny(TUE, "10:00")),
        await booked(client, "R2", REV_A, ny(WED, "10:00")),
    ]
    theirs = await booked(client, "R3", REV_B, ny(TUE, "10:00"))
    me = bearer(issuer, reviewer(REV_A))

    page = await listed(client, me)

    assert sorted(ids(page)) == sorted(b["id"] for b in mine)
    assert all(item["links"] == NO_LINKS for item in page["items"])
    assert (await listed(client, me, reviewer_id=REV_B))["items"] == []
    one = await client.get(f"/v1/bookings/{mine[0]['id']}", headers=me)
    assert one.status_code == 200, one.text
    assert one.json() == {**mine[0], "links": NO_LINKS}
    assert_problem(await client.get(f"/v1/bookings/{theirs['id']}", headers=me), 404, "not-found")
    # a reviewer API key is a reviewers' desk: every booking, but never the provider's links
    desk = await listed(client, REVIEWER)
    assert len(desk["items"]) == 3
    assert all(item["links"] == NO_LINKS for item in desk["items"])
    read = await client.get(f"/v1/bookings/{theirs['id']}", headers=REVIEWER)
    assert read.json() == {**theirs, "links": NO_LINKS}


async def test_a_reviewer_key_completing_gets_no_provider_links(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await setup(client, "R1", "R2")
    made = await booked(client, "R1", REV_B, ny(TUE, "10:00"))
    missed = await booked(client, "R2", REV_B, ny(TUE, "11:00"))
    clock.advance(days=1, hours=2)
    done = await complete(client, made["id"], headers=REVIEWER)
    no_answer = await no_show(client, missed["id"], headers=REVIEWER)
    assert (done.status_code, done.json()["links"]) == (200, NO_LINKS)
    assert (no_answer.status_code, no_answer.json()["links"]) == (200, NO_LINKS)


async def test_a_reviewer_reads_its_own_agenda_with_its_feed_and_no_one_elses(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    await setup(client, "R1", "R2")
    mine = await booked(client, "R1", REV_A, ny(TUE, "10:00"))
    await booked(client, "R2", REV_B, ny(TUE, "10:00"))
    me = bearer(issuer, reviewer(REV_A))

    agenda = await client.get(f"/v1/reviewers/{REV_A}/agenda", headers=me)
    other = await client.get(f"/v1/reviewers/{REV_B}/agenda", headers=me)
    nobody = await client.get("/v1/reviewers/rev-nobody/agenda", headers=me)

    assert agenda.status_code == 200, agenda.text
    found = agenda.json()
    assert found["reviewer_id"] == REV_A
    assert found["calendar_feed_url"].startswith(
        f"http://testserver/v1/calendars/reviewers/{REV_A}.ics?token="
    )
    assert [b["id"] for b in found["bookings"]] == [mine["id"]]
    assert found["bookings"][0]["links"] == NO_LINKS
    feed = await client.get(found["calendar_feed_url"].removeprefix("http://testserver"))
    assert feed.status_code == 200 and mine["id"] in feed.text
    assert_problem(other, 404, "not-found")
    assert_problem(nobody, 404, "not-found")
    assert {k: v for k, v in other.json().items() if k != "instance"} == {
        k: v.replace("rev-nobody", REV_B) if isinstance(v, str) else v
        for k, v in nobody.json().items()
        if k != "instance"
    }
    # an admin or a reviewer key sees every reviewer's agenda
    assert (await client.get(f"/v1/reviewers/{REV_B}/agenda", headers=REVIEWER)).status_code == 200


# ---- operations -------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["token", "key"])
async def test_operations_read_the_audit_and_history_but_change_nothing(
    client: httpx.AsyncClient, issuer: TestIssuer, engine: Engine, caller: str
) -> None:
    await setup(client, "O1", "O2")
    made = await booked(client, "O1", REV_A, ny(TUE, "10:00"))
    ops = bearer(issuer, role("ops")) if caller == "token" else OPS

    trail = await client.get(
        "/v1/audit", params={"entity": "booking", "entity_id": made["id"]}, headers=ops
    )
    history = await client.get(f"/v1/bookings/{made['id']}/history", headers=ops)

    assert trail.status_code == 200, trail.text
    assert [e["action"] for e in trail.json()["items"]] == ["scheduled"]
    assert history.status_code == 200, history.text
    assert history.json() == trail.json()
    before = counts(engine)
    writes = [
        await book(client, "O2", REV_A, ny(TUE, "11:00"), headers=ops),
        await client.post("/v1/p2p-requests", json=request_body("O2"), headers=ops),
        await reschedule(client, made["id"], ny(WED, "10:00"), headers=ops),
        await cancel(client, made["id"], headers=ops),
        await complete(client, made["id"], headers=ops),
        await no_show(client, made["id"], headers=ops),
        await client.post(f"/v1/bookings/{made['id']}/links/rotate", headers=ops),
        await client.put("/v1/cases/O3", json={}, headers=ops),
        await client.post("/v1/optimizer/runs", headers=ops),
    ]
    for answer in writes:
        assert_problem(answer, 403, "forbidden")
    assert counts(engine) == before
    assert await booking_of(client, made["id"]) == made


# ---- the audit names the token's person -------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "frontdesk@practice-a.example.org",
        "00u1a2b3c4-" + "x" * 189,  # 200 characters
        "s" * 255,  # the longest subject a token may carry
    ],
    ids=["email", "200-characters", "255-characters"],
)
async def test_the_audit_names_the_person_of_the_token(
    client: httpx.AsyncClient, issuer: TestIssuer, subject: str
) -> None:
    await setup(client, "U1")
    practice = bearer(issuer, provider(sub=subject))

    made = await client.post(
        "/v1/bookings",
        json=booking_body("U1", REV_A, ny(TUE, "10:00")),
        headers={**practice, "Idempotency-Key": "audit-1"},
    )
    assert made.status_code == 201, made.text
    booking_id = made.json()["id"]
    moved = await reschedule(client, booking_id, ny(WED, "10:00"), headers=practice)
    assert moved.status_code == 200, moved.text

    trail = await client.get(
        "/v1/audit", params={"entity": "booking", "entity_id": booking_id}, headers=ADMIN
    )
    assert trail.status_code == 200, trail.text
    assert [(e["action"], e["actor"]) for e in trail.json()["items"]] == [
        ("scheduled", {"role": "provider", "id": subject}),
        ("rescheduled", {"role": "provider", "id": subject}),
    ]
    by_person = await client.get("/v1/audit", params={"actor_id": subject}, headers=ADMIN)
    assert by_person.status_code == 200, by_person.text
    assert {e["entity_id"] for e in by_person.json()["items"]} == {booking_id}
    history = await client.get(f"/v1/bookings/{booking_id}/history", headers=practice)
    assert history.json() == trail.json()
    again = await client.post(
        "/v1/bookings",
        json=booking_body("U1", REV_A, ny(TUE, "10:00")),
        headers={**practice, "Idempotency-Key": "audit-1"},
    )
    assert (again.status_code, again.json()["id"]) == (201, booking_id)


# ---- Idempotency-Key per person ---------------------------------------------------------------


async def test_an_idempotency_key_replays_to_its_organisation_only(
    client: httpx.AsyncClient, issuer: TestIssuer, engine: Engine
) -> None:
    await setup(client, "I1", "I2")
    practice_a, practice_b = bearer(issuer, provider()), bearer(issuer, provider(ORG_B))
    body = booking_body("I1", REV_A, ny(TUE, "10:00"))
    key = {"Idempotency-Key": "book-I1-tuesday"}

    first = await client.post("/v1/bookings", json=body, headers={**practice_a, **key})
    retry = await client.post("/v1/bookings", json=body, headers={**practice_a, **key})
    # a new token of the same person (it signed in again) is the same caller
    later = bearer(issuer, provider(), kid="ec-1")
    retry_later = await client.post("/v1/bookings", json=body, headers={**later, **key})

    assert first.status_code == 201, first.text
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert (retry_later.status_code, retry_later.json()) == (201, first.json())
    assert counts(engine)["bookings"] == 1

    # org B with the same key and body: not A's booking replayed; the case is taken, and the
    # answer does not name a booking B cannot see
    same = await client.post("/v1/bookings", json=body, headers={**practice_b, **key})
    problem = assert_problem(same, 409, "case-already-booked")
    assert first.json()["id"] not in same.text
    assert problem.get("booking_id") is None
    # org B with the same key and its own request: a booking of its own
    own_body = booking_body("I2", REV_A, ny(TUE, "11:00"))
    own = await client.post("/v1/bookings", json=own_body, headers={**practice_b, **key})
    assert own.status_code == 201, own.text
    assert own.json()["id"] != first.json()["id"]
    assert own.json()["provider_org"] == ORG_B
    # and A's key still answers A's booking
    once_more = await client.post("/v1/bookings", json=body, headers={**practice_a, **key})
    assert (once_more.status_code, once_more.json()) == (201, first.json())
    assert counts(engine)["bookings"] == 2


async def test_one_person_acting_for_two_organisations_has_a_key_space_for_each(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    # A billing service's person signs in for practice A, later for practice B: the same
    # ``sub``. A key A's booking was made with must not answer that booking to B.
    await setup(client, "I1", "I2")
    person = "pat@billing-service.example.org"
    for_a = bearer(issuer, provider(ORG_A, sub=person))
    for_b = bearer(issuer, provider(ORG_B, sub=person))
    key = {"Idempotency-Key": "next-booking"}

    first = await client.post(
        "/v1/bookings", json=booking_body("I1", REV_A, ny(TUE, "10:00")), headers={**for_a, **key}
    )
    second = await client.post(
        "/v1/bookings", json=booking_body("I2", REV_A, ny(TUE, "11:00")), headers={**for_b, **key}
    )
    replayed_to_b = await client.post(
        "/v1/bookings", json=booking_body("I1", REV_A, ny(TUE, "10:00")), headers={**for_b, **key}
    )

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert (second.json()["provider_org"], first.json()["provider_org"]) == (ORG_B, ORG_A)
    assert first.json()["id"] not in replayed_to_b.text
    assert_problem(replayed_to_b, 422, "idempotency-key-reused")
