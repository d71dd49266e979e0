"""booking attention flag

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attention", sa.String(length=300), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("attention")
