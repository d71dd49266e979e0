"""case numbers and preferences as JSON lists

Holds kept their case numbers, and pending requests their preferred days and hours, as
comma-separated strings: a format every reader had to split and every writer to join. They
become JSON lists; existing rows are converted both ways.

Columns are added, filled, dropped and renamed with plain ``ALTER TABLE`` (SQLite 3.35+
and PostgreSQL alike), never by recreating a table: on SQLite a recreated ``bookings`` or
``holds`` would cascade-delete the rows that reference it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: (table, key column, column, whether it was NOT NULL as a string, its old string type)
LISTS = (
    ("holds", "id", "case_numbers", True, sa.String(length=800)),
    ("bookings", "id", "preferred_days", True, sa.String(length=27)),
    ("bookings", "id", "preferred_hours", True, sa.String(length=70)),
)


def _split(column: str, value: str) -> list[object]:
    items = [item for item in value.split(",") if item]
    return [int(item) for item in items] if column == "preferred_hours" else items


def _join(value: object) -> str:
    items = json.loads(value) if isinstance(value, str) else value
    return ",".join(str(item) for item in items)


def _move(table: str, key: str, column: str, new_type: sa.types.TypeEngine, not_null: bool, convert) -> None:
    """``column`` becomes ``new_type``, each value converted (a column added by ALTER TABLE
    is nullable on SQLite unless it has a default, so the string form gets ``''`` as one
    where it was NOT NULL, and the JSON form stays nullable)."""
    bind = op.get_bind()
    temporary = f"{column}_new"
    op.add_column(
        table,
        sa.Column(
            temporary,
            new_type,
            nullable=not not_null,
            server_default=sa.text("''") if not_null else None,
        ),
    )
    source = sa.table(table, sa.column(key), sa.column(column), sa.column(temporary, new_type))
    rows = bind.execute(sa.select(source.c[key], source.c[column]).where(source.c[column].is_not(None))).all()
    for row_key, value in rows:
        bind.execute(
            source.update().where(source.c[key] == row_key).values({temporary: convert(column, value)})
        )
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.execute(f"ALTER TABLE {table} RENAME COLUMN {temporary} TO {column}")


def upgrade() -> None:
    for table, key, column, _, _ in LISTS:
        _move(table, key, column, sa.JSON(), False, _split)


def downgrade() -> None:
    for table, key, column, not_null, old_type in LISTS:
        _move(table, key, column, old_type, not_null, lambda _column, value: _join(value))
