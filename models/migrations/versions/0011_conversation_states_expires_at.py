"""conversation_states.expires_at: a state that must be deleted at a deadline (a secret ballot's opinion)

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-10 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = '0011'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversation_states') as batch_op:
        batch_op.add_column(sa.Column('expires_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_conversation_states_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('conversation_states') as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_states_expires_at'))
        batch_op.drop_column('expires_at')
