"""The first week is over (issue 18: a Friday afternoon, a weekend): the page opens on the
first week with times, not on an empty one, and "← Prev week" still goes back to it.

Which week is "this week", and which of its times are past, is the server's clock (the page
sends no date on its first request and takes ``week_start``/``next_week_start`` from the
answer), so the browser's clock changes nothing here. The test makes the server's first
answer the one it gives when the week is over: the real answer with every time gone
(``total_slots`` 0), whatever day the suite runs on. The weeks after it are the server's own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.support import day_label, step_checked
from tests.browser.test_portal_flow import (
    DOBS,
    THREE_TIERS_CASE,
    confirm_zone,
    look_up,
    open_portal,
)
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


def week_over(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer for a week whose times have all passed: the same days, none left."""
    for tier in answer["tiers"]:
        for reviewer in tier["reviewers"]:
            for day in reviewer["days"]:
                day.update(slots=[], total_slots=0)
    return {**answer, "total_slots": 0, "truncated": False}


def test_an_empty_first_week_opens_on_the_first_week_with_times(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    first: list[dict[str, Any]] = []

    def this_week_is_over(route: Route) -> None:
        asked = json.loads(route.request.post_data or "{}").get("week_start")
        if route.request.method != "POST" or asked not in (None, *(a["week_start"] for a in first)):
            route.continue_()
            return
        response = route.fetch()
        over = week_over(response.json())
        first[:] = first or [over]
        route.fulfill(response=response, json=over)

    page.route("**/v1/availability", this_week_is_over)
    open_portal(page, demo, [])
    confirm_zone(page, shot)
    look_up(page, (THREE_TIERS_CASE, DOBS[THREE_TIERS_CASE].isoformat()))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()

    # Opened on the week after the empty one, with its times.
    week = page.locator("#week-label")
    expect(week).to_have_text(re.compile(r"\(Upcoming week\)$"))
    [empty] = first
    upcoming = date.fromisoformat(empty["next_week_start"])
    expect(week).to_have_text(
        f"{day_label(upcoming)} - {day_label(upcoming + timedelta(days=6))} (Upcoming week)"
    )
    expect(page.locator("button.slot").first).to_be_visible()
    step_checked(page, shot, "02-upcoming-week")

    # "← Prev week" goes back to the empty week, which says it has no times.
    page.get_by_role("button", name="← Prev week").click()
    this = date.fromisoformat(empty["week_start"])
    expect(week).to_have_text(
        f"{day_label(this)} - {day_label(this + timedelta(days=6))} (This week)"
    )
    expect(page.locator("button.slot")).to_have_count(0)
    expect(page.get_by_role("button", name="← Prev week")).to_be_disabled()
    step_checked(page, shot, "03-this-week-empty")
