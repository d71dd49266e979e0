"""What availability and booking read from the database, on SQLite and PostgreSQL.

Bookings and holds come back as UTC epoch seconds computed by the database; reviewer
profiles come from a per-process cache that a save must never leave stale.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from p2p_scheduler.db import calendar_reads, migrate, repo
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.tables import BookingRow, HoldRow, TimeOffRow
from p2p_scheduler.domain.availability import Interval
from p2p_scheduler.domain.model import Weekday, WorkingHours
from p2p_scheduler.services import records
from tests.db.factories import make_reviewer

NOW = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
# The night New York falls back (2026-11-01 06:00 UTC), so an offset mistake would show.
START = datetime(2026, 11, 1, 5, 45, tzinfo=UTC)
WINDOW = Interval(datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))


def _booking(
    booking_id: str, start: datetime, minutes: int, status: str = "scheduled"
) -> BookingRow:
    return BookingRow(
        id=booking_id,
        status=status,
        reviewer_id="dr-house",
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        duration_minutes=minutes,
        time_zone="America/New_York",
        valid_until=start + timedelta(days=3),
        provider_name="Dr Caller",
        provider_role="ordering_provider",
        phone="+12155550100",
        provider_email="caller@example.org",
        created_at=NOW,
        updated_at=NOW,
    )


def test_bookings_and_holds_come_back_as_utc_epoch_seconds(engine: Engine) -> None:
    records.put_reviewer(actor="admin-1", now=NOW, engine=engine, profile=make_reviewer())
    with transaction(engine) as session:
        session.add(_booking("b-1", START, 30))
        session.add(_booking("b-2", START + timedelta(hours=2), 15))
        session.add(_booking("b-gone", START + timedelta(hours=4), 15, status="cancelled"))
        session.add(_booking("b-later", WINDOW.end + timedelta(hours=1), 15))
        session.add(
            HoldRow(
                id="h-1",
                reviewer_id="dr-house",
                start_at=START + timedelta(hours=6),
                end_at=START + timedelta(hours=6, minutes=15),
                expires_at=NOW + timedelta(minutes=5),
                case_numbers=["A1"],
                time_zone="UTC",
            )
        )
        session.add(
            HoldRow(
                id="h-expired",
                reviewer_id="dr-house",
                start_at=START + timedelta(hours=7),
                end_at=START + timedelta(hours=7, minutes=15),
                expires_at=NOW - timedelta(seconds=1),
                case_numbers="A2",
                time_zone="UTC",
            )
        )
    with transaction(engine) as session:
        booked = calendar_reads.scheduled_spans(session, ["dr-house"], WINDOW)
        ignoring = calendar_reads.scheduled_spans(session, ["dr-house"], WINDOW, ignore=["b-1"])
        held = calendar_reads.held_spans(session, ["dr-house"], WINDOW, now=NOW)
    first = int(START.timestamp())
    assert first == 1_793_511_900  # 2026-11-01T05:45:00Z
    assert sorted(booked) == [
        ("dr-house", first, first + 1800),
        ("dr-house", first + 7200, first + 7200 + 900),
    ]
    assert ignoring == [("dr-house", first + 7200, first + 8100)]
    assert held == [("dr-house", first + 6 * 3600, first + 6 * 3600 + 900)]


def test_time_off_overlapping_the_window_only(engine: Engine) -> None:
    records.put_reviewer(actor="admin-1", now=NOW, engine=engine, profile=make_reviewer())
    records.put_reviewer(
        actor="admin-1", now=NOW, engine=engine, profile=make_reviewer("dr-wilson")
    )
    inside = Interval(START, START + timedelta(hours=8, seconds=30))
    with transaction(engine) as session:
        session.add(TimeOffRow(reviewer_id="dr-house", start_at=inside.start, end_at=inside.end))
        session.add(
            TimeOffRow(
                reviewer_id="dr-house",
                start_at=WINDOW.end,
                end_at=WINDOW.end + timedelta(days=1),
            )
        )
    with transaction(engine) as session:
        found = calendar_reads.time_off(session, ["dr-house", "dr-wilson"], WINDOW)
    assert found == {"dr-house": [inside]}


def test_candidates_need_every_skill_and_a_licence_in_the_state(engine: Engine) -> None:
    records.put_reviewer(
        actor="admin-1", now=NOW, engine=engine, profile=make_reviewer()
    )  # PA NJ NY; spine, pain, neuro
    records.put_reviewer(
        actor="admin-1",
        now=NOW,
        engine=engine,
        profile=make_reviewer("dr-ca", licensed_states=frozenset({"CA"})),
    )
    records.put_reviewer(
        actor="admin-1", now=NOW, engine=engine, profile=make_reviewer("dr-off", active=False)
    )
    records.put_reviewer(
        actor="admin-1",
        now=NOW,
        engine=engine,
        profile=make_reviewer("dr-neuro", skills={"neurology": 1}),
    )
    with transaction(engine) as session:
        both = calendar_reads.candidate_reviewers(
            session, skills={"msk_spine", "neurology"}, licence_states=[frozenset({"NJ"})]
        )
        anywhere = calendar_reads.candidate_reviewers(
            session, skills={"neurology"}, licence_states=[]
        )
        in_ca = calendar_reads.candidate_reviewers(
            session, skills={"neurology"}, licence_states=[frozenset({"CA", "WA"})]
        )
    assert sorted(both) == ["dr-house"]
    assert sorted(anywhere) == ["dr-ca", "dr-house", "dr-neuro"]
    assert in_ca == ["dr-ca"]


def test_profiles_come_from_the_cache_until_the_reviewer_is_saved_again(engine: Engine) -> None:
    records.put_reviewer(actor="admin-1", now=NOW, engine=engine, profile=make_reviewer())
    with transaction(engine) as session:
        first = repo.get_reviewers(session, ["dr-house"])["dr-house"]
    with transaction(engine) as session:
        again = repo.get_reviewers(session, ["dr-house"], lock=True)["dr-house"]
    assert again is first  # served from the cache, not rebuilt

    changed = replace(
        first,
        working_hours=(WorkingHours(Weekday.TUE, "10:00", "11:00"),),
        licensed_states=frozenset({"TX"}),
    )
    records.put_reviewer(actor="admin-1", now=NOW, engine=engine, profile=changed)
    with transaction(engine) as session:
        after = repo.get_reviewers(session, ["dr-house", "dr-nobody"])
    assert list(after) == ["dr-house"]
    assert after["dr-house"].working_hours == (WorkingHours(Weekday.TUE, "10:00", "11:00"),)
    assert after["dr-house"].licensed_states == frozenset({"TX"})


def test_every_save_writes_a_new_version(engine: Engine) -> None:
    versions = []
    for _ in range(3):
        records.put_reviewer(actor="admin-1", now=NOW, engine=engine, profile=make_reviewer())
        with engine.connect() as connection:
            versions.append(connection.execute(text("SELECT version FROM reviewers")).scalar_one())
    assert len(set(versions)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", version) for version in versions)


def test_migration_gives_existing_reviewers_distinct_versions(engine: Engine) -> None:
    migrate.downgrade(engine, "0002")
    try:
        with engine.begin() as connection:
            for reviewer_id in ("dr-a", "dr-b"):
                connection.execute(
                    text(
                        "INSERT INTO reviewers (reviewer_id, name, credentials, email, time_zone,"
                        " max_consults_per_day, active, created_at, updated_at) VALUES"
                        " (:id, 'Dr', 'MD', 'a@example.org', 'UTC', 8, true, :now, :now)"
                    ),
                    {"id": reviewer_id, "now": NOW},
                )
    finally:
        migrate.upgrade(engine)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version FROM reviewers")).scalars().all()
    assert len(versions) == 2 and len(set(versions)) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}", version) for version in versions)
