"""cases.program: the UM program a case belongs to (SPEC §14)

Policy rows may be keyed by program (oncology, radiology, dme, …) so that a program's own
windows apply. Existing cases have no program and keep the "*" rows, as before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("program", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("program")
