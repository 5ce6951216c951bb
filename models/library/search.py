"""Indexing a document's passages, and searching the passages a member may see.

    notice sent (handlers/notices) ──► index_notice(text of title, body, attachment) ──► library_passages
                                                                   triggers (SQLite) / GIN index (PostgreSQL)
    /documents words, /ask question ──► search(member) ──► ranked Hits, only documents the member may see

A document is indexed once its sender confirms it, the attachment's text with it (read off the event
loop by the caller); documents sent before the library existed are indexed on first need (`search`
first indexes up to BACKFILL_BATCH documents not indexed yet, title and text only — their attachment
stays "pending" until `index_notice` is given its text). Scope is the one rule of /documents
(models.notices.visible_documents): a document outside the member's cell and the committees above it
is never in a result.
"""
from __future__ import annotations

__all__ = ["BACKFILL_BATCH", "Hit", "index_notice", "index_pending", "search", "visible_passage"]

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, and_, column, delete, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import ColumnElement, TableClause

from .. import clock
from ..notices import DOCUMENT_KINDS, Notice, NoticeAudience, cell_path_of, visible_documents
from ..notices.tables import covers
from ..units import Unit
from .extract import readable_name
from .tables import DOCUMENTS_ONLY, FTS_TABLE, TERMS, LibraryDocument, LibraryPassage
from .words import Excerpt, Passage, document_number, excerpt, passages, query_terms, query_words, search_key

BACKFILL_BATCH = 50
MAX_PASSAGES = 5000
RESULTS_MAX = 50
OFFSET_MAX = 1000  # pages of results further than this (forged page buttons) show the last ones
CANDIDATES = 200  # passages the index ranks before the member's scope is applied (see _ranked)
MOST_RANKED = 10_000  # matches one search ranks at most: the newest (see _ranked)
_INSERT_BATCH = 500


@dataclass
class Hit:
    notice: Notice  # its unit loaded: the issuing unit's name
    number: str | None
    section: str | None
    seq: int
    excerpt: Excerpt
    text: str  # the whole passage (🔊 Nghe reads it)
    passage_id: int

    @property
    def dated(self) -> datetime | None:
        return self.notice.dispatched_at


# --- indexing -----------------------------------------------------------------------------------------------
async def index_notice(session: AsyncSession, notice_id: int, attachment_text: str | None = None,
                       attachment: str | None = None, *, unless_indexed: bool = False) -> int:
    """(Re)index a document: its title and text, with the attachment's text when given. `attachment`:
    what became of the file (read, pending, too_large, unreadable…; None: worked out here);
    `unless_indexed`: leave a document indexed meanwhile as it is. Returns the passages stored (0 for a
    notice that is no document, or left as it was)."""
    # The notice's row locked (PostgreSQL; SQLite has one writer anyway): the follow-up that reads the
    # attachment and a first search indexing the same document take turns, the second seeing the first.
    notice = await session.scalar(select(Notice).where(Notice.id == notice_id).with_for_update())
    if notice is None or notice.kind not in DOCUMENT_KINDS:
        return 0
    if unless_indexed and await session.scalar(
            select(LibraryDocument.notice_id).where(LibraryDocument.notice_id == notice_id)) is not None:
        return 0
    if attachment is None:
        attachment = "read" if attachment_text else "pending" if readable_name(notice.file_name) else "none"
    text = "\n".join(part for part in (notice.body, attachment_text) if part)
    found: list[Passage | None] = [*passages(text)[:MAX_PASSAGES]] or [None]  # None: the title alone
    await session.execute(delete(LibraryPassage).where(LibraryPassage.notice_id == notice_id))
    rows = [{
        "notice_id": notice_id, "seq": seq, "section": p.section if p else None, "text": p.text if p else "",
        "folded": search_key(notice.title, notice.file_name, p.section if p else None, p.text if p else None),
    } for seq, p in enumerate(found)]
    for start in range(0, len(rows), _INSERT_BATCH):
        await session.execute(LibraryPassage.__table__.insert(), rows[start:start + _INSERT_BATCH])
    document = await session.get(LibraryDocument, notice_id, populate_existing=True)
    if document is None:
        document = LibraryDocument(notice_id=notice_id)
        session.add(document)
    document.number = document_number(notice.title, text)
    document.attachment = attachment
    document.indexed_at = clock.now()
    await session.flush()
    return len(rows)


async def index_pending(session: AsyncSession, limit: int = BACKFILL_BATCH) -> int:
    """Index documents that are not yet (sent before the library, or whose follow-up failed).

    Every search asks: first as two counts over small indexes (as many documents as indexed ones:
    nothing to do — only documents are ever indexed, and a deleted notice takes its row with it), since
    looking for the missing ones reads the whole notices table, texts and all."""
    documents = await session.scalar(select(func.count()).select_from(Notice).where(DOCUMENTS_ONLY))
    if documents == await session.scalar(select(func.count()).select_from(LibraryDocument)):
        return 0
    ids = (await session.scalars(
        select(Notice.id).outerjoin(LibraryDocument, LibraryDocument.notice_id == Notice.id)
        .where(Notice.kind.in_(DOCUMENT_KINDS), LibraryDocument.notice_id.is_(None))
        .order_by(Notice.id).limit(limit))).all()
    for notice_id in ids:
        await index_notice(session, notice_id, unless_indexed=True)
    return len(ids)


# --- searching ------------------------------------------------------------------------------------------------
def _matching(dialect: str, asked: list[str], any_word: bool,
              among: list[str] | None = None) -> tuple[ColumnElement[bool], Any]:
    """(condition, rank ordering) of the backend's full-text search for these terms (words of letters and
    digits, or phrases of them: words.query_terms); `among`: terms of which one at least must be there too."""
    if dialect == "sqlite":
        fts: ColumnElement[Any] = literal_column(FTS_TABLE)
        query = (" OR " if any_word else " ").join(f'"{w}"' for w in asked)
        if among:  # bm25 counts these twice: a little more weight to the rarer words
            query = "(" + " OR ".join(f'"{w}"' for w in among) + f") AND ({query})"
        return fts.op("MATCH")(query), func.bm25(fts).asc()  # bm25: lower is better
    vector: ColumnElement[Any] = literal_column(f"library_passages.{TERMS}")
    simple: ColumnElement[Any] = literal_column("'simple'::regconfig")
    tsquery = func.to_tsquery(simple, (" | " if any_word else " & ").join(_phrase(w) for w in asked))
    condition: ColumnElement[bool] = vector.op("@@")(tsquery)
    if among:
        condition = and_(condition, vector.op("@@")(func.to_tsquery(simple, " | ".join(_phrase(w) for w in among))))
    return condition, func.ts_rank(vector, tsquery, type_=Float).desc()


def _phrase(term: str) -> str:
    """A term of query_terms in to_tsquery's words: "57 nq tw" as (57 <-> nq <-> tw)."""
    return f"({term.replace(' ', ' <-> ')})" if " " in term else term


async def _ranked(session: AsyncSession, dialect: str, asked: list[str], any_word: bool, cell_path: str,
                  wanted: int) -> list[tuple[int, str | None]]:
    """(passage id, document number) of the `wanted` best passages the member may see, best first.

    Ranking costs each match (bm25): a word in most passages would cost them all. So first, on SQLite,
    a question whose words include some in more than MOST_RANKED passages ("chi bộ") and some rarer
    keeps the passages holding one of the rarer words at least (still ranked on all of them: one
    holding none of them is no answer for search()'s check anyway); and when the query still matches
    more, only its MOST_RANKED newest matches are ranked (_newest). Then the index alone ranks
    its CANDIDATES best (joining each match to its document's scope would cost more than the ranking);
    the scope keeps those the member may see. Only when too few of them pass (a member whose cell sees
    few of the documents that match) is every match ranked within the scope."""
    fts: TableClause = table(FTS_TABLE, column("rowid", Integer))
    passage_id = fts.c.rowid if dialect == "sqlite" else LibraryPassage.id
    source = fts if dialect == "sqlite" else LibraryPassage.__table__

    async def newest(words: list[str]) -> int | None:
        return await _newest(session, source, passage_id, _matching(dialect, words, any_word)[0])

    among = None
    bounded = dialect == "sqlite"  # PostgreSQL's GIN index answers the probes slower than it ranks (bench/search.py)
    if bounded and any_word and len(asked) > 1:
        rarer = [w for w in asked if await newest([w]) is None]
        among = rarer if rarer and len(rarer) < len(asked) else None
    condition, ranking = _matching(dialect, asked, any_word, among)
    if bounded and (floor := await _newest(session, source, passage_id, condition)) is not None:
        condition = and_(condition, passage_id > floor)
    base = select(passage_id).select_from(source).where(condition)
    # A question keeps RESULTS_MAX passages for search() to check: four times the candidates, as many times fewer fallbacks.
    many = CANDIDATES * (4 if any_word else 1)
    candidates = (await session.scalars(base.order_by(ranking, passage_id).limit(many))).all()
    scoped = (select(LibraryPassage.id, LibraryDocument.number)
              .join(Notice, Notice.id == LibraryPassage.notice_id)
              .join(LibraryDocument, LibraryDocument.notice_id == Notice.id)
              .where(*visible_documents(cell_path)))
    place = {pid: i for i, pid in enumerate(candidates)}
    if dialect == "sqlite":
        kept = await _visible_among(session, cell_path, candidates)
    else:
        kept = list((await session.execute(scoped.where(LibraryPassage.id.in_(candidates)))).all())
    kept.sort(key=lambda r: place[r[0]])
    if len(kept) >= wanted or len(candidates) < many:
        return [(r[0], r[1]) for r in kept[:wanted]]
    if dialect == "sqlite":
        scoped = scoped.join(fts, fts.c.rowid == LibraryPassage.id)
    rows = (await session.execute(scoped.where(condition).order_by(ranking, LibraryPassage.id).limit(wanted))).all()
    return [(r[0], r[1]) for r in rows]


async def _visible_among(session: AsyncSession, cell_path: str, passage_ids: Sequence[int]) -> list[Any]:
    """(passage id, document number) of these passages the member may see: models.notices.visible_documents
    asked of their few documents once each (SQLite's plan of it as one join checked every candidate
    passage's document and audience anew, over 100 ms for a question's 800 candidates at 10,000 documents)."""
    owner = dict((await session.execute(select(LibraryPassage.id, LibraryPassage.notice_id)
                                        .where(LibraryPassage.id.in_(passage_ids)))).all())
    audience = set((await session.scalars(
        select(NoticeAudience.notice_id).join(Unit, Unit.id == NoticeAudience.unit_id)
        .where(covers(cell_path), NoticeAudience.notice_id.in_(set(owner.values()))))).all())
    notices = list(audience)
    if not notices:
        return []
    documents = set((await session.scalars(select(Notice.id).where(DOCUMENTS_ONLY, Notice.id.in_(notices)))).all())
    sent = set((await session.scalars(select(Notice.id).where(Notice.dispatched_at.is_not(None),
                                                             Notice.id.in_(notices)))).all())
    numbers = dict((await session.execute(select(LibraryDocument.notice_id, LibraryDocument.number).where(
        LibraryDocument.notice_id.in_(audience & documents & sent)))).all())
    return [(pid, numbers[nid]) for pid, nid in owner.items() if nid in numbers]


async def _newest(session: AsyncSession, source: Any, passage_id: Any, condition: ColumnElement[bool]) -> int | None:
    """The id below the MOST_RANKED newest passages matching, when more match; else None. (The index
    walks its matches newest first without ranking them: cheap.)"""
    return await session.scalar(select(passage_id).select_from(source).where(condition)
                                .order_by(passage_id.desc()).offset(MOST_RANKED).limit(1))


async def search(session: AsyncSession, member_id: int, query: str | None, *, any_word: bool = False,
                 limit: int = 3, offset: int = 0) -> list[Hit]:
    """The passages best matching the query among the documents the member may see, best first.
    Every word must be in a passage (its document's title counts), or with `any_word` more than half of
    them (a question: the more and rarer words a passage holds, the higher; words like "gì", "nào" left
    out). Empty for an empty query."""
    asked = query_words(query, any_word=any_word)
    offset = min(max(0, offset), OFFSET_MAX)
    cell_path = await cell_path_of(session, member_id)
    if not asked or cell_path is None or limit <= 0:
        return []
    if await index_pending(session):
        await session.flush()
    dialect = session.get_bind().dialect.name
    wanted = RESULTS_MAX if any_word else min(limit, RESULTS_MAX) + offset
    terms = query_terms(query, any_word=any_word)
    ranked = (await _ranked(session, dialect, terms, any_word, cell_path, wanted))[0 if any_word else offset:]
    found = {p.id: p for p in (await session.scalars(
        select(LibraryPassage).where(LibraryPassage.id.in_([r[0] for r in ranked])))).all()}
    rows = [(found[passage_id], number) for passage_id, number in ranked if passage_id in found]  # not re-indexed meanwhile
    rows = rows if any_word else rows[:limit]
    if any_word:  # a passage that shares a word or two of a long question ("chi bộ" is everywhere) answers nothing
        need, question = len(asked) // 2 + 1, set(asked)
        rows = [r for r in rows if len(question.intersection(r[0].folded.split())) >= need][offset:offset + limit]
    notices = {n.id: n for n in (await session.scalars(
        select(Notice).where(Notice.id.in_({p.notice_id for p, _ in rows})).options(selectinload(Notice.unit)))).all()}
    return [Hit(notices[p.notice_id], number, p.section, p.seq, excerpt(p.text, asked), p.text, p.id)
            for p, number in rows]


async def visible_passage(session: AsyncSession, member_id: int, passage_id: int) -> tuple[LibraryPassage, Notice] | None:
    """A passage with its document, when the member may see that document (🔊 Nghe on a result); else None."""
    cell_path = await cell_path_of(session, member_id)
    if cell_path is None:
        return None
    row = (await session.execute(
        select(LibraryPassage, Notice).join(Notice, Notice.id == LibraryPassage.notice_id)
        .where(LibraryPassage.id == passage_id, *visible_documents(cell_path)))).first()
    return (row[0], row[1]) if row is not None else None
