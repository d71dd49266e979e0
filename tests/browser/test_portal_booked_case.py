"""The provider pages know a case's P2P (SPEC §14, issue 17): looking up a case that is
already booked shows "A P2P is already scheduled for Tue 12/8 2:30 pm" in the page's zone,
with a link to that request, instead of offering slots (the hold used to fail with 409)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import ZONE, api, label
from tests.browser.test_portal_flow import (
    DOBS,
    THREE_TIERS_CASE,
    card,
    confirm_zone,
    look_up,
    open_portal,
)
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


def book_by_api(server: Server, cases: list[dict[str, str]]) -> dict[str, Any]:
    """Book the case's first open time of this week or the next ones, as another tab would."""
    week_start = None
    for _ in range(3):
        body: dict[str, Any] = {"cases": cases, "time_zone": ZONE}
        if week_start:
            body["week_start"] = week_start
        found = api(server, "POST", "/v1/availability", json=body)
        for tier in found["tiers"]:
            for reviewer in tier["reviewers"]:
                for day in reviewer["days"]:
                    if day["slots"]:
                        return api(
                            server,
                            "POST",
                            "/v1/bookings",
                            json={
                                "cases": cases,
                                "reviewer_id": reviewer["reviewer_id"],
                                "start": day["slots"][-1]["start"],
                                "time_zone": ZONE,
                                "contact": {
                                    "provider_name": "Dr. Jane Doe",
                                    "provider_role": "ordering_provider",
                                    "phone": "(555) 555-5555",
                                    "email": "droffice@example.org",
                                },
                            },
                        )
        week_start = found["next_week_start"]
    pytest.fail("no open time in three weeks")


@pytest.mark.parametrize("width", [1280, 375])
def test_a_booked_case_links_to_its_p2p_instead_of_offering_slots(
    page: Page, demo: Server, shot: Callable[[str], Path], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    dob = DOBS[THREE_TIERS_CASE].isoformat()
    cases = [{"case_number": THREE_TIERS_CASE, "member_dob": dob}]
    booking = api(
        demo, "GET", "/v1/bookings", params={"case_number": THREE_TIERS_CASE, "status": "scheduled"}
    )["items"]
    made = booking[0] if booking else book_by_api(demo, cases)
    urls: list[str] = []
    open_portal(page, demo, urls)
    confirm_zone(page, lambda name: shot(f"{width}-{name}"))

    look_up(page, (THREE_TIERS_CASE, dob))

    found = card(page, THREE_TIERS_CASE)
    note = found.locator("p.p2p")
    expect(note).to_contain_text(f"A P2P is already scheduled for {label(made['start'])}.")
    expect(found.locator(".badge")).to_have_text("✗ Not eligible")
    expect(page.locator("#lookup-results .notice.warn")).to_contain_text(" C")  # the page's zone
    expect(page.locator("#lookup-results .notice.warn")).not_to_contain_text(" EST")
    expect(page.locator("#lookup-continue")).to_be_disabled()
    expect(found.get_by_role("button", name=re.compile("^\\d+:\\d\\d"))).to_have_count(0)
    shot(f"{width}-02-booked-case")

    note.get_by_role("link", name="Open it to reschedule or cancel").click()
    expect(page).to_have_url(re.compile(rf"#/requests/{made['id']}$"))
    expect(page.get_by_role("heading", name="P2P request — Scheduled")).to_be_visible()
    shot(f"{width}-03-the-booking")
