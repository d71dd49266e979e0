"""Alembic migrations on SQLite and PostgreSQL: up, down, up again, and no drift from the models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from p2p_scheduler.db import migrate
from p2p_scheduler.db import tables as _tables  # noqa: F401  (registers the tables)
from p2p_scheduler.db.engine import make_engine

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
        "slot_cells",
        "idempotency_keys",
        "outbox",
        "audit_events",
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


def test_models_and_migrated_schema_do_not_differ(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


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
        assert {i["name"] for i in inspector.get_indexes(table.name)} == expected_indexes
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
