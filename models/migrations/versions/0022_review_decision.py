"""the year-end review's appraisal and decision: the cell's comments, its vote on the level and the counts, the
secretary's reason, the committee's reason; a round's closing

Revision ID: 0022_review_decision
Revises: 0020_review, 0005
Create Date: 2026-12-05 00:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022_review_decision'
down_revision = ('0020_review', '0005')  # 0005: the votes' table, which an entry's vote refers to
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_rounds') as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_by_member_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_review_rounds_closed_by_member_id_members'), 'members',
                                    ['closed_by_member_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('review_entries') as batch_op:
        batch_op.add_column(sa.Column('cell_comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('proposal_vote_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('proposal_counts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('proposal_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('decision_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_review_entries_proposal_vote_id_votes'), 'votes',
                                    ['proposal_vote_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(op.f('ix_review_entries_proposal_vote_id'), ['proposal_vote_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_entries') as batch_op:
        batch_op.drop_index(op.f('ix_review_entries_proposal_vote_id'))
        batch_op.drop_constraint(op.f('fk_review_entries_proposal_vote_id_votes'), type_='foreignkey')
        for name in ('decision_reason', 'proposal_reason', 'proposal_counts', 'proposal_vote_id', 'cell_comment'):
            batch_op.drop_column(name)
    with op.batch_alter_table('review_rounds') as batch_op:
        batch_op.drop_constraint(op.f('fk_review_rounds_closed_by_member_id_members'), type_='foreignkey')
        batch_op.drop_column('closed_by_member_id')
        batch_op.drop_column('closed_at')
