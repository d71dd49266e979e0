"""window_alerts and p2p_offers: the at-risk webhook once per window, and when a P2P was offered

SPEC §12. ``window_alerts`` holds one row per (case, window) whose ``case.window_closing``
webhook went into the outbox: its primary key makes two workers send it once. ``p2p_offers``
holds, per case and determination, when the service first offered a P2P (an eligible look-up,
an availability search or a request). Both start empty: offers made before this revision
were not recorded, and a window already closing gets its webhook from the next scan.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "window_alerts",
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_number", "valid_until", name=op.f("pk_window_alerts")),
    )
    op.create_table(
        "p2p_offers",
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("determination_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_number", "period", name=op.f("pk_p2p_offers")),
    )


def downgrade() -> None:
    op.drop_table("p2p_offers")
    op.drop_table("window_alerts")
