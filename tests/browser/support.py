"""Helpers of the browser tests: the API as a portal calls it, and times as the pages write them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.server import Server

ZONE = "America/Chicago"
PORTAL_KEY = "demo-portal-key"


def label(instant: datetime | str, zone: str = ZONE) -> str:
    """ "Mon 5/18 6:30 pm EDT": the page's format, computed without the page's code."""
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    local = instant.astimezone(ZoneInfo(zone))
    hour = local.hour % 12 or 12
    half = "am" if local.hour < 12 else "pm"
    return f"{local:%a} {local.month}/{local.day} {hour}:{local:%M} {half} {local:%Z}"


def api(server: Server, method: str, path: str, key: str = PORTAL_KEY, **kwargs: Any) -> Any:
    response = httpx.request(
        method,
        f"{server.base_url}{path}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
        **kwargs,
    )
    assert response.status_code < 300, response.text
    return response.json()


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((e) => e.offsetParent !== null)
  .filter((e) => e.tagName === 'BUTTON'
    ? !(e.getAttribute('aria-label') || e.textContent.trim())
    : !(e.labels.length || e.getAttribute('aria-label')))
  .map((e) => e.outerHTML.slice(0, 120))"""


def assert_labelled(page: Page) -> None:
    """Every visible field has a <label> and every button a name: what a screen reader says."""
    unlabelled = page.evaluate(UNLABELLED)
    assert not unlabelled, f"controls without a label or name: {unlabelled}"


def signed_in_as(page: Page, who: str) -> None:
    """The header names who is signed in, with a Sign out button beside it."""
    expect(page.locator("#who")).to_have_text(f"Signed in as {who}")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def book_in_the_page(
    page: Page,
    server: Server,
    case_number: str,
    dob: date,
    shot: Callable[[str], Path],
    step: int,
) -> dict[str, Any]:
    """From "New P2P Request" to "Scheduled" for one case: look it up, keep every
    preference, take a time, fill the contact form. Returns the booking the API then holds.
    Screenshots ``{step}-contact-form`` and ``{step + 1}-scheduled``."""
    page.get_by_role("navigation").get_by_role("link", name="New P2P request").click()
    page.locator("#case-number-0").fill(case_number)
    page.locator("#member-dob-0").fill(dob.isoformat())
    page.get_by_role("button", name="Look up cases").click()
    expect(page.locator("article.case-card .badge")).to_have_text("✓ P2P Eligible")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()
    for _ in range(3):  # this week, or the next ones when it is nearly over
        expect(page.locator("#week-label")).not_to_be_empty()
        if page.locator("button.slot").count() > 1:
            break
        shown = page.locator("#week-label").inner_text()
        page.get_by_role("button", name="Next week →").click()
        expect(page.locator("#week-label")).not_to_have_text(shown)
    # a reviewer's second time: the first may close within minimum notice during the test
    page.locator("section.reviewer").first.locator("button.slot").nth(1).click()
    expect(page.locator(".countdown")).to_have_text(re.compile(r"^[45]:[0-5]\d$"))
    page.get_by_label("Name of provider requesting P2P").fill("Dr. Jane Doe")
    page.get_by_label("Phone number for P2P").fill("(555) 555-5555")
    page.get_by_label("Requesting provider email").fill("droffice@example.org")
    shot(f"{step:02}-contact-form")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Scheduled", exact=True)).to_be_visible()
    shot(f"{step + 1:02}-scheduled")
    booked = [
        booking
        for booking in api(server, "GET", "/v1/bookings", params={"case_number": case_number})[
            "items"
        ]
        if booking["status"] == "scheduled"
    ]
    assert len(booked) == 1, booked
    return booked[0]
