"""invites.relink and account_moves: a linked record moves only by a confirmed re-link, and the old account is told

Revision ID: 0009
Revises: 0001
Create Date: 2026-12-02 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = '0009'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Codes made before this revision are plain invites: they no longer take a linked record.
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('relink', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('account_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('from_telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('to_telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('to_name', sa.String(length=64), nullable=True),
    sa.Column('inviter_member_id', sa.Integer(), nullable=True),
    sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['inviter_member_id'], ['members.id'], name=op.f('fk_account_moves_inviter_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_account_moves_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_moves'))
    )
    with op.batch_alter_table('account_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_moves_member_id'), ['member_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('account_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_moves_member_id'))
    op.drop_table('account_moves')
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.drop_column('relink')
