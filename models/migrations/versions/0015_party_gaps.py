"""party_gaps: periods out of the party, deducted from party age

Revision ID: 0015
Revises: 0001
Create Date: 2026-12-04 21:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('party_gaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('from_on', sa.Date(), nullable=False),
    sa.Column('until_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_party_gaps_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_gaps'))
    )
    op.create_index(op.f('ix_party_gaps_member_id'), 'party_gaps', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_party_gaps_member_id'), table_name='party_gaps')
    op.drop_table('party_gaps')
