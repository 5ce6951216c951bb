"""The review's documents as data (issue 16), each with who may have it: a member's form (their own once sent;
the cell's officers and the committees above for their cells), the cell's list of levels and its collective
report Mẫu 01 (the cell's officers and the committees above), the committee's summary by cell with the
round's progress (a committee deciding on the cells). No Telegram: handlers/review/docx.py and files.py draw
the files from these."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..members import Member
from ..permissions import Action, Actor, may
from ..units import Unit
from .appraisal import Appraisal, appraisal, round_cell
from .decision import _round, covers
from .entries import Sheet, _found
from .errors import ReviewError
from .rules import Level
from .schema import ReviewEntry

LEVEL_ORDER = (Level.excellent, Level.good, Level.done, Level.failed)


async def _parent_name(session: AsyncSession, unit_id: int) -> str | None:
    parent = select(Unit.parent_id).where(Unit.id == unit_id).scalar_subquery()
    return await session.scalar(select(Unit.name).where(Unit.id == parent))


@dataclass(frozen=True)
class FormDoc:
    sheet: Sheet
    parent_name: str | None  # the committee above the cell, for the header


async def form_doc(session: AsyncSession, actor: Actor, entry_id: int) -> FormDoc:
    """A member's sent self-review (with the cell's comments, proposal and the decision once known): the member's
    own, or one of a cell the actor appraises. Raises ReviewError not_allowed, not_submitted."""
    found = await _found(session, entry_id)
    if found is None:
        raise ReviewError("not_allowed")
    entry, rnd, name, cell_name, path = found
    own = actor.member_id is not None and entry.member_id == actor.member_id
    if not own and not may(actor, Action.appraise_review, path):
        raise ReviewError("not_allowed")
    if entry.exempt or not entry.submitted:
        raise ReviewError("not_submitted")
    return FormDoc(Sheet(entry, rnd, name, cell_name, proxy=entry.by_proxy), await _parent_name(session, entry.cell_id))


async def cell_forms(session: AsyncSession, actor: Actor, round_id: int, cell_id: int) -> list[FormDoc]:
    """Every sent self-review of the cell (📦 one .zip of forms), in the list's order, read at once: for the
    cell's officers and the committees above (the cell's page's permission). Raises ReviewError not_allowed,
    not_submitted (none sent yet)."""
    found = await round_cell(session, round_id, cell_id)
    if found is None or not may(actor, Action.appraise_review, found[1].path):
        raise ReviewError("not_allowed")
    rnd, cell = found
    e = ReviewEntry
    rows = (await session.execute(
        select(e, Member.full_name).join(Member, Member.id == e.member_id)
        .where(e.round_id == round_id, e.cell_id == cell_id, e.exempt_reason.is_(None), e.submitted_at.is_not(None))
        .order_by(Member.sort_name, Member.id).execution_options(populate_existing=True))).all()
    if not rows:
        raise ReviewError("not_submitted")
    parent = await _parent_name(session, cell_id)
    return [FormDoc(Sheet(entry, rnd, name, cell.name, proxy=entry.by_proxy), parent) for entry, name in rows]


@dataclass(frozen=True)
class CellDoc:
    appraisal: Appraisal
    parent_name: str | None
    exempt: list[tuple[str, str]]  # (name, reason: excused, suspended, recent)

    @property
    def levels(self) -> Counter[Level]:
        """The level each member has now: the committee's, else the cell's proposal (not rated: left out)."""
        return Counter(lv for x in self.appraisal.lines if (lv := x.decided or x.proposed) is not None)

    @property
    def unrated(self) -> int:
        return sum(1 for x in self.appraisal.lines if (x.decided or x.proposed) is None)


async def cell_doc(session: AsyncSession, actor: Actor, round_id: int, cell_id: int) -> CellDoc:
    """The cell's list and Mẫu 01: as the cell's page (appraisal's permission), with the exempt members."""
    a = await appraisal(session, actor, round_id, cell_id)
    exempt = (await session.execute(
        select(Member.full_name, ReviewEntry.exempt_reason).join(Member, Member.id == ReviewEntry.member_id)
        .where(ReviewEntry.round_id == round_id, ReviewEntry.cell_id == cell_id, ReviewEntry.exempt_reason.is_not(None))
        .order_by(Member.sort_name, Member.id))).all()
    return CellDoc(a, await _parent_name(session, cell_id), [(n, str(r)) for n, r in exempt])


@dataclass(frozen=True)
class CellProgress:
    cell_id: int
    cell_name: str
    reviewed: int  # members in the review (exempt left out)
    sent: int  # self-reviews sent
    proposed: int  # the cell's proposals made
    decided: int  # the committee's levels
    levels: dict[Level, int]  # decided levels

    @property
    def undecided(self) -> int:
        return self.reviewed - self.decided


@dataclass(frozen=True)
class Summary:
    year: int
    unit_name: str
    cells: list[CellProgress]

    def total(self, field: str) -> int:
        return sum(getattr(c, field) for c in self.cells)

    def level_total(self, level: Level) -> int:
        return sum(c.levels.get(level, 0) for c in self.cells)


async def summary(session: AsyncSession, actor: Actor, round_id: int) -> Summary:
    """The round's cells the actor decides on: progress and levels decided. Raises ReviewError not_allowed."""
    rnd, unit = await _round(session, actor, round_id)
    e = ReviewEntry
    rows = (await session.execute(
        select(Unit.id, Unit.name, Unit.path, e.decided_level, func.count(), func.count(e.submitted_at),
               func.count(e.proposed_level))
        .select_from(e).join(Unit, Unit.id == e.cell_id)
        .where(e.round_id == rnd.id, e.exempt_reason.is_(None))
        .group_by(Unit.id, Unit.name, Unit.path, e.decided_level).order_by(Unit.path, Unit.id))).all()
    cells: dict[int, dict[str, Any]] = {}
    for cid, name, path, level, n, sent, proposed in rows:
        if not covers(actor, path):
            continue
        c = cells.setdefault(cid, {"cell_id": cid, "cell_name": name, "reviewed": 0, "sent": 0, "proposed": 0, "decided": 0,
                                   "levels": {}})
        c["reviewed"] += int(n)
        c["sent"] += int(sent)
        c["proposed"] += int(proposed)
        if level is not None:
            c["decided"] += int(n)
            c["levels"][Level(level)] = int(n)
    return Summary(rnd.year, unit.name, [CellProgress(**c) for c in cells.values()])
