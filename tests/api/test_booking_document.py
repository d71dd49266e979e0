"""One booking document (SPEC §7) for the API's answer and a webhook's ``data``, and the code
lists of SPEC §9 declared as ``enum``s in the OpenAPI.

The app here has a webhook URL configured; nothing delivers the outbox (the test app runs no
worker), so each webhook is read from the outbox row its change wrote.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic.json_schema import models_json_schema
from sqlalchemy import Engine, select

from api.app import create_app
from p2p_scheduler.config import Settings
from p2p_scheduler.db.tables import OutboxRow
from p2p_scheduler.domain.booking_document import BookingOut as webhook_document
from p2p_scheduler.domain.clock import fixed_clock
from p2p_scheduler.domain.enums import BookingStatus, CancelReason, Outcome, Party
from p2p_scheduler.domain.policy import load_policy
from tests.api.helpers import (
    ADMIN,
    PORTAL,
    REVIEWER,
    book,
    push_case,
    push_reviewer,
)
from tests.support import NOW, WEBHOOK_SECRET, settings_for_tests

pytestmark = pytest.mark.anyio

HOOK = "http://hooks.example.org/p2p"
TUESDAY_10 = "2026-11-24T10:00:00-05:00"
TUESDAY_11 = "2026-11-24T11:00:00-05:00"
#: every field SPEC §7 names for a booking, with the fields it names inside
SPEC_FIELDS = {
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
SPEC_NESTED = {
    "reviewer": {"reviewer_id", "name", "credentials"},
    "cases": {"case_number", "level_of_review", "valid_until"},
    "contact": {
        "provider_name",
        "provider_role",
        "contact_name",
        "contact_location",
        "phone",
        "phone_ext",
        "alt_phone",
        "alt_phone_ext",
        "email",
        "instructions",
    },
    "links": {"invite_ics", "manage"},
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for_tests(database_url, webhook_urls=HOOK, webhook_secret=WEBHOOK_SECRET)


def webhooks(engine: Engine, booking_id: str) -> dict[str, dict[str, Any]]:
    """The webhooks written for ``booking_id``, by type (the clock stands still here, so
    they cannot be told apart by time)."""
    with engine.connect() as connection:
        bodies = connection.execute(
            select(OutboxRow.body).where(  # type: ignore[call-overload]
                OutboxRow.channel == "webhook", OutboxRow.booking_id == booking_id
            )
        ).scalars()
        sent = [json.loads(body) for body in bodies]
    by_type = {hook["type"]: hook for hook in sent}
    assert len(by_type) == len(sent), "one webhook per change"
    return by_type


async def shown(client: httpx.AsyncClient, booking_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/bookings/{booking_id}", headers=PORTAL)
    assert response.status_code == 200, response.text
    return response.json()


async def test_each_webhooks_data_is_the_booking_the_api_answers(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "D1")
    made = await book(client, "D1", "rev-a", TUESDAY_10, alt_phone=None, instructions="")
    assert made.status_code == 201, made.text
    booking_id = made.json()["id"]
    answers = [await shown(client, booking_id)]
    assert answers[0] == made.json()

    moved = await client.post(
        f"/v1/bookings/{booking_id}/reschedule", json={"start": TUESDAY_11}, headers=PORTAL
    )
    assert moved.status_code == 200, moved.text
    answers.append(await shown(client, booking_id))
    cancelled = await client.post(
        f"/v1/bookings/{booking_id}/cancel",
        json={"reason_code": "other", "reason_text": "the provider retired"},
        headers=PORTAL,
    )
    assert cancelled.status_code == 200, cancelled.text
    answers.append(await shown(client, booking_id))

    sent = webhooks(engine, booking_id)
    changes = ["booking.scheduled", "booking.rescheduled", "booking.cancelled"]
    assert sorted(sent) == sorted(changes)
    for change, answer in zip(changes, answers, strict=True):
        data = sent[change]["data"]
        # field for field and value for value, with the same JSON types and renderings
        assert data == answer, change
        assert json.dumps(data, sort_keys=True) == json.dumps(answer, sort_keys=True)
        assert set(answer) >= SPEC_FIELDS
        for name, fields in SPEC_NESTED.items():
            nested = answer[name][0] if isinstance(answer[name], list) else answer[name]
            assert fields <= set(nested), name
    assert [a["sequence"] for a in answers] == [0, 1, 2]
    assert answers[-1]["status"] == "cancelled"


async def test_a_completed_and_a_pending_booking_are_the_same_document_too(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "D1")
    await push_case(client, "D2")
    made = (await book(client, "D1", "rev-a", TUESDAY_10)).json()
    done = await client.post(
        f"/v1/bookings/{made['id']}/complete", json={"outcome": "overturned"}, headers=ADMIN
    )
    assert done.status_code == 200, done.text
    assert webhooks(engine, made["id"])["booking.completed"]["data"] == await shown(
        client, made["id"]
    )

    pending = await client.post(
        "/v1/p2p-requests",
        json={
            "cases": [{"case_number": "D2", "member_dob": "1970-05-17"}],
            "time_zone": "America/Chicago",
            "contact": {
                "provider_name": "Dr. Olive Orderly",
                "provider_role": "ordering_provider",
                "phone": "(555) 555-0100",
                "email": "olive.orderly@clinic.example.org",
            },
        },
        headers=PORTAL,
    )
    assert pending.status_code == 201, pending.text
    answer = await shown(client, pending.json()["id"])
    assert answer == pending.json()
    assert (answer["status"], answer["start"], answer["reviewer"]) == (
        "pending_assignment",
        None,
        None,
    )


async def test_a_reviewer_key_reads_the_document_without_the_providers_links(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "D1")
    made = (await book(client, "D1", "rev-a", TUESDAY_10)).json()
    as_reviewer = await client.get(f"/v1/bookings/{made['id']}", headers=REVIEWER)
    agenda = await client.get("/v1/reviewers/rev-a/agenda", headers=REVIEWER)
    assert agenda.json()["bookings"][0]["links"] == {"invite_ics": None, "manage": None}
    assert {k: v for k, v in agenda.json()["bookings"][0].items() if k != "links"} == {
        k: v for k, v in made.items() if k != "links"
    }
    assert as_reviewer.json()["id"] == made["id"]


# ---- the code lists in the OpenAPI -----------------------------------------------------------


def _enum(document: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """The enum a property declares, directly, through a $ref or inside ``anyOf``."""
    if "enum" in schema:
        return schema["enum"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _enum(document, document["components"]["schemas"][name])
    for option in schema.get("anyOf", []):
        if found := _enum(document, option):
            return found
    return []


def _property(document: dict[str, Any], schema_name: str, field: str) -> dict[str, Any]:
    return document["components"]["schemas"][schema_name]["properties"][field]


async def test_the_openapi_declares_the_code_lists_as_enums(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    expected = {
        ("BookingOut", "status"): [s.value for s in BookingStatus],
        ("CancelIn", "reason_code"): [r.value for r in CancelReason],
        ("CompleteIn", "outcome"): [o.value for o in Outcome],
        ("NoShowIn", "party"): [p.value for p in Party],
        ("ContactIn", "provider_role"): list(load_policy(None).provider_roles),
    }
    for (schema_name, field), values in expected.items():
        assert _enum(document, _property(document, schema_name, field)) == values, field
    assert _enum(document, _property(document, "CancelIn", "reason_code")) == [
        "provider_unavailable",
        "reviewer_unavailable",
        "case_resolved",
        "scheduled_in_error",
        "duplicate",
        "other",
    ]
    listing = document["paths"]["/v1/bookings"]["get"]["parameters"]
    status = next(p for p in listing if p["name"] == "status")
    assert _enum(document, status["schema"]) == [s.value for s in BookingStatus]


async def test_the_provider_roles_enum_is_the_apps_policy(
    settings: Settings, engine: Engine
) -> None:
    policy = load_policy(None)
    roles = (*policy.provider_roles, "clinical_pharmacist")
    app = create_app(
        settings,
        engine=engine,
        policy=policy.model_copy(update={"provider_roles": roles}),
        clock=fixed_clock(NOW),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        document = (await http.get("/openapi.json")).json()
    assert _enum(document, _property(document, "ContactIn", "provider_role")) == list(roles)
    # the marker that asks for the policy's list does not leak into the document
    assert "x-p2p-policy-provider-roles" not in json.dumps(document)


async def test_webhook_data_is_described_by_the_openapis_booking_schema(
    client: httpx.AsyncClient,
) -> None:
    """The webhook's ``data`` is built from the model the OpenAPI documents as
    ``BookingOut``: a portal validates both with one schema."""
    document = (await client.get("/openapi.json")).json()
    _, generated = models_json_schema(
        [(webhook_document, "serialization")], ref_template="#/components/schemas/{model}"
    )
    definitions = generated["$defs"]
    assert {"BookingOut", "BookingStatus", "ContactOut", "ReviewerRef", "Links"} <= set(definitions)
    for name, definition in definitions.items():
        documented = document["components"]["schemas"][name]
        assert documented.get("properties", {}).keys() == definition.get("properties", {}).keys()
        assert documented.get("enum") == definition.get("enum"), name
