"""pending request preferences

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred_days", sa.String(length=27), nullable=True))
        batch_op.add_column(sa.Column("preferred_hours", sa.String(length=70), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("preferred_hours")
        batch_op.drop_column("preferred_days")
