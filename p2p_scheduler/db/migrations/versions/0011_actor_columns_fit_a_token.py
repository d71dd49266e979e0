"""every column that names an actor fits a token's actor

0010 widened the actors to 255 characters for a token's subject but left the booking history's
``actor`` at 40, so on PostgreSQL any booking made or changed with a token whose
``provider:<sub>`` is longer than 40 characters (``provider:frontdesk@practice-a.example.org``
is 41) failed with a 500. And a token's actor is ``<role>:<sub>``: up to 8 + 1 + 255 = 264
characters, since OpenID Connect allows a ``sub`` of 255; an ``Idempotency-Key``'s owner
adds the organisation a provider acts for (``provider@<org>:<sub>``, up to 329).

Plain ``ALTER TABLE`` only (see 0009). SQLite does not enforce VARCHAR lengths, so the widening
is a PostgreSQL change.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: (table, column, length before, length after); p2p_scheduler.db.tables says why
WIDENED = (
    ("booking_events", "actor", 40, 264),
    ("bookings", "created_by", 255, 264),
    ("holds", "created_by", 255, 264),
    ("idempotency_keys", "key_id", 255, 329),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column, old, new in WIDENED:
            op.alter_column(
                table,
                column,
                type_=sa.String(length=new),
                existing_type=sa.String(length=old),
                existing_nullable=False,
            )


def downgrade() -> None:
    # Going back fails (and changes nothing) once a longer actor has been written: the
    # history is not cut short.
    if op.get_bind().dialect.name == "postgresql":
        for table, column, old, new in WIDENED:
            op.alter_column(
                table,
                column,
                type_=sa.String(length=old),
                existing_type=sa.String(length=new),
                existing_nullable=False,
            )
