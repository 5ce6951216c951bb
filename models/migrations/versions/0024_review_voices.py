"""the year-end review's voice answers: a self-review's strengths, shortcomings or remedies answered by a voice
message (Telegram's file_id and its seconds, per field)

Revision ID: 0024_review_voices
Revises: 0022_review_decision
Create Date: 2026-12-05 04:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024_review_voices'
down_revision = '0022_review_decision'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_entries') as batch_op:
        batch_op.add_column(sa.Column('voices', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_entries') as batch_op:
        batch_op.drop_column('voices')
