"""Browsing the library: the documents a member may see, by kind (nghị quyết, chỉ thị, hướng dẫn…), by year
and by issuing unit — what 📚 Duyệt thư viện shows (handlers/library/browse.py). No Telegram here.

A document's kind is read from what it says it is: its title's first words ("Nghị quyết …", "Hướng dẫn
…"), else the type in its number ("57-NQ/TW": NQ, "01-HD/BTCTW": HD, "123/QĐ-UBND": QĐ), else how it was
sent (a resolution is a nghị quyết; a document whose kind nothing tells is "khác"). The scope is the
one of /documents and the search (models.notices.visible_documents): a member's cell and every
committee above it. Years are the member's local years (the unit's time zone), as the dates shown.

The shelves are counted in Python from one light row per visible document (id, title, number, kind,
date, unit): a member sees their cell's documents and their committees', hundreds to a few thousand.
"""
from __future__ import annotations

__all__ = ["KINDS", "PAGE", "Shelf", "Shelves", "kind_of", "shelf", "shelves"]

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ..notices import Notice, NoticeKind, cell_path_of, visible_documents
from ..text import fold
from ..units import Unit
from .search import index_pending
from .tables import LibraryDocument
from .words import document_number

# The kinds, in the order they are offered; "khac": none of them.
KINDS = ("nghi_quyet", "chi_thi", "ket_luan", "quy_dinh", "quyet_dinh", "huong_dan", "ke_hoach", "chuong_trinh",
         "thong_bao", "bao_cao", "cong_van", "quy_che", "khac")
_TITLE_WORDS = {fold(k.replace("_", " ")): k for k in KINDS if k != "khac"}
# The type in a document's number (the Party's and the State's usage), folded: "NQ", "QĐi" → "qdi".
_NUMBER_TYPES = {"nq": "nghi_quyet", "ct": "chi_thi", "kl": "ket_luan", "qdi": "quy_dinh", "qd": "quyet_dinh",
                 "hd": "huong_dan", "kh": "ke_hoach", "ctr": "chuong_trinh", "tb": "thong_bao", "bc": "bao_cao",
                 "cv": "cong_van", "qc": "quy_che"}
_NUMBER_TYPE = re.compile(r"^\d+[-/]([^\W\d_]+)")
PAGE = 8
BACKFILL_ROUNDS = 10  # documents not yet in the library (sent before it) are indexed first, a few batches at most


def kind_of(title: str, number: str | None, notice_kind: NoticeKind | str) -> str:
    """The document's kind (one of KINDS) from its title, else its number, else how it was sent."""
    head = " ".join(re.findall(r"[^\W_]+", fold(title))[:3])
    for words, kind in _TITLE_WORDS.items():
        if head == words or head.startswith(words + " "):
            return kind
    found = _NUMBER_TYPE.match(fold(number or ""))
    if found and found.group(1) in _NUMBER_TYPES:
        return _NUMBER_TYPES[found.group(1)]
    return "nghi_quyet" if notice_kind == NoticeKind.resolution else "khac"


@dataclass(frozen=True)
class _Row:
    notice_id: int
    kind: str
    year: int
    unit_id: int


@dataclass
class Shelves:
    """How many documents of each kind, year and issuing unit the member may see (only those with any)."""

    total: int = 0
    kinds: list[tuple[str, int]] = field(default_factory=list)  # in KINDS' order
    years: list[tuple[int, int]] = field(default_factory=list)  # newest first
    units: list[tuple[int, str, int]] = field(default_factory=list)  # (unit id, name, count), most first


@dataclass
class Shelf:
    """A page of one shelf: its documents newest first (their units loaded), how many in all, the page shown."""

    notices: list[Notice]
    total: int
    page: int
    unit_name: str | None = None  # the issuing unit's name, for a unit's shelf


async def _rows(session: AsyncSession, member_id: int, tz: tzinfo | None) -> list[_Row] | None:
    """One row per document the member may see, newest first; None for a member without a cell."""
    cell_path = await cell_path_of(session, member_id)
    if cell_path is None:
        return None
    for _ in range(BACKFILL_ROUNDS):  # their numbers come with indexing
        if await index_pending(session) == 0:
            break
    rows = await session.execute(
        select(Notice.id, Notice.title, Notice.kind, Notice.dispatched_at, Notice.unit_id, LibraryDocument.number)
        .outerjoin(LibraryDocument, LibraryDocument.notice_id == Notice.id)
        .where(*visible_documents(cell_path))
        .order_by(Notice.dispatched_at.desc(), Notice.id.desc()))
    out = []
    for notice_id, title, notice_kind, dated, unit_id, number in rows.all():
        if dated is None:  # visible_documents asks for a sent one
            continue
        local = dated.astimezone(tz) if tz is not None else dated
        out.append(_Row(notice_id, kind_of(title, number or document_number(title, ""), notice_kind), local.year,
                        unit_id))
    return out


async def shelves(session: AsyncSession, member_id: int, tz: tzinfo | None) -> Shelves:
    rows = await _rows(session, member_id, tz)
    if not rows:
        return Shelves()
    kinds, years, units = Counter(r.kind for r in rows), Counter(r.year for r in rows), Counter(r.unit_id for r in rows)
    names = {r.id: r.name for r in (await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(units))))}
    return Shelves(
        total=len(rows),
        kinds=[(k, kinds[k]) for k in KINDS if kinds[k]],
        years=sorted(years.items(), reverse=True),
        units=sorted(((u, names[u], n) for u, n in units.items()), key=lambda x: (-x[2], x[1])),
    )


async def shelf(session: AsyncSession, member_id: int, tz: tzinfo | None, by: str, value: int, page: int,
                size: int = PAGE) -> Shelf:
    """A page of the documents of one kind (`by` "k", `value` the kind's place in KINDS), one year ("y") or
    one issuing unit ("u", the unit's id) among those the member may see; a page past the end: the last."""
    rows = await _rows(session, member_id, tz) or []
    if by == "k":
        chosen = [r for r in rows if 0 <= value < len(KINDS) and r.kind == KINDS[value]]
    elif by == "y":
        chosen = [r for r in rows if r.year == value]
    else:
        chosen = [r for r in rows if r.unit_id == value]
    page = max(0, min(page, (len(chosen) - 1) // size)) if chosen else 0
    ids = [r.notice_id for r in chosen[page * size:(page + 1) * size]]
    found = {n.id: n for n in (await session.scalars(
        select(Notice).where(Notice.id.in_(ids)).options(selectinload(Notice.unit)))).all()}
    unit_name = found[ids[0]].unit.name if by == "u" and ids else None
    return Shelf([found[i] for i in ids if i in found], len(chosen), page, unit_name)
