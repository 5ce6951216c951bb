"""members.deceased_on (the date of death) and badge_proposals (early and posthumous Party badges)

Revision ID: 0023_deceased
Revises: 0001
Create Date: 2026-12-05 01:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023_deceased'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('deceased_on', sa.Date(), nullable=True))
    op.create_table('badge_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('milestone', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('early', 'posthumous', name='badgeproposalkind', native_enum=False, length=12),
              nullable=False),
    sa.Column('award_day', sa.Date(), nullable=False),
    sa.Column('proposed_by_member_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_badge_proposals_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by_member_id'], ['members.id'],
                            name=op.f('fk_badge_proposals_proposed_by_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_proposals')),
    sa.UniqueConstraint('member_id', 'milestone', name='uq_badge_proposals_member_milestone')
    )


def downgrade() -> None:
    op.drop_table('badge_proposals')
    with op.batch_alter_table('members') as batch:
        batch.drop_column('deceased_on')
