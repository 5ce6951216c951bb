"""The library's tables: one row per indexed document, its passages, and the full-text index over them.

The search index is not mapped: on SQLite an FTS5 table over `library_passages.folded` (external
content, kept by triggers), on PostgreSQL a generated column to_tsvector('simple', folded) with a GIN
index.
`folded` is already lower case, without diacritics (models.text.fold) and cut into words on letters
and digits, so neither backend needs its own folding (no `unaccent` extension) and both cut
"57-nq/tw" into the same three words (and one more, "57nqtw": words.search_key, migration 0027). Both are made with the table (create_all) and by migration
0019_library; Alembic's comparison skips them (models.base.include_name). A partial index of the
document notices (ix_notices_documents, migration 0026) lets a search count them without reading
the notices table.
"""
from __future__ import annotations

__all__ = ["DOCUMENTS_ONLY", "DOCUMENT_INDEX", "FTS_TABLE", "SEARCH_INDEX", "TERMS", "LibraryDocument", "LibraryPassage", "search_ddl"]

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..base import UNMAPPED_NAMES, Base
from ..notices import DOCUMENT_KINDS, Notice
from ..text import CleanLine

FTS_TABLE = "library_fts"
SEARCH_INDEX = "ix_library_passages_search"
TERMS = "library_terms"  # PostgreSQL's column of search terms (not mapped: SQLite has no tsvector)
UNMAPPED_NAMES.update({FTS_TABLE, SEARCH_INDEX, TERMS})


class LibraryDocument(Base):
    """A document notice whose passages are in the index, and what became of its attachment."""

    __tablename__ = "library_documents"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[str | None] = mapped_column(String(60))  # "57-NQ/TW", when the text states one
    # none (no file, or a photo), pending (a PDF/DOCX not read yet), read, or why not: too_large, unreadable…
    attachment: Mapped[str] = mapped_column(String(20), default="none")
    indexed_at: Mapped[datetime] = mapped_column(default=clock.now)


class LibraryPassage(Base):
    """A passage of a document: an article, a section or a few paragraphs, as a search result shows it."""

    __tablename__ = "library_passages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # its place in the document, from 0
    section: Mapped[str | None] = mapped_column(CleanLine(120))  # "Điều 3. Đảng phí"; None: paragraphs
    text: Mapped[str] = mapped_column(Text)
    folded: Mapped[str] = mapped_column(Text)  # title, section and text as search words (words.search_key)


_SQLITE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(folded, content='library_passages', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER library_passages_ai AFTER INSERT ON library_passages BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, folded) VALUES (new.id, new.folded); END",
    f"CREATE TRIGGER library_passages_ad AFTER DELETE ON library_passages BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, folded) VALUES ('delete', old.id, old.folded); END",
    f"CREATE TRIGGER library_passages_au AFTER UPDATE ON library_passages BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, folded) VALUES ('delete', old.id, old.folded); "
    f"INSERT INTO {FTS_TABLE}(rowid, folded) VALUES (new.id, new.folded); END",
)
# A stored tsvector (generated from folded): ranking thousands of matches reads it, never parses their text again.
_POSTGRES = (
    f"ALTER TABLE library_passages ADD COLUMN {TERMS} tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, folded)) STORED",
    f"CREATE INDEX {SEARCH_INDEX} ON library_passages USING gin ({TERMS})",
)


def search_ddl(dialect: str) -> tuple[str, ...]:
    """The statements that make the search index on this backend (the migration runs them too)."""
    return _SQLITE if dialect == "sqlite" else _POSTGRES if dialect == "postgresql" else ()


def _make_index(target: object, connection: Connection, **kw: Any) -> None:
    for statement in search_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


def _drop_index(target: object, connection: Connection, **kw: Any) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")


# The documents among the notices, for index_pending's count on every search. Partial, its kinds written out:
# a query naming the kinds as parameters (every other one) cannot use it, so no plan of theirs changes
# (an index on notices.kind made SQLite look up a search's candidates document by document).
DOCUMENT_INDEX = "ix_notices_documents"
DOCUMENTS_ONLY = text("kind IN ('document', 'resolution')")
Index(DOCUMENT_INDEX, Notice.__table__.c.id, sqlite_where=DOCUMENTS_ONLY, postgresql_where=DOCUMENTS_ONLY)

event.listen(LibraryPassage.__table__, "after_create", _make_index)
event.listen(LibraryPassage.__table__, "before_drop", _drop_index)


assert {k.value for k in DOCUMENT_KINDS} == {"document", "resolution"}, "DOCUMENTS_ONLY names the document kinds"
