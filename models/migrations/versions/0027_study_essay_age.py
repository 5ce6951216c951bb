"""study_items.essay_excused_age: members this old or older at the item's deadline are excused from its essay (bài
thu hoạch), as the cell decides (70, 75 or 80; NULL: nobody by age)

Revision ID: 0027_study_essay_age
Revises: 0024_study
Create Date: 2026-12-05 22:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0027_study_essay_age'
down_revision = '0024_study'  # the study items
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('study_items') as batch:
        batch.add_column(sa.Column('essay_excused_age', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('study_items') as batch:
        batch.drop_column('essay_excused_age')
