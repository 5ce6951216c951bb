"""the library: documents' passages and their full-text index (SQLite FTS5, PostgreSQL GIN over to_tsvector)

Revision ID: 0019_library
Revises: 0002
Create Date: 2026-12-04 23:50:00

Documents sent before this revision are indexed on first need (models.library.search.index_pending).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.library.tables import FTS_TABLE, search_ddl

revision = '0019_library'
down_revision = '0002'  # the notices
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('library_documents',
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=True),
    sa.Column('attachment', sa.String(length=20), nullable=False),
    sa.Column('indexed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_library_documents_notice_id_notices'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('notice_id', name=op.f('pk_library_documents'))
    )
    op.create_table('library_passages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=120), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('folded', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_library_passages_notice_id_notices'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_passages'))
    )
    op.create_index(op.f('ix_library_passages_notice_id'), 'library_passages', ['notice_id'], unique=False)
    for statement in search_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    op.drop_index(op.f('ix_library_passages_notice_id'), table_name='library_passages')
    op.drop_table('library_passages')
    op.drop_table('library_documents')
