"""cases and reviewers

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('case_number', sa.String(length=64), nullable=False),
    sa.Column('member_name', sa.String(length=200), nullable=False),
    sa.Column('member_dob', sa.Date(), nullable=False),
    sa.Column('member_state', sa.String(length=2), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('health_plan', sa.String(length=200), nullable=False),
    sa.Column('line_of_business', sa.String(length=16), nullable=False),
    sa.Column('case_type', sa.String(length=200), nullable=False),
    sa.Column('skill', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hold_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('additional_info_received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('determination_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('determined_by', sa.String(length=64), nullable=True),
    sa.Column('date_of_service', sa.Date(), nullable=True),
    sa.Column('appeal_filed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('post_decision_delegated', sa.Boolean(), nullable=False),
    sa.Column('appeals_delegated', sa.Boolean(), nullable=False),
    sa.Column('retrospective', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("line_of_business IN ('commercial','medicare','medicaid')", name=op.f('ck_cases_line_of_business')),
    sa.CheckConstraint("status IN ('in_review','pending_info','approved','partially_approved','denied','withdrawn')", name=op.f('ck_cases_status')),
    sa.CheckConstraint("urgency IN ('standard','urgent')", name=op.f('ck_cases_urgency')),
    sa.PrimaryKeyConstraint('case_number', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_status', ['status'], unique=False)

    op.create_table('reviewers',
    sa.Column('reviewer_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credentials', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('max_consults_per_day', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_consults_per_day >= 1', name=op.f('ck_reviewers_max_consults_per_day')),
    sa.PrimaryKeyConstraint('reviewer_id', name=op.f('pk_reviewers'))
    )
    op.create_table('reviewer_licenses',
    sa.Column('reviewer_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewers.reviewer_id'], name=op.f('fk_reviewer_licenses_reviewer_id_reviewers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('reviewer_id', 'state', name=op.f('pk_reviewer_licenses'))
    )
    with op.batch_alter_table('reviewer_licenses', schema=None) as batch_op:
        batch_op.create_index('ix_reviewer_licenses_state', ['state'], unique=False)

    op.create_table('reviewer_skills',
    sa.Column('reviewer_id', sa.String(length=64), nullable=False),
    sa.Column('skill', sa.String(length=64), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.CheckConstraint('priority >= 1', name=op.f('ck_reviewer_skills_priority')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewers.reviewer_id'], name=op.f('fk_reviewer_skills_reviewer_id_reviewers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('reviewer_id', 'skill', name=op.f('pk_reviewer_skills'))
    )
    with op.batch_alter_table('reviewer_skills', schema=None) as batch_op:
        batch_op.create_index('ix_reviewer_skills_skill', ['skill'], unique=False)

    op.create_table('reviewer_working_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.String(length=64), nullable=False),
    sa.Column('weekday', sa.String(length=3), nullable=False),
    sa.Column('start_time', sa.String(length=5), nullable=False),
    sa.Column('end_time', sa.String(length=5), nullable=False),
    sa.CheckConstraint("weekday IN ('mon','tue','wed','thu','fri','sat','sun')", name=op.f('ck_reviewer_working_hours_weekday')),
    sa.CheckConstraint('end_time > start_time', name=op.f('ck_reviewer_working_hours_end_after_start')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewers.reviewer_id'], name=op.f('fk_reviewer_working_hours_reviewer_id_reviewers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviewer_working_hours'))
    )
    with op.batch_alter_table('reviewer_working_hours', schema=None) as batch_op:
        batch_op.create_index('ix_reviewer_working_hours_reviewer_id', ['reviewer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reviewer_working_hours', schema=None) as batch_op:
        batch_op.drop_index('ix_reviewer_working_hours_reviewer_id')

    op.drop_table('reviewer_working_hours')
    with op.batch_alter_table('reviewer_skills', schema=None) as batch_op:
        batch_op.drop_index('ix_reviewer_skills_skill')

    op.drop_table('reviewer_skills')
    with op.batch_alter_table('reviewer_licenses', schema=None) as batch_op:
        batch_op.drop_index('ix_reviewer_licenses_state')

    op.drop_table('reviewer_licenses')
    op.drop_table('reviewers')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_status')

    op.drop_table('cases')
