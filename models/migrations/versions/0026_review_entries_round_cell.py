"""the year-end review: an index on a round's entries by cell (a cell's page, list, Mẫu 01 and forms read its
entries without scanning every entry of a city's round)

Revision ID: 0026_review_entries_round_cell
Revises: 0025_members_suspended_on
Create Date: 2026-12-05 05:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0026_review_entries_round_cell'
down_revision = '0025_members_suspended_on'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_review_entries_round_cell', 'review_entries', ['round_id', 'cell_id'])


def downgrade() -> None:
    op.drop_index('ix_review_entries_round_cell', table_name='review_entries')
