"""todo_choices, todo_runs: the officer's weekly to-do (its hour, on or off) and the weeks already taken care of

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-14 07:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('todo_choices',
    sa.Column('member_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('weekly', sa.Boolean(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=True),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_todo_choices_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_todo_choices'))
    )
    op.create_table('todo_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_todo_runs_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_todo_runs')),
    sa.UniqueConstraint('member_id', 'week', name='uq_todo_runs_member_week')
    )


def downgrade() -> None:
    op.drop_table('todo_runs')
    op.drop_table('todo_choices')
