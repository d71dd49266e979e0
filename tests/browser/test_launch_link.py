"""A launch link (SPEC §14) in a real browser against ``serve --demo``: an EHR makes the link
for the walkthrough case, the front desk opens it, signs in, and finds the case looked up;
opened again, the page says the link was used and what to do instead."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import PORTAL_KEY, ZONE, api, assert_labelled
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

CASE, DOB = "A100001", "1962-04-17"


def launch_link(server: Server) -> str:
    """A link made through the API, as an EHR back end makes it, opened on the test server."""
    made = api(
        server,
        "POST",
        "/v1/launch-links",
        json={"cases": [{"case_number": CASE, "member_dob": DOB}], "time_zone": ZONE},
    )
    url = urlsplit(made["url"])
    assert DOB not in made["url"] and CASE not in made["url"]
    assert url.path == "/portal/" and url.fragment.startswith("launch=")
    return f"{server.base_url}{url.path}#{url.fragment}"


def sign_in_with_key(page: Page) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("API key").fill(PORTAL_KEY)
    page.get_by_role("button", name="Sign in").click()


def expect_looked_up(page: Page) -> None:
    expect(page.get_by_role("heading", name="New P2P Request")).to_be_visible()
    expect(page.locator("#case-number-0")).to_have_value(CASE)
    expect(page.locator("#member-dob-0")).to_have_value(DOB)
    card = page.locator("article.case-card").filter(has_text=f"Case Ref #: {CASE}")
    expect(card.locator(".badge")).to_have_text("✓ P2P Eligible")
    expect(card.locator("dt:text-is('Member DOB') + dd")).to_have_text("4/17/1962")
    expect(page.get_by_role("status")).to_have_text(re.compile("Opened from your EHR"))
    expect(page.locator("#zone-indicator")).to_have_text(
        re.compile(rf"^Times in {ZONE} \(C[SD]T\)$")
    )
    assert "launch=" not in page.url, "the link's id must leave the address bar at once"


def expect_used(page: Page) -> None:
    expect(page.get_by_role("heading", name="New P2P Request")).to_be_visible()
    problem = page.locator("#lookup-form .problem p")
    expect(problem.first).to_have_text(
        "This link was already used. Look the case up again in the P2P tool, or ask your "
        "EHR to open a new link."
    )
    expect(problem.last).to_have_text(re.compile("enter its reference number"))
    expect(page.locator("#case-number-0")).to_have_value("")
    expect(page.locator("article.case-card")).to_have_count(0)


def look_up_by_hand(page: Page) -> None:
    """After a used link, the form works as ever."""
    page.locator("#case-number-0").fill(CASE)
    page.locator("#member-dob-0").fill(DOB)
    page.get_by_role("button", name="Look up cases").click()
    card = page.locator("article.case-card").filter(has_text=f"Case Ref #: {CASE}")
    expect(card.locator(".badge")).to_have_text("✓ P2P Eligible")
    expect(page.locator("#lookup-form .problem")).to_be_hidden()


def test_a_launch_link_opens_the_case_looked_up_once(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    first = launch_link(demo)
    page.goto(first)
    sign_in_with_key(page)  # the link survives signing in
    expect_looked_up(page)
    assert_labelled(page)
    shot("01-looked-up-1280")

    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Please indicate your availability")).to_be_visible()

    page.goto(first)  # the same link again, in a tab that is signed in
    expect_used(page)
    shot("02-used-1280")

    page.set_viewport_size({"width": 375, "height": 800})
    second = launch_link(demo)
    page.goto(second)
    expect_looked_up(page)
    shot("03-looked-up-375")
    page.goto(second)
    expect_used(page)
    shot("04-used-375")

    look_up_by_hand(page)
    assert DOB not in demo.output() and first.split("launch=")[1] not in demo.output()
