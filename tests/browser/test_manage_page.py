"""From the e-mail's "Reschedule or cancel" link to a moved, then cancelled, P2P without a key
(SPEC §11 "Manage page", issue 18): the link opens a page with the booking in the provider's
zone, its reviewer and cases; a new time is picked the same way as in the portal; a cancel
asks for a reason; the old link then opens a page saying the P2P was cancelled (410)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import ZONE, assert_labelled, label
from tests.browser.test_portal_booked_case import book_by_api
from tests.browser.test_portal_flow import DOBS
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

#: one Illinois case per screen width: each run books, moves and cancels its own
CASES = {1280: "A100006", 375: "A100007"}


def manage_url(server: Server, booking: dict[str, Any]) -> str:
    parts = urlsplit(booking["links"]["manage"])
    return f"{server.base_url}{parts.path}?{parts.query}"


@pytest.mark.parametrize("width", [1280, 375])
def test_a_provider_moves_and_cancels_a_p2p_from_the_emailed_link(
    page: Page, demo: Server, shot: Callable[[str], Path], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    case_number = CASES[width]
    made = book_by_api(
        demo, [{"case_number": case_number, "member_dob": DOBS[case_number].isoformat()}]
    )
    url = manage_url(demo, made)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    opened = page.goto(url)
    assert opened is not None and opened.status == 200
    assert opened.headers["cache-control"] == "no-store"
    expect(page.get_by_role("heading", name="Your P2P")).to_be_visible()
    when = label(made["start"], ZONE)
    expect(page.locator("#booking-when")).to_contain_text(when)
    details = page.locator("#booking-details")
    expect(details).to_contain_text(made["reviewer"]["name"])
    expect(details).to_contain_text(case_number)
    expect(details).to_contain_text("Dr. Jane Doe")
    expect(page.locator("#zone-indicator")).to_contain_text("America/Chicago")
    calendar = page.get_by_role("link", name="Add to calendar")
    expect(calendar).to_be_visible()
    assert_labelled(page)
    shot(f"{width}-01-booking")

    # reschedule: a week of times, as in the portal; take another reviewer's or another time
    page.get_by_role("button", name="Reschedule").click()
    expect(page.get_by_role("heading", name="Choose a new P2P time")).to_be_visible()
    for _ in range(3):
        expect(page.locator("#week-label")).not_to_be_empty()
        if page.locator("button.slot").count() > 1:
            break
        shown = page.locator("#week-label").inner_text()
        page.get_by_role("button", name="Next week →").click()
        expect(page.locator("#week-label")).not_to_have_text(shown)
    assert_labelled(page)
    shot(f"{width}-02-times")
    target = page.locator("button.slot").nth(1)
    target.click()
    expect(page.locator("#move-summary")).to_contain_text(f"from {when}")
    shot(f"{width}-03-confirm")
    page.get_by_role("button", name="Move my P2P").click()
    expect(page.locator("#booking-note")).to_contain_text("Your P2P was moved to")
    moved = httpx.get(url, headers={"Accept": "application/json"}, timeout=30).json()
    assert moved["start"] != made["start"]
    assert moved["sequence"] == made["sequence"] + 1
    expect(page.locator("#booking-when")).to_contain_text(label(moved["start"], ZONE))
    shot(f"{width}-04-moved")

    # the same link still opens it, at the new time
    page.reload()
    expect(page.locator("#booking-when")).to_contain_text(label(moved["start"], ZONE))

    # cancel with a reason: "Other" needs a few words
    page.get_by_role("button", name="Cancel this P2P").click()
    page.get_by_label("Reason").select_option("other")
    page.get_by_role("button", name="Cancel the P2P").click()
    expect(page.locator("#cancel-form .problem")).to_contain_text("Say in a few words")
    page.get_by_label("Details").fill("The member changed plans.")
    assert_labelled(page)
    shot(f"{width}-05-cancel")
    page.get_by_role("button", name="Cancel the P2P").click()
    expect(page.get_by_role("heading", name="This P2P was cancelled")).to_be_visible()
    expect(page.get_by_role("button", name="Reschedule")).to_be_hidden()
    expect(page.get_by_role("link", name="Add to calendar")).to_be_hidden()
    shot(f"{width}-06-cancelled")

    gone = page.reload()
    assert gone is not None and gone.status == 410
    expect(page.get_by_role("heading", name="This P2P was cancelled")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        re.compile(r"cancelled on \w+day, \w+ \d+, 20\d\d")
    )
    expect(page.locator("main")).to_contain_text("look the case up again")
    shot(f"{width}-07-link-gone")

    # only this service was called, and nothing but the link carried the token
    assert all(request.startswith(demo.base_url) for request in requests), requests
