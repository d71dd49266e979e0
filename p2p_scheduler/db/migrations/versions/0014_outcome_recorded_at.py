"""outcome_recorded_at: when a booking's outcome was recorded

The provider is shown the outcome with the time it was recorded (SPEC §14); ``updated_at``
cannot stand in for it, since later changes (a link rotation) move it. Bookings completed
before this migration take their latest ``completed`` history event's time.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome_recorded_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE bookings SET outcome_recorded_at = ("
        " SELECT MAX(booking_events.at) FROM booking_events"
        " WHERE booking_events.booking_id = bookings.id AND booking_events.event = 'completed')"
        " WHERE status = 'completed'"
    )


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("outcome_recorded_at")
