"""the year-end review: rounds, members' entries (the self-review), reminders queued

Revision ID: 0020_review
Revises: 0001
Create Date: 2026-12-05 00:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020_review'
down_revision = '0001'
branch_labels = None
depends_on = None

LEVELS = ('excellent', 'good', 'done', 'failed')


def _level(name: str) -> sa.Column:
    return sa.Column(name, sa.Enum(*LEVELS, name='level', native_enum=False, length=12), nullable=True)


def upgrade() -> None:
    op.create_table('review_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('self_deadline', sa.Date(), nullable=False),
    sa.Column('meeting_deadline', sa.Date(), nullable=False),
    sa.Column('rules_id', sa.String(length=40), nullable=False),
    sa.Column('rules_version', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('open', 'closed', name='roundstate', native_enum=False, length=10), nullable=False),
    sa.Column('opened_by_member_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opened_by_member_id'], ['members.id'],
                            name=op.f('fk_review_rounds_opened_by_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_review_rounds_unit_id_units'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_rounds')),
    sa.UniqueConstraint('unit_id', 'year', name='uq_review_rounds_unit_year')
    )
    op.create_index(op.f('ix_review_rounds_unit_id'), 'review_rounds', ['unit_id'], unique=False)
    op.create_table('review_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.Enum('2A', '2B', '2C', name='form', native_enum=False, length=4), nullable=False),
    sa.Column('exempt_reason', sa.String(length=20), nullable=True),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('strengths', sa.Text(), nullable=True),
    sa.Column('shortcomings', sa.Text(), nullable=True),
    sa.Column('remedies', sa.Text(), nullable=True),
    _level('self_level'),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_member_id', sa.Integer(), nullable=True),
    sa.Column('by_proxy', sa.Boolean(), nullable=False),
    sa.Column('proxy_note', sa.String(length=200), nullable=True),
    _level('proposed_level'),
    _level('decided_level'),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['units.id'], name=op.f('fk_review_entries_cell_id_units'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_review_entries_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'], name=op.f('fk_review_entries_round_id_review_rounds'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_member_id'], ['members.id'],
                            name=op.f('fk_review_entries_submitted_by_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_entries')),
    sa.UniqueConstraint('round_id', 'member_id', name='uq_review_entries_round_member')
    )
    op.create_index(op.f('ix_review_entries_cell_id'), 'review_entries', ['cell_id'], unique=False)
    op.create_index(op.f('ix_review_entries_member_id'), 'review_entries', ['member_id'], unique=False)
    op.create_index(op.f('ix_review_entries_round_id'), 'review_entries', ['round_id'], unique=False)
    op.create_table('review_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['review_entries.id'], name=op.f('fk_review_reminders_entry_id_review_entries'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reminders')),
    sa.UniqueConstraint('entry_id', 'days_before', name='uq_review_reminders_entry_days')
    )


def downgrade() -> None:
    op.drop_table('review_reminders')
    op.drop_index(op.f('ix_review_entries_round_id'), table_name='review_entries')
    op.drop_index(op.f('ix_review_entries_member_id'), table_name='review_entries')
    op.drop_index(op.f('ix_review_entries_cell_id'), table_name='review_entries')
    op.drop_table('review_entries')
    op.drop_index(op.f('ix_review_rounds_unit_id'), table_name='review_rounds')
    op.drop_table('review_rounds')
