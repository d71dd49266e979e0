"""The look-up knows the P2P (SPEC §14, issue 17): each case of an eligibility answer carries
its `status` and `p2p` (null, or `{booking_id, status, start}` of the booking holding it or
of the completed one of its current determination), and a case already booked is not offered
again — the look-up used to answer "eligible" and the hold then failed with 409.

NOW is Monday 2026-11-23T15:00Z (10:00 EST); case ``A1`` is a commercial PA denial of three
days before, open for reconsideration until the end of 2026-12-04. Reviewer ``rev-a`` works
09:00–17:00 New York time.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from p2p_scheduler.config import Settings
from tests.api.helpers import (
    ADMIN,
    PORTAL,
    WRONG_DOB,
    Clock,
    book,
    booked,
    cancel,
    check,
    complete,
    contact_body,
    lookup,
    ny,
    push_case,
    push_reviewer,
)
from tests.support import auth
from tests.tokens import ORG_A, ORG_B, TestIssuer, provider

pytestmark = pytest.mark.anyio

TUE = "2026-11-24"
SCHEDULED_MESSAGE = (
    "A P2P is already scheduled for this case on Tue 11/24/2026 10:00 am EST. To change it, "
    "reschedule that P2P in My P2P requests."
)


@pytest.fixture
def settings(token_settings: Settings) -> Settings:
    return token_settings


@pytest.fixture
def client(client_at_clock: httpx.AsyncClient) -> httpx.AsyncClient:
    return client_at_clock


async def case_of(
    client: httpx.AsyncClient, number: str = "A1", headers: dict[str, str] = PORTAL, **kw: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The look-up of one case: (the whole answer, the case's part)."""
    response = await check(client, lookup(number, **kw), headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body, body["cases"][0]


async def setup(client: httpx.AsyncClient) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "A1")


async def test_before_booking_the_case_shows_its_status_and_no_p2p(
    client: httpx.AsyncClient,
) -> None:
    await setup(client)
    body, case = await case_of(client)
    assert body["eligible"] is True
    assert case["status"] == "denied"
    assert case["p2p"] is None


async def test_a_booked_case_names_its_p2p_and_offers_no_other(client: httpx.AsyncClient) -> None:
    await setup(client)
    made = await booked(client, "A1", "rev-a", ny(TUE, "10:00"))

    body, case = await case_of(client)

    assert case["p2p"] == {
        "booking_id": made["id"],
        "status": "scheduled",
        "start": "2026-11-24T15:00:00Z",
    }
    assert case["status"] == "denied"
    assert case["eligible"] is False
    assert case["reason"] == "p2p_scheduled"
    assert case["messages"] == [SCHEDULED_MESSAGE]
    assert case["level_of_review"] == "reconsideration"  # the level it is booked at
    assert body["eligible"] is False
    assert body["blocking_cases"] == ["A1"]
    assert body["messages"] == [f"Case A1 cannot be scheduled: {SCHEDULED_MESSAGE}"]
    # what the look-up says is what a hold would answer: the case is taken
    hold = await client.post(
        "/v1/holds",
        json={
            "cases": [lookup("A1")],
            "reviewer_id": "rev-a",
            "start": ny(TUE, "11:00"),
            "time_zone": "America/New_York",
        },
        headers=PORTAL,
    )
    assert hold.status_code == 409


async def test_a_rescheduled_p2p_shows_its_new_time(client: httpx.AsyncClient) -> None:
    await setup(client)
    made = await booked(client, "A1", "rev-a", ny(TUE, "10:00"))
    moved = await client.post(
        f"/v1/bookings/{made['id']}/reschedule", json={"start": ny(TUE, "14:30")}, headers=PORTAL
    )
    assert moved.status_code == 200, moved.text

    _, case = await case_of(client)
    assert case["p2p"]["start"] == "2026-11-24T19:30:00Z"
    assert "Tue 11/24/2026 2:30 pm EST" in case["messages"][0]


async def test_after_a_cancel_the_case_is_open_again(client: httpx.AsyncClient) -> None:
    await setup(client)
    made = await booked(client, "A1", "rev-a", ny(TUE, "10:00"))
    assert (await cancel(client, made["id"])).status_code == 200

    body, case = await case_of(client)
    assert case["p2p"] is None
    assert case["eligible"] is True
    assert body["eligible"] is True
    await booked(client, "A1", "rev-a", ny(TUE, "11:00"))


async def test_a_pending_request_shows_without_a_start(client: httpx.AsyncClient) -> None:
    await setup(client)
    response = await client.post(
        "/v1/p2p-requests",
        json={
            "cases": [lookup("A1")],
            "time_zone": "America/New_York",
            "preferences": {"days": ["tue"], "hours": [9, 10]},
            "contact": contact_body(),
        },
        headers={**PORTAL, "Idempotency-Key": "pending-a1"},
    )
    assert response.status_code == 201, response.text

    body, case = await case_of(client)
    assert case["p2p"] == {
        "booking_id": response.json()["id"],
        "status": "pending_assignment",
        "start": None,
    }
    assert case["reason"] == "p2p_pending"
    assert body["eligible"] is False


async def test_a_completed_p2p_is_shown_and_closes_the_determination(
    client: httpx.AsyncClient,
) -> None:
    await setup(client)
    made = await booked(client, "A1", "rev-a", ny(TUE, "10:00"))
    assert (await complete(client, made["id"], headers=ADMIN)).status_code == 200

    body, case = await case_of(client)
    assert case["p2p"] == {
        "booking_id": made["id"],
        "status": "completed",
        "start": "2026-11-24T15:00:00Z",
    }
    assert case["eligible"] is False
    assert case["reason"] == "blocked_p2p_completed"
    assert case["messages"] == [
        "A P2P consultation has already been completed for this determination: it was held "
        "on Tue 11/24/2026 10:00 am EST. Another P2P requires a new determination."
    ]
    assert body["eligible"] is False


async def test_a_new_determination_opens_a_new_p2p(client: httpx.AsyncClient, clock: Clock) -> None:
    await setup(client)
    made = await booked(client, "A1", "rev-a", ny(TUE, "10:00"))
    assert (await complete(client, made["id"], headers=ADMIN)).status_code == 200
    clock.advance(hours=2)  # 12:00 EST: the UM system pushes a new determination
    await push_case(client, "A1", determination_at="2026-11-23T11:30:00-05:00")

    body, case = await case_of(client)
    assert case["p2p"] is None
    assert case["eligible"] is True
    assert body["eligible"] is True
    await booked(client, "A1", "rev-a", ny(TUE, "11:00"))


async def test_a_booking_still_holding_the_case_stays_shown_after_a_new_determination(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    """The booking keeps the case across the new determination (SPEC §14 re-evaluates it), so
    booking again would still be refused: the look-up says so."""
    await setup(client)
    made = await booked(client, "A1", "rev-a", ny(TUE, "10:00"))
    clock.advance(hours=2)
    await push_case(client, "A1", determination_at="2026-11-23T11:30:00-05:00")

    _, case = await case_of(client)
    assert case["p2p"]["booking_id"] == made["id"]
    assert case["eligible"] is False
    assert (await book(client, "A1", "rev-a", ny(TUE, "11:00"))).status_code == 409


async def test_another_organisation_learns_the_time_but_not_the_booking(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    await setup(client)
    practice_a = auth(issuer.mint(provider(ORG_A)))
    practice_b = auth(issuer.mint(provider(ORG_B)))
    made = await booked(client, "A1", "rev-a", ny(TUE, "10:00"), headers=practice_a)

    _, own = await case_of(client, headers=practice_a)
    _, other = await case_of(client, headers=practice_b)

    assert own["p2p"]["booking_id"] == made["id"]
    assert other["p2p"] == {"booking_id": None, "status": "scheduled", "start": own["p2p"]["start"]}
    assert other["eligible"] is False
    assert made["id"] not in str(other)


async def test_a_wrong_date_of_birth_shows_nothing_of_the_p2p(client: httpx.AsyncClient) -> None:
    await setup(client)
    await booked(client, "A1", "rev-a", ny(TUE, "10:00"))

    _, case = await case_of(client, dob=WRONG_DOB)
    _, unknown = await case_of(client, "NOPE1", dob=WRONG_DOB)

    assert case["found"] is False
    assert case["status"] is None
    assert case["p2p"] is None
    assert {**case, "case_number": "NOPE1"} == unknown


async def test_the_call_time_is_written_in_the_requesters_zone(client: httpx.AsyncClient) -> None:
    await setup(client)
    await booked(client, "A1", "rev-a", ny(TUE, "10:00"))
    response = await client.post(
        "/v1/eligibility",
        json={"cases": [lookup("A1")], "time_zone": "America/Chicago"},
        headers=PORTAL,
    )
    assert response.status_code == 200, response.text
    assert "on Tue 11/24/2026 9:00 am CST." in response.json()["cases"][0]["messages"][0]
    refused = await client.post(
        "/v1/eligibility", json={"cases": [lookup("A1")], "time_zone": "Factory"}, headers=PORTAL
    )
    assert refused.status_code == 422
    assert "time_zone" in refused.text


async def test_a_call_relabelled_by_a_denial_is_that_denials_p2p(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    """A pre-decision P2P whose case is denied before the call becomes the reconsideration
    (SPEC §14), so once held it is the P2P of that denial: the look-up names it and offers no
    second one, although it was booked before the denial."""
    await push_reviewer(client, "rev-a")
    held = {"received_at": "2026-11-20T09:00:00-05:00", "post_decision_delegated": True}
    await push_case(
        client, "A1", status="pending_info", hold_due_at="2026-12-04", determination_at=None, **held
    )
    made = await booked(client, "A1", "rev-a", ny(TUE, "10:00"))
    assert made["cases"][0]["level_of_review"] == "pre_decision"
    clock.advance(hours=2)  # 12:00 EST: denied, after the booking
    await push_case(
        client, "A1", status="denied", determination_at=ny("2026-11-23", "11:30"), **held
    )
    relabelled = (await client.get(f"/v1/bookings/{made['id']}", headers=PORTAL)).json()
    assert relabelled["cases"][0]["level_of_review"] == "reconsideration"
    assert (await complete(client, made["id"], headers=ADMIN)).status_code == 200

    body, case = await case_of(client)
    assert case["p2p"] == {
        "booking_id": made["id"],
        "status": "completed",
        "start": "2026-11-24T15:00:00Z",
    }
    assert (case["eligible"], case["reason"]) == (False, "blocked_p2p_completed")
    assert body["eligible"] is False
