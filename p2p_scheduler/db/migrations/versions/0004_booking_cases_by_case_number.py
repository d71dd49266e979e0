"""an index of booking cases by case number (every eligibility check reads a case's history)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("booking_cases", schema=None) as batch_op:
        batch_op.create_index("ix_booking_cases_case_number", ["case_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("booking_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_cases_case_number")
