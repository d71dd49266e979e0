"""My P2P requests pages through more than one page of requests (issue 18: "Load more" was
always shown, and a click with no next page appended the first page again): "Load more"
shows only while the API names a next page, and brings each request once, against
``serve --demo``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from p2p_scheduler.domain.clock import system_clock
from p2p_scheduler.tools.demo import demo_cases
from tests.browser.support import PORTAL_KEY, ZONE, api
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

#: an Illinois oncology case; the page lists 20 requests at a time
CASE = "A100007"
DOB = next(c.member.dob for c in demo_cases(system_clock()) if c.case_number == CASE)
EMAIL = "load.more@example.org"
PAGE_SIZE = 20


def requests_made(server: Server, count: int) -> list[str]:
    """``count`` requests without a time for one provider, each cancelled before the next
    (a case is in one live request at a time); their ids, newest first as the list is."""
    made: list[str] = []
    for _ in range(count):
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
                    "email": EMAIL,
                },
            },
        )
        api(
            server,
            "POST",
            f"/v1/bookings/{pending['id']}/cancel",
            json={"reason_code": "duplicate"},
        )
        made.append(pending["id"])
    return made[::-1]


def listed_ids(page: Page) -> list[str]:
    links = page.locator("#requests-table tbody tr").get_by_role("link", name=re.compile("^Open"))
    return [(link.get_attribute("href") or "").removeprefix("#/requests/") for link in links.all()]


def test_load_more_brings_the_next_page_once_and_then_goes(page: Page, demo: Server) -> None:
    made = requests_made(demo, PAGE_SIZE + 1)
    page.goto(f"{demo.base_url}/portal/#key={PORTAL_KEY}")
    page.get_by_label("Your default time zone").select_option(ZONE)
    page.get_by_role("button", name="Confirm time zone").click()
    page.get_by_role("navigation").get_by_role("link", name="My P2P requests").click()
    page.get_by_label("Provider email", exact=True).fill(EMAIL)
    page.get_by_role("button", name="Filter").click()

    rows = page.locator("#requests-table tbody tr")
    expect(rows).to_have_count(PAGE_SIZE)
    more = page.get_by_role("button", name="Load more")
    expect(more).to_be_visible()  # the API named a next page
    assert listed_ids(page) == made[:PAGE_SIZE]

    more.click()
    expect(rows).to_have_count(PAGE_SIZE + 1)
    assert listed_ids(page) == made  # each request once, newest first
    expect(more).to_be_hidden()  # no next page: nothing left to load, nothing to repeat
