"""members.suspended_on: a member suspended from party activities (đình chỉ sinh hoạt đảng) since that day

Revision ID: 0025_members_suspended_on
Revises: 0024_review_voices
Create Date: 2026-12-05 04:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0025_members_suspended_on'
down_revision = '0024_review_voices'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('suspended_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.drop_column('suspended_on')
