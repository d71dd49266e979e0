"""bookings, holds, slot cells, time off

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa



revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('key_id', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key_id', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('bookings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('reviewer_id', sa.String(length=64), nullable=True),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('provider_name', sa.String(length=200), nullable=False),
    sa.Column('provider_role', sa.String(length=40), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_location', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('phone_ext', sa.String(length=10), nullable=False),
    sa.Column('alt_phone', sa.String(length=32), nullable=False),
    sa.Column('alt_phone_ext', sa.String(length=10), nullable=False),
    sa.Column('provider_email', sa.String(length=254), nullable=False),
    sa.Column('instructions', sa.String(length=500), nullable=False),
    sa.Column('cancel_reason_code', sa.String(length=40), nullable=True),
    sa.Column('cancel_reason_text', sa.String(length=500), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('outcome_notes', sa.String(length=1000), nullable=True),
    sa.Column('no_show_party', sa.String(length=16), nullable=True),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending_assignment','scheduled','completed','cancelled','no_show')", name=op.f('ck_bookings_status')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_bookings_sequence')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewers.reviewer_id'], name=op.f('fk_bookings_reviewer_id_reviewers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_bookings_provider_email', ['provider_email'], unique=False)
        batch_op.create_index('ix_bookings_reviewer_id_start_at', ['reviewer_id', 'start_at'], unique=False)

    op.create_table('holds',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('reviewer_id', sa.String(length=64), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('case_numbers', sa.String(length=800), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewers.reviewer_id'], name=op.f('fk_holds_reviewer_id_reviewers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index('ix_holds_expires_at', ['expires_at'], unique=False)

    op.create_table('reviewer_time_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.String(length=64), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_reviewer_time_off_end_after_start')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewers.reviewer_id'], name=op.f('fk_reviewer_time_off_reviewer_id_reviewers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviewer_time_off'))
    )
    with op.batch_alter_table('reviewer_time_off', schema=None) as batch_op:
        batch_op.create_index('ix_reviewer_time_off_reviewer_id', ['reviewer_id'], unique=False)

    op.create_table('booking_cases',
    sa.Column('booking_id', sa.String(length=36), nullable=False),
    sa.Column('case_number', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('level_of_review', sa.String(length=24), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_cases_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_number'], ['cases.case_number'], name=op.f('fk_booking_cases_case_number_cases')),
    sa.PrimaryKeyConstraint('booking_id', 'case_number', name=op.f('pk_booking_cases'))
    )
    with op.batch_alter_table('booking_cases', schema=None) as batch_op:
        batch_op.create_index('uq_booking_cases_active_case', ['case_number'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.create_table('booking_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.String(length=36), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('reviewer_id', sa.String(length=64), nullable=True),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.String(length=1000), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_events_booking_id_bookings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_events'))
    )
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.create_index('ix_booking_events_booking_id', ['booking_id'], unique=False)

    op.create_table('slot_cells',
    sa.Column('reviewer_id', sa.String(length=64), nullable=False),
    sa.Column('cell_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('booking_id', sa.String(length=36), nullable=True),
    sa.Column('hold_id', sa.String(length=36), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(booking_id IS NULL) <> (hold_id IS NULL)', name=op.f('ck_slot_cells_one_owner')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_slot_cells_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_slot_cells_hold_id_holds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewers.reviewer_id'], name=op.f('fk_slot_cells_reviewer_id_reviewers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('reviewer_id', 'cell_at', name=op.f('pk_slot_cells'))
    )
    with op.batch_alter_table('slot_cells', schema=None) as batch_op:
        batch_op.create_index('ix_slot_cells_booking_id', ['booking_id'], unique=False)
        batch_op.create_index('ix_slot_cells_hold_id', ['hold_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('slot_cells', schema=None) as batch_op:
        batch_op.drop_index('ix_slot_cells_hold_id')
        batch_op.drop_index('ix_slot_cells_booking_id')

    op.drop_table('slot_cells')
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_events_booking_id')

    op.drop_table('booking_events')
    with op.batch_alter_table('booking_cases', schema=None) as batch_op:
        batch_op.drop_index('uq_booking_cases_active_case', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.drop_table('booking_cases')
    with op.batch_alter_table('reviewer_time_off', schema=None) as batch_op:
        batch_op.drop_index('ix_reviewer_time_off_reviewer_id')

    op.drop_table('reviewer_time_off')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index('ix_holds_expires_at')

    op.drop_table('holds')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_reviewer_id_start_at')
        batch_op.drop_index('ix_bookings_provider_email')
        batch_op.drop_index('ix_bookings_created_at')

    op.drop_table('bookings')
    op.drop_table('idempotency_keys')
