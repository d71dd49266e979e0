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
    """ "Mon 5/18/2026 6:30 pm EDT": the page's format, computed without the page's code."""
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    local = instant.astimezone(ZoneInfo(zone))
    hour = local.hour % 12 or 12
    half = "am" if local.hour < 12 else "pm"
    return f"{day_label(local)} {hour}:{local:%M} {half} {local:%Z}"


def day_label(when: date | datetime) -> str:
    """ "Mon 5/18/2026": how the pages write a day (a heading, a week, a time's date)."""
    return f"{when:%a} {when.month}/{when.day}/{when.year}"


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


AXE = Path(__file__).parent / "vendor" / "axe.min.js"
#: what axe-core reports that a user cannot get past: a missing name, unreadable contrast …
BLOCKING = {"serious", "critical"}


def assert_accessible(page: Page) -> None:
    """axe-core (pinned in web/package.json, vendored for the tests by scripts/vendor-js and
    never served to users) run inside the page as it stands: no serious or critical
    violation of WCAG 2.1 A/AA or best practice."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # served as if from the page's own origin: the pages' CSP allows 'self' scripts only
        origin = re.match(r"^https?://[^/]+", page.url)
        assert origin, page.url
        url = f"{origin.group(0)}/__browser-tests__/axe.min.js"
        page.route(url, lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
        page.add_script_tag(url=url)
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
          .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map((n) => n.html.slice(0, 160))}))"""
    )
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core: serious or critical violations on {page.url}: {blocking}"


WIDE, NARROW = 1280, 375


def step_checked(page: Page, take: Callable[[str], Path], name: str) -> Path:
    """One step of a flow: a screenshot at 1280 and at 375 px (``name``, ``name-375``) and
    axe-core at both widths; the page is left at the size it had."""
    before = page.viewport_size or {"width": WIDE, "height": 900}
    height = before["height"]
    page.set_viewport_size({"width": WIDE, "height": height})
    assert_accessible(page)
    wide = take(name)
    page.set_viewport_size({"width": NARROW, "height": height})
    assert_accessible(page)
    take(f"{name}-375")
    page.set_viewport_size(before)
    return wide


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
