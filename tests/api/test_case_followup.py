"""Bookings follow their case (SPEC §14), through the real app on both databases.

Each case snapshot the UM system pushes re-evaluates the active bookings holding the case as
of their start (a pending request: now): an approved or withdrawn case cancels the booking
(``case_resolved``, by ``system``, CANCEL invites, ``booking.cancelled``); a case still
eligible at another level relabels it (``booking.updated``, updated invites); a case no
longer eligible at the start flags it for a person (``attention``,
``booking.needs_attention``). The case change and all of that commit in one transaction.

NOW is Monday 2026-11-23 15:00Z (10:00 EST); the calls here are on Tuesday 2026-11-24 in
New York. The default case is a commercial PA case held for information (pre-decision P2P,
hold due Friday 2026-12-04).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from p2p_scheduler.config import Settings
from p2p_scheduler.db import outbox_store
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.outbox_store import messages_of
from p2p_scheduler.services.notifications import EmailRecipe, render_email
from tests.api.helpers import (
    Clock,
    assert_problem,
    booked,
    booking_of,
    case_body,
    contact_body,
    lookup,
    ny,
    push_case,
    push_reviewer,
)
from tests.support import (
    ADMIN_KEY,
    PORTAL_KEY,
    WEBHOOK_SECRET,
    auth,
    settings_for_tests,
)

pytestmark = pytest.mark.anyio

ADMIN, PORTAL = auth(ADMIN_KEY), auth(PORTAL_KEY)
HOOK = "https://um.example.org/hooks/p2p"
#: who cancels, relabels and flags (SPEC §14), as a booking's history shows it
SYSTEM = {"role": "service", "id": "system"}
TUE = "2026-11-24"
PROVIDER = contact_body()["email"]
#: a case held for information: a pre-decision P2P until the end of 2026-12-04
HELD = {
    "status": "pending_info",
    "received_at": "2026-11-20T09:00:00-05:00",
    "hold_due_at": "2026-12-04",
    "determination_at": None,
}
#: denied this morning, post-decision options delegated: a reconsideration until 2026-12-07
DENIED = {
    "status": "denied",
    "received_at": "2026-11-20T09:00:00-05:00",
    "determination_at": "2026-11-23T08:00:00-05:00",
    "post_decision_delegated": True,
}
#: a case change that nothing a booking shows depends on
IRRELEVANT = {"case_type": "MSK Spine Surgery, revised"}
ATTENTION_INFO = (
    "Case F1: Additional clinical information has been received for this case. The case is "
    "proceeding to determination and is not being held for a Pre-Decision P2P. "
    "Decide whether to keep or cancel this call."
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for_tests(database_url, webhook_urls=HOOK, webhook_secret=WEBHOOK_SECRET)


async def put_case(client: httpx.AsyncClient, number: str, **fields: Any) -> httpx.Response:
    return await client.put(f"/v1/cases/{number}", json=case_body(**fields), headers=ADMIN)


async def pushed(client: httpx.AsyncClient, number: str, **fields: Any) -> None:
    response = await put_case(client, number, **fields)
    assert response.status_code == 200, response.text


def outbox(engine: Engine, booking_id: str) -> list[tuple[str, str, str]]:
    """(channel, event type, recipient) of every message written for the booking about a
    change (its planned reminders left out: a change re-plans them)."""
    with transaction(engine) as session:
        return [
            (m.channel, m.event_type, m.recipient)
            for m in messages_of(session, booking_id)
            if m.event_type != "booking.reminder"
        ]


def email_to(engine: Engine, booking_id: str, event_type: str, address: str) -> str:
    """The rendered text of the one e-mail of ``event_type`` to ``address``."""
    with transaction(engine) as session:
        [body] = [
            m.body
            for m in messages_of(session, booking_id)
            if (m.channel, m.event_type, m.recipient) == ("email", event_type, address)
        ]
    message = render_email(EmailRecipe.from_json(body))
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def webhook(engine: Engine, booking_id: str, event_type: str) -> dict[str, Any]:
    with transaction(engine) as session:
        [body] = [
            m.body
            for m in messages_of(session, booking_id)
            if (m.channel, m.event_type) == ("webhook", event_type)
        ]
    return json.loads(body)


async def history(client: httpx.AsyncClient, booking_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/bookings/{booking_id}/history", headers=PORTAL)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def scheduled_call(client: httpx.AsyncClient, *numbers: str, **case: Any) -> dict:
    """rev-a (and rev-b) in New York; the cases held for information; one booking of them
    on Tuesday 10:00 EST with rev-a."""
    await push_reviewer(client, "rev-a")
    await push_reviewer(client, "rev-b")
    for number in numbers:
        await push_case(client, number, **{**HELD, **case})
    return await booked(client, list(numbers), "rev-a", ny(TUE, "10:00"))


async def pending_request(client: httpx.AsyncClient, number: str) -> dict:
    await push_case(client, number, **HELD)
    response = await client.post(
        "/v1/p2p-requests",
        json={
            "cases": [lookup(number)],
            "time_zone": "America/New_York",
            "contact": contact_body(),
        },
        headers=PORTAL,
    )
    assert response.status_code == 201, response.text
    return response.json()


# ---- resolved: cancelled -----------------------------------------------------------------------


async def test_an_approved_case_cancels_its_call_and_everyone_is_told(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    made = await scheduled_call(client, "F1")

    await pushed(client, "F1", **{**HELD, "status": "approved"})

    after = await booking_of(client, made["id"])
    assert (after["status"], after["sequence"], after["links"]["manage"]) == ("cancelled", 1, None)
    last = (await history(client, made["id"]))[-1]
    assert (last["action"], last["actor"]) == ("cancelled", SYSTEM)
    assert last["after"]["cancel_reason_code"] == "case_resolved"
    assert set(outbox(engine, made["id"])) >= {
        ("email", "booking.cancelled", PROVIDER),
        ("email", "booking.cancelled", "rev-a@example.org"),
        ("webhook", "booking.cancelled", HOOK),
    }
    assert webhook(engine, made["id"], "booking.cancelled")["data"]["status"] == "cancelled"
    text = email_to(engine, made["id"], "booking.cancelled", PROVIDER)
    assert text.startswith(
        "This peer-to-peer consultation has been cancelled.\n"
        "Case F1 was approved, so no P2P is needed.\n"
    )
    # the reviewer's time is free again: another case can take Tuesday 10:00
    await push_case(client, "F9", **HELD)
    await booked(client, "F9", "rev-a", ny(TUE, "10:00"))


async def test_a_withdrawn_case_cancels_its_call_too(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    made = await scheduled_call(client, "F1")

    await pushed(client, "F1", **{**HELD, "status": "withdrawn"})

    assert (await booking_of(client, made["id"]))["status"] == "cancelled"
    assert "Case F1 was withdrawn, so no P2P is needed." in email_to(
        engine, made["id"], "booking.cancelled", "rev-a@example.org"
    )


async def test_a_resolved_case_cancels_a_pending_request_with_a_webhook_only(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    request = await pending_request(client, "F1")

    await pushed(client, "F1", **{**HELD, "status": "approved"})

    assert (await booking_of(client, request["id"]))["status"] == "cancelled"
    assert outbox(engine, request["id"])[-1] == ("webhook", "booking.cancelled", HOOK)
    assert not [m for m in outbox(engine, request["id"]) if m[0] == "email"]


# ---- another level: relabelled -----------------------------------------------------------------


async def test_a_denial_before_the_call_makes_it_a_reconsideration(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    made = await scheduled_call(client, "F1")
    assert made["cases"][0]["level_of_review"] == "pre_decision"

    await pushed(client, "F1", **DENIED)

    after = await booking_of(client, made["id"])
    [case] = after["cases"]
    assert (after["status"], after["attention"], after["sequence"]) == ("scheduled", None, 1)
    assert (case["level_of_review"], case["level_of_review_label"]) == (
        "reconsideration",
        "Reconsideration P2P",
    )
    assert case["valid_until"] == "2026-12-08T04:59:59Z"  # 14 days after the denial, NY
    hook = webhook(engine, made["id"], "booking.updated")
    assert hook["data"]["cases"] == after["cases"]
    # calendars get the updated REQUEST: same UID, SEQUENCE 1, the new level in the summary
    text = email_to(engine, made["id"], "booking.updated", PROVIDER)
    assert "Case F1 is now a Reconsideration P2P." in text
    assert "Case: case F1 (Reconsideration P2P)" in text
    invite = await client.get(after["links"]["invite_ics"].removeprefix("http://testserver"))
    ics = invite.text.replace("\r\n ", "")
    assert "METHOD:REQUEST" in ics and "SEQUENCE:1" in ics
    assert "SUMMARY:P2P: case F1 (Reconsideration P2P)" in ics
    last = (await history(client, made["id"]))[-1]
    assert (last["action"], last["actor"]) == ("updated", SYSTEM)


async def test_a_pending_request_is_relabelled_without_an_invite(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    request = await pending_request(client, "F1")

    await pushed(client, "F1", **DENIED)

    after = await booking_of(client, request["id"])
    assert [c["level_of_review"] for c in after["cases"]] == ["reconsideration"]
    assert after["sequence"] == 0  # no invite went out, so none to update
    assert outbox(engine, request["id"])[-1] == ("webhook", "booking.updated", HOOK)


async def test_an_appeal_the_booked_reviewer_cannot_hold_is_relabelled_and_flagged(
    client: httpx.AsyncClient,
) -> None:
    # rev-a made the determination: fine for a reconsideration, excluded from an appeal
    made = await scheduled_call(client, "F1", **DENIED, determined_by="rev-a")
    assert made["cases"][0]["level_of_review"] == "reconsideration"

    await pushed(
        client, "F1", **DENIED, determined_by="rev-a", appeal_filed_at="2026-11-23T09:00:00-05:00"
    )

    after = await booking_of(client, made["id"])
    assert [c["level_of_review"] for c in after["cases"]] == ["appeal"]
    assert after["attention"] == (
        "Dr. rev-a cannot hold it at the new level of review (skill, licence, or as the "
        "physician who made the determination): reschedule with another reviewer. "
        "Decide whether to keep or cancel this call."
    )


# ---- not eligible at the start: attention ------------------------------------------------------


async def test_information_received_flags_the_call_for_a_person(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    made = await scheduled_call(client, "F1")

    await pushed(client, "F1", **HELD, additional_info_received_at="2026-11-23T09:30:00-05:00")

    after = await booking_of(client, made["id"])
    assert (after["status"], after["sequence"]) == ("scheduled", 0)
    assert after["attention"] == ATTENTION_INFO
    flagged = await client.get("/v1/bookings?needs_attention=true", headers=PORTAL)
    assert [b["id"] for b in flagged.json()["items"]] == [made["id"]]
    assert webhook(engine, made["id"], "booking.needs_attention")["data"] == after
    assert ("email", "booking.needs_attention", PROVIDER) not in outbox(engine, made["id"])


async def test_a_window_that_now_closes_before_the_start_flags_the_call(
    client: httpx.AsyncClient,
) -> None:
    # Still eligible now (Monday), but not at the call's start (Tuesday): the hold ends Monday.
    made = await scheduled_call(client, "F1")

    await pushed(client, "F1", **{**HELD, "hold_due_at": "2026-11-23"})

    after = await booking_of(client, made["id"])
    assert after["status"] == "scheduled"
    assert after["attention"] == (
        "Case F1: The P2P window for this case closed on Mon 11/23/2026 11:59 pm EST. "
        "Decide whether to keep or cancel this call."
    )


async def test_a_pending_request_no_longer_eligible_is_flagged(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    request = await pending_request(client, "F1")

    await pushed(client, "F1", **HELD, additional_info_received_at="2026-11-23T09:30:00-05:00")

    after = await booking_of(client, request["id"])
    assert (after["status"], after["attention"]) == ("pending_assignment", ATTENTION_INFO)
    assert outbox(engine, request["id"])[-1] == ("webhook", "booking.needs_attention", HOOK)


async def test_a_call_that_has_begun_is_left_to_a_person_not_cancelled(
    client_at_clock: httpx.AsyncClient, clock: Clock
) -> None:
    client = client_at_clock
    made = await scheduled_call(client, "F1")
    clock.advance(days=1, minutes=5)  # Tuesday 10:05 EST: the call is on

    await pushed(client, "F1", **{**HELD, "status": "approved"})

    after = await booking_of(client, made["id"])
    assert after["status"] == "scheduled"
    assert after["attention"] == (
        "Case F1 was approved, so no P2P is needed. "
        "The call has already begun: record its outcome, or cancel it."
    )


# ---- several cases, one changes ----------------------------------------------------------------


async def test_one_approved_case_of_two_leaves_the_call_to_a_person(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    made = await scheduled_call(client, "F1", "F2")

    await pushed(client, "F1", **{**HELD, "status": "approved"})

    after = await booking_of(client, made["id"])
    assert (after["status"], after["sequence"]) == ("scheduled", 0)
    assert after["attention"] == (
        "Case F1: This case has been approved. A P2P consultation is not needed. "
        "The call is still needed for case F2. Decide whether to keep or cancel this call."
    )
    assert [c["level_of_review"] for c in after["cases"]] == ["pre_decision", "pre_decision"]
    assert ("webhook", "booking.cancelled", HOOK) not in outbox(engine, made["id"])

    # once the other case is approved too, nothing is left to discuss
    await pushed(client, "F2", **{**HELD, "status": "approved"})
    assert (await booking_of(client, made["id"]))["status"] == "cancelled"
    assert "Cases F1, F2 were approved, so no P2P is needed." in email_to(
        engine, made["id"], "booking.cancelled", PROVIDER
    )


async def test_one_denied_case_of_two_relabels_only_that_case(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    made = await scheduled_call(client, "F1", "F2")

    await pushed(client, "F2", **DENIED)

    after = await booking_of(client, made["id"])
    assert [(c["case_number"], c["level_of_review"]) for c in after["cases"]] == [
        ("F1", "pre_decision"),
        ("F2", "reconsideration"),
    ]
    assert (after["attention"], after["sequence"]) == (None, 1)
    assert "Case F2 is now a Reconsideration P2P." in email_to(
        engine, made["id"], "booking.updated", "rev-a@example.org"
    )


# ---- nothing to do: nothing written ------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"status": "approved"},
        DENIED,
        {"additional_info_received_at": "2026-11-23T09:30:00-05:00"},
        IRRELEVANT,
    ],
    ids=["cancelled", "relabelled", "flagged", "irrelevant"],
)
async def test_the_same_snapshot_again_writes_nothing_more(
    client: httpx.AsyncClient, engine: Engine, change: dict[str, Any]
) -> None:
    made = await scheduled_call(client, "F1")
    written = len(outbox(engine, made["id"]))
    await pushed(client, "F1", **{**HELD, **change})
    before = (outbox(engine, made["id"]), await history(client, made["id"]))
    assert (len(before[0]) > written) == (change is not IRRELEVANT)

    await pushed(client, "F1", **{**HELD, **change})

    assert (outbox(engine, made["id"]), await history(client, made["id"])) == before


# ---- a crash cannot skip it ------------------------------------------------------------------


async def test_a_failure_while_following_keeps_the_case_update_out_too(
    client: httpx.AsyncClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await scheduled_call(client, "F1")
    written = outbox(engine, made["id"])

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the process died while writing the outbox")

    with monkeypatch.context() as patched:
        patched.setattr(outbox_store, "add", crash)
        response = await put_case(client, "F1", **{**HELD, "status": "approved"})
    assert_problem(response, 500, "internal")

    # nothing of it committed: the case is as it was, the booking too, nothing to send
    case = await client.get("/v1/cases/F1", headers=ADMIN)
    assert case.json()["status"] == "pending_info"
    assert (await booking_of(client, made["id"]))["status"] == "scheduled"
    assert outbox(engine, made["id"]) == written

    # the UM system's retry does all of it
    await pushed(client, "F1", **{**HELD, "status": "approved"})
    assert (await booking_of(client, made["id"]))["status"] == "cancelled"
    assert ("webhook", "booking.cancelled", HOOK) in outbox(engine, made["id"])
