"""booking_cases.level_since: when a case update moved a booked case to another level

A P2P belongs to the determination in force when it was booked (SPEC §9). A booking whose
case was denied before the call is relabelled (SPEC §14: a pre-decision P2P becomes a
reconsideration) and from then on is the P2P of that denial: once completed, the look-up
must not offer another one for it. Existing rows: none moved (null: the level they were
booked at).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("booking_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("booking_cases", schema=None) as batch_op:
        batch_op.drop_column("level_since")
