"""The operations report (SPEC §12): a small week of P2Ps made through the real app, and its
figures computed by hand, as JSON and CSV, per ``group_by``; errors and who may read it.

The world (the policy's zone is New York, EST all week: UTC-5). NOW is Monday 2026-11-23
10:00 EST, when every booking and request is made (so a booking's lead time is its start
minus Monday 10:00). The period is Monday 23 to Friday 27 November.

Reviewers: ``rev-a`` (msk_spine tier 1, pain_management tier 2; PA, TX; Mon–Fri 09:00–17:00
New York: 5 × 480 = 2400 working minutes), ``rev-b`` (msk_spine tier 2; PA; Mon–Fri
09:00–12:00 = 5 × 180 = 900, minus one hour of time off on Friday = 840 minutes).

| id | first case (state, lob, level, skill) | reviewer (tier) | start (EST) | end state | min | lead h | moves |
|----|----|----|----|----|----|----|----|
| B1 | PA commercial reconsideration msk | a (1) | Tue 24 10:00 | completed, overturned | 15 | 24 | 0 |
| B2 | PA commercial reconsideration msk | b (2) | Tue 24 09:00 | completed, upheld | 15 | 23 | 0 |
| B3 | TX commercial reconsideration msk | a (1) | Wed 25 10:00 | no-show, provider | 15 | 48 | 0 |
| B4 | PA medicaid reconsideration msk | a (1) | Wed 25 11:00 | cancelled, provider_unavailable | 15 | – | 0 |
| B5 | PA commercial pre_decision msk (+2 cases) | a (1) | Thu 26 14:00 (moved from 09:00) | scheduled | 45 | 76 | 1 |
| B6 | PA commercial reconsideration pain_management | a (2) | Fri 27 09:00 | completed, modified | 15 | 95 | 0 |
| P2 | TX commercial reconsideration msk, prefers tue/thu 10, 15 h | a (1) | Thu 26 15:00: in | scheduled | 15 | 77 | 1 |
| P3 | PA commercial reconsideration msk, prefers mon 7 h | a (1) | Wed 25 13:00: out | scheduled | 15 | 51 | 1 |
| P1 | PA commercial reconsideration msk | – | – (created Mon 23) | pending | – | – | 0 |
| P4 | PA commercial reconsideration msk | – | – (created Mon 23) | cancelled, duplicate | – | – | 0 |
| B7 | PA commercial reconsideration msk | a (1) | Mon 30 10:00: outside the period | scheduled | | | |

P2 and P3 are requests placed by the optimizer and then moved to a known time (one
``rescheduled`` event each); B5 was moved once. Booked minutes: the scheduled, completed and
no-show bookings (B1 B2 B3 B5 B6 P2 P3 = 15+15+15+45+15+15+15 = 135; rev-a's 120, rev-b's 15).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    ADMIN,
    NEW_YORK,
    PORTAL,
    REVIEWER,
    assert_problem,
    booked,
    cancel,
    complete,
    contact_body,
    lookup,
    no_show,
    ny,
    push_case,
    push_reviewer,
    reschedule,
    weekly,
)
from tests.support import OPS_KEY, auth

pytestmark = pytest.mark.anyio

OPS = auth(OPS_KEY)
PERIOD = {"from": "2026-11-23", "to": "2026-11-27"}
NO_CANCELS = {
    "provider_unavailable": 0,
    "reviewer_unavailable": 0,
    "case_resolved": 0,
    "scheduled_in_error": 0,
    "duplicate": 0,
    "other": 0,
}
NO_OUTCOMES = {"upheld": 0, "overturned": 0, "modified": 0, "information_only": 0}
#: 135 booked minutes / (2400 + 840) working minutes = 0.041666… (every group but by reviewer)
OVERALL_UTILISATION = 0.0417


def group(**figures: Any) -> dict[str, Any]:
    """A group's answer: zeros and nulls but for ``figures`` (nested counts merged)."""
    found: dict[str, Any] = {
        "key": {},
        "bookings": 0,
        "scheduled": 0,
        "completed": 0,
        "pending": 0,
        "cancelled": dict(NO_CANCELS),
        "no_show": {"provider": 0, "reviewer": 0},
        "outcomes": dict(NO_OUTCOMES),
        "overturn_rate": None,
        "tier_1_share": None,
        "preferred_window_share": None,
        "median_hours_request_to_call": None,
        "mean_reschedules": None,
        "reviewer_utilisation": OVERALL_UTILISATION,
    }
    for name in ("cancelled", "no_show", "outcomes"):
        found[name].update(figures.pop(name, {}))
    found.update(figures)
    return found


async def request(client: httpx.AsyncClient, case_number: str, **preferences: Any) -> str:
    """A pending request (``POST /v1/p2p-requests``); its id."""
    body: dict[str, Any] = {
        "cases": [lookup(case_number)],
        "time_zone": NEW_YORK,
        "contact": contact_body(),
    }
    if preferences:
        body["preferences"] = preferences
    response = await client.post("/v1/p2p-requests", json=body, headers=PORTAL)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


async def build_week(client: httpx.AsyncClient) -> None:
    await push_reviewer(
        client,
        "rev-a",
        skills={"msk_spine": 1, "pain_management": 2},
        licensed_states=["PA", "TX"],
    )
    await push_reviewer(
        client,
        "rev-b",
        skills={"msk_spine": 2},
        licensed_states=["PA"],
        working_hours=weekly("09:00", "12:00"),
    )
    response = await client.post(
        "/v1/reviewers/rev-b/time-off",
        json={"start": ny("2026-11-27", "09:00"), "end": ny("2026-11-27", "10:00")},
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    for number in ("C1", "C2", "C12", "C13", "P1", "P2x", "P3x", "P4"):
        await push_case(client, number)
    for number in ("C3", "C6", "P2"):
        await push_case(client, number, member={"state": "TX"})
    await push_case(client, "C4", line_of_business="medicaid")
    await push_case(
        client,
        "C5",
        status="pending_info",
        determination_at=None,
        hold_due_at="2026-12-10T17:00:00-05:00",
    )
    await push_case(client, "C7", skill="pain_management", case_type="Pain Management")
    await push_case(client, "P3")

    b1 = await booked(client, "C1", "rev-a", ny("2026-11-24", "10:00"))
    b2 = await booked(client, "C2", "rev-b", ny("2026-11-24", "09:00"))
    b3 = await booked(client, "C3", "rev-a", ny("2026-11-25", "10:00"))
    b4 = await booked(client, "C4", "rev-a", ny("2026-11-25", "11:00"))
    b5 = await booked(client, ["C5", "C6", "C12"], "rev-a", ny("2026-11-26", "09:00"))
    b6 = await booked(client, "C7", "rev-a", ny("2026-11-27", "09:00"))
    await booked(client, "C13", "rev-a", ny("2026-11-30", "10:00"))  # B7, next week
    await ok(await reschedule(client, b5["id"], ny("2026-11-26", "14:00")))

    p2 = await request(client, "P2", days=["tue", "thu"], hours=[10, 15])
    p3 = await request(client, "P3", days=["mon"], hours=[7])
    run = await ok(await client.post("/v1/optimizer/runs", headers=ADMIN))
    assert sorted(run["assigned"]) == sorted([p2, p3]), run
    await ok(await reschedule(client, p3, ny("2026-11-25", "13:00"), "rev-a"))
    await ok(await reschedule(client, p2, ny("2026-11-26", "15:00"), "rev-a"))
    await request(client, "P1")
    p4 = await request(client, "P4")
    await ok(await cancel(client, p4, "duplicate"))

    await ok(await complete(client, b1["id"], "overturned", headers=ADMIN))
    await ok(await complete(client, b2["id"], "upheld", headers=ADMIN))
    await ok(await no_show(client, b3["id"], "provider", headers=ADMIN))
    await ok(await cancel(client, b4["id"], "provider_unavailable"))
    await ok(await complete(client, b6["id"], "modified", headers=ADMIN))


async def report(
    client: httpx.AsyncClient, group_by: str | None = None, headers: dict[str, str] = OPS
) -> dict[str, Any]:
    params = dict(PERIOD) | ({"group_by": group_by} if group_by is not None else {})
    response = await client.get("/v1/reports/p2p", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = dict(response.json())
    assert {k: body[k] for k in ("from", "to", "time_zone")} == {
        **PERIOD,
        "time_zone": NEW_YORK,
    }
    return body


# ---- the expected groups, by hand -----------------------------------------------------------

#: everything in the period: 10 bookings (B7 is next week; P1 and P4 count by their creation)
ALL = group(
    bookings=10,
    scheduled=3,  # B5 P2 P3
    completed=3,  # B1 B2 B6
    pending=1,  # P1
    cancelled={"provider_unavailable": 1, "duplicate": 1},  # B4, P4
    no_show={"provider": 1},  # B3
    outcomes={"upheld": 1, "overturned": 1, "modified": 1},
    overturn_rate=0.6667,  # (overturned 1 + modified 1) / completed 3
    tier_1_share=0.75,  # with a reviewer: B1-B6 P2 P3 = 8; tier 1: all but B2 and B6 = 6
    preferred_window_share=0.5,  # with preferences and a start: P2 (in), P3 (out)
    median_hours_request_to_call=51.0,  # 23 24 48 [51] 76 77 95 (B4 cancelled: no call)
    mean_reschedules=0.3,  # B5 P2 P3 once each: 3 / 10
)

BY = {
    "reviewer": [
        group(
            key={"reviewer": "rev-a"},
            bookings=7,  # B1 B3 B4 B5 B6 P2 P3
            scheduled=3,
            completed=2,
            cancelled={"provider_unavailable": 1},
            no_show={"provider": 1},
            outcomes={"overturned": 1, "modified": 1},
            overturn_rate=1.0,  # 2 / 2
            tier_1_share=0.8571,  # 6 / 7 (B6 is tier 2 for pain_management)
            preferred_window_share=0.5,
            median_hours_request_to_call=63.5,  # 24 48 [51 76] 77 95
            mean_reschedules=0.4286,  # 3 / 7
            reviewer_utilisation=0.05,  # 120 / 2400
        ),
        group(
            key={"reviewer": "rev-b"},
            bookings=1,  # B2
            completed=1,
            outcomes={"upheld": 1},
            overturn_rate=0.0,
            tier_1_share=0.0,
            median_hours_request_to_call=23.0,
            mean_reschedules=0.0,
            reviewer_utilisation=0.0179,  # 15 / 840 = 0.017857…
        ),
        group(
            key={"reviewer": None},  # requests without a reviewer: P1, P4
            bookings=2,
            pending=1,
            cancelled={"duplicate": 1},
            mean_reschedules=0.0,
            reviewer_utilisation=None,
        ),
    ],
    "state": [
        group(
            key={"state": "PA"},
            bookings=8,  # B1 B2 B4 B5 B6 P3 P1 P4
            scheduled=2,  # B5 P3
            completed=3,
            pending=1,
            cancelled={"provider_unavailable": 1, "duplicate": 1},
            outcomes={"upheld": 1, "overturned": 1, "modified": 1},
            overturn_rate=0.6667,
            tier_1_share=0.6667,  # with a reviewer 6 (B1 B2 B4 B5 B6 P3), tier 1: B1 B4 B5 P3
            preferred_window_share=0.0,  # P3 only, out
            median_hours_request_to_call=51.0,  # 23 24 [51] 76 95
            mean_reschedules=0.25,  # B5 P3: 2 / 8
        ),
        group(
            key={"state": "TX"},
            bookings=2,  # B3 P2
            scheduled=1,
            no_show={"provider": 1},
            tier_1_share=1.0,
            preferred_window_share=1.0,
            median_hours_request_to_call=62.5,  # [48 77]
            mean_reschedules=0.5,
        ),
    ],
    "line_of_business": [
        group(
            key={"line_of_business": "commercial"},
            bookings=9,  # all but B4
            scheduled=3,
            completed=3,
            pending=1,
            cancelled={"duplicate": 1},
            no_show={"provider": 1},
            outcomes={"upheld": 1, "overturned": 1, "modified": 1},
            overturn_rate=0.6667,
            tier_1_share=0.7143,  # 5 / 7
            preferred_window_share=0.5,
            median_hours_request_to_call=51.0,
            mean_reschedules=0.3333,  # 3 / 9
        ),
        group(
            key={"line_of_business": "medicaid"},
            bookings=1,  # B4
            cancelled={"provider_unavailable": 1},
            tier_1_share=1.0,
            mean_reschedules=0.0,
        ),
    ],
    "level_of_review": [
        group(
            key={"level_of_review": "pre_decision"},
            bookings=1,  # B5, by its first case C5
            scheduled=1,
            tier_1_share=1.0,
            median_hours_request_to_call=76.0,
            mean_reschedules=1.0,
        ),
        group(
            key={"level_of_review": "reconsideration"},
            bookings=9,
            scheduled=2,
            completed=3,
            pending=1,
            cancelled={"provider_unavailable": 1, "duplicate": 1},
            no_show={"provider": 1},
            outcomes={"upheld": 1, "overturned": 1, "modified": 1},
            overturn_rate=0.6667,
            tier_1_share=0.7143,  # 5 / 7
            preferred_window_share=0.5,
            median_hours_request_to_call=49.5,  # 23 24 [48 51] 77 95
            mean_reschedules=0.2222,  # 2 / 9
        ),
    ],
    "skill": [
        group(
            key={"skill": "msk_spine"},
            bookings=9,  # all but B6
            scheduled=3,
            completed=2,
            pending=1,
            cancelled={"provider_unavailable": 1, "duplicate": 1},
            no_show={"provider": 1},
            outcomes={"upheld": 1, "overturned": 1},
            overturn_rate=0.5,
            tier_1_share=0.8571,  # 6 / 7
            preferred_window_share=0.5,
            median_hours_request_to_call=49.5,  # 23 24 [48 51] 76 77
            mean_reschedules=0.3333,
        ),
        group(
            key={"skill": "pain_management"},
            bookings=1,  # B6
            completed=1,
            outcomes={"modified": 1},
            overturn_rate=1.0,
            tier_1_share=0.0,
            median_hours_request_to_call=95.0,
            mean_reschedules=0.0,
        ),
    ],
}


async def test_the_figures_of_a_week_in_every_grouping(client: httpx.AsyncClient) -> None:
    await build_week(client)
    assert (await report(client))["groups"] == [ALL]
    for group_by, expected in BY.items():
        assert (await report(client, group_by))["groups"] == expected, group_by
    # SPEC §9 leniency: a code in any case; null or empty is the same as leaving it out
    assert (await report(client, "Line_Of_Business"))["groups"] == BY["line_of_business"]
    assert (await report(client, "null"))["groups"] == [ALL]
    assert (await report(client, ""))["groups"] == [ALL]
    # admin reads it too
    assert (await report(client, "state", headers=ADMIN))["groups"] == BY["state"]


async def test_one_day_and_an_empty_period(client: httpx.AsyncClient) -> None:
    """The period is the days of the policy's zone: Tuesday holds B1 and B2 only (a booking
    at 09:00 and one at 10:00 EST); a period with no booking is one group of zeros."""
    await build_week(client)
    response = await client.get(
        "/v1/reports/p2p", params={"from": "2026-11-24", "to": "2026-11-24"}, headers=OPS
    )
    assert response.status_code == 200, response.text
    [tuesday] = response.json()["groups"]
    assert tuesday["bookings"] == 2
    assert tuesday["completed"] == 2
    assert tuesday["median_hours_request_to_call"] == 23.5  # [23 24]
    # one day of working time: rev-a 480 + rev-b 180 minutes; booked 30
    assert tuesday["reviewer_utilisation"] == round(30 / 660, 4) == 0.0455
    response = await client.get(
        "/v1/reports/p2p",
        params={"from": "2026-10-01", "to": "2026-10-31", "group_by": "state"},
        headers=OPS,
    )
    assert response.json()["groups"] == []


# fmt: off
CSV_BY_STATE = [
    ["PA", "8", "2", "3", "1", "1", "0", "0", "0", "1", "0", "0", "0", "1", "1", "1", "0",
     "0.6667", "0.6667", "0.0", "51.0", "0.25", "0.0417"],
    ["TX", "2", "1", "0", "0", "0", "0", "0", "0", "0", "0", "1", "0", "0", "0", "0", "0",
     "", "1.0", "1.0", "62.5", "0.5", "0.0417"],
]
# fmt: on


async def test_csv_one_row_per_group(client: httpx.AsyncClient) -> None:
    await build_week(client)
    response = await client.get(
        "/v1/reports/p2p",
        params=dict(PERIOD) | {"group_by": "state"},
        headers=OPS | {"Accept": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == (
        'attachment; filename="p2p-report-2026-11-23-2026-11-27.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "state",
        "bookings",
        "scheduled",
        "completed",
        "pending",
        "cancelled.provider_unavailable",
        "cancelled.reviewer_unavailable",
        "cancelled.case_resolved",
        "cancelled.scheduled_in_error",
        "cancelled.duplicate",
        "cancelled.other",
        "no_show.provider",
        "no_show.reviewer",
        "outcomes.upheld",
        "outcomes.overturned",
        "outcomes.modified",
        "outcomes.information_only",
        "overturn_rate",
        "tier_1_share",
        "preferred_window_share",
        "median_hours_request_to_call",
        "mean_reschedules",
        "reviewer_utilisation",
    ]
    # the same figures as BY["state"]; a null is an empty cell
    assert rows[1:] == CSV_BY_STATE
    # without group_by: no key column, one row
    response = await client.get(
        "/v1/reports/p2p", params=PERIOD, headers=OPS | {"Accept": "text/csv"}
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][0] == "bookings"
    assert rows[1][:4] == ["10", "3", "3", "1"]
    # a client that prefers JSON keeps JSON
    response = await client.get(
        "/v1/reports/p2p",
        params=PERIOD,
        headers=OPS | {"Accept": "application/json, text/csv;q=0.5"},
    )
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"to": "2026-11-27"}, "from", "is required"),
        ({"from": "2026-11-23"}, "to", "is required"),
        ({"from": "23/11/2026", "to": "2026-11-27"}, "from", "YYYY-MM-DD"),
        ({"from": "2026-11-23", "to": "2026-02-30"}, "to", "YYYY-MM-DD"),
        ({"from": "2026-11-27", "to": "2026-11-23"}, "to", "is before 'from'"),
        ({"from": "2025-11-27", "to": "2026-11-28"}, "to", "at most 366"),
        ({"from": "9999-12-31", "to": "9999-12-31"}, "from", "between 1900-01-01 and"),
        ({"from": "0001-01-01", "to": "0001-01-01"}, "from", "out of range"),
        ({"from": "2026-11-23", "to": "2026-11-27", "group_by": "member"}, "group_by", "state"),
    ],
)
async def test_bad_questions_name_their_field(
    client: httpx.AsyncClient, params: dict[str, str], field: str, words: str
) -> None:
    response = await client.get("/v1/reports/p2p", params=params, headers=OPS)
    body = assert_problem(response, 422, "validation", fields={field})
    assert words in body["detail"], body


async def test_a_full_leap_year_is_one_period(client: httpx.AsyncClient) -> None:
    """366 days (2028 is a leap year) is the longest period; 367 is refused above."""
    response = await client.get(
        "/v1/reports/p2p", params={"from": "2028-01-01", "to": "2028-12-31"}, headers=OPS
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("headers", "status"), [({}, 401), (PORTAL, 403), (REVIEWER, 403), (OPS, 200), (ADMIN, 200)]
)
async def test_ops_and_admin_read_it(
    client: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    response = await client.get("/v1/reports/p2p", params=PERIOD, headers=headers)
    assert response.status_code == status, response.text
