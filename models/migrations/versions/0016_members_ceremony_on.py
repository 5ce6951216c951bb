"""members.ceremony_on: the admission ceremony (lễ kết nạp), when recorded; probation's month 12 counts from it

Revision ID: 0016
Revises: 0001
Create Date: 2026-12-04 22:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('ceremony_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.drop_column('ceremony_on')
