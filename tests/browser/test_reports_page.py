"""The reports page for UM leaders (SPEC §12, issue 19), against ``serve --demo`` and its four
months of past P2Ps: the printed ops link signs in; the table shows exactly the figures of
``GET /v1/reports/p2p`` (written as the page writes them: counts, percentages, "—"); the four
charts are drawn from those figures (outcomes over time from one report per month); the
grouping and the quick periods change what is asked; the CSV is the API's CSV; axe-core finds
nothing serious; and a provider is told whose page it is."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from p2p_scheduler.tools.demo import DEMO_OPS_NAME, DEMO_PRACTICE_NAME
from p2p_scheduler.tools.demo_history import HISTORY_DAYS, QUIET_DAYS
from tests.browser.support import (
    api,
    assert_accessible,
    assert_labelled,
    signed_in_as,
    step_checked,
)
from tests.browser.test_sign_in import printed_link
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

OPS_KEY = "demo-ops-key"
NONE = "—"
#: how the page names the groups the demo has (state codes, lines of business, levels)
STATES = {
    "AZ": "Arizona", "CA": "California", "FL": "Florida", "GA": "Georgia", "IL": "Illinois",
    "LA": "Louisiana", "MO": "Missouri", "MS": "Mississippi", "NY": "New York",
    "PA": "Pennsylvania", "TX": "Texas", "WA": "Washington",
}  # fmt: skip
LEVELS = {
    "pre_decision": "Pre-decision",
    "reconsideration": "Reconsideration",
    "appeal": "Appeal",
    "consultative_only": "Consultative only",
}
OUTCOMES = {
    "upheld": "Upheld",
    "overturned": "Overturned",
    "modified": "Modified",
    "information_only": "Information only",
}
PERCENT_KEYS = ("overturn_rate", "tier_1_share", "preferred_window_share", "reviewer_utilisation")
NUMBER_KEYS = ("median_hours_request_to_call", "mean_reschedules")
CHARTS = ("chart-tier1", "chart-hours", "chart-noshow", "chart-outcomes")


def written(key: str, value: Any) -> str:
    """A figure as the page writes it: counts with thousands separators, ratios as
    percentages with up to 2 decimals (a ratio has 4, so this is exact), hours and means
    with up to 4 decimals, null as a dash."""
    if value is None:
        return NONE
    if key in PERCENT_KEYS:
        return f"{(Decimal(str(value)) * 100).normalize():,f}%"
    if key in NUMBER_KEYS:
        return f"{Decimal(str(value)).normalize():,f}"
    return f"{value:,}"


def cells_of(group: dict[str, Any]) -> dict[str, str]:
    """data-key → text of one group's row, from the API's JSON."""
    cells = {}
    for key, value in group.items():
        if key == "key":
            continue
        if isinstance(value, dict):
            cells.update({f"{key}.{code}": written(key, n) for code, n in value.items()})
        else:
            cells[key] = written(key, value)
    return cells


def report(server: Server, first: str, last: str, group_by: str | None = None) -> dict[str, Any]:
    query = f"from={first}&to={last}" + (f"&group_by={group_by}" if group_by else "")
    return api(server, "GET", f"/v1/reports/p2p?{query}", key=OPS_KEY)


def table_rows(page: Page) -> list[tuple[str, dict[str, str]]]:
    """(row header, data-key → text) of every row of the page's table."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#report-table tbody tr')].map((tr) => [
          tr.querySelector('th').textContent,
          Object.fromEntries([...tr.querySelectorAll('td[data-key]')]
            .map((td) => [td.dataset.key, td.textContent]))])"""
    )


def shows(first: str, last: str, group_by: str | None = None) -> str:
    """The query the page's table says it shows (``data-shows``), once its answer is drawn."""
    return f"from={first}&to={last}" + (f"&group_by={group_by}" if group_by else "")


def assert_table_is(page: Page, answer: dict[str, Any], names: Callable[[Any], str]) -> None:
    keys = [next(iter(group["key"]), None) for group in answer["groups"]]
    expect(page.locator("#report-table")).to_have_attribute(
        "data-shows", shows(answer["from"], answer["to"], keys[0] if keys else None)
    )
    expect(page.locator("#report-table tbody tr")).to_have_count(len(answer["groups"]))
    shown = table_rows(page)
    wanted = [
        (names(next(iter(group["key"].values()), None)), cells_of(group))
        for group in answer["groups"]
    ]
    assert [list(row) for row in shown] == [list(row) for row in wanted]


def chart_data(page: Page, canvas: str) -> dict[str, Any]:
    """What Chart.js draws on the canvas and how many of its pixels are painted."""
    return page.evaluate(
        """(id) => {
          const canvas = document.getElementById(id);
          const chart = Chart.getChart(canvas);
          const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) painted += 1;
          return {labels: chart.data.labels, painted, width: canvas.width, height: canvas.height,
                  datasets: chart.data.datasets.map((d) => ({label: d.label, data: d.data})),
                  role: canvas.getAttribute('role'),
                  text: document.getElementById(id + '-text').textContent};
        }""",
        canvas,
    )


def months(first: date, last: date) -> list[tuple[date, date]]:
    """The calendar months of a period, clipped to it (how the page asks for them)."""
    out = []
    start = first.replace(day=1)
    while start <= last:
        end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        out.append((max(start, first), min(end, last)))
        start = end + timedelta(days=1)
    return out


def shown_period(page: Page) -> tuple[str, str]:
    return page.locator("#from").input_value(), page.locator("#to").input_value()


@pytest.mark.parametrize("width", [1280, 375])
def test_the_reports_page_shows_the_demo_history_with_charts_and_a_csv(
    page: Page, demo: Server, shot: Callable[[str], Path], width: int, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    link = printed_link(demo, "Reports (UM leaders)")
    assert "/portal/reports#token=" in link
    page.goto(link)
    expect(page.get_by_role("heading", name="P2P operations report")).to_be_visible()
    assert "token=" not in page.url, "the token must leave the address bar at once"
    signed_in_as(page, f"{DEMO_OPS_NAME} (ops)")

    # The first view: the last six months, whole months, the current one up to today (this
    # browser runs on this machine's clock and zone); one group, all of the demo's history.
    today = date.today()
    six_back = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    for _ in range(4):
        six_back = (six_back - timedelta(days=1)).replace(day=1)
    assert shown_period(page) == (six_back.isoformat(), today.isoformat())
    expect(page.get_by_role("button", name="Last 6 months")).to_have_attribute(
        "aria-pressed", "true"
    )
    first, last = shown_period(page)
    everything = report(demo, first, last)
    # every past P2P the demo printed lies in these months (it ends QUIET_DAYS ago)
    printed = re.search(r"and (\d+) past P2Ps of the last (\d+) days", demo.output())
    assert printed and int(printed.group(2)) == HISTORY_DAYS and QUIET_DAYS > 0, demo.output()
    assert everything["groups"][0]["bookings"] == int(printed.group(1)) > 100
    assert_table_is(page, everything, lambda _: "All P2Ps")
    total = everything["groups"][0]["bookings"]
    expect(page.locator("#report-summary")).to_contain_text(f"{total} P2Ps from ")
    expect(page.locator("#report-summary")).to_contain_text(everything["time_zone"])

    # Outcomes over time: one report per month, summed by outcome.
    periods = months(date.fromisoformat(first), date.fromisoformat(last))
    monthly = [report(demo, a.isoformat(), b.isoformat())["groups"][0] for a, b in periods]
    expect(page.locator("#chart-outcomes")).to_have_attribute(
        "data-shows", f"{shows(first, last)}&of=*"
    )
    drawn = chart_data(page, "chart-outcomes")
    assert drawn["labels"] == [f"{calendar.month_abbr[a.month]} {a.year}" for a, _ in periods]
    assert {d["label"]: d["data"] for d in drawn["datasets"]} == {
        words: [month["outcomes"][code] for month in monthly] for code, words in OUTCOMES.items()
    }
    assert sum(sum(d["data"]) for d in drawn["datasets"]) == sum(
        everything["groups"][0]["outcomes"].values()
    )
    tier1 = chart_data(page, "chart-tier1")
    assert tier1["datasets"][0]["data"] == [
        pytest.approx(everything["groups"][0]["tier_1_share"] * 100)
    ]
    no_shows = chart_data(page, "chart-noshow")
    assert [d["data"] for d in no_shows["datasets"]] == [
        [everything["groups"][0]["no_show"]["provider"]],
        [everything["groups"][0]["no_show"]["reviewer"]],
    ]
    hours = chart_data(page, "chart-hours")
    assert hours["datasets"][0]["data"] == [everything["groups"][0]["median_hours_request_to_call"]]
    for canvas in CHARTS:
        seen = chart_data(page, canvas)
        assert seen["role"] == "img" and seen["text"].strip(), canvas
        # drawn: a good part of the canvas is painted (bars, axes, labels), not a blank box
        assert seen["painted"] > seen["width"] * seen["height"] * 0.02, (canvas, seen["painted"])
    assert_labelled(page)
    step_checked(page, shot, "01-all-p2ps")

    # Grouped by state: one row per state, named in words, the API's figures.
    page.get_by_label("Group by").select_option(label="State")
    by_state = report(demo, first, last, "state")
    assert len(by_state["groups"]) > 5
    assert_table_is(page, by_state, lambda code: STATES[code])
    expect(page.locator("#report-table thead")).to_contain_text("State")
    assert page.url.endswith(f"/portal/reports?from={first}&to={last}&group_by=state")
    tier1 = chart_data(page, "chart-tier1")
    assert tier1["labels"] == [STATES[g["key"]["state"]] for g in by_state["groups"]]
    texas = next(g for g in by_state["groups"] if g["key"]["state"] == "TX")
    assert texas["tier_1_share"] == 1  # Texas takes tier 1 only (SPEC §9)
    # outcomes over time of one state: its own months
    expect(page.locator("#chart-outcomes")).to_have_attribute(
        "data-shows", f"{shows(first, last, 'state')}&of=*"
    )
    page.get_by_label("Outcomes of").select_option(label="Texas")
    expect(page.locator("#chart-outcomes")).to_have_attribute(
        "data-shows", f"{shows(first, last, 'state')}&of=TX"
    )
    texas_months = [
        next((g for g in report(demo, a.isoformat(), b.isoformat(), "state")["groups"]
              if g["key"]["state"] == "TX"), None)
        for a, b in periods
    ]  # fmt: skip
    drawn = chart_data(page, "chart-outcomes")
    assert {d["label"]: d["data"] for d in drawn["datasets"]} == {
        words: [m["outcomes"][code] if m else 0 for m in texas_months]
        for code, words in OUTCOMES.items()
    }
    step_checked(page, shot, "02-by-state")

    # Level of review: other rows again.
    page.get_by_label("Group by").select_option(label="Level of review")
    by_level = report(demo, first, last, "level_of_review")
    assert_table_is(page, by_level, lambda code: LEVELS[code])
    assert [row[0] for row in table_rows(page)] != [
        STATES[g["key"]["state"]] for g in by_state["groups"]
    ]

    # A quick period: the last 30 days (the demo's last week is quiet, the rest is not).
    page.get_by_role("button", name="Last 30 days").click()
    thirty = ((today - timedelta(days=29)).isoformat(), today.isoformat())
    expect(page.locator("#from")).to_have_value(thirty[0])
    expect(page.locator("#to")).to_have_value(thirty[1])
    assert_table_is(page, report(demo, *thirty, "level_of_review"), lambda code: LEVELS[code])

    # The CSV: the API's own, under the period's name.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"p2p-report-{thirty[0]}-{thirty[1]}.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    expected = httpx.get(
        f"{demo.base_url}/v1/reports/p2p?from={thirty[0]}&to={thirty[1]}&group_by=level_of_review",
        headers={"Authorization": f"Bearer {OPS_KEY}", "Accept": "text/csv"},
        timeout=30,
    )
    assert expected.status_code == 200
    assert saved.read_bytes() == expected.content  # byte for byte, RFC 4180 line ends too
    assert saved.read_text().startswith("level_of_review,bookings,scheduled,completed,pending,")
    expect(page.locator("#csv-status")).to_have_text(f"Downloaded {download.suggested_filename}.")

    # A period the API refuses: its words, next to the field it names; the last table stays.
    page.locator("#from").fill("2020-01-01")
    page.get_by_role("button", name="Show report").click()
    expect(page.locator("#error-to")).to_contain_text("a report covers at most 366")
    expect(page.locator("#to")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#report-table")).to_have_attribute(
        "data-shows", shows(*thirty, "level_of_review")
    )
    expect(page.locator("#report-summary")).to_contain_text("by level of review")
    assert page.url.endswith(f"/portal/reports?{shows(*thirty, 'level_of_review')}")


def test_a_provider_is_told_the_reports_are_for_um_leaders(
    page: Page, demo: Server, shot: Callable[[str], Path]
) -> None:
    provider_link = printed_link(demo, f"Provider pages ({DEMO_PRACTICE_NAME})")
    page.goto(provider_link.replace("/portal/#token=", "/portal/reports#token="))
    expect(page.get_by_role("heading", name="This page is for UM leaders")).to_be_visible()
    expect(page.locator("#elsewhere-note")).to_contain_text(
        "This page is for UM leaders: the P2P reports need an ops or admin sign-in."
    )
    expect(page.get_by_role("link", name="Open the provider pages")).to_have_attribute(
        "href", "/portal/"
    )
    expect(page.locator("#report-table")).to_be_hidden()
    step_checked(page, shot, "01-provider")

    # A back end's portal key is refused by the API (403): the same plain message.
    page.goto("about:blank")
    page.goto(f"{demo.base_url}/portal/reports#key=demo-portal-key")
    expect(page.get_by_role("heading", name="This page is for UM leaders")).to_be_visible()
    expect(page.locator("#elsewhere-note")).to_contain_text("This API key may not read reports.")
    assert_accessible(page)


def test_an_admin_key_opens_a_linked_period_grouped_by_skill(page: Page, demo: Server) -> None:
    """Admin may read reports too (SPEC §12); the address names the period and grouping, so
    a link opens the same figures, with skills in words."""
    # the two whole months before this one: inside the demo's history, and no quick period
    end = date.today().replace(day=1) - timedelta(days=1)
    start = (end.replace(day=1) - timedelta(days=1)).replace(day=1)
    first, last = start.isoformat(), end.isoformat()
    page.goto(
        f"{demo.base_url}/portal/reports?from={first}&to={last}&group_by=skill#key=demo-admin-key"
    )
    expect(page.locator("#from")).to_have_value(first)
    expect(page.locator("#to")).to_have_value(last)
    expect(page.get_by_label("Group by")).to_have_value("skill")
    by_skill = report(demo, first, last, "skill")
    skills = {
        "msk_spine": "MSK spine",
        "pain_management": "Pain management",
        "radiology": "Radiology",
        "cardiology": "Cardiology",
        "oncology": "Oncology",
        "radiation_oncology": "Radiation oncology",
        "gastroenterology": "Gastroenterology",
        "sleep": "Sleep medicine",
    }
    assert_table_is(page, by_skill, lambda code: skills[code])
    expect(page.locator("#who")).to_have_text("Signed in with an API key")
    for button in page.locator("[data-preset]").all():
        expect(button).to_have_attribute("aria-pressed", "false")
    assert_accessible(page)
