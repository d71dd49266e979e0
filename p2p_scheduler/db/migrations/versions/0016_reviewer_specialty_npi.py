"""reviewers.specialty and reviewers.npi: what a provider is told about the reviewer

SPEC §11 (disclosure before the call): a booking names the reviewer's specialty and, when
given, their NPI. Existing reviewers: no specialty ('') and no NPI (null) until their
profile is saved with them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch copy: on SQLite a batch recreates ``reviewers``, and
    # dropping the old table would cascade to every hold, cell and licence that references it.
    op.add_column(
        "reviewers",
        sa.Column("specialty", sa.String(length=100), nullable=False, server_default=""),
    )
    op.add_column("reviewers", sa.Column("npi", sa.String(length=10), nullable=True))


def downgrade() -> None:
    op.drop_column("reviewers", "npi")
    op.drop_column("reviewers", "specialty")
