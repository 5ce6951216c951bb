"""meeting_rsvps.on_paper: a proxy answer the member gave on the printed invitation

Revision ID: 0014
Revises: 0004
Create Date: 2026-12-04 18:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meeting_rsvps') as batch_op:
        batch_op.add_column(sa.Column('on_paper', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('meeting_rsvps') as batch_op:
        batch_op.drop_column('on_paper')
