"""provider_org on bookings; actors as long as a token's subject

Bookings carry the provider organisation they belong to (SPEC §10: a provider token sees only
its organisation's bookings), indexed because every provider's list filters by it.

Every column naming an actor is widened for tokens (API key ids have a few characters): a
token's actor is ``<role>:<sub>`` and an OpenID Connect ``sub`` may have up to 255 characters
(Entra ID's have 43); see ``WIDENED``.

Plain ``ALTER TABLE`` only (see 0009). SQLite does not enforce VARCHAR lengths, so the widening
is a PostgreSQL change.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: (table, column, length before, length after); p2p_scheduler.db.tables says why: an actor
#: is ``<role>:<sub>`` (8 + 1 + 255), the audit keeps the ``sub`` alone (255), and an
#: Idempotency-Key's owner adds a provider's organisation (``provider@<org>:<sub>``, 329)
WIDENED = (
    ("audit_events", "actor_id", 40, 255),
    ("bookings", "created_by", 40, 264),
    ("booking_events", "actor", 40, 264),
    ("holds", "created_by", 40, 264),
    ("idempotency_keys", "key_id", 40, 329),
)


def upgrade() -> None:
    op.add_column("bookings", sa.Column("provider_org", sa.String(length=64), nullable=True))
    op.create_index("ix_bookings_provider_org", "bookings", ["provider_org"])
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
    # The audit trail is append-only, so a longer actor is not cut short: going back below
    # 0010 fails (and changes nothing) once a token's subject of more than 40 characters acted.
    if op.get_bind().dialect.name == "postgresql":
        for table, column, old, new in WIDENED:
            op.alter_column(
                table,
                column,
                type_=sa.String(length=old),
                existing_type=sa.String(length=new),
                existing_nullable=False,
            )
    op.drop_index("ix_bookings_provider_org", table_name="bookings")
    op.drop_column("bookings", "provider_org")
