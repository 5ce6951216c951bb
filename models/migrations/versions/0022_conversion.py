"""vote_electors.away (left out of a two-thirds base) and probation_conversions (a probationary member's
conversion vote and the committee's decision)

Revision ID: 0022_conversion
Revises: 0005 (it adds a column to 0005's vote_electors)
Create Date: 2026-12-05 00:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022_conversion'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('vote_electors') as batch:
        batch.add_column(sa.Column('away', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'probation_conversions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='CASCADE'), nullable=False),
        sa.Column('vote_id', sa.Integer(), sa.ForeignKey('votes.id', ondelete='CASCADE'), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('official_on', sa.Date(), nullable=True),
        sa.UniqueConstraint('vote_id', name='uq_probation_conversions_vote_id'),
    )
    op.create_index('ix_probation_conversions_member_id', 'probation_conversions', ['member_id'])


def downgrade() -> None:
    op.drop_index('ix_probation_conversions_member_id', table_name='probation_conversions')
    op.drop_table('probation_conversions')
    with op.batch_alter_table('vote_electors') as batch:
        batch.drop_column('away')
