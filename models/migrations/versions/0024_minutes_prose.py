"""meetings.minutes_prose: the minutes' narrative sections as the language model's prose, chosen by the secretary

Revision ID: 0024_minutes_prose
Revises: 0012
Create Date: 2026-12-05 04:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024_minutes_prose'
down_revision = '0012'  # the meetings' table as the minutes read it
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meetings') as batch:
        batch.add_column(sa.Column('minutes_prose', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('meetings') as batch:
        batch.drop_column('minutes_prose')
