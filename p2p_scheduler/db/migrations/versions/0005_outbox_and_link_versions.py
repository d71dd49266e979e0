"""outbox and link versions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("booking_id", sa.String(length=36), nullable=True),
        sa.Column("recipient", sa.String(length=2048), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=False),
        sa.CheckConstraint("channel IN ('email','webhook')", name=op.f("ck_outbox_channel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_booking_id", ["booking_id"], unique=False)
        batch_op.create_index("ix_outbox_due", ["sent_at", "next_attempt_at"], unique=False)

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("invite_link_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("manage_link_version", sa.Integer(), nullable=False, server_default="0")
        )

    with op.batch_alter_table("reviewers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("feed_link_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:

    with op.batch_alter_table("reviewers", schema=None) as batch_op:
        batch_op.drop_column("feed_link_version")

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("manage_link_version")
        batch_op.drop_column("invite_link_version")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index("ix_outbox_booking_id")

    op.drop_table("outbox")
