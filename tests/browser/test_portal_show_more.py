"""The portal's "Show more…" when the answer was cut (issue 16 finding 11): ``serve --demo``
with the smallest cap (``P2P_AVAILABILITY_MAX_SLOTS=96``) lists only the earliest times of
each reviewer's day; "Show more…" asks for that reviewer's day and shows all of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import ZONE, api
from tests.browser.test_portal_flow import (
    DOBS,
    THREE_TIERS_CASE,
    confirm_zone,
    look_up,
    open_portal,
    show_a_week_with_tiers,
    week_start,
)
from tests.e2e.server import Server, cli_env, start_server, stop

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("portal-capped")
    env = cli_env(P2P_RATE_LIMIT_PER_MINUTE="0", P2P_AVAILABILITY_MAX_SLOTS="96")
    server = start_server(workdir, env, "--demo")
    try:
        yield server
    finally:
        stop(server.process)


def test_show_more_fetches_the_rest_of_a_day_the_answer_cut(
    page: Page, capped: Server, shot: Callable[[str], Path]
) -> None:
    dob = DOBS[THREE_TIERS_CASE].isoformat()
    open_portal(page, capped, [])
    confirm_zone(page, shot)
    look_up(page, (THREE_TIERS_CASE, dob))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Please indicate your availability")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    show_a_week_with_tiers(page, 1)

    # What the page was given (the same request: the page's default preferences).
    answer = api(
        capped,
        "POST",
        "/v1/availability",
        json={
            "cases": [{"case_number": THREE_TIERS_CASE, "member_dob": dob}],
            "time_zone": ZONE,
            "week_start": week_start(page).isoformat(),
        },
    )
    assert answer["truncated"] is True
    reviewer, day = next(
        (r["reviewer_id"], d)
        for tier in answer["tiers"]
        for r in tier["reviewers"]
        for d in r["days"]
        if len(d["slots"]) < min(4, d["total_slots"])
    )
    shown = page.locator(f'div.day[aria-labelledby="day-{reviewer}-{day["date"]}"]')
    expect(shown.locator("button.slot")).to_have_count(len(day["slots"]))
    shot("01-cut")

    shown.get_by_role("button", name="Show more times on").click()

    expect(shown.locator("button.slot")).to_have_count(day["total_slots"])
    assert shown.locator("button.slot").all_inner_texts()[: len(day["slots"])] == [
        slot["label"] for slot in day["slots"]
    ]
    expect(shown.get_by_role("button", name="Show more times on")).to_have_count(0)
    shot("02-more")
