"""The reviewer day view in a real browser: a booking made through the API shows in the
reviewer's zone with what the call needs, and the reviewer records its completion."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, update

from p2p_scheduler.db.engine import make_engine
from p2p_scheduler.db.tables import BookingRow, SlotCellRow
from p2p_scheduler.domain.clock import system_clock
from p2p_scheduler.tools.demo import DAY_VIEW_REVIEWER, WALKTHROUGH_CASE, demo_cases
from tests.browser.support import api, assert_labelled, day_label
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

REQUESTER_ZONE = "America/New_York"  # the provider's; the page must show the reviewer's
_DOBS = {c.case_number: c.member.dob for c in demo_cases(system_clock())}
#: msk_spine reconsiderations in Louisiana and Texas, which the day view's reviewer may take
STARTED_CASE = ("A100010", _DOBS["A100010"])
NO_SHOW_CASE = ("A100002", _DOBS["A100002"])


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
    expect(page.locator("#week-title")).to_contain_text(f"{day_label(monday(start.date()))} - ")
    heading = day_label(start)
    week_day = page.locator("section.agenda-day").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )
    # a call today is listed once, under Today; the week lists the other days
    day = page.locator("#today") if start.date() == today else week_day
    if start.date() == today:
        expect(week_day).to_have_count(0)
    card = day.locator("article.p2p")
    expect(card).to_have_count(1)
    expect(card.locator("h4")).to_have_text(f"{clock(start)} – {clock(end)} Scheduled")
    expect(card).to_contain_text(f"{number} — Reconsideration P2P")
    expect(card).to_contain_text("(555) 555-5555 ext. 12345")
    expect(card).to_contain_text("Select option 4, ask for Dr. Doe")
    expect(card).not_to_contain_text(dob.isoformat())
    shots(page, shot, "01-day-view")

    # the call is days away: a reviewer records what happened only once it has begun
    # (SPEC §9), so the page offers no record form yet and says when it will
    expect(card.get_by_role("button", name="Record completed")).to_have_count(0)
    expect(card.get_by_role("button", name="Record no-show")).to_have_count(0)
    expect(card).to_contain_text(
        "You can record the outcome once the call has started "
        f"on {day_label(start)} at {clock(start)}."
    )
    shots(page, shot, "02-not-started")
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


def shots(page: Page, shot: Callable[[str], Path], name: str) -> None:
    """The step at 1280 px and at 375 px (a phone), then back to the test's width."""
    size = page.viewport_size or {"width": 1200, "height": 900}
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        shot(f"{name}-{width}")
    page.set_viewport_size(size)


def book_with_the_day_view_reviewer(demo: Server, case: tuple[str, date]) -> dict[str, Any]:
    """A booking of ``case`` with the day view's reviewer at their first open time."""
    number, dob = case
    cases = [{"case_number": number, "member_dob": dob.isoformat()}]
    week_start = None
    for _ in range(3):
        body: dict[str, Any] = {"cases": cases, "time_zone": REQUESTER_ZONE}
        if week_start:
            body["week_start"] = week_start
        found = api(demo, "POST", "/v1/availability", json=body)
        slot = next(
            (
                day["slots"][0]
                for tier in found["tiers"]
                for reviewer in tier["reviewers"]
                if reviewer["reviewer_id"] == DAY_VIEW_REVIEWER
                for day in reviewer["days"]
                if day["slots"]
            ),
            None,
        )
        if slot:
            break
        week_start = found["next_week_start"]
    assert slot, f"{DAY_VIEW_REVIEWER} has no open time for {number} in three weeks"
    return api(
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
                "phone": "(555) 555-0142",
                "email": "droffice@example.org",
            },
        },
    )


def started_minutes_ago(demo: Server, booking_id: str, minutes: int) -> datetime:
    """Move the booking so its call began ``minutes`` ago: the service books no time in the
    past, so the test writes the demo database as a call in progress would leave it."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    zone = ZoneInfo(
        api(demo, "GET", f"/v1/reviewers/{DAY_VIEW_REVIEWER}", key="demo-admin-key")["time_zone"]
    )
    # the call stays in the reviewer's "Today" even just after their midnight
    midnight = now.astimezone(zone).replace(hour=0, minute=0).astimezone(UTC)
    start = max(now - timedelta(minutes=minutes), midnight)
    engine = make_engine(f"sqlite:///{demo.workdir / 'p2p_scheduler.db'}")
    try:
        with engine.begin() as connection:
            moved = connection.execute(
                update(BookingRow)
                .where(BookingRow.id == booking_id)  # type: ignore[arg-type]
                .values(start_at=start, end_at=start + timedelta(minutes=15))
            )
            assert moved.rowcount == 1
            # its future cells go (a call in progress blocks no later time of the reviewer)
            connection.execute(
                delete(SlotCellRow).where(SlotCellRow.booking_id == booking_id)  # type: ignore[arg-type]
            )
    finally:
        engine.dispose()
    return start


def test_a_started_call_is_recorded_only_after_choosing_and_confirming_the_outcome(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    booking = book_with_the_day_view_reviewer(demo, STARTED_CASE)
    zone = api(demo, "GET", f"/v1/reviewers/{DAY_VIEW_REVIEWER}", key="demo-admin-key")["time_zone"]
    start = started_minutes_ago(demo, booking["id"], 5).astimezone(ZoneInfo(zone))
    at = f"{start.hour % 12 or 12}:{start:%M} {'am' if start.hour < 12 else 'pm'} {start:%Z}"

    page.goto(f"{demo.base_url}/portal/reviewers/{DAY_VIEW_REVIEWER}#key=demo-reviewer-key")
    card = page.locator("#today article.p2p").filter(has_text=STARTED_CASE[0])
    expect(card).to_have_count(1)
    # listed once: the week below leaves out today (no second record form for the same call)
    expect(page.locator("#week article.p2p").filter(has_text=STARTED_CASE[0])).to_have_count(0)
    today_in_week = page.locator("#week section.agenda-day").filter(
        has=page.get_by_role("heading", name=day_label(start), exact=True)
    )
    expect(today_in_week).to_have_count(0)
    card.get_by_role("button", name="Record completed").click()
    outcome = card.get_by_label("Outcome", exact=True)
    save = card.get_by_role("button", name="Save outcome")
    # nothing is chosen for the reviewer: the list asks, and Save waits for a choice
    expect(outcome).to_have_value("")
    expect(outcome.locator("option:checked")).to_have_text("Choose the outcome…")
    expect(save).to_be_disabled()
    assert_labelled(page)
    shots(page, shot, "01-choose-outcome")

    outcome.select_option("overturned")
    card.get_by_label("Outcome notes (optional)").fill("Imaging approved after discussion")
    save.click()
    dialog = card.get_by_role("alertdialog")
    expect(dialog).to_have_text(
        re.compile(
            rf"^Record “Decision overturned” for the {re.escape(at)} call with Dr\. Jane Doe\? "
            r"This is sent to the provider\.\s*Confirm\s*Go back$"
        )
    )
    expect(dialog.get_by_role("button", name="Confirm")).to_be_focused()
    shots(page, shot, "02-confirm")

    # Go back records nothing and leaves the choice to change
    dialog.get_by_role("button", name="Go back").click()
    expect(dialog).to_be_hidden()
    expect(outcome).to_be_enabled()
    expect(outcome).to_have_value("overturned")
    assert api(demo, "GET", f"/v1/bookings/{booking['id']}")["status"] == "scheduled"

    outcome.select_option("upheld")
    save.click()
    expect(dialog).to_contain_text("Record “Decision upheld” for the")
    dialog.get_by_role("button", name="Confirm").click()
    expect(card.locator("h4")).to_have_text(re.compile("Completed$"))
    expect(card.get_by_role("button", name="Record completed")).to_have_count(0)
    stored = api(demo, "GET", f"/v1/bookings/{booking['id']}")
    assert (stored["status"], stored["outcome"]["code"]) == ("completed", "upheld")
    expect(card.locator("dt:text-is('Outcome') + dd")).to_have_text("Decision upheld")
    shots(page, shot, "03-recorded")


def test_the_no_show_form_has_no_preselected_party_either(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    booking = book_with_the_day_view_reviewer(demo, NO_SHOW_CASE)
    started_minutes_ago(demo, booking["id"], 20)
    page.goto(f"{demo.base_url}/portal/reviewers/{DAY_VIEW_REVIEWER}#key=demo-reviewer-key")
    card = page.locator("#today article.p2p").filter(has_text=NO_SHOW_CASE[0])
    card.get_by_role("button", name="Record no-show").click()
    party = card.get_by_label("Who did not answer")
    expect(party).to_have_value("")
    expect(card.get_by_role("button", name="Record no-show").last).to_be_disabled()
    party.select_option("provider")
    card.locator("form").get_by_role("button", name="Record no-show").click()
    dialog = card.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Record a no-show (“The provider did not answer”) for the ")
    expect(dialog).to_contain_text("This closes the P2P as a no-show.")
    shots(page, shot, "01-confirm-no-show")
    dialog.get_by_role("button", name="Confirm").click()
    expect(card.locator("h4")).to_have_text(re.compile("No-show$"))
    assert api(demo, "GET", f"/v1/bookings/{booking['id']}")["status"] == "no_show"
