"""Indexes for the operations report (SPEC §12)

``ix_bookings_report_at`` on ``coalesce(start_at, created_at)``: the report's period test (a
booking belongs to the period of its start, a pending request to that of its creation), so a
month's report reads only that month's bookings; on PostgreSQL it also gives the planner the
expression's statistics, without which it guessed a year's 100,000 bookings as a few hundred
and chose 100,000 index probes over one hash join. ``ix_booking_events_event_booking_id``:
the report counts the ``rescheduled`` events of the period's bookings, a small part of the
history, reached through the index instead of a scan of every event.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_bookings_report_at",
        "bookings",
        [sa.text("coalesce(start_at, created_at)")],
        unique=False,
    )
    op.create_index(
        "ix_booking_events_event_booking_id",
        "booking_events",
        ["event", "booking_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_booking_events_event_booking_id", table_name="booking_events")
    op.drop_index("ix_bookings_report_at", table_name="bookings")
