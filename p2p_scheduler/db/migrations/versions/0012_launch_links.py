"""launch_links: single-use links that open the provider pages with cases looked up

SPEC §14. A row is keyed by the SHA-256 of the link's id (the id itself is never stored) and
holds the cases sealed under a key derived from the id, emptied once the link is used or
expired.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "launch_links",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("provider_org", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=264), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_launch_links")),
    )
    op.create_index("ix_launch_links_expires_at", "launch_links", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_launch_links_expires_at", table_name="launch_links")
    op.drop_table("launch_links")
