"""probation_files and probation_file_items: a probationary member's helper, new-members' course and the items
of the conversion file, as the secretary records them

Revision ID: 0021_probation_file
Revises: 0001
Create Date: 2026-12-05 00:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021_probation_file'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'probation_files',
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('helper_member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='SET NULL'), nullable=True),
        sa.Column('course_done_on', sa.Date(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_probation_files_helper_member_id', 'probation_files', ['helper_member_id'])
    op.create_table(
        'probation_file_items',
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('item', sa.String(length=40), primary_key=True),
        sa.Column('done_on', sa.Date(), nullable=False),
        sa.Column('by_member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='SET NULL'), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('probation_file_items')
    op.drop_index('ix_probation_files_helper_member_id', table_name='probation_files')
    op.drop_table('probation_files')
