"""The words a front desk reads when a field is refused (issue 18): each names the field and
says what to type, in the field's ``errors[].message`` and in the problem's ``detail``."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import (
    PORTAL,
    assert_problem,
    book,
    booked,
    booking_of,
    cancel,
    ny,
    push_case,
    push_reviewer,
)

pytestmark = pytest.mark.anyio

EMAIL_WORDS = "Enter a valid e-mail address, like name@clinic.org"
EXTENSION_WORDS = "Enter the extension in digits only (up to 8), like 12345"
OTHER_WORDS = "Write a few words on why the P2P is cancelled: the reason 'Other' needs them."
FIX = "Fix these fields and send the request again — "
TUE_10 = ny("2026-11-24", "10:00")


@pytest.fixture
def client(client_at_clock: httpx.AsyncClient) -> httpx.AsyncClient:
    return client_at_clock


def only_error(response: httpx.Response, field: str) -> dict[str, str]:
    body = assert_problem(response, 422, "validation", fields={field})
    [error] = body["errors"]
    return {"message": error["message"], "detail": body["detail"]}


@pytest.mark.parametrize(
    "email", ["olive at clinic.org", "olive@clinic", "olive@@clinic.org", "olive@clinic.org;x"]
)
async def test_a_wrong_email_says_what_one_looks_like(
    client: httpx.AsyncClient, email: str
) -> None:
    said = only_error(await book(client, "X1", "rev-a", TUE_10, email=email), "contact.email")
    assert said == {
        "message": EMAIL_WORDS,
        "detail": f"{FIX}email (in contact): {EMAIL_WORDS}",
    }


@pytest.mark.parametrize("field", ["phone_ext", "alt_phone_ext"])
@pytest.mark.parametrize("extension", ["12a", "ext 12", "x", "123456789", "²³"])
async def test_a_wrong_extension_says_digits_only_up_to_8(
    client: httpx.AsyncClient, field: str, extension: str
) -> None:
    """A letter, a ninth digit, a superscript: one message, not a library's words."""
    response = await book(client, "X1", "rev-a", TUE_10, **{field: extension})
    assert only_error(response, f"contact.{field}") == {
        "message": EXTENSION_WORDS,
        "detail": f"{FIX}{field} (in contact): {EXTENSION_WORDS}",
    }


async def test_cancelling_for_other_reason_asks_for_a_few_words(
    client: httpx.AsyncClient,
) -> None:
    await push_reviewer(client, "rev-a")
    await push_case(client, "X1")
    made = await booked(client, "X1", "rev-a", TUE_10)
    for text in (None, "", "   ", "\n"):
        response = await cancel(client, made["id"], "OTHER", text)
        assert only_error(response, "reason_text") == {
            "message": OTHER_WORDS,
            "detail": OTHER_WORDS,
        }
    assert await booking_of(client, made["id"]) == made  # still booked
    response = await cancel(client, made["id"], "other", "The member changed plans.")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        (
            "/v1/eligibility",
            {"cases": [{"case_number": "X1", "member_dob": "03/08/1966x"}]},
            "cases[0].member_dob",
            "Enter a date as YYYY-MM-DD, like 1962-04-17",
        ),
        ("/v1/eligibility", {"cases": []}, "cases", "List at least 1 item"),
        (
            "/v1/holds",
            {
                "cases": [{"case_number": "X1", "member_dob": "1970-05-17"}],
                "reviewer_id": "rev-a",
                "start": "2026-11-24T10:00:00",
                "time_zone": "America/New_York",
            },
            "start",
            "Enter a date and time with its UTC offset, like 2026-12-08T14:30:00-06:00",
        ),
        (
            "/v1/availability",
            {
                "cases": [{"case_number": "X1", "member_dob": "1970-05-17"}],
                "time_zone": "America/New_York",
                "slots_per_day": 0,
            },
            "slots_per_day",
            "Use 1 or more",
        ),
    ],
    ids=["date", "empty-list", "instant-without-offset", "number-below-range"],
)
async def test_the_librarys_own_words_are_replaced_by_what_to_type(
    client: httpx.AsyncClient, path: str, body: dict[str, object], field: str, words: str
) -> None:
    """Dates, lists, instants and ranges: pydantic's "Input should be a valid date or datetime,
    invalid character in year" becomes what to type instead."""
    said = only_error(await client.post(path, json=body, headers=PORTAL), field)
    assert said["message"] == words
    assert said["detail"].endswith(words)


async def test_a_too_long_name_says_how_long_it_may_be(client: httpx.AsyncClient) -> None:
    response = await book(client, "X1", "rev-a", TUE_10, provider_name="x" * 201)
    said = only_error(response, "contact.provider_name")
    assert said["message"] == "Use at most 200 characters"
