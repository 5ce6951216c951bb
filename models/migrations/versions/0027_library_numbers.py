"""library_passages.folded: a document number written as one ("57-NQ/TW") also as one word ("57nqtw"), so a
search for it is one word in the index, not a phrase of words found in every passage ("nq", "tw")

Revision ID: 0027_library_numbers
Revises: 0026_notices_documents
Create Date: 2026-12-05 22:00:00

Every passage's words are made again from its document's title and file name and its own section and
text (models.library.search_key); the index follows (SQLite's triggers, PostgreSQL's generated column).
Downgrade makes them without the numbers' words.
"""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from models.library.words import search_key, words

revision = '0027_library_numbers'
down_revision = '0026_notices_documents'
branch_labels = None
depends_on = None

BATCH = 1000


def _rekey(key: Callable[..., str]) -> None:
    passages = sa.table('library_passages', sa.column('id', sa.Integer), sa.column('notice_id', sa.Integer),
                        sa.column('section', sa.String), sa.column('text', sa.Text), sa.column('folded', sa.Text))
    notices = sa.table('notices', sa.column('id', sa.Integer), sa.column('title', sa.String),
                       sa.column('file_name', sa.String))
    bind = op.get_bind()
    last = 0
    while True:  # a batch of passages at a time, their documents' titles with them
        rows = bind.execute(
            sa.select(passages.c.id, notices.c.title, notices.c.file_name, passages.c.section, passages.c.text)
            .join(notices, notices.c.id == passages.c.notice_id)
            .where(passages.c.id > last).order_by(passages.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(sa.update(passages).where(passages.c.id == sa.bindparam('passage_id'))
                     .values(folded=sa.bindparam('key')),
                     [{'passage_id': pid, 'key': key(title, file_name, section, text or None)}
                      for pid, title, file_name, section, text in rows])
        last = rows[-1][0]


def upgrade() -> None:
    _rekey(search_key)


def downgrade() -> None:
    _rekey(lambda *parts: " ".join(w for part in parts for w in words(part)))
