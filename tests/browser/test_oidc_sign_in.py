"""Signing in with a real OpenID Connect provider (SPEC §10): the pages are a public client
of the issuer (Authorization Code with PKCE, oidc-client-ts in the browser) and call the API
with its access token. Two practices' people sign in through the provider's own form in
turn; each sees only their practice's P2P requests: practice B cannot list or open the one
practice A booked (not found, like an unknown id). A token that runs out is renewed with the
refresh token; a sign-in refused at the provider says so on the page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.issuer import TOKEN_SECONDS, MockIssuer, Person, mock_issuer
from tests.browser.support import api, book_in_the_page, signed_in_as
from tests.browser.test_portal_flow import DOBS, THREE_TIERS_CASE, confirm_zone
from tests.e2e.server import Server, cli_env, start_server, stop

pytestmark = pytest.mark.e2e

#: A Texas spine case in review, eligible for a pre-decision P2P, that no other test of this
#: module books (once a case is booked the look-up names its P2P and offers no other).
LAUNCH_CASE = "A100002"

AUDIENCE = "p2p-scheduler-browser-tests"
CLIENT_ID = "p2p-pages"
PRACTICE_A = Person(
    sub="frontdesk@practice-a.example.org",
    claims={
        "p2p_role": "provider",
        "provider_org": "practice-a",
        "name": "Front desk, Practice A",
        "email": "frontdesk@practice-a.example.org",
    },
)
PRACTICE_B = Person(
    sub="frontdesk@practice-b.example.org",
    claims={
        "p2p_role": "provider",
        "provider_org": "practice-b",
        "name": "Front desk, Practice B",
        "email": "frontdesk@practice-b.example.org",
    },
)


@pytest.fixture(scope="module")
def issuer() -> Iterator[MockIssuer]:
    with mock_issuer(AUDIENCE, [PRACTICE_A, PRACTICE_B]) as running:
        yield running


@pytest.fixture(scope="module")
def service(issuer: MockIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``serve --demo`` (for its cases and reviewers) that also trusts the provider."""
    server = start_server(
        tmp_path_factory.mktemp("portal-oidc"),
        cli_env(
            P2P_RATE_LIMIT_PER_MINUTE="0",
            P2P_OIDC_ISSUER=issuer.url,
            P2P_OIDC_AUDIENCE=AUDIENCE,
            P2P_OIDC_CLIENT_ID=CLIENT_ID,
        ),
        "--demo",
    )
    try:
        yield server
    finally:
        stop(server.process)


def sign_in_with_the_provider(
    page: Page, issuer: MockIssuer, person: Person, shot: Callable[[str], Path], step: str
) -> None:
    """From the pages' sign-in view through the provider's form and back."""
    expect(page.locator("#signin-issuer")).to_have_text(urlsplit(issuer.url).netloc)
    expect(page.get_by_label("API key")).to_be_hidden()  # no key form: the issuer signs in
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    authorize = urlsplit(page.url)
    assert f"{authorize.scheme}://{authorize.netloc}" == issuer.url
    asked = parse_qs(authorize.query)
    # Authorization Code with PKCE, for this public client, back to the page it left
    assert asked["response_type"] == ["code"]
    assert asked["client_id"] == [CLIENT_ID]
    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"][0]
    assert asked["scope"] == ["openid profile email"]
    assert asked["redirect_uri"][0].endswith("/portal/")
    shot(f"{step}-provider-sign-in-form")
    page.get_by_role("button", name=person.sub).click()
    signed_in_as(page, f"{person.claims['name']} — {person.claims['provider_org']}")
    assert "code=" not in page.url and "state=" not in page.url, page.url


def test_two_practices_sign_in_with_the_issuer_and_see_only_their_own_requests(
    page: Page, issuer: MockIssuer, service: Server, shot: Callable[[str], Path]
) -> None:
    page.goto(f"{service.base_url}/portal/")
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    shot("01-sign-in")
    # Deny at the provider: back on the page, which says so and offers to sign in again.
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Deny").click()
    expect(page.locator("#signin-note")).to_contain_text("Signing in did not work")
    expect(page.locator("#who")).to_be_hidden()
    assert "error=" not in page.url and "state=" not in page.url, page.url
    shot("02-denied")

    sign_in_with_the_provider(page, issuer, PRACTICE_A, shot, "03")
    confirm_zone(page, lambda _: shot("04-time-zone"))
    booked = book_in_the_page(page, service, THREE_TIERS_CASE, DOBS[THREE_TIERS_CASE], shot, 5)
    assert booked["provider_org"] == "practice-a"  # from the access token, not the page
    assert issuer.issued.get(PRACTICE_A.sub) == 1
    page.get_by_role("navigation").get_by_role("link", name="My P2P requests").click()
    row = page.locator("#requests-table tbody tr").filter(has_text=THREE_TIERS_CASE)
    expect(row).to_have_count(1)
    shot("07-practice-a-requests")

    # Sign out: the provider offers end_session, so its session ends too, then back here.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="End Session")).to_be_visible()
    assert urlsplit(page.url).path == "/oauth2/end_session"
    page.get_by_role("button", name="End session").click()
    expect(page.locator("#signin-note")).to_have_text("You have signed out.")
    expect(page.locator("#who")).to_be_hidden()
    assert "state=" not in page.url, page.url
    shot("08-signed-out")

    # Practice B: its own list has nothing of practice A's, and A's booking is not found.
    sign_in_with_the_provider(page, issuer, PRACTICE_B, shot, "09")
    page.get_by_role("navigation").get_by_role("link", name="My P2P requests").click()
    expect(page.get_by_role("heading", name="My P2P Requests")).to_be_visible()
    expect(page.locator("#requests-empty")).to_be_visible()
    expect(page.locator("#requests-table tbody tr")).to_have_count(0)
    shot("10-practice-b-requests")
    page.goto(f"{service.base_url}/portal/#/requests/{booked['id']}")
    expect(page.get_by_role("heading", name="P2P request not found")).to_be_visible()
    expect(page.locator("#request-details")).not_to_contain_text(THREE_TIERS_CASE)
    shot("11-practice-b-opens-a-booking-of-a")
    # and the API says the same to B's token that it says to everyone about A's booking
    still = api(service, "GET", f"/v1/bookings/{booked['id']}")
    assert still["provider_org"] == "practice-a" and still["status"] == "scheduled"
    assert issuer.issued.get(PRACTICE_B.sub) == 1
    assert re.match(r"^http://127\.0\.0\.1:\d+/portal/#/requests/", page.url)

    # B's access token runs out (this tab's clock moves past its lifetime): the next visit
    # renews it with the refresh token the issuer gave, without another sign-in.
    page.clock.install()
    page.clock.fast_forward(f"{TOKEN_SECONDS // 60 + 1}:00")
    page.goto(f"{service.base_url}/portal/#/requests")
    page.reload()
    expect(page.get_by_role("heading", name="My P2P Requests")).to_be_visible()
    signed_in_as(page, f"{PRACTICE_B.claims['name']} — {PRACTICE_B.claims['provider_org']}")
    expect(page.locator("#requests-empty")).to_be_visible()
    assert issuer.issued.get(PRACTICE_B.sub) == 2, "renewed with the refresh token"


def test_a_launch_link_survives_signing_in_with_the_issuer(
    page: Page, issuer: MockIssuer, service: Server, shot: Callable[[str], Path]
) -> None:
    """SPEC §14: the EHR's back end makes a link for practice A; its front desk opens it, signs
    in at the provider (the page leaves for the issuer and comes back) and finds the case
    looked up; the link's id never rode along to the issuer."""
    case, dob = LAUNCH_CASE, DOBS[LAUNCH_CASE].isoformat()
    made = api(
        service,
        "POST",
        "/v1/launch-links",
        json={"cases": [{"case_number": case, "member_dob": dob}], "provider_org": "practice-a"},
    )
    link_id = urlsplit(made["url"]).fragment.removeprefix("launch=")
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    page.goto(f"{service.base_url}/portal/#launch={link_id}")
    sign_in_with_the_provider(page, issuer, PRACTICE_A, shot, "01")
    expect(page.get_by_role("heading", name="Confirm your time zone")).to_be_visible()
    page.get_by_role("button", name="Confirm time zone").click()
    expect(page.locator("#case-number-0")).to_have_value(case)
    card = page.locator("article.case-card").filter(has_text=f"Case Ref #: {case}")
    expect(card.locator(".badge")).to_have_text("✓ P2P Eligible")
    shot("02-looked-up-after-signing-in")
    assert not [url for url in visited[1:] if link_id in url], visited
