"""ix_notices_documents: a partial index of the document notices, counted by the library on every search

Revision ID: 0026_notices_documents
Revises: 0019_library
Create Date: 2026-12-05 05:00:00
"""
from __future__ import annotations

from alembic import op

from models.library.tables import DOCUMENT_INDEX, DOCUMENTS_ONLY

revision = '0026_notices_documents'
down_revision = '0019_library'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(DOCUMENT_INDEX, 'notices', ['id'], unique=False, sqlite_where=DOCUMENTS_ONLY,
                    postgresql_where=DOCUMENTS_ONLY)


def downgrade() -> None:
    op.drop_index(DOCUMENT_INDEX, table_name='notices')
