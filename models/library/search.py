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

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Float,
    Integer,
    and_,
    any_,
    bindparam,
    case,
    column,
    delete,
    false,
    func,
    literal_column,
    select,
    table,
    text,
)
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
MOST_RANKED = 10_000  # matches one search ranks at most: the newest (see _ranked_sqlite)
FEW = 2000  # SQLite: matches ranked by the search itself when the index's bm25 would walk too many (_ranked_sqlite)
NEWEST = 1000  # SQLite: of words each in more than MOST_WEIGHED passages, the newest matches ranked by the search itself
AT_LEAST_GROUPS = 6  # SQLite: a question's groups of words asked of the index at most (_fts_at_least)
MOST_WEIGHED = 50_000  # SQLite: a word asked in more passages is checked in the candidates, not ranked (_ranked_sqlite)
PG_MOST_RANKED = 5000  # PostgreSQL: a search matching more passages (pg_stats' estimate) ranks only the newest
PG_NEWEST = 1000  # PostgreSQL: of those, ranked about (_ranked)
PG_COMMON = 0.2  # PostgreSQL: a search matching more than this share of the passages reads them newest first (_ranked)
PG_VERY_COMMON = 100_000  # PostgreSQL: a question's word in more passages is left out of its condition (_ranked)
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
def _matching(dialect: str, terms: list[str], any_word: bool) -> tuple[ColumnElement[bool], Any]:
    """(condition, rank ordering) of PostgreSQL's full-text search for these terms (words of letters and
    digits, or phrases of them: words.query_terms)."""
    vector: ColumnElement[Any] = literal_column(f"library_passages.{TERMS}")
    tsquery = _tsquery(terms, any_word)
    return vector.op("@@")(tsquery), func.ts_rank(vector, tsquery, type_=Float).desc()


def _tsquery(terms: list[str], any_word: bool) -> ColumnElement[Any]:
    simple: ColumnElement[Any] = literal_column("'simple'::regconfig")
    return func.to_tsquery(simple, (" | " if any_word else " & ").join(_phrase(w) for w in terms))


async def _counts(session: AsyncSession, terms: list[str]) -> dict[str, float]:
    """PostgreSQL: about how many passages hold each term, from the share of them ANALYZE found among the
    index's most common words (a phrase: its rarest word's); a word left out is rarer than those (0 here).
    Empty when the table was never analysed: then every match is ranked."""
    words = sorted({w for t in terms for w in t.split()})
    rows = (await session.execute(text(
        "SELECT e, f FROM pg_stats, unnest(most_common_elems::text::text[], most_common_elem_freqs) AS u(e, f) "
        "WHERE schemaname = current_schema() AND tablename = 'library_passages' "
        f"AND attname = '{TERMS}' AND e = ANY(:words)"), {"words": words})).all()
    found = {e: float(f) for e, f in rows}
    total = await _passages_total(session) if found else 0.0
    return {t: min(found.get(w, 0.0) for w in t.split()) * total for t in terms} if total else {}


async def _passages_total(session: AsyncSession) -> float:
    """PostgreSQL: the passages ANALYZE counted (0: never analysed)."""
    total = await session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'library_passages'::regclass"))
    return max(0.0, float(total or 0))


def _phrase(term: str) -> str:
    """A term of query_terms in to_tsquery's words: "57 nq tw" as (57 <-> nq <-> tw)."""
    return f"({term.replace(' ', ' <-> ')})" if " " in term else term


async def _ranked(session: AsyncSession, dialect: str, terms: list[str], asked: list[str], any_word: bool,
                  cell_path: str, wanted: int) -> list[tuple[int, str | None]]:
    """(passage id, document number) of the `wanted` best passages the member may see, best first; with
    `any_word`, only passages holding more than half of the asked words (a question; search() checks it too).

    The index alone ranks its CANDIDATES best (joining each match to its document's scope would cost
    more than the ranking); the scope keeps those the member may see. Only when too few of them pass
    (a member whose cell sees few of the documents that match) is every match ranked within the scope.
    SQLite ranks the rarer words only (_ranked_sqlite).

    PostgreSQL's ts_rank reads each match's vector (stored out of line), so how many passages match is
    first estimated from ANALYZE's most common words (_counts; none before ANALYZE: every match ranked).
    Beyond PG_MOST_RANKED, only the matches among the newest passages are ranked (about PG_NEWEST), and
    beyond PG_COMMON of all passages the newest PG_NEWEST matches in her documents; a question's words
    in nearly every passage are left out of its condition. Relevance trade-off, as on SQLite: for common
    words, older documents can drop out."""
    if dialect == "sqlite":
        return await _ranked_sqlite(session, terms, asked, any_word, cell_path, wanted)
    condition, ranking = _matching(dialect, terms, any_word)
    many = CANDIDATES * (4 if any_word else 1)
    counts = await _counts(session, terms)
    total = await _passages_total(session) if counts else 0.0
    # Passages matching, about: any word's, or every word's as if the words came independently
    matches = (sum(counts.values()) if any_word else math.prod(c / total for c in counts.values()) * total) if total else 0.0
    if any_word and sorted(terms) == sorted(asked):
        # A question (words only) asks for passages holding `need` of its words: any of every group of `least`
        # of them, its words in nearly every passage ("nghị quyết") left out (assumed held; search() checks).
        need = len(asked) // 2 + 1
        driving = [t for t in terms if counts.get(t, 0.0) <= PG_VERY_COMMON]
        least = need - (len(terms) - len(driving))
        if driving and least >= 1:
            groups = list(itertools.combinations(driving, min(least, len(driving))))
            condition = literal_column(f"library_passages.{TERMS}").op("@@")(func.to_tsquery(
                literal_column("'simple'::regconfig"), " | ".join(f"({' & '.join(g)})" for g in groups)))
            matches = sum(math.prod(counts.get(t, 0.0) / total for t in g) for g in groups) * total if total else 0.0
    if PG_MOST_RANKED < matches <= PG_COMMON * total:
        # Words in many passages: only the matches among the newest passages where about PG_NEWEST of them
        # are expected (its ids' span: the index and the primary key's range read together, only those
        # passages read); ts_rank reads each match's vector, stored out of line (ranking every match
        # took over a second for a word in most passages). Relevance trade-off, as on SQLite: older
        # documents can drop out for common words.
        last = await session.scalar(select(func.max(LibraryPassage.id))) or 0
        condition = and_(condition, LibraryPassage.id > last - math.ceil(last * PG_NEWEST / matches))
    if matches > max(PG_MOST_RANKED, PG_COMMON * total):
        # Words in most passages: the newest PG_NEWEST matches in the documents she may see, read newest first
        # (the primary key's order), each passage's document checked before its words are (CASE keeps that
        # order: checking the words reads the passage's vector, out of line), then ranked.
        seen = (await session.scalars(select(Notice.id).where(*visible_documents(cell_path)))).all()
        if not seen:
            return []
        mine = LibraryPassage.notice_id == any_(bindparam("seen", list(seen), type_=ARRAY(Integer)))
        newest = (select(LibraryPassage.id.label("id"), LibraryPassage.notice_id.label("notice_id"),
                         literal_column(f"library_passages.{TERMS}").label("terms"))
                  .where(case((mine, condition), else_=false()))
                  .order_by(LibraryPassage.id.desc()).limit(PG_NEWEST).subquery())
        rank = func.ts_rank(newest.c.terms, _tsquery(terms, any_word), type_=Float).desc()
        best = (await session.execute(select(newest.c.id, newest.c.notice_id).order_by(rank, newest.c.id)
                                      .limit(wanted))).all()
        numbers = dict((await session.execute(select(LibraryDocument.notice_id, LibraryDocument.number).where(
            LibraryDocument.notice_id.in_({notice_id for _, notice_id in best})))).all())
        return [(pid, numbers[notice_id]) for pid, notice_id in best if notice_id in numbers]
    candidates = (await session.scalars(select(LibraryPassage.id).where(condition)
                                        .order_by(ranking, LibraryPassage.id).limit(many))).all()
    scoped = (select(LibraryPassage.id, LibraryDocument.number)
              .join(Notice, Notice.id == LibraryPassage.notice_id)
              .join(LibraryDocument, LibraryDocument.notice_id == Notice.id)
              .where(*visible_documents(cell_path)))
    place = {pid: i for i, pid in enumerate(candidates)}
    kept = list((await session.execute(scoped.where(LibraryPassage.id.in_(candidates)))).all())
    kept.sort(key=lambda r: place[r[0]])
    if len(kept) >= wanted or len(candidates) < many:
        return [(r[0], r[1]) for r in kept[:wanted]]
    rows = (await session.execute(scoped.where(condition).order_by(ranking, LibraryPassage.id).limit(wanted))).all()
    return [(r[0], r[1]) for r in rows]


async def _ranked_sqlite(session: AsyncSession, terms: list[str], asked: list[str], any_word: bool, cell_path: str,
                         wanted: int) -> list[tuple[int, str | None]]:
    """_ranked on SQLite, where bm25 costs every match of every term it ranks (its weight of a term alone
    walks all the term's matches: 30 ms for a word in all 500,000 passages of bench/search.py), and
    walking the index without ranking costs little. So each term's matches are first counted (to
    MOST_RANKED, the newest first; more are estimated from how dense the newest are). The index is then
    asked for the passages holding every word (not a question), or enough of them (a question: more
    than half), leaving out words in more than MOST_WEIGHED passages ("nghị quyết" of every title),
    which are checked in the candidates' words.

    When at most CANDIDATES passages match (FEW when the index's bm25 would walk more than MOST_WEIGHED
    matches of its words), all of them are ranked here, with bm25's formula (each term's weight from
    its count). Otherwise the index ranks them (bm25) on the rarer words, a question on the
    passages holding one of its len − need + 1 rarest words at least (any passage holding `need` of them
    does), and when those still match more than MOST_RANKED passages only the newest MOST_RANKED are
    ranked (relevance trade-off: for very common words older documents can drop out)."""
    fts: TableClause = table(FTS_TABLE, column("rowid", Integer))
    spread: dict[str, tuple[int, int, int]] = {}  # a term's newest matches: how many (to MOST_RANKED + 1), their ids' span
    for term in terms:
        newest = (select(fts.c.rowid.label("id")).where(_fts_match([term], False)).order_by(fts.c.rowid.desc())
                  .limit(MOST_RANKED + 1).subquery())
        row = (await session.execute(select(func.count(), func.min(newest.c.id), func.max(newest.c.id)))).one()
        spread[term] = (row[0] or 0, row[1] or 0, row[2] or 0)
    if not any(n for n, _, _ in spread.values()) or (not any_word and not all(n for n, _, _ in spread.values())):
        return []
    last = max(high for _, _, high in spread.values())

    def matches(term: str) -> float:
        n, low, high = spread[term]
        return n if n <= MOST_RANKED else n * last / max(1, high - low + 1)

    need = len(asked) // 2 + 1 if any_word else len(asked)
    words_only = sorted(terms) == sorted(asked)  # each term one asked word (no number, no phrase among them)
    if any_word and words_only:
        if len(found := [t for t in terms if spread[t][0]]) < need:  # words found nowhere: too few left
            return []
        terms = found
    by_rarity = sorted(terms, key=matches)
    # A question's words are assumed in the passages they are left out of: only those in nearly all are.
    walked = [t for t in by_rarity if matches(t) <= (MOST_WEIGHED * 3 if any_word else MOST_WEIGHED)] or by_rarity[:1]
    if any_word and not words_only:  # a number or a phrase among them: any term, as asked
        walked = by_rarity
    if any_word and words_only:
        # A passage holding `need` of the words holds `least` of the r rarest ones (when it holds all the others):
        # r as large as AT_LEAST_GROUPS groups of `least` words allow, from the walked ones.
        r = len(walked)
        while need - (len(terms) - r) > 1 and math.comb(r, need - (len(terms) - r)) > AT_LEAST_GROUPS:
            r -= 1
        least = max(1, need - (len(terms) - r))
        exact = _fts_at_least(walked[:r], least)
        # bm25 of the groups weighs each word of each group, walking its matches again
        again = math.comb(r - 1, least - 1) * sum(matches(t) for t in walked[:r])
    else:
        exact, again = _fts_match(walked, any_word), sum(matches(t) for t in walked)

    def holds(folded: str) -> bool:
        """The passage's words hold every term (not a question), or `need` of the asked words."""
        if any_word:
            present = set(folded.split())
            return sum(w in present for w in asked) >= need
        padded = f" {folded} "
        return all(f" {t} " in padded for t in terms)

    async def ranked_here(ids: Sequence[int], more: bool) -> list[tuple[int, str | None]]:
        """These matches (and with `more` the next older ones, NEWEST at a time, while too few pass, to
        MOST_RANKED) that pass, ranked by bm25's formula."""
        seen = await _visible_among(session, cell_path, ids, holds)
        done = len(ids)
        while more and len(seen) < wanted and len(ids) == NEWEST and done < MOST_RANKED:
            ids = (await session.scalars(select(fts.c.rowid).where(exact).order_by(fts.c.rowid.desc())
                                         .offset(done).limit(NEWEST))).all()
            seen += await _visible_among(session, cell_path, ids, holds)
            done += len(ids)
        total = await session.scalar(select(func.max(LibraryPassage.id))) or 1
        weight = {t: max(1e-6, math.log((total - matches(t) + 0.5) / (matches(t) + 0.5))) for t in terms}
        average = sum(len(folded.split()) for _, _, folded in seen) / max(1, len(seen))
        seen.sort(key=lambda r: (-_bm25(r[2], weight, average), r[0]))
        return [(pid, number) for pid, number, _ in seen[:wanted]]

    here = FEW if again > MOST_WEIGHED else min(FEW, CANDIDATES)  # more when the index's bm25 would walk too many
    few = (await session.scalars(select(fts.c.rowid).where(exact).order_by(fts.c.rowid.desc()).limit(here + 1))).all()
    if len(few) <= here:
        return await ranked_here(few, False)
    if matches(walked[0]) > MOST_WEIGHED or (any_word and again > 3 * MOST_WEIGHED):  # every word very common,
        # or a question's groups too dear to the index's bm25: the newest matches, ranked here
        return await ranked_here((await session.scalars(select(fts.c.rowid).where(exact).order_by(
            fts.c.rowid.desc()).limit(NEWEST))).all(), True)

    condition = exact
    if floor := await session.scalar(select(fts.c.rowid).where(condition).order_by(fts.c.rowid.desc())
                                     .offset(MOST_RANKED).limit(1)):
        condition = and_(condition, fts.c.rowid > floor)
    ranking = func.bm25(literal_column(FTS_TABLE)).asc()  # lower is better
    # The index's best, checked a batch at a time until enough pass (a member whose cell sees few of the
    # documents that match, words seldom together): at most every match (MOST_RANKED, the floor above).
    many = CANDIDATES * (4 if any_word or len(walked) < len(terms) else 1)
    kept: list[tuple[int, str | None, str]] = []
    done = 0
    while len(kept) < wanted and done < MOST_RANKED:
        batch = many if not done else MOST_RANKED - done
        candidates = (await session.scalars(select(fts.c.rowid).where(condition).order_by(ranking, fts.c.rowid)
                                            .offset(done).limit(batch))).all()
        for start in range(0, len(candidates), many):
            kept += await _visible_among(session, cell_path, candidates[start:start + many], holds)
            if len(kept) >= wanted:
                break
        if len(candidates) < batch:
            break
        done += batch
    return [(pid, number) for pid, number, _ in kept[:wanted]]


def _fts_match(terms: list[str], any_word: bool) -> ColumnElement[bool]:
    """SQLite's MATCH of these terms (every one, or any)."""
    return literal_column(FTS_TABLE).op("MATCH")((" OR " if any_word else " ").join(f'"{t}"' for t in terms))


def _fts_at_least(terms: list[str], least: int) -> ColumnElement[bool]:
    """SQLite's MATCH of `least` of these words at least: any of every group of that many."""
    if least <= 1 or least >= len(terms):
        return _fts_match(terms, least <= 1)
    groups = (" AND ".join(f'"{t}"' for t in group) for group in itertools.combinations(terms, least))
    return literal_column(FTS_TABLE).op("MATCH")(" OR ".join(f"({g})" for g in groups))


def _bm25(folded: str, weight: dict[str, float], average: float) -> float:
    """FTS5's bm25 (k1 1.2, b 0.75; higher is better here) of a passage's words for these terms."""
    words = folded.split()
    counts = Counter(words)
    padded = f" {folded} "
    score = 0.0
    for term, idf in weight.items():
        if tf := (padded.count(f" {term} ") if " " in term else counts[term]):
            score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(words) / max(1.0, average)))
    return score


async def _visible_among(session: AsyncSession, cell_path: str, passage_ids: Sequence[int],
                         holds: Callable[[str], bool]) -> list[tuple[int, str | None, str]]:
    """(passage id, document number, its words) of these passages (in their order) that the member may see
    and whose words `holds` accepts: models.notices.visible_documents asked of their few documents once
    each (SQLite's plan of it as one join checked every candidate passage's document and audience anew,
    over 100 ms for a question's 800 candidates at 10,000 documents), then the words of those she may see."""
    owner = dict((await session.execute(select(LibraryPassage.id, LibraryPassage.notice_id)
                                        .where(LibraryPassage.id.in_(passage_ids)))).all())
    if not owner:
        return []
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
    visible = [pid for pid in passage_ids if owner.get(pid) in numbers]
    words = dict((await session.execute(select(LibraryPassage.id, LibraryPassage.folded)
                                        .where(LibraryPassage.id.in_(visible)))).all()) if visible else {}
    return [(pid, numbers[owner[pid]], words[pid]) for pid in visible if pid in words and holds(words[pid])]


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
    # PostgreSQL's question keeps RESULTS_MAX passages for the check below; SQLite's checks them as it ranks.
    wanted = RESULTS_MAX if any_word and dialect != "sqlite" else min(limit, RESULTS_MAX) + offset
    terms = query_terms(query, any_word=any_word)
    ranked = await _ranked(session, dialect, terms, asked, any_word, cell_path, wanted)
    if not ranked and (phrases := query_terms(query, any_word=any_word, glue=False)) != terms:
        # A number written as one found nowhere as one word ("57-NQ/TW-BCH" in the text): its words in order.
        ranked = await _ranked(session, dialect, phrases, asked, any_word, cell_path, wanted)
    ranked = ranked[0 if any_word else offset:]
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
