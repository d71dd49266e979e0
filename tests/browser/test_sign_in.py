"""Signing in on the reference pages with the links ``serve --demo`` prints (SPEC §10: the
pages hold no shared key): a demo token for one practice and one for one reviewer, handed
over in the URL fragment. The practice's person books; the booking is the practice's; the
reviewer's link opens their own day view, and another reviewer's address lands there too.
A token past its time, or one the service refuses, asks for a new sign-in in plain words."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Page, expect

from p2p_scheduler.tools.demo import DAY_VIEW_REVIEWER, DEMO_PRACTICE, DEMO_PRACTICE_NAME
from tests.browser.support import api, book_in_the_page, signed_in_as
from tests.browser.test_portal_flow import DOBS, THREE_TIERS_CASE, confirm_zone
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


def printed_link(server: Server, label: str) -> str:
    """The address ``serve --demo`` printed after ``label:``."""
    found = re.search(rf"^{re.escape(label)}: (\S+)$", server.output(), flags=re.MULTILINE)
    assert found, server.output()
    return found.group(1)


def test_the_printed_links_sign_in_as_the_demo_practice_and_its_reviewer(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    provider_link = printed_link(demo, f"Provider pages ({DEMO_PRACTICE_NAME})")
    reviewer_link = printed_link(demo, "Reviewer day view")
    assert "#token=" in provider_link and "#token=" in reviewer_link

    page.goto(provider_link)
    expect(page.get_by_role("heading", name="Confirm your time zone")).to_be_visible()
    assert "token=" not in page.url, "the token must leave the address bar at once"
    signed_in_as(page, f"Front desk, {DEMO_PRACTICE_NAME} — {DEMO_PRACTICE}")
    confirm_zone(page, shot)  # 01-time-zone
    booked = book_in_the_page(page, demo, THREE_TIERS_CASE, DOBS[THREE_TIERS_CASE], shot, 2)
    # the booking is the practice's: the service took provider_org from the token
    assert booked["provider_org"] == DEMO_PRACTICE
    page.get_by_role("navigation").get_by_role("link", name="My P2P requests").click()
    expect(
        page.locator("#requests-table tbody tr").filter(has_text=THREE_TIERS_CASE)
    ).to_have_count(1)
    shot("04-my-p2p-requests")

    # The reviewer's link, in the same tab: its token replaces the practice's.
    profile = api(demo, "GET", f"/v1/reviewers/{DAY_VIEW_REVIEWER}", key="demo-admin-key")
    heading = f"{profile['name']}, {profile['credentials']} — P2P schedule"
    page.goto(reviewer_link)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert "token=" not in page.url
    signed_in_as(page, f"{profile['name']}, {profile['credentials']} ({DAY_VIEW_REVIEWER})")
    expect(page.locator("#agenda-note")).to_be_hidden()
    shot("05-reviewer-day-view")

    # Another reviewer's address: a reviewer sees only their own day view, so that is shown.
    page.goto(f"{demo.base_url}/portal/reviewers/rev-002")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert page.url == f"{demo.base_url}/portal/reviewers/{DAY_VIEW_REVIEWER}"
    expect(page.locator("#agenda-note")).to_contain_text("this is your day view")
    expect(page.locator("#agenda-note")).to_contain_text("not rev-002's")
    shot("06-another-reviewers-address")

    # A reviewer on the provider pages is sent to their day view.
    page.goto(f"{demo.base_url}/portal/")
    expect(page.locator("#elsewhere-note")).to_contain_text("a reviewer")
    page.get_by_role("link", name="Open your day view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)

    # Sign out: this tab forgets the token; the demo's sign-in says how to come back.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    expect(page.locator("#signin-note")).to_have_text("You have signed out.")
    expect(page.locator("#signin-demo")).to_be_visible()
    expect(page.get_by_label("API key")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(page.locator("#who")).to_be_hidden()
    shot("07-signed-out")
    page.reload()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()


def a_token(exp: float, **claims: object) -> str:
    """A well-formed token of an issuer the service does not trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    payload = {"iss": "http://127.0.0.1:9/demo", "aud": "p2p-scheduler", "exp": int(exp), **claims}
    return jwt.encode(payload, key, algorithm="ES256", headers={"kid": "demo-1"})


def test_an_expired_or_refused_sign_in_asks_for_a_new_one_in_plain_words(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    person = {
        "sub": "frontdesk@demo-clinic.example.org",
        "p2p_role": "provider",
        "provider_org": DEMO_PRACTICE,
        "name": "Front desk, Demo Clinic",
    }
    page.goto(f"{demo.base_url}/portal/#token={a_token(time.time() - 60, **person)}")
    expect(page.locator("#signin-note")).to_have_text("Your sign-in has expired. Sign in again.")
    expect(page.locator("#who")).to_be_hidden()
    shot("01-expired")

    # Not past its time, but not the service's to trust: refused at the first call.
    page.goto(f"{demo.base_url}/portal/#token={a_token(time.time() + 3600, **person)}")
    confirm_zone(page, lambda _: shot("02-time-zone"))
    signed_in_as(page, f"Front desk, Demo Clinic — {DEMO_PRACTICE}")
    page.locator("#case-number-0").fill(THREE_TIERS_CASE)
    page.locator("#member-dob-0").fill(DOBS[THREE_TIERS_CASE].isoformat())
    page.get_by_role("button", name="Look up cases").click()
    expect(page.locator("#signin-note")).to_have_text(
        "Your sign-in was not accepted. Sign in again."
    )
    expect(page.locator("#view-signin")).not_to_contain_text("{")  # no raw JSON
    expect(page.locator("#who")).to_be_hidden()
    shot("03-refused")
