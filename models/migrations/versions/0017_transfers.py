"""transfers (chuyển sinh hoạt đảng) and member_cells, the cells a member left by one

Revision ID: 0017
Revises: 0001
Create Date: 2026-12-04 21:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('official', 'temporary', name='transferkind', native_enum=False, length=20),
              nullable=False),
    sa.Column('direction', sa.Enum('outgoing', 'incoming', name='direction', native_enum=False, length=10),
              nullable=False),
    sa.Column('purpose', sa.Enum('work', 'study', name='purpose', native_enum=False, length=10), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('until_on', sa.Date(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('unit_name', sa.String(length=200), nullable=True),
    sa.Column('state', sa.Enum('open', 'done', 'cancelled', name='transferstate', native_enum=False, length=20),
              nullable=False),
    sa.Column('recorded_by_member_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_transfers_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_member_id'], ['members.id'],
                            name=op.f('fk_transfers_recorded_by_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_transfers_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers'))
    )
    op.create_index(op.f('ix_transfers_member_id'), 'transfers', ['member_id'], unique=False)
    op.create_index(op.f('ix_transfers_unit_id'), 'transfers', ['unit_id'], unique=False)
    op.create_table('member_cells',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('from_on', sa.Date(), nullable=True),
    sa.Column('until_on', sa.Date(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cell_id'], ['units.id'], name=op.f('fk_member_cells_cell_id_units'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_cells_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_member_cells_transfer_id_transfers'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_cells'))
    )
    op.create_index(op.f('ix_member_cells_member_id'), 'member_cells', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_member_cells_member_id'), table_name='member_cells')
    op.drop_table('member_cells')
    op.drop_index(op.f('ix_transfers_unit_id'), table_name='transfers')
    op.drop_index(op.f('ix_transfers_member_id'), table_name='transfers')
    op.drop_table('transfers')
