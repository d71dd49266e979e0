"""Alembic migrations on SQLite and PostgreSQL: up, down, up again, and no drift from the models."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlmodel import SQLModel

from p2p_scheduler.db import migrate
from p2p_scheduler.db import tables as _tables  # noqa: F401  (registers the tables)
from p2p_scheduler.db.engine import make_engine
from p2p_scheduler.db.tables import BookingRow, HoldRow

APP_TABLES = set(SQLModel.metadata.tables)


@pytest.fixture
def bare_engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database, left at head afterwards for the tests that follow."""
    engine = make_engine(database_url)
    yield engine
    migrate.upgrade(engine)
    engine.dispose()


def _table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_app_tables_are_the_expected_ones() -> None:
    assert {
        "cases",
        "reviewers",
        "reviewer_skills",
        "reviewer_licenses",
        "reviewer_working_hours",
        "reviewer_time_off",
        "bookings",
        "booking_cases",
        "booking_events",
        "holds",
        "held_cases",
        "slot_cells",
        "idempotency_keys",
        "outbox",
        "audit_events",
        "launch_links",
        "window_alerts",
        "p2p_offers",
    } == APP_TABLES


def test_upgrade_downgrade_upgrade(bare_engine: Engine) -> None:
    migrate.upgrade(bare_engine)
    state = migrate.status(bare_engine)
    assert state.current == migrate.head_revision() == state.head
    assert state.at_head
    assert _table_names(bare_engine) >= APP_TABLES

    # upgrading a database already at head is a no-op
    migrate.upgrade(bare_engine)
    assert migrate.status(bare_engine).at_head

    migrate.downgrade(bare_engine, "base")
    state = migrate.status(bare_engine)
    assert state.current is None
    assert not state.at_head
    assert _table_names(bare_engine) & APP_TABLES == set()
    assert _table_names(bare_engine) - {"alembic_version"} == set(), "downgrade left tables"

    migrate.upgrade(bare_engine)
    assert migrate.status(bare_engine).at_head
    assert _table_names(bare_engine) >= APP_TABLES


def _compare_type(
    context: MigrationContext,
    inspected_column: object,
    metadata_column: object,
    inspected_type: object,
    metadata_type: object,
) -> bool | None:
    """Default type comparison, except that SQLite ignores VARCHAR lengths (it stores any
    length), so migrations widen a column on PostgreSQL only and SQLite keeps the old
    declaration: not a difference there."""
    if (
        context.dialect.name == "sqlite"
        and isinstance(inspected_type, sa.String)
        and isinstance(getattr(metadata_type, "impl", metadata_type), sa.String)
        and type(inspected_type).__name__ == "VARCHAR"
    ):
        return False
    return None


def test_models_and_migrated_schema_do_not_differ(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": _compare_type, "compare_server_default": True}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def _index_names(engine: Engine, inspector: Any, table: str) -> set[str]:
    """The table's index names. SQLAlchemy does not reflect SQLite's expression indexes
    (``ix_bookings_report_at``, migration 0017), so there they come from sqlite_master."""
    if engine.dialect.name != "sqlite":
        return {i["name"] for i in inspector.get_indexes(table)}
    with engine.connect() as connection:
        return set(
            connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
                    "AND name NOT LIKE 'sqlite_autoindex%'"
                ),
                {"t": table},
            ).scalars()
        )


def test_check_constraints_and_foreign_keys_are_in_the_schema(engine: Engine) -> None:
    """compare_metadata does not look at CHECKs or ON DELETE, so check them by reflection."""
    inspector = inspect(engine)
    all_checks: set[str] = set()
    for table in SQLModel.metadata.sorted_tables:
        expected = {
            c.name for c in table.constraints if type(c).__name__ == "CheckConstraint" and c.name
        }
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == expected, table.name
        all_checks |= found
        expected_fks = {
            (tuple(fk.column_keys), fk.referred_table.name, (fk.ondelete or "").upper())
            for fk in table.foreign_key_constraints
        }
        found_fks = {
            (
                tuple(fk["constrained_columns"]),
                fk["referred_table"],
                (fk["options"].get("ondelete") or "").upper(),
            )
            for fk in inspector.get_foreign_keys(table.name)
        }
        assert found_fks == expected_fks, table.name
        expected_indexes = {i.name for i in table.indexes}
        assert _index_names(engine, inspector, table.name) == expected_indexes
    assert {
        "ck_cases_status",
        "ck_reviewer_skills_priority",
        "ck_reviewer_working_hours_end_after_start",
    } <= all_checks


def test_instant_columns(engine: Engine) -> None:
    """PostgreSQL stores instants as timestamptz; SQLite (no such type) as DATETIME text."""
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("cases")}
    for name in ("received_at", "determination_at", "created_at", "updated_at"):
        if engine.dialect.name == "postgresql":
            assert getattr(columns[name], "timezone", False) is True, name
        else:
            assert "DATETIME" in str(columns[name]).upper(), name


def test_0009_turns_comma_lists_into_json_lists_and_back(bare_engine: Engine) -> None:
    """A hold's case numbers and a pending request's preferences, stored as comma-separated
    strings before 0009, come out of the upgrade as JSON lists, and back on downgrade;
    the rows that reference them (the hold's cells) survive both ways."""
    migrate.downgrade(bare_engine, "base")
    migrate.upgrade(bare_engine, "0008")
    now = "2026-12-01 15:00:00"
    with bare_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO reviewers (reviewer_id, name, credentials, email, time_zone, "
                "max_consults_per_day, active, version, created_at, updated_at) VALUES "
                "('dr-a', 'Dr A', 'MD', 'a@example.org', 'UTC', 8, true, 'v1', :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO holds (id, reviewer_id, start_at, end_at, expires_at, case_numbers, "
                "time_zone, created_by) VALUES ('h-1', 'dr-a', :now, :now, :now, 'A1,A2', 'UTC', '')"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO slot_cells (reviewer_id, cell_at, hold_id) VALUES ('dr-a', :now, 'h-1')"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO bookings (id, status, duration_minutes, time_zone, sequence, "
                "valid_until, provider_name, provider_role, contact_name, contact_location, "
                "phone, phone_ext, alt_phone, alt_phone_ext, provider_email, instructions, "
                "preferred_days, preferred_hours, created_by, created_at, updated_at) VALUES "
                "('b-1', 'pending_assignment', 15, 'UTC', 0, :now, 'Dr P', 'ordering_provider', "
                "'', '', '555', '', '', '', 'p@example.org', '', 'mon,wed', '7,8,17', '', :now, "
                ":now)"
            ),
            {"now": now},
        )

    migrate.upgrade(bare_engine)
    with bare_engine.connect() as connection:
        holds = connection.execute(select(HoldRow.case_numbers)).scalars().all()
        prefs = connection.execute(
            select(BookingRow.preferred_days, BookingRow.preferred_hours)
        ).one()
        cells = connection.execute(text("SELECT count(*) FROM slot_cells")).scalar_one()
    assert holds == [["A1", "A2"]]
    assert tuple(prefs) == (["mon", "wed"], [7, 8, 17])
    assert cells == 1

    migrate.downgrade(bare_engine, "0008")
    with bare_engine.connect() as connection:
        assert connection.execute(text("SELECT case_numbers FROM holds")).scalar_one() == "A1,A2"
        assert tuple(
            connection.execute(text("SELECT preferred_days, preferred_hours FROM bookings")).one()
        ) == ("mon,wed", "7,8,17")
        assert connection.execute(text("SELECT count(*) FROM slot_cells")).scalar_one() == 1
    migrate.downgrade(bare_engine, "base")


def test_0014_dates_outcomes_recorded_before_it_by_their_history(bare_engine: Engine) -> None:
    """A booking completed before 0014 shows the provider when its outcome was recorded:
    its latest ``completed`` history event (SPEC §14); other bookings have none."""
    migrate.downgrade(bare_engine, "base")
    migrate.upgrade(bare_engine, "0013")
    booked, done = "2026-12-01 15:00:00", "2026-12-02 16:30:00"
    with bare_engine.begin() as connection:
        for booking_id, status in (("b-1", "completed"), ("b-2", "cancelled")):
            connection.execute(
                text(
                    "INSERT INTO bookings (id, status, duration_minutes, time_zone, sequence, "
                    "valid_until, provider_name, provider_role, contact_name, contact_location, "
                    "phone, phone_ext, alt_phone, alt_phone_ext, provider_email, instructions, "
                    "outcome, created_by, created_at, updated_at) VALUES (:id, :status, 15, "
                    "'UTC', 0, :at, 'Dr P', 'ordering_provider', '', '', '555', '', '', '', "
                    "'p@example.org', '', :outcome, '', :at, :at)"
                ),
                {
                    "id": booking_id,
                    "status": status,
                    "at": booked,
                    "outcome": "upheld" if status == "completed" else None,
                },
            )
            for event, at in (("scheduled", booked), (status, done)):
                connection.execute(
                    text(
                        "INSERT INTO booking_events (booking_id, sequence, event, status, actor, "
                        "detail, at) VALUES (:id, 0, :event, :event, '', '', :at)"
                    ),
                    {"id": booking_id, "event": event, "at": at},
                )

    migrate.upgrade(bare_engine)
    with bare_engine.connect() as connection:
        recorded = dict(
            connection.execute(
                select(BookingRow.id, BookingRow.outcome_recorded_at).order_by(BookingRow.id)
            ).all()
        )
    assert (
        recorded["b-1"] is not None and recorded["b-1"].isoformat() == "2026-12-02T16:30:00+00:00"
    )
    assert recorded["b-2"] is None
    migrate.downgrade(bare_engine, "base")


def test_0016_gives_existing_reviewers_no_specialty_or_npi_and_keeps_what_refers_to_them(
    bare_engine: Engine,
) -> None:
    """A reviewer saved before 0016 discloses no specialty ('') and no NPI (null) until the
    profile is saved again; going down and up again loses no licence, hold or cell of theirs
    (a table copy on SQLite would cascade the reviewer's rows away)."""
    migrate.downgrade(bare_engine, "base")
    migrate.upgrade(bare_engine, "0015")
    now = "2026-12-01 15:00:00"
    with bare_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO reviewers (reviewer_id, name, credentials, email, time_zone, "
                "max_consults_per_day, active, version, feed_link_version, created_at, "
                "updated_at) VALUES ('dr-a', 'Dr A', 'MD', 'a@example.org', 'UTC', 8, true, "
                "'v1', 0, :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text("INSERT INTO reviewer_licenses (reviewer_id, state) VALUES ('dr-a', 'TX')")
        )

    def kept() -> tuple[object, ...]:
        with bare_engine.connect() as connection:
            return (
                connection.execute(text("SELECT count(*) FROM reviewers")).scalar_one(),
                connection.execute(text("SELECT count(*) FROM reviewer_licenses")).scalar_one(),
            )

    migrate.upgrade(bare_engine)
    with bare_engine.connect() as connection:
        disclosed = connection.execute(text("SELECT specialty, npi FROM reviewers")).one()
    assert tuple(disclosed) == ("", None)
    assert kept() == (1, 1)
    migrate.downgrade(bare_engine, "0015")
    assert kept() == (1, 1)
    with bare_engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("reviewers")}
    assert not {"specialty", "npi"} & columns
    migrate.downgrade(bare_engine, "base")
