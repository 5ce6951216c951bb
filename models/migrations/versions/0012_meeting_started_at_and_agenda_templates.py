"""meetings.started_at (the record's start, from the roll-call) and agenda_templates (a cell's own agenda template)

Revision ID: 0012
Revises: 0004
Create Date: 2026-12-04 18:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = '0012'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meetings') as batch_op:
        batch_op.add_column(sa.Column('started_at', models.base.UTCDateTime(timezone=True), nullable=True))
    op.create_table('agenda_templates',
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('parts', sa.Text(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_member_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cell_id'], ['units.id'], name=op.f('fk_agenda_templates_cell_id_units'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_member_id'], ['members.id'],
                            name=op.f('fk_agenda_templates_updated_by_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('cell_id', name=op.f('pk_agenda_templates'))
    )


def downgrade() -> None:
    op.drop_table('agenda_templates')
    with op.batch_alter_table('meetings') as batch_op:
        batch_op.drop_column('started_at')
