"""held_cases: a case is in at most one live hold

One case could hold every slot of a reviewer (286 holds in 3 s hid two reviewers' week, and
holds are renewable). Each case of a hold now has a row here, keyed by the case number, so a
second hold of the same case must first release the earlier one (the service does) and two
concurrent holds of one case cannot both commit. Live holds of before this migration keep
their time until they expire (five minutes); they are not listed here.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_cases",
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("hold_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["holds.id"], name=op.f("fk_held_cases_hold_id_holds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_number", name=op.f("pk_held_cases")),
    )
    op.create_index(op.f("ix_held_cases_hold_id"), "held_cases", ["hold_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_held_cases_hold_id"), table_name="held_cases")
    op.drop_table("held_cases")
