"""study items: a document given to a unit's members to study by a deadline, its quiz questions, each member's
progress and quiz attempts, the quiz polls sent, and the essays (bài thu hoạch) handed in

Revision ID: 0024_study
Revises: 0002
Create Date: 2026-12-05 04:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024_study'
down_revision = '0002'  # the notices
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('study_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('created_by_member_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('essay_required', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_member_id'], ['members.id'],
                            name=op.f('fk_study_items_created_by_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_study_items_notice_id_notices'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_study_items_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_items')),
    sa.UniqueConstraint('notice_id', 'unit_id', name='uq_study_items_notice_unit')
    )
    op.create_index(op.f('ix_study_items_notice_id'), 'study_items', ['notice_id'], unique=False)
    op.create_index(op.f('ix_study_items_unit_id'), 'study_items', ['unit_id'], unique=False)
    op.create_table('study_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('options_json', sa.Text(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['study_id'], ['study_items.id'], name=op.f('fk_study_questions_study_id_study_items'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_questions')),
    sa.UniqueConstraint('study_id', 'position', name='uq_study_questions_position')
    )
    op.create_table('study_members',
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('studied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('best_score', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_study_members_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['study_items.id'], name=op.f('fk_study_members_study_id_study_items'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('study_id', 'member_id', name=op.f('pk_study_members'))
    )
    op.create_index('ix_study_members_member', 'study_members', ['member_id'], unique=False)
    op.create_table('quiz_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_quiz_attempts_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['study_items.id'], name=op.f('fk_quiz_attempts_study_id_study_items'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempts'))
    )
    op.create_index('ix_quiz_attempts_member', 'quiz_attempts', ['study_id', 'member_id'], unique=False)
    op.create_table('quiz_polls',
    sa.Column('poll_id', sa.String(length=64), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('chosen', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_quiz_polls_attempt_id_quiz_attempts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['study_questions.id'],
                            name=op.f('fk_quiz_polls_question_id_study_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('poll_id', name=op.f('pk_quiz_polls'))
    )
    op.create_index(op.f('ix_quiz_polls_attempt_id'), 'quiz_polls', ['attempt_id'], unique=False)
    op.create_table('study_essays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('file_id', sa.String(length=255), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Enum('submitted', 'received', 'revise', name='essaystate', native_enum=False, length=12),
              nullable=False),
    sa.Column('reviewed_by_member_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_study_essays_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_member_id'], ['members.id'],
                            name=op.f('fk_study_essays_reviewed_by_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['study_id'], ['study_items.id'], name=op.f('fk_study_essays_study_id_study_items'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_essays'))
    )
    op.create_index('ix_study_essays_member', 'study_essays', ['study_id', 'member_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_study_essays_member', table_name='study_essays')
    op.drop_table('study_essays')
    op.drop_index(op.f('ix_quiz_polls_attempt_id'), table_name='quiz_polls')
    op.drop_table('quiz_polls')
    op.drop_index('ix_quiz_attempts_member', table_name='quiz_attempts')
    op.drop_table('quiz_attempts')
    op.drop_index('ix_study_members_member', table_name='study_members')
    op.drop_table('study_members')
    op.drop_table('study_questions')
    op.drop_index(op.f('ix_study_items_unit_id'), table_name='study_items')
    op.drop_index(op.f('ix_study_items_notice_id'), table_name='study_items')
    op.drop_table('study_items')
