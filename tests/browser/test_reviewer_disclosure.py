"""Disclosure before the call (SPEC §11) in the provider's pages: the slot picker, the contact
step, the confirmation and the request's details name the reviewer with credentials and
specialty, against ``serve --demo`` (whose reviewers all have a specialty)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from p2p_scheduler.tools.demo import WALKTHROUGH_CASE
from tests.browser.support import PORTAL_KEY, ZONE, api, book_in_the_page
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


def reviewer_fact(page: Page, where: str) -> str:
    return page.locator(f"{where} dt:text-is('Reviewer') + dd").inner_text()


def test_the_provider_sees_who_will_call_with_their_specialty(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    page.goto(f"{demo.base_url}/portal/#key={PORTAL_KEY}")
    page.get_by_label("Your default time zone").select_option(ZONE)
    page.get_by_role("button", name="Confirm time zone").click()
    number, dob = WALKTHROUGH_CASE
    booking = book_in_the_page(page, demo, number, dob, shot, 1)
    reviewer = booking["reviewer"]
    assert reviewer["specialty"] and reviewer["licensed_states"], reviewer
    disclosed = f"{reviewer['name']}, {reviewer['credentials']} — {reviewer['specialty']}"
    assert reviewer_fact(page, "#summary-details") == disclosed
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        shot(f"03-confirmation-{width}")

    # My P2P requests → the request: the same disclosure
    page.get_by_role("navigation").get_by_role("link", name="My P2P requests").click()
    row = page.locator("#requests-table tbody tr").filter(has_text=number)
    row.get_by_role("link", name=re.compile("^Open")).click()
    expect(page.locator("#request-details dt:text-is('Reviewer') + dd")).to_have_text(disclosed)
    shot("04-request-details-375")
    profile = api(demo, "GET", f"/v1/reviewers/{reviewer['reviewer_id']}", key="demo-admin-key")
    assert profile["specialty"] == reviewer["specialty"]
    assert profile["npi"] == reviewer["npi"]
