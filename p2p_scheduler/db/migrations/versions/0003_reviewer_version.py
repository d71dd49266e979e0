"""reviewer profile version (the key of the per-process profile cache)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviewers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.String(length=32), nullable=True))
    reviewers = sa.table("reviewers", sa.column("reviewer_id"), sa.column("version"))
    connection = op.get_bind()
    for (reviewer_id,) in connection.execute(sa.select(reviewers.c.reviewer_id)).all():
        connection.execute(
            reviewers.update()
            .where(reviewers.c.reviewer_id == reviewer_id)
            .values(version=uuid.uuid4().hex)
        )
    with op.batch_alter_table("reviewers", schema=None) as batch_op:
        batch_op.alter_column("version", existing_type=sa.String(length=32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("reviewers", schema=None) as batch_op:
        batch_op.drop_column("version")
