"""anniversary greetings: a cell's choice (anniversary_cells), members' opt-outs, the greetings queued

Revision ID: 0018
Revises: 0001
Create Date: 2026-12-04 22:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('anniversary_cells',
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('greets', sa.Boolean(), nullable=False),
    sa.Column('updated_by_member_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['units.id'], name=op.f('fk_anniversary_cells_cell_id_units'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_member_id'], ['members.id'],
                            name=op.f('fk_anniversary_cells_updated_by_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('cell_id', name=op.f('pk_anniversary_cells'))
    )
    op.create_table('anniversary_optouts',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_anniversary_optouts_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_anniversary_optouts'))
    )
    op.create_table('anniversary_greetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('birthday', 'longevity', 'party', name='kind', native_enum=False, length=12),
              nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['units.id'], name=op.f('fk_anniversary_greetings_cell_id_units'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_anniversary_greetings_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anniversary_greetings')),
    sa.UniqueConstraint('member_id', 'kind', 'year', name='uq_anniversary_greetings_member_kind_year')
    )


def downgrade() -> None:
    op.drop_table('anniversary_greetings')
    op.drop_table('anniversary_optouts')
    op.drop_table('anniversary_cells')
