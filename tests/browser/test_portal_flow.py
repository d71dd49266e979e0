"""The seeds' P2P Scheduling Tool in a real browser against ``serve --demo``: look-up →
preferences → slot → contact form → summary → My P2P requests → reschedule → cancel, and the
pending request the optimizer assigns. Each step checks what the page shows against what the
API then holds, with times written independently here (zoneinfo) and on the page (Intl)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from p2p_scheduler.domain.clock import system_clock
from p2p_scheduler.tools.demo import demo_cases
from tests.browser.support import (
    PORTAL_KEY,
    ZONE,
    api,
    assert_labelled,
    label,
    step_checked,
)
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

DOBS: dict[str, date] = {case.case_number: case.member.dob for case in demo_cases(system_clock())}
#: An Illinois radiology case: reviewers at all three skill tiers can take it.
THREE_TIERS_CASE = "A100006"
#: A denied Medicare case: consultative only.
CONSULTATIVE_CASE = "A100004"
#: An Illinois oncology case, for the request without a time.
PENDING_CASE = "A100007"
SLOT_LABEL = re.compile(r"^(1[0-2]|[1-9]):[0-5]\d (am|pm) C[SD]T$")


@pytest.fixture
def shot(page: Page, shot: Callable[[str], Path]) -> Callable[[str], Path]:
    """Every step of these flows: screenshots at 1280 and 375 px, and axe-core at both."""
    return lambda name: step_checked(page, shot, name)


def bookings_of(server: Server, case_number: str) -> list[dict[str, Any]]:
    return api(server, "GET", "/v1/bookings", params={"case_number": case_number})["items"]


def open_portal(page: Page, server: Server, urls: list[str]) -> None:
    """Open the printed demo URL (key in the fragment) and keep every address the tab shows."""
    page.on("framenavigated", lambda frame: urls.append(frame.url))
    page.goto(f"{server.base_url}/portal/#key={PORTAL_KEY}")
    expect(page.get_by_role("heading", name="Confirm your time zone")).to_be_visible()
    assert "key=" not in page.url, "the key must leave the address bar at once"


def confirm_zone(page: Page, shot: Callable[[str], Path]) -> None:
    page.get_by_label("Your default time zone").select_option(ZONE)
    shot("01-time-zone")
    page.get_by_role("button", name="Confirm time zone").click()
    expect(page.get_by_role("heading", name="New P2P Request")).to_be_visible()
    expect(page.locator("#zone-indicator")).to_have_text(
        re.compile(rf"^Times in {ZONE} \(C[SD]T\)$")
    )


def look_up(page: Page, *cases: tuple[str, str]) -> None:
    for index, (number, dob) in enumerate(cases):
        if index and page.locator(f"#case-number-{index}").count() == 0:
            page.get_by_role("button", name="+ Add Another Case").click()
        page.locator(f"#case-number-{index}").fill(number)
        page.locator(f"#member-dob-{index}").fill(dob)
    page.get_by_role("button", name="Look up cases").click()


def card(page: Page, case_number: str) -> Locator:
    return page.locator("article.case-card").filter(
        has=page.get_by_role("heading", name=re.compile(f"Case Ref #: {case_number}"))
    )


def fact(scope: Locator, term: str) -> str:
    """The <dd> after the <dt> named ``term`` inside ``scope``."""
    return scope.locator(f"dt:text-is('{term}') + dd").first.inner_text()


def day_of(slot: Locator) -> str:
    """The day heading ("Tue 11/24") above a slot button."""
    return slot.locator("xpath=ancestor::div[contains(@class, 'day')]/h4").inner_text()


def week_start(page: Page) -> date:
    """The Monday the page shows: "Mon 12/7/2026 - Sun 12/13/2026 (Upcoming week)" → 2026-12-07."""
    month, day, year = page.locator("#week-label").inner_text().split(" ")[1].split("/")
    return date(int(year), int(month), int(day))


def next_week(page: Page) -> None:
    """ "Next week →", then wait for the next week's label: the page fetches the week, so
    reading it at once reads the old one (and another click skips a week)."""
    week = page.locator("#week-label")
    shown = week.inner_text()
    page.get_by_role("button", name="Next week →").click()
    expect(week).not_to_have_text(shown)


def show_a_week_with_tiers(page: Page, tiers: int) -> None:
    """This week, or the next ones while it has no slots in ``tiers`` tiers: it can be over
    (a Friday evening, a weekend) or keep only a few hours (late on a weekday)."""
    for _ in range(3):
        expect(page.locator("#week-label")).not_to_be_empty()
        if page.locator("section.tier").count() >= tiers:
            return
        next_week(page)
    pytest.fail("no week in the next three shows slots in every tier")


def show_the_week_of(page: Page, day: date) -> None:
    """Page forward from the week shown to the one containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    for _ in range(3):
        expect(page.locator("#week-label")).not_to_be_empty()
        if week_start(page) == monday:
            return
        next_week(page)
    pytest.fail(f"the week of {day} is not among the next three")


def a_slot(reviewer: Locator) -> Locator:
    """A time of the reviewer that stays open for the test's few seconds: their second, not
    their earliest, which during working hours sits on the minimum-notice edge and closes
    when the next quarter hour comes within notice."""
    slots = reviewer.locator("button.slot")
    expect(slots.nth(1)).to_be_visible()
    return slots.nth(1)


def test_book_reschedule_and_cancel_a_p2p_as_the_seeds_describe(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    urls: list[str] = []
    open_portal(page, demo, urls)
    confirm_zone(page, shot)
    dob = DOBS[THREE_TIERS_CASE].isoformat()

    # Look-up: a wrong date of birth reveals nothing and blocks the request.
    look_up(
        page,
        (THREE_TIERS_CASE, "1990-01-01"),
        (CONSULTATIVE_CASE, DOBS[CONSULTATIVE_CASE].isoformat()),
    )
    expect(card(page, THREE_TIERS_CASE).locator(".badge")).to_have_text("✗ Not found")
    expect(page.get_by_role("button", name="Continue")).to_be_disabled()
    shot("02-case-not-found")

    # The right date of birth: eligible, with level of review and deadline in the chosen zone.
    page.locator("#member-dob-0").fill(dob)
    page.get_by_role("button", name="Look up cases").click()
    eligible = card(page, THREE_TIERS_CASE)
    expect(eligible.locator(".badge")).to_have_text("✓ P2P Eligible")
    answer = api(
        demo,
        "POST",
        "/v1/eligibility",
        json={"cases": [{"case_number": THREE_TIERS_CASE, "member_dob": dob}]},
    )["cases"][0]
    assert fact(eligible, "Level of review") == answer["level_of_review_label"]
    assert fact(eligible, "Line of business") == answer["line_of_business"].capitalize()
    assert fact(eligible, "P2P valid until") == label(answer["valid_until"])
    born = DOBS[THREE_TIERS_CASE]
    assert fact(eligible, "Member DOB") == f"{born.month}/{born.day}/{born.year}"
    consultative = card(page, CONSULTATIVE_CASE)
    expect(consultative.locator(".consultative")).to_contain_text(
        "the original decision cannot be modified"
    )
    assert fact(consultative, "Level of review") == "Consultative-Only P2P"
    assert_labelled(page)
    shot("03-cases-found")

    # Remove the consultative case; the look-up runs again for the one left.
    page.get_by_role("button", name=f"Remove case {CONSULTATIVE_CASE}").click()
    expect(card(page, CONSULTATIVE_CASE)).to_have_count(0)
    expect(page.locator("article.case-card")).to_have_count(1)
    page.get_by_role("button", name="Continue").click()

    # Preferences: every bin pre-selected; deselect Friday and 7:00 to 8:00.
    expect(page.get_by_role("heading", name="Please indicate your availability")).to_be_visible()
    toggles = page.locator("#view-preferences button.toggle")
    expect(toggles).to_have_count(5 + 12)
    for index in range(17):
        expect(toggles.nth(index)).to_have_attribute("aria-pressed", "true")
    friday = page.get_by_role("button", name="Fri", exact=True)
    friday.click()
    expect(friday).to_have_attribute("aria-pressed", "false")
    page.get_by_role("button", name="7:00 to 8:00").click()
    assert_labelled(page)
    shot("04-preferences")
    page.get_by_role("button", name="Continue").click()

    # Slots: three tier headings in order, labels in the chosen zone, preferences honoured.
    show_a_week_with_tiers(page, 3)
    expect(page.locator("section.tier > h2")).to_have_text(
        ["1st Priority by Skill", "2nd Priority by Skill", "3rd Priority by Skill"]
    )
    expect(page.locator("#week-label")).to_have_text(
        re.compile(r"^Mon \d+/\d+/\d{4} - Sun \d+/\d+/\d{4}( \((This|Upcoming) week\))?$")
    )
    # A slot's name says the day, the time and the reviewer, not the time alone.
    named = page.locator("section.reviewer").first.locator("button.slot").first
    expect(named).to_have_attribute(
        "aria-label",
        re.compile(
            rf"^{re.escape(day_of(named))} {re.escape(named.inner_text())} with "
            + re.escape(page.locator("section.reviewer").first.locator("h3").inner_text())
            + "$"
        ),
    )
    labels = page.locator("button.slot").all_inner_texts()
    assert labels and all(SLOT_LABEL.match(text) for text in labels), labels[:5]
    assert not [text for text in labels if re.match(r"^7:\d\d am", text)], "7 am was deselected"
    fridays = page.locator("div.day").filter(has=page.locator("h4", has_text=re.compile("^Fri ")))
    expect(fridays.locator("button.slot")).to_have_count(0)
    day_id = (
        page.locator("div.day")
        .filter(has=page.get_by_role("button", name=re.compile("^Show more times on")))
        .first.get_attribute("aria-labelledby")
    )
    day_of_more = page.locator(f'div.day[aria-labelledby="{day_id}"]')
    expect(day_of_more.locator("button.slot")).to_have_count(4)
    day_of_more.get_by_role("button", name=re.compile("^Show more times on")).click()
    expect(day_of_more.locator("button.slot")).not_to_have_count(4)
    assert day_of_more.locator("button.slot").count() > 4
    expect(day_of_more.locator("button.slot").nth(4)).to_be_focused()
    assert_labelled(page)
    shot("05-slots")

    # A slot, chosen with the keyboard, is held: the contact form shows the countdown.
    first = page.locator("section.tier").first.locator("section.reviewer").first
    reviewer_name = first.locator("h3").inner_text()
    slot = a_slot(first)
    slot_text = slot.inner_text()
    slot_day = day_of(slot)
    slot.focus()
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name="P2P contact details", exact=True).first
    ).to_be_visible()
    expect(page.locator(".countdown")).to_have_text(re.compile(r"^[45]:[0-5]\d$"))
    assert fact(page.locator("#p2p-info"), "P2P time") == f"{slot_day} {slot_text}"
    assert_labelled(page)
    shot("06-hold-and-contact-form")

    # The API's validation error appears next to the phone field; nothing is booked.
    page.get_by_label("Name of provider requesting P2P").fill("Dr. Jane Doe")
    page.get_by_label("Contact person name").fill("Office Manager John Doe")
    page.get_by_label("Contact person location").fill("Provider Office")
    page.get_by_label("Phone number for P2P").fill("555-55")
    page.get_by_label("Phone ext.", exact=True).fill("12345")
    page.get_by_label("Requesting provider email").fill("droffice@example.org")
    page.get_by_label("Contact instructions").fill("Select option 4, ask for Dr. Doe")
    page.get_by_role("button", name="Submit").click()
    phone = page.get_by_label("Phone number for P2P")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-contact-phone")).to_have_text(
        re.compile("Enter a phone number with 10 to 15 digits")
    )
    # The summary names the field by its label, never the API's path ("contact.phone").
    summary = page.locator("#contact-form .problem")
    expect(summary).to_contain_text("Phone number for P2P: Enter a phone number")
    expect(summary).not_to_contain_text("contact")
    # The extension sits beside its phone number, not across the page.
    number_box = phone.bounding_box()
    ext_box = page.get_by_label("Phone ext.", exact=True).bounding_box()
    assert number_box and ext_box
    assert 0 < ext_box["x"] - (number_box["x"] + number_box["width"]) < 40, (number_box, ext_box)
    # Required fields are marked, and say so to a screen reader.
    for required in (
        "Name of provider requesting P2P",
        "Phone number for P2P",
        "Requesting provider email",
    ):
        expect(page.locator(f"label:has-text('{required}') .req")).to_have_text("*")
        expect(page.get_by_label(required)).to_have_attribute("required", "")
    assert bookings_of(demo, THREE_TIERS_CASE) == []
    shot("07-validation-error")

    # Submit: the summary shows the time the API holds, in the chosen zone.
    phone.fill("(555) 555-5555")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Scheduled", exact=True)).to_be_visible()
    [booked] = bookings_of(demo, THREE_TIERS_CASE)
    assert booked["status"] == "scheduled" and booked["sequence"] == 0
    assert booked["time_zone"] == ZONE
    assert label(booked["start"]) == f"{slot_day} {slot_text}"
    assert f"{booked['reviewer']['name']}, {booked['reviewer']['credentials']}" == reviewer_name
    assert booked["contact"]["phone_ext"] == "12345"
    assert booked["contact"]["instructions"] == "Select option 4, ask for Dr. Doe"
    # Said once: the heading. The line under it has the time (as every date on the pages:
    # with the year), the length and the reviewer; the next line says what was sent and who
    # calls whom.
    expect(page.locator("#summary-when")).to_have_text(
        f"{label(booked['start'])}, {booked['duration_minutes']} minutes with {reviewer_name}"
    )
    expect(page.locator("#summary-next")).to_have_text(
        f"An invitation was sent to droffice@example.org. {booked['reviewer']['name']} will call"
        " (555) 555-5555 ext. 12345 at that time."
    )
    assert page.locator("#view-summary").inner_text().count("Scheduled") == 1
    invite = httpx.get(
        page.get_by_role("link", name="Add to calendar").get_attribute("href") or "", timeout=10
    )
    assert invite.status_code == 200 and invite.headers["content-type"].startswith("text/calendar")
    # a download to keep (SPEC §11 "add to calendar"): PUBLISH, nobody asked to respond
    assert "METHOD:PUBLISH" in invite.text and THREE_TIERS_CASE in invite.text
    assert "RSVP" not in invite.text and "ATTENDEE" not in invite.text
    assert invite.headers["content-disposition"].startswith('attachment; filename="p2p-')
    shot("08-summary")

    # My P2P requests lists it; open it and reschedule through Actions.
    page.get_by_role("navigation").get_by_role("link", name="My P2P requests").click()
    row = page.locator("#requests-table tbody tr").filter(has_text=THREE_TIERS_CASE)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text(label(booked["start"]))
    expect(row.locator(".status")).to_have_text("Scheduled")
    # Filtering by another provider's email hides it; by this one's shows it again.
    page.get_by_label("Provider email", exact=True).fill("someone.else@example.org")
    page.get_by_role("button", name="Filter").click()
    expect(row).to_have_count(0)
    page.get_by_label("Provider email", exact=True).fill("droffice@example.org")
    page.get_by_role("button", name="Filter").click()
    expect(row).to_have_count(1)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()  # one page: no more
    assert_labelled(page)
    shot("09-my-p2p-requests")
    row.get_by_role("link", name=re.compile("^Open")).click()
    expect(page.get_by_role("heading", name="P2P request — Scheduled")).to_be_visible()
    page.get_by_label("Actions").select_option("reschedule")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Choose a new P2P time")).to_be_visible()
    # "Change preferences" while moving a P2P offers no request without a time.
    page.get_by_role("button", name="Change preferences").click()
    expect(page.get_by_role("button", name="Submit preferences without a time")).to_be_hidden()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Choose a new P2P time")).to_be_visible()
    show_the_week_of(
        page, datetime.fromisoformat(booked["start"]).astimezone(ZoneInfo(ZONE)).date()
    )
    # Its own time is offered again (it does not block itself); take the one after it.
    own = page.locator("section.reviewer").filter(
        has=page.get_by_role("heading", name=reviewer_name, exact=True)
    )
    times = [f"{day_of(time)} {time.inner_text()}" for time in own.locator("button.slot").all()]
    assert f"{slot_day} {slot_text}" in times, times
    target = own.locator("button.slot").nth(times.index(f"{slot_day} {slot_text}") + 1)
    target_text = target.inner_text()
    target_day = day_of(target)
    target.click()
    expect(page.locator("#move-summary")).to_contain_text(
        f"From {label(booked['start'])} with {booked['reviewer']['name']} to {target_day} {target_text}"
    )
    shot("10-reschedule")
    page.get_by_role("button", name="Confirm reschedule").click()
    expect(page.get_by_role("heading", name="Rescheduled", exact=True)).to_be_visible()
    [moved] = bookings_of(demo, THREE_TIERS_CASE)
    assert moved["id"] == booked["id"] and moved["sequence"] == 1
    assert label(moved["start"]) == f"{target_day} {target_text}" != label(booked["start"])
    expect(page.locator("#summary-when")).to_contain_text(f"{label(moved['start']).split(' ')[0]} ")
    expect(page.locator("#summary-when")).to_contain_text(
        f", {moved['duration_minutes']} minutes with "
    )
    shot("11-rescheduled")

    # Cancel: a reason is required ("other" needs words too), then the time is released.
    page.get_by_role("link", name="Open this request").click()
    expect(page.get_by_role("heading", name="P2P request — Scheduled")).to_be_visible()
    page.get_by_label("Actions").select_option("cancel")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Cancellation reason").select_option("other")
    page.get_by_role("button", name="Cancel P2P").click()
    expect(page.get_by_label('Details (required for "Other")')).to_have_attribute(
        "aria-invalid", "true"
    )
    assert bookings_of(demo, THREE_TIERS_CASE)[0]["status"] == "scheduled"
    assert_labelled(page)
    shot("12-cancel-needs-a-reason")
    page.get_by_label('Details (required for "Other")').fill("Member changed plans")
    page.get_by_role("button", name="Cancel P2P").click()
    expect(page.get_by_role("heading", name="P2P request — Cancelled")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("The P2P is cancelled and the time released.")
    [cancelled] = bookings_of(demo, THREE_TIERS_CASE)
    assert cancelled["status"] == "cancelled" and cancelled["sequence"] == 2
    # Nothing is left to do with it: no Actions box with a dead Go, no calendar link (and
    # not the word "null" where it was).
    expect(page.get_by_label("Actions")).to_be_hidden()
    expect(page.get_by_role("button", name="Go")).to_be_hidden()
    expect(page.locator("#request-links")).to_have_text("")
    expect(page.locator("#view-request")).not_to_contain_text("null")
    shot("13-cancelled")

    # Only the printed demo URL carried the key (in its fragment, which no server sees).
    assert not [url for url in urls[1:] if dob in url or "key=" in url], urls


def test_preferences_without_a_time_become_a_pending_request_the_optimizer_schedules(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    # No key in the URL: the page asks for one, and says so when it is wrong.
    page.goto(f"{demo.base_url}/portal/")
    # The header offers nothing that needs a sign-in.
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(page.get_by_role("button", name="Change time zone")).to_be_hidden()
    page.get_by_label("API key").fill("not-a-key")
    page.get_by_role("button", name="Sign in").click()
    # Refused at once, on the sign-in form: not accepted and refused at the next step.
    expect(page.locator("#signin-form .problem")).to_contain_text("not recognised")
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shot("01-wrong-key")
    page.get_by_label("API key").fill(PORTAL_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Your default time zone").select_option(ZONE)
    page.get_by_role("button", name="Confirm time zone").click()

    look_up(page, (PENDING_CASE, DOBS[PENDING_CASE].isoformat()))
    expect(card(page, PENDING_CASE).locator(".badge")).to_have_text("✓ P2P Eligible")
    assert_fits(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()
    show_a_week_with_tiers(page, 1)
    assert_fits(page)
    # Days without times take no room on a phone.
    expect(page.locator("div.day.empty").first).to_be_hidden()
    shot("02-slots-at-375px")
    page.get_by_role("button", name="Change preferences").click()
    page.get_by_role("button", name="Wed", exact=True).click()
    page.get_by_role("button", name="Submit preferences without a time").click()
    expect(page.get_by_role("heading", name="Submit preferences without a time")).to_be_visible()
    page.get_by_label("Name of provider requesting P2P").fill("Dr. Ann Lee")
    page.get_by_label("Role of the provider who holds the call").select_option("nurse_practitioner")
    page.get_by_label("Phone number for P2P").fill("+1 312 555 0100")
    page.get_by_label("Requesting provider email").fill("ann.lee@example.org")
    assert_fits(page)
    expect(page.locator("#p2p-info dt:text-is('Preferred days') + dd")).to_have_text(
        "Mon, Tues, Thurs, Fri"
    )
    shot("03-contact-at-375px")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Pending assignment")).to_be_visible()
    expect(page.locator("#summary-when")).to_have_text(
        "Pending assignment — a time will be assigned and sent to ann.lee@example.org"
    )
    [pending] = bookings_of(demo, PENDING_CASE)
    assert pending["status"] == "pending_assignment" and pending["start"] is None
    assert pending["contact"]["provider_role"] == "nurse_practitioner"
    shot("04-pending")

    run = api(demo, "POST", "/v1/optimizer/runs", key="demo-admin-key", json={})
    assert pending["id"] not in {u["booking_id"] for u in run["unassigned"]}, run
    page.get_by_role("link", name="Open this request").click()
    expect(page.get_by_role("heading", name="P2P request — Scheduled")).to_be_visible()
    [assigned] = bookings_of(demo, PENDING_CASE)
    assert fact(page.locator("#request-details"), "P2P time") == label(assigned["start"])
    shot("05-assigned-by-the-optimizer")


def assert_fits(page: Page) -> None:
    """Nothing wider than the 375 px screen: no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide at 375 px"


def test_a_hold_runs_out_on_the_page_and_going_back_releases_it(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    """The countdown reaches zero (the page's clock is fast-forwarded, not waited for):
    Submit is disabled; Back releases the hold, so the time is open to others at once."""
    open_portal(page, demo, [])
    confirm_zone(page, shot)
    look_up(page, (HOLD_CASE, DOBS[HOLD_CASE].isoformat()))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()
    show_a_week_with_tiers(page, 1)
    first = page.locator("section.reviewer").first
    reviewer = first.locator("h3").inner_text()
    slot = a_slot(first)
    when = f"{day_of(slot)} {slot.inner_text()}"
    week = week_start(page).isoformat()
    page.clock.install()
    slot.click()
    expect(page.locator(".countdown")).to_have_text(re.compile(r"^[45]:[0-5]\d$"))
    assert when not in offered(demo, reviewer, week), "a held time is hidden from others"
    page.clock.fast_forward("05:01")
    expect(page.locator("#hold-status")).to_have_text(
        "Your hold on this time has expired. Go back and choose a time again."
    )
    expect(page.get_by_role("button", name="Submit")).to_be_disabled()
    shot("02-hold-expired")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_role("heading", name="Choose a P2P time")).to_be_visible()
    assert when in offered(demo, reviewer, week), "going back gives the time back"


#: A Louisiana MSK spine case, for the hold test (a case of its own: holds block its time).
HOLD_CASE = "A100010"


def offered(server: Server, reviewer: str, week_start: str) -> set[str]:
    """The times ("Tue 11/24 8:00 am CST") the named reviewer offers another request now."""
    week = api(
        server,
        "POST",
        "/v1/availability",
        json={
            "cases": [{"case_number": HOLD_CASE, "member_dob": DOBS[HOLD_CASE].isoformat()}],
            "time_zone": ZONE,
            "week_start": week_start,
        },
    )
    return {
        label(slot["start"])
        for tier in week["tiers"]
        for one in tier["reviewers"]
        if f"{one['name']}, {one['credentials']}" == reviewer
        for day in one["days"]
        for slot in day["slots"]
    }
