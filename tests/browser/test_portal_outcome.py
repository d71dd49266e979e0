"""The outcome reaches the provider's pages (SPEC §14): once UM records what the call decided,
"My P2P requests" shows it on the row and the request's details say it, in the policy's
words, against ``serve --demo``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from p2p_scheduler.domain.clock import system_clock
from p2p_scheduler.tools.demo import demo_cases
from tests.browser.support import PORTAL_KEY, ZONE, api
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

CASE = "A100007"
DOB = next(c.member.dob for c in demo_cases(system_clock()) if c.case_number == CASE)


def completed_booking(server: Server) -> str:
    """A request the optimizer schedules, whose outcome an admin then records."""
    pending = api(
        server,
        "POST",
        "/v1/p2p-requests",
        json={
            "cases": [{"case_number": CASE, "member_dob": DOB.isoformat()}],
            "time_zone": ZONE,
            "contact": {
                "provider_name": "Dr. Ann Lee",
                "provider_role": "ordering_provider",
                "phone": "+1 312 555 0100",
                "email": "ann.lee@example.org",
            },
        },
    )
    api(server, "POST", "/v1/optimizer/runs", key="demo-admin-key", json={})
    done = api(
        server,
        "POST",
        f"/v1/bookings/{pending['id']}/complete",
        key="demo-admin-key",
        json={"outcome": "overturned", "notes": "Internal: imaging reviewed twice."},
    )
    assert done["outcome"]["label"] == "Decision overturned", done
    return pending["id"]


def test_my_p2p_requests_shows_the_outcome_of_a_completed_p2p(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    completed_booking(demo)
    page.goto(f"{demo.base_url}/portal/#key={PORTAL_KEY}")
    page.get_by_label("Your default time zone").select_option(ZONE)
    page.get_by_role("button", name="Confirm time zone").click()
    page.get_by_role("navigation").get_by_role("link", name="My P2P requests").click()
    row = page.locator("#requests-table tbody tr").filter(has_text=CASE)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(3)).to_have_text("Completed — Decision overturned")
    shot("01-my-p2p-requests")
    # on a phone each row reads as a labelled card: nothing scrolls sideways or is cut off
    page.set_viewport_size({"width": 375, "height": 800})
    status = row.locator("td").nth(3)
    expect(status).to_be_visible()
    box = status.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    wide = page.evaluate(
        "(e) => e.scrollWidth - e.clientWidth", page.locator(".scroll").first.element_handle()
    )
    assert wide == 0, f"the requests table is {wide} px wider than its box at 375 px"
    expect(status).to_have_text("Completed — Decision overturned")
    shot("01-my-p2p-requests-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    row.get_by_role("link", name=re.compile("^Open")).click()
    expect(page.get_by_role("heading", name="P2P request — Completed")).to_be_visible()
    outcome = page.locator("#request-details dt:text-is('Outcome') + dd")
    expect(outcome).to_have_text(re.compile(r"^Decision overturned \(recorded .+ C[SD]T\)$"))
    expect(page.locator("#request-details")).not_to_contain_text("imaging reviewed")
    expect(page.locator("#request-links")).to_have_text("")  # no calendar link, and no "null"
    shot("02-request-details")
