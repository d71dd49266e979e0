"""The reviewer day view in a real browser: a booking made through the API shows in the
reviewer's zone with what the call needs, and the reviewer records its completion."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from p2p_scheduler.tools.demo import DAY_VIEW_REVIEWER, WALKTHROUGH_CASE
from tests.browser.support import api, assert_labelled
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

REQUESTER_ZONE = "America/New_York"  # the provider's; the page must show the reviewer's


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_the_day_view_lists_an_api_booking_in_the_reviewers_zone_and_records_completion(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    number, dob = WALKTHROUGH_CASE
    cases = [{"case_number": number, "member_dob": dob.isoformat()}]
    profile = api(demo, "GET", f"/v1/reviewers/{DAY_VIEW_REVIEWER}", key="demo-admin-key")
    zone = profile["time_zone"]
    slot = None
    week_start = None
    for _ in range(3):  # this week, or the next ones when it is nearly over
        body = {"cases": cases, "time_zone": REQUESTER_ZONE}
        if week_start:
            body["week_start"] = week_start
        found = api(demo, "POST", "/v1/availability", json=body)
        slot = next(
            (
                day["slots"][-1]
                for tier in found["tiers"]
                for reviewer in tier["reviewers"]
                if reviewer["reviewer_id"] == DAY_VIEW_REVIEWER
                for day in reviewer["days"]
            ),
            None,
        )
        if slot:
            break
        week_start = found["next_week_start"]
    assert slot, f"{DAY_VIEW_REVIEWER} has no open time in three weeks"
    booking = api(
        demo,
        "POST",
        "/v1/bookings",
        json={
            "cases": cases,
            "reviewer_id": DAY_VIEW_REVIEWER,
            "start": slot["start"],
            "time_zone": REQUESTER_ZONE,
            "contact": {
                "provider_name": "Dr. Jane Doe",
                "provider_role": "ordering_provider",
                "phone": "(555) 555-5555",
                "phone_ext": "12345",
                "email": "droffice@example.org",
                "instructions": "Select option 4, ask for Dr. Doe",
            },
        },
    )

    page.goto(f"{demo.base_url}/portal/reviewers/{DAY_VIEW_REVIEWER}#key=demo-reviewer-key")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{profile['name']}, {profile['credentials']} — P2P schedule"
    )
    # The feed URL on the page is a working subscription to this reviewer's calendar.
    expect(page.locator("#feed-url")).to_have_value(
        re.compile(
            rf"^{re.escape(demo.base_url)}/v1/calendars/reviewers/{DAY_VIEW_REVIEWER}\.ics\?token="
        )
    )
    feed = httpx.get(page.locator("#feed-url").input_value(), timeout=10)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert number in feed.text

    # Written in the reviewer's zone (Central), not the provider's (Eastern).
    start = datetime.fromisoformat(booking["start"]).astimezone(ZoneInfo(zone))
    end = datetime.fromisoformat(booking["end"]).astimezone(ZoneInfo(zone))

    def clock(at: datetime) -> str:
        return f"{at.hour % 12 or 12}:{at:%M} {'am' if at.hour < 12 else 'pm'} {at:%Z}"

    today = datetime.now(ZoneInfo(zone)).date()
    for _ in range((monday(start.date()) - monday(today)).days // 7):
        page.get_by_role("button", name="Next week →").click()
    expect(page.locator("#week-title")).to_contain_text(
        f"{monday(start.date()).month}/{monday(start.date()).day}/"
    )
    heading = f"{start:%a} {start.month}/{start.day}"
    day = page.locator("section.agenda-day").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )
    card = day.locator("article.p2p")
    expect(card).to_have_count(1)
    expect(card.locator("h4")).to_have_text(f"{clock(start)} – {clock(end)} Scheduled")
    expect(card).to_contain_text(f"{number} — Reconsideration P2P")
    expect(card).to_contain_text("(555) 555-5555 ext. 12345")
    expect(card).to_contain_text("Select option 4, ask for Dr. Doe")
    expect(card).not_to_contain_text(dob.isoformat())
    if start.date() == today:
        expect(page.locator("#today article.p2p")).to_have_count(1)
    shot("01-day-view")

    card.get_by_role("button", name="Record completed").click()
    card.get_by_label("Outcome", exact=True).select_option("overturned")
    card.get_by_label("Outcome notes (optional)").fill("Imaging approved after discussion")
    assert_labelled(page)
    shot("02-record-outcome")
    card.get_by_role("button", name="Save outcome").click()
    # the call is days away: a reviewer records what happened only once it has begun (SPEC §9)
    expect(card).to_contain_text("record its outcome once the call has begun")
    expect(card).to_contain_text(
        f"starts {start:%a} {start.month}/{start.day}/{start.year} {clock(start)}"
    )
    assert api(demo, "GET", f"/v1/bookings/{booking['id']}")["status"] == "scheduled"
    shot("03-not-started")
    # UM operations (admin) may record at any time; the day view then shows the outcome
    api(
        demo,
        "POST",
        f"/v1/bookings/{booking['id']}/complete",
        key="demo-admin-key",
        json={"outcome": "overturned", "notes": "Imaging approved after discussion"},
    )
    page.reload()
    for _ in range((monday(start.date()) - monday(today)).days // 7):
        page.get_by_role("button", name="Next week →").click()
    expect(day.locator("article.p2p h4")).to_have_text(re.compile("Completed$"))
    expect(day.get_by_role("button", name="Record completed")).to_have_count(0)
    stored = api(demo, "GET", f"/v1/bookings/{booking['id']}")
    assert stored["status"] == "completed"
    shot("04-completed")
