"""POST /v1/availability (and how holds and bookings show in it) through the real app.

NOW is Monday 2026-11-23T15:00Z = 10:00 EST; minimum notice 2 h (so 12:00 EST today), horizon
30 days (2026-12-23T15:00Z). Every test pushes its own reviewers and cases with the admin PUTs.
The default case (``case_body()``) is a commercial denial in PA three days before NOW: a
reconsideration valid until the end of 2026-12-04 in New York (2026-12-05T04:59:59Z).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from p2p_scheduler.config import Settings
from p2p_scheduler.domain.clock import fixed_clock
from tests.api.helpers import (
    ALL_DAYS,
    NEW_YORK,
    PORTAL,
    RECONSIDERATION_UNTIL,
    WRONG_DOB,
    assert_problem,
    availability_body,
    availability_of,
    book,
    lookup,
    push_case,
    push_reviewer,
    reviewer_days,
    reviewer_ids,
    slot_body,
    slot_starts,
    weekly,
)
from tests.support import NOW

pytestmark = pytest.mark.anyio

TOP_LEVEL = {
    "time_zone",
    "week_start",
    "week_end",
    "duration_minutes",
    "valid_until",
    "previous_week_start",
    "next_week_start",
    "tiers",
}


def assert_shape(found: dict[str, Any], duration_minutes: int = 15) -> None:
    """SPEC §7's availability shape, and the invariants every answer keeps."""
    assert set(found) >= TOP_LEVEL, found
    for tier in found["tiers"]:
        assert set(tier) >= {"tier", "label", "reviewers"}
        assert tier["reviewers"], "a tier without reviewers is left out"
        for reviewer in tier["reviewers"]:
            assert set(reviewer) >= {"reviewer_id", "name", "credentials", "days"}
            dates = [day["date"] for day in reviewer["days"]]
            assert dates == sorted(dates) and len(set(dates)) == len(dates)
            for day in reviewer["days"]:
                assert day["slots"], "days without slots are left out"
                starts = [datetime.fromisoformat(s["start"]) for s in day["slots"]]
                assert starts == sorted(starts), "slots ascend by start inside a day"
                for slot in day["slots"]:
                    start = datetime.fromisoformat(slot["start"])
                    end = datetime.fromisoformat(slot["end"])
                    assert start.utcoffset() is not None
                    assert end - start == timedelta(minutes=duration_minutes)
                    assert start.date().isoformat() == day["date"]
                    assert start.minute % 15 == 0 and start.second == 0
                    assert start >= NOW + timedelta(hours=2), "minimum notice"
                    assert end <= datetime.fromisoformat(found["valid_until"])
                    assert end <= NOW + timedelta(days=30), "horizon"


async def found_for(client: httpx.AsyncClient, *cases: str, **options: Any) -> dict[str, Any]:
    found = await availability_of(client, *cases, **options)
    assert_shape(found)
    return found


def labels(slots: list[dict[str, str]]) -> list[str]:
    return [slot["label"] for slot in slots]


# ---- reviewers' zones seen from the requester's zone ------------------------------------------


async def test_los_angeles_reviewer_seen_from_new_york(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_reviewer(
        client, "rev-la", name="Dr. Luis Angeles", credentials="DO", time_zone="America/Los_Angeles"
    )
    found = await found_for(client, "A100", time_zone=NEW_YORK)

    assert found["time_zone"] == NEW_YORK
    assert found["week_start"] == "2026-11-23"
    assert found["week_end"] == "2026-11-29"
    assert found["duration_minutes"] == 15
    assert found["valid_until"] == RECONSIDERATION_UNTIL
    [tier] = found["tiers"]
    assert tier["tier"] == 1
    assert tier["label"] == "1st Priority by Skill"
    [reviewer] = tier["reviewers"]
    assert reviewer["reviewer_id"] == "rev-la"
    assert reviewer["name"] == "Dr. Luis Angeles"
    assert reviewer["credentials"] == "DO"

    days = reviewer_days(found, "rev-la")
    # Mon–Fri, Thanksgiving (Thu 26th) included: reviewers work their weekly hours on holidays
    assert list(days) == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]
    tuesday = days["2026-11-24"]
    assert tuesday[0] == {
        "start": "2026-11-24T12:00:00-05:00",
        "end": "2026-11-24T12:15:00-05:00",
        "label": "12:00 pm EST",
    }
    assert tuesday[1]["label"] == "12:15 pm EST"
    assert tuesday[-1] == {
        "start": "2026-11-24T19:45:00-05:00",
        "end": "2026-11-24T20:00:00-05:00",
        "label": "7:45 pm EST",
    }
    assert len(tuesday) == 32  # 09:00–17:00 PST = 12:00–20:00 EST, every quarter hour
    # Monday: 09:00 PST is 12:00 EST, exactly when the 2-hour notice ends
    assert days["2026-11-23"][0]["start"] == "2026-11-23T12:00:00-05:00"
    assert len(days["2026-11-23"]) == 32


async def test_new_york_reviewer_today_starts_after_the_minimum_notice(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    days = reviewer_days(await found_for(client, "A100"), "rev-ny")

    monday = days["2026-11-23"]
    # NOW is 10:00 EST; 10:00–11:45 are inside the 2-hour notice
    assert monday[0] == {
        "start": "2026-11-23T12:00:00-05:00",
        "end": "2026-11-23T12:15:00-05:00",
        "label": "12:00 pm EST",
    }
    assert monday[-1]["start"] == "2026-11-23T16:45:00-05:00"
    assert monday[-1]["end"] == "2026-11-23T17:00:00-05:00"
    assert len(monday) == 20
    tuesday = days["2026-11-24"]
    assert tuesday[0]["start"] == "2026-11-24T09:00:00-05:00"
    assert tuesday[0]["label"] == "9:00 am EST"
    assert [s["start"][11:16] for s in tuesday[:5]] == ["09:00", "09:15", "09:30", "09:45", "10:00"]
    assert len(tuesday) == 32


async def test_phoenix_reviewer_in_three_requester_zones(client: httpx.AsyncClient) -> None:
    """Phoenix keeps MST (UTC−7) all year: 09:00 there is 11:00 EST and 08:00 PST in November."""
    await push_case(client, "A100")
    await push_reviewer(client, "rev-phx", time_zone="America/Phoenix")

    from_ny = reviewer_days(await found_for(client, "A100", time_zone=NEW_YORK), "rev-phx")
    assert from_ny["2026-11-24"][0] == {
        "start": "2026-11-24T11:00:00-05:00",
        "end": "2026-11-24T11:15:00-05:00",
        "label": "11:00 am EST",
    }
    assert from_ny["2026-11-24"][-1]["label"] == "6:45 pm EST"
    assert from_ny["2026-11-23"][0]["label"] == "12:00 pm EST"  # notice, not working hours

    from_la = reviewer_days(
        await found_for(client, "A100", time_zone="America/Los_Angeles"), "rev-phx"
    )
    assert from_la["2026-11-24"][0] == {
        "start": "2026-11-24T08:00:00-08:00",
        "end": "2026-11-24T08:15:00-08:00",
        "label": "8:00 am PST",
    }

    from_phx = await found_for(client, "A100", time_zone="America/Phoenix")
    assert from_phx["time_zone"] == "America/Phoenix"
    assert reviewer_days(from_phx, "rev-phx")["2026-11-24"][0] == {
        "start": "2026-11-24T09:00:00-07:00",
        "end": "2026-11-24T09:15:00-07:00",
        "label": "9:00 am MST",
    }


async def test_days_are_the_requesters_dates(client: httpx.AsyncClient) -> None:
    """Seen from Kolkata (UTC+5:30) a New York working day spans two local dates."""
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    found = await found_for(client, "A100", time_zone="Asia/Kolkata")
    days = reviewer_days(found, "rev-ny")

    # NY Monday 12:00–16:45 EST = 22:30 Mon – 03:15 Tue IST
    assert days["2026-11-23"][0] == {
        "start": "2026-11-23T22:30:00+05:30",
        "end": "2026-11-23T22:45:00+05:30",
        "label": "10:30 pm IST",
    }
    assert len(days["2026-11-23"]) == 6
    tuesday = days["2026-11-24"]
    assert tuesday[0]["label"] == "12:00 am IST"
    assert tuesday[13]["label"] == "3:15 am IST"  # NY Monday 16:45 EST
    assert tuesday[14]["label"] == "7:30 pm IST"  # NY Tuesday 09:00 EST
    # the week is Mon 23 – Sun 29 in Kolkata: NY Friday's 14:30 EST onwards is Saturday there
    assert "2026-11-28" in days and "2026-11-29" not in days


# ---- limits ------------------------------------------------------------------------------------


async def test_horizon_cuts_the_last_week(client: httpx.AsyncClient) -> None:
    """A pending-info case is held 45 days (to 2027-01-04), so only the 30-day horizon limits it."""
    await push_case(
        client,
        "P100",
        status="pending_info",
        determination_at=None,
        received_at="2026-11-20T09:00:00-05:00",
    )
    await push_reviewer(client, "rev-ny")

    found = await found_for(client, "P100", week_start="2026-12-21")
    assert found["valid_until"] > "2027-01-04"
    days = reviewer_days(found, "rev-ny")
    # NOW + 30 days = Wed 2026-12-23 10:00 EST: the last slot ends then
    assert list(days) == ["2026-12-21", "2026-12-22", "2026-12-23"]
    assert len(days["2026-12-22"]) == 32
    assert labels(days["2026-12-23"]) == [
        "9:00 am EST",
        "9:15 am EST",
        "9:30 am EST",
        "9:45 am EST",
    ]
    assert days["2026-12-23"][-1]["end"] == "2026-12-23T10:00:00-05:00"

    beyond = await found_for(client, "P100", week_start="2026-12-28")
    assert beyond["tiers"] == []


async def test_no_slot_ends_after_valid_until(client: httpx.AsyncClient) -> None:
    """Valid until the end of Fri 2026-12-04 EST; a late-evening reviewer shows the cut-off."""
    await push_case(client, "A100")
    await push_reviewer(client, "rev-late", working_hours=weekly("20:00", "24:00", ALL_DAYS))

    found = await found_for(client, "A100", week_start="2026-11-30")
    assert found["valid_until"] == RECONSIDERATION_UNTIL
    assert found["week_start"] == "2026-11-30"
    days = reviewer_days(found, "rev-late")
    assert list(days) == ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
    assert len(days["2026-12-03"]) == 16
    assert days["2026-12-03"][-1]["end"] == "2026-12-04T00:00:00-05:00"
    friday = days["2026-12-04"]
    # 23:45–24:00 would end at 05:00Z, a second after valid-until
    assert len(friday) == 15
    assert friday[-1] == {
        "start": "2026-12-04T23:30:00-05:00",
        "end": "2026-12-04T23:45:00-05:00",
        "label": "11:30 pm EST",
    }


async def test_an_explicit_hold_due_time_cuts_mid_day(client: httpx.AsyncClient) -> None:
    await push_case(
        client,
        "P100",
        status="pending_info",
        determination_at=None,
        hold_due_at="2026-12-02T12:00:00-05:00",
    )
    await push_reviewer(client, "rev-ny")
    found = await found_for(client, "P100", week_start="2026-11-30")
    assert found["valid_until"] == "2026-12-02T17:00:00Z"
    days = reviewer_days(found, "rev-ny")
    assert list(days) == ["2026-11-30", "2026-12-01", "2026-12-02"]
    assert days["2026-12-02"][-1]["start"] == "2026-12-02T11:45:00-05:00"
    assert days["2026-12-02"][-1]["end"] == "2026-12-02T12:00:00-05:00"
    assert len(days["2026-12-02"]) == 12


async def test_a_full_day_disappears_at_the_daily_cap(client: httpx.AsyncClient) -> None:
    for number in ("D1", "D2", "D3"):
        await push_case(client, number)
    await push_reviewer(client, "rev-cap", max_consults_per_day=2)

    before = reviewer_days(await found_for(client, "D3"), "rev-cap")
    assert "2026-11-24" in before

    first = await book(client, "D1", "rev-cap", "2026-11-24T09:00:00-05:00")
    assert first.status_code == 201, first.text
    one_left = reviewer_days(await found_for(client, "D3"), "rev-cap")
    assert len(one_left["2026-11-24"]) == 31  # only the booked quarter hour is gone

    second = await book(client, "D2", "rev-cap", "2026-11-24T15:00:00-05:00")
    assert second.status_code == 201, second.text
    after = reviewer_days(await found_for(client, "D3"), "rev-cap")
    assert "2026-11-24" not in after
    assert len(after["2026-11-25"]) == 32
    assert len(after["2026-11-23"]) == 20

    # and the booking endpoint agrees
    third = await book(client, "D3", "rev-cap", "2026-11-24T11:00:00-05:00")
    assert_problem(third, 409, "slot-taken")


async def test_the_daily_cap_counts_the_reviewers_local_day(client: httpx.AsyncClient) -> None:
    """A Los Angeles reviewer's evening is already the next day in Kolkata; the cap is LA's."""
    for number in ("D1", "D2"):
        await push_case(client, number)
    await push_reviewer(
        client,
        "rev-la",
        time_zone="America/Los_Angeles",
        working_hours=weekly("09:00", "17:00") + weekly("20:00", "22:00"),
        max_consults_per_day=1,
    )
    booked = await book(client, "D1", "rev-la", "2026-11-24T21:00:00-08:00")
    assert booked.status_code == 201, booked.text
    days = reviewer_days(await found_for(client, "D2", time_zone="America/Los_Angeles"), "rev-la")
    assert "2026-11-24" not in days  # the morning too: the LA day is full
    assert days["2026-11-25"][0]["label"] == "9:00 am PST"


# ---- holds -------------------------------------------------------------------------------------


async def test_a_hold_hides_the_slot_until_it_expires(
    client: httpx.AsyncClient, settings: Settings, engine: Engine
) -> None:
    await push_case(client, "H1")
    await push_case(client, "H2")
    await push_reviewer(client, "rev-ny")
    start = "2026-11-24T10:00:00-05:00"
    assert start in slot_starts(await found_for(client, "H2"), "rev-ny")

    response = await client.post("/v1/holds", json=slot_body("H1", "rev-ny", start), headers=PORTAL)
    assert response.status_code == 201, response.text
    held = response.json()
    assert held["reviewer_id"] == "rev-ny"
    assert held["start"] == start
    assert held["end"] == "2026-11-24T10:15:00-05:00"
    assert held["expires_at"] == "2026-11-23T15:05:00Z"  # NOW + 5 minutes
    assert len(held["hold_id"]) == 36

    # hidden from everyone: the holder's own case and another case
    for number in ("H1", "H2"):
        starts = slot_starts(await found_for(client, number), "rev-ny")
        assert start not in starts
        assert "2026-11-24T09:45:00-05:00" in starts
        assert "2026-11-24T10:15:00-05:00" in starts
    other = await client.post("/v1/holds", json=slot_body("H2", "rev-ny", start), headers=PORTAL)
    assert_problem(other, 409, "slot-taken")

    # six minutes later the hold has expired by itself
    later = create_app(settings, engine=engine, clock=fixed_clock(NOW + timedelta(minutes=6)))
    transport = httpx.ASGITransport(app=later, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as after:
        response = await after.post(
            "/v1/availability", json=availability_body("H2"), headers=PORTAL
        )
        assert response.status_code == 200, response.text
        assert start in slot_starts(response.json(), "rev-ny")
        taken = await book(after, "H2", "rev-ny", start)
        assert taken.status_code == 201, taken.text
    # still at NOW, the slot is now booked, not held
    assert start not in slot_starts(await found_for(client, "H1"), "rev-ny")


async def test_deleting_a_hold_frees_the_slot(client: httpx.AsyncClient) -> None:
    await push_case(client, "H1")
    await push_reviewer(client, "rev-ny")
    start = "2026-11-24T10:00:00-05:00"
    response = await client.post("/v1/holds", json=slot_body("H1", "rev-ny", start), headers=PORTAL)
    assert response.status_code == 201, response.text
    hold_id = response.json()["hold_id"]
    assert start not in slot_starts(await found_for(client, "H1"), "rev-ny")

    deleted = await client.delete(f"/v1/holds/{hold_id}", headers=PORTAL)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert start in slot_starts(await found_for(client, "H1"), "rev-ny")

    again = await client.delete(f"/v1/holds/{hold_id}", headers=PORTAL)
    assert_problem(again, 404, "not-found")


async def test_a_thirty_minute_hold_hides_every_start_that_would_overlap_it(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "H1")
    await push_case(client, "H2", skill="pain_management")
    await push_case(client, "H3")
    await push_reviewer(client, "rev-ny", skills={"msk_spine": 1, "pain_management": 1})
    response = await client.post(
        "/v1/holds",
        json=slot_body(["H1", "H2"], "rev-ny", "2026-11-24T10:00:00-05:00"),
        headers=PORTAL,
    )
    assert response.status_code == 201, response.text
    assert response.json()["end"] == "2026-11-24T10:30:00-05:00"
    starts = slot_starts(await found_for(client, "H3"), "rev-ny")
    assert "2026-11-24T09:45:00-05:00" in starts
    assert "2026-11-24T10:00:00-05:00" not in starts
    assert "2026-11-24T10:15:00-05:00" not in starts
    assert "2026-11-24T10:30:00-05:00" in starts


# ---- tiers and qualification -------------------------------------------------------------------


async def test_reviewers_are_grouped_by_skill_tier(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-t2", skills={"msk_spine": 2}, name="Dr. Second")
    await push_reviewer(client, "rev-t1", skills={"msk_spine": 1}, name="Dr. First")
    await push_reviewer(client, "rev-t1b", skills={"msk_spine": 1}, time_zone="America/Chicago")
    await push_reviewer(client, "rev-cardio", skills={"cardiology": 1})
    await push_reviewer(client, "rev-off", active=False)

    found = await found_for(client, "A100")
    assert [(t["tier"], t["label"]) for t in found["tiers"]] == [
        (1, "1st Priority by Skill"),
        (2, "2nd Priority by Skill"),
    ]
    first, second = found["tiers"]
    # inside a tier, the reviewer with the earliest slot first (Chicago's 09:00 is 10:00 EST)
    assert [r["reviewer_id"] for r in first["reviewers"]] == ["rev-t1", "rev-t1b"]
    assert [r["reviewer_id"] for r in second["reviewers"]] == ["rev-t2"]
    assert second["reviewers"][0]["name"] == "Dr. Second"


async def test_reviewer_must_be_licensed_in_the_members_state(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")  # member in PA
    await push_reviewer(client, "rev-pa", licensed_states=["PA"])
    await push_reviewer(client, "rev-nj", licensed_states=["NJ", "NY"])
    assert reviewer_ids(await found_for(client, "A100")) == ["rev-pa"]


async def test_illinois_pre_decision_accepts_an_out_of_state_licence(
    client: httpx.AsyncClient,
) -> None:
    await push_case(
        client,
        "IL-PRE",
        member={"state": "IL"},
        status="pending_info",
        determination_at=None,
    )
    await push_case(client, "IL-RECON", member={"state": "IL"})  # a denial: reconsideration
    await push_reviewer(client, "rev-pa", licensed_states=["PA"])

    pre = await found_for(client, "IL-PRE")
    assert reviewer_ids(pre) == ["rev-pa"]
    recon = await found_for(client, "IL-RECON")
    assert recon["tiers"] == []  # the any-US-licence rule is for pre-decision only


async def test_appeal_excludes_the_determining_reviewer(client: httpx.AsyncClient) -> None:
    await push_case(
        client,
        "AP1",
        appeal_filed_at="2026-11-22T10:00:00-05:00",
        determined_by="rev-orig",
    )
    await push_case(client, "RC1", determined_by="rev-orig")  # reconsideration: no exclusion
    await push_reviewer(client, "rev-orig")
    await push_reviewer(client, "rev-other")

    appeal = await found_for(client, "AP1")
    assert appeal["valid_until"] == "2026-12-23T04:59:59Z"  # 30 days after the appeal, NY
    assert reviewer_ids(appeal) == ["rev-other"]
    assert sorted(reviewer_ids(await found_for(client, "RC1"))) == ["rev-orig", "rev-other"]


async def test_multi_case_request_needs_a_reviewer_for_every_case(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "M1")
    await push_case(
        client, "M2", skill="pain_management", determination_at="2026-11-18T12:00:00-05:00"
    )
    await push_reviewer(client, "rev-both", skills={"msk_spine": 1, "pain_management": 2})
    await push_reviewer(client, "rev-spine", skills={"msk_spine": 1})
    await push_reviewer(client, "rev-pain", skills={"pain_management": 1})

    found = await availability_of(client, "M1", "M2")
    assert_shape(found, duration_minutes=30)
    assert found["duration_minutes"] == 30
    assert found["valid_until"] == "2026-12-03T04:59:59Z"  # the earlier of the two windows
    [tier] = found["tiers"]
    assert (tier["tier"], tier["label"]) == (2, "2nd Priority by Skill")  # the worse tier
    assert reviewer_ids(found) == ["rev-both"]
    tuesday = reviewer_days(found, "rev-both")["2026-11-24"]
    assert tuesday[0] == {
        "start": "2026-11-24T09:00:00-05:00",
        "end": "2026-11-24T09:30:00-05:00",
        "label": "9:00 am EST",
    }
    assert tuesday[1]["start"] == "2026-11-24T09:15:00-05:00"  # still on the 15-minute grid
    assert tuesday[-1]["start"] == "2026-11-24T16:30:00-05:00"
    assert tuesday[-1]["end"] == "2026-11-24T17:00:00-05:00"
    assert len(tuesday) == 31


# ---- preferences and weeks ---------------------------------------------------------------------


async def test_preferences_filter_days_and_hours_in_the_requesters_zone(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    await push_reviewer(client, "rev-la", time_zone="America/Los_Angeles")

    found = await found_for(client, "A100", days=["tue", "thu"], hours=[9, 13])
    ny = reviewer_days(found, "rev-ny")
    assert list(ny) == ["2026-11-24", "2026-11-26"]
    assert [s["start"][11:16] for s in ny["2026-11-24"]] == [
        "09:00",
        "09:15",
        "09:30",
        "09:45",
        "13:00",
        "13:15",
        "13:30",
        "13:45",
    ]
    la = reviewer_days(found, "rev-la")  # 09:00 EST is 06:00 in LA: only the 13:00 bin
    assert [s["label"] for s in la["2026-11-24"]] == [
        "1:00 pm EST",
        "1:15 pm EST",
        "1:30 pm EST",
        "1:45 pm EST",
    ]

    # hour 9 in Los Angeles is 12:00 EST: the same preference from LA finds both reviewers
    from_la = await found_for(
        client, "A100", time_zone="America/Los_Angeles", days=["wed"], hours=[9]
    )
    assert reviewer_days(from_la, "rev-la")["2026-11-25"][0]["label"] == "9:00 am PST"
    assert reviewer_days(from_la, "rev-ny")["2026-11-25"][0]["label"] == "9:00 am PST"
    assert reviewer_days(from_la, "rev-ny")["2026-11-25"][0]["start"] == (
        "2026-11-25T09:00:00-08:00"
    )


async def test_default_preferences_are_weekdays_7_to_18(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-all", working_hours=weekly("05:00", "22:00", ALL_DAYS))
    found = await found_for(client, "A100", days=None, hours=None)
    days = reviewer_days(found, "rev-all")
    assert list(days) == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]
    assert days["2026-11-24"][0]["label"] == "7:00 am EST"
    assert days["2026-11-24"][-1]["label"] == "6:45 pm EST"
    assert len(days["2026-11-24"]) == 48


async def test_weeks_and_their_neighbours(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")

    current = await found_for(client, "A100")
    assert (current["week_start"], current["week_end"]) == ("2026-11-23", "2026-11-29")
    assert current["previous_week_start"] == "2026-11-16"
    assert current["next_week_start"] == "2026-11-30"

    following = await found_for(client, "A100", week_start=current["next_week_start"])
    assert (following["week_start"], following["week_end"]) == ("2026-11-30", "2026-12-06")
    assert following["previous_week_start"] == "2026-11-23"
    assert following["next_week_start"] == "2026-12-07"
    days = reviewer_days(following, "rev-ny")
    assert list(days) == ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
    assert days["2026-11-30"][0]["start"] == "2026-11-30T09:00:00-05:00"

    past = await found_for(client, "A100", week_start=current["previous_week_start"])
    assert past["week_start"] == "2026-11-16"
    assert past["tiers"] == []

    # after the case's window (valid until 2026-12-04): nothing
    assert (await found_for(client, "A100", week_start="2026-12-07"))["tiers"] == []


async def test_the_default_week_is_the_requesters(client: httpx.AsyncClient) -> None:
    """NOW (Mon 15:00Z) is already Tuesday 04:00 in Auckland: its week is still 23–29 there,
    and a week starting on Monday in a zone where NOW is still Sunday is the previous one."""
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")
    auckland = await found_for(client, "A100", time_zone="Pacific/Auckland")
    assert auckland["week_start"] == "2026-11-23"
    # Monday 12:00 EST is Tuesday 06:00 in Auckland (NZDT, UTC+13)
    first_day = reviewer_days(auckland, "rev-ny")
    assert next(iter(first_day)) == "2026-11-24"
    assert first_day["2026-11-24"][0]["label"] == "6:00 am NZDT"


@pytest.mark.parametrize("week_start", ["2026-11-24", "2026-11-29", "2026-12-01"])
async def test_week_start_must_be_a_monday(client: httpx.AsyncClient, week_start: str) -> None:
    await push_case(client, "A100")
    response = await client.post(
        "/v1/availability", json=availability_body("A100", week_start=week_start), headers=PORTAL
    )
    assert_problem(response, 422, "validation", fields={"week_start"})


async def test_week_start_must_be_a_date(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    response = await client.post(
        "/v1/availability", json=availability_body("A100", week_start="next monday"), headers=PORTAL
    )
    assert_problem(response, 422, "validation", fields={"week_start"})


@pytest.mark.parametrize(
    ("preferences", "field"),
    [
        ({"days": ["monday"]}, "preferences.days[0]"),
        ({"hours": [24]}, "preferences.hours[0]"),
        ({"hours": [-1]}, "preferences.hours[0]"),
        ({"weekends": True}, "preferences.weekends"),
    ],
)
async def test_bad_preferences_are_named(
    client: httpx.AsyncClient, preferences: dict[str, Any], field: str
) -> None:
    await push_case(client, "A100")
    body = availability_body("A100")
    body["preferences"] = preferences
    response = await client.post("/v1/availability", json=body, headers=PORTAL)
    assert_problem(response, 422, "validation", fields={field})


async def test_the_requester_zone_must_be_iana(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    for zone in ("Eastern Standard Time", "America/Gotham", "+05:00", "", "Z"):
        body = availability_body("A100", time_zone=zone)
        response = await client.post("/v1/availability", json=body, headers=PORTAL)
        assert_problem(response, 422, "validation", fields={"time_zone"})


# ---- cases that cannot be looked up or scheduled -----------------------------------------------


async def test_an_ineligible_case_is_named(client: httpx.AsyncClient) -> None:
    await push_case(client, "OK1")
    await push_case(client, "APPR", status="approved")
    await push_reviewer(client, "rev-ny")

    response = await client.post("/v1/availability", json=availability_body("APPR"), headers=PORTAL)
    body = assert_problem(response, 422, "not-eligible")
    assert body["blocking_cases"] == ["APPR"]
    assert "APPR" in body["detail"]

    both = await client.post(
        "/v1/availability", json=availability_body("OK1", "APPR"), headers=PORTAL
    )
    body = assert_problem(both, 422, "not-eligible")
    assert body["blocking_cases"] == ["APPR"]
    assert "OK1" not in body["detail"]


async def test_unknown_case_and_wrong_dob_get_the_same_answer(
    client: httpx.AsyncClient,
) -> None:
    await push_case(client, "A100")
    await push_reviewer(client, "rev-ny")

    unknown = await client.post("/v1/availability", json=availability_body("A999"), headers=PORTAL)
    assert_problem(unknown, 422, "validation", fields={"cases[0]"})
    wrong_dob = await client.post(
        "/v1/availability",
        json={"cases": [lookup("A100", WRONG_DOB)], "time_zone": NEW_YORK},
        headers=PORTAL,
    )
    body = assert_problem(wrong_dob, 422, "validation", fields={"cases[0]"})
    assert "A100" in body["detail"]
    # the wrong DOB and an unknown number read alike (only the number differs)
    assert unknown.json()["detail"].replace("A999", "A100") == body["detail"]

    second = await client.post(
        "/v1/availability", json=availability_body("A100", "A999"), headers=PORTAL
    )
    assert_problem(second, 422, "validation", fields={"cases[1]"})


async def test_missing_or_malformed_body_parts(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    for body, fields in [
        ({"time_zone": NEW_YORK}, {"cases"}),
        ({"cases": [], "time_zone": NEW_YORK}, {"cases"}),
        ({"cases": [lookup("A100")]}, {"time_zone"}),
        ({"cases": [{"case_number": "A100"}], "time_zone": NEW_YORK}, {"cases[0].member_dob"}),
        ({"cases": [lookup("A100", "17/05/1970")], "time_zone": NEW_YORK}, None),
    ]:
        response = await client.post("/v1/availability", json=body, headers=PORTAL)
        assert_problem(response, 422, "validation", fields=fields)


async def test_availability_needs_a_portal_key(client: httpx.AsyncClient) -> None:
    await push_case(client, "A100")
    response = await client.post("/v1/availability", json=availability_body("A100"))
    assert_problem(response, 401, "unauthorized")


async def test_openapi_documents_slot_times_as_date_times(client: httpx.AsyncClient) -> None:
    """Slot times are rendered once per instant for speed; the contract still says date-time."""
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    slot = schemas["SlotOut"]["properties"]
    assert slot["start"]["type"] == slot["end"]["type"] == "string"
    assert slot["start"]["format"] == slot["end"]["format"] == "date-time"
    assert set(schemas["SlotOut"]["required"]) == {"start", "end", "label"}
