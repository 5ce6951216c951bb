"""Meetings prepared and held as Hướng dẫn 42-HD/BTCTW asks: the agenda template, documents a day
before, a thematic meeting every quarter, and the length of a meeting against the least it should last.

The figures and the template's parts are data (models/rules/meetings_hd42.toml), which a committee
may replace: `rules()` reads it once. Nothing here refuses a meeting: lengths are shown, not enforced.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache
from pathlib import Path

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from .. import audit, clock, rulesfile
from ..dates import VIETNAM
from ..permissions import Actor, managed_cells, may_manage_cell
from ..text import clean_line
from ..units import Unit
from .schema import (
    AGENDA_MAX,
    TEMPLATE_PART_MAX,
    TEMPLATE_PARTS_MAX,
    AgendaTemplate,
    Meeting,
    MeetingDocument,
    MeetingError,
    MeetingKind,
    MeetingState,
)

__all__ = [
    "Length", "Rules", "Template", "agenda_template", "meeting_length", "meetings_missing_documents", "parse_parts",
    "quarter_without_thematic", "reset_agenda_template", "rules", "set_agenda_template",
]

RULES_FILE = Path(__file__).resolve().parent.parent / "rules" / "meetings_hd42.toml"


@dataclass(frozen=True)
class Rules(rulesfile.Heading):
    regular_minutes: int
    thematic_minutes: int
    documents_days_before: int
    agenda: dict[str, tuple[str, ...]]  # language → the parts of a regular meeting

    def default_parts(self, lang: str) -> tuple[str, ...]:
        return self.agenda.get(lang) or self.agenda.get("vi") or ()

    def minimum_minutes(self, kind: MeetingKind) -> int | None:
        """The least a meeting of this kind should last; None for a committee's own meeting."""
        return {MeetingKind.regular: self.regular_minutes,
                MeetingKind.thematic: self.thematic_minutes}.get(kind)


def load_rules(path: Path) -> Rules:
    data = rulesfile.read(path)
    return Rules(
        **rulesfile.heading(data),
        regular_minutes=int(data["length"]["regular_minutes"]),
        thematic_minutes=int(data["length"]["thematic_minutes"]),
        documents_days_before=int(data["documents"]["days_before"]),
        agenda={lang: tuple(clean_line(p) for p in parts if clean_line(p)) for lang, parts in data["agenda"].items()},
    )


@cache
def rules() -> Rules:
    return load_rules(RULES_FILE)


# --- the agenda template ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Template:
    parts: tuple[str, ...]
    own: bool  # the cell's own (False: the rules' default)

    @property
    def agenda(self) -> str:
        """The agenda a meeting gets from it: "1. …" a line."""
        return "\n".join(f"{i}. {p}" for i, p in enumerate(self.parts, 1))


def parse_parts(text: str) -> list[str]:
    """One part a line; the bullets and numbers typed before them are dropped. Raises MeetingError."""
    parts = []
    for line in (text or "").splitlines():
        part = clean_line(re.sub(r"^\s*(?:[-•*+–]|\d{1,2}[.)])\s*", "", line))
        if part:
            parts.append(part)
    if not parts:
        raise MeetingError("template_empty")
    if len(parts) > TEMPLATE_PARTS_MAX:
        raise MeetingError("template_many", limit=TEMPLATE_PARTS_MAX)
    if any(len(p) > TEMPLATE_PART_MAX for p in parts):
        raise MeetingError("template_part_long", limit=TEMPLATE_PART_MAX)
    if len(Template(tuple(parts), True).agenda) > AGENDA_MAX:
        raise MeetingError("agenda_long", limit=AGENDA_MAX)
    return parts


async def agenda_template(session: AsyncSession, cell_id: int, lang: str) -> Template:
    """The cell's template, or the rules' default in `lang` (the handbook's language: members read it)."""
    own = await session.get(AgendaTemplate, cell_id)
    if own is not None:
        return Template(tuple(own.parts.splitlines()), True)
    return Template(rules().default_parts(lang), False)


async def _managed_cell(session: AsyncSession, actor: Actor, cell_id: int) -> Unit:
    cell = await session.get(Unit, cell_id)
    if cell is None or not may_manage_cell(actor, cell):
        raise MeetingError("not_allowed")
    return cell


async def set_agenda_template(session: AsyncSession, actor: Actor, cell_id: int, text: str) -> Template:
    """The cell's own template from what the officer typed (one part a line)."""
    cell = await _managed_cell(session, actor, cell_id)
    parts = parse_parts(text)
    row = await session.get(AgendaTemplate, cell.id)
    if row is None:
        row = AgendaTemplate(cell_id=cell.id, parts="")
        session.add(row)
    row.parts, row.updated_at, row.updated_by_member_id = "\n".join(parts), clock.now(), actor.member_id
    await session.flush()
    await audit.record(session, "agenda_template_set", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, detail={"cell_id": cell.id, "parts": len(parts)})
    return Template(tuple(parts), True)


async def reset_agenda_template(session: AsyncSession, actor: Actor, cell_id: int) -> bool:
    """Back to the rules' default; False when the cell had none of its own."""
    cell = await _managed_cell(session, actor, cell_id)
    row = await session.get(AgendaTemplate, cell.id)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    await audit.record(session, "agenda_template_reset", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, detail={"cell_id": cell.id})
    return True


# --- documents at least a day before ----------------------------------------------------------------------
async def meetings_missing_documents(session: AsyncSession, actor: Actor, now: datetime,
                                     tz: tzinfo = VIETNAM) -> list[Meeting]:
    """The scheduled meetings of the cells `actor` manages that begin by the end of tomorrow (in `tz`; the
    rules' documents_days_before) and have no document attached: their documents are late or due today."""
    cells = await managed_cells(session, actor)
    if not cells:
        return []
    last_day = now.astimezone(tz).date() + timedelta(days=rules().documents_days_before)
    until = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=tz)
    stmt = (
        select(Meeting)
        .where(Meeting.cell_id.in_([c.id for c in cells]), Meeting.state == MeetingState.scheduled,
               Meeting.starts_at > now, Meeting.starts_at < until,
               ~exists().where(MeetingDocument.meeting_id == Meeting.id))
        .options(selectinload(Meeting.cell))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return list((await session.scalars(stmt)).all())


# --- a thematic meeting every quarter ---------------------------------------------------------------------
def quarter_window(today: date, tz: tzinfo = VIETNAM) -> tuple[datetime, datetime]:
    quarter = (today.month - 1) // 3
    first = date(today.year, 3 * quarter + 1, 1)
    after = date(today.year + 1, 1, 1) if quarter == 3 else date(today.year, 3 * quarter + 4, 1)
    return datetime.combine(first, time(), tzinfo=tz), datetime.combine(after, time(), tzinfo=tz)


async def quarter_without_thematic(session: AsyncSession, cell_id: int, today: date, tz: tzinfo = VIETNAM) -> bool:
    """True when the cell has no thematic meeting (held or scheduled, not cancelled) in the quarter of `today`:
    the weekly to-do reminds the secretary to plan one (HD 42: at least once a quarter)."""
    start, end = quarter_window(today, tz)
    found = await session.scalar(select(exists().where(and_(
        Meeting.cell_id == cell_id, Meeting.kind == MeetingKind.thematic, Meeting.state != MeetingState.cancelled,
        Meeting.starts_at >= start, Meeting.starts_at < end))))
    return not found


# --- the length of a meeting ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Length:
    minutes: int
    minimum: int | None  # the least it should last (None: no rule for this kind)
    rule: str  # the rules' short name, shown beside the minimum

    @property
    def short(self) -> bool:
        return self.minimum is not None and self.minutes < self.minimum


def meeting_length(kind: MeetingKind | str, started_at: datetime | None, ended_at: datetime | None) -> Length | None:
    """How long the meeting lasted, beside the least HD 42 asks; None when its end is not known."""
    if started_at is None or ended_at is None or ended_at < started_at:
        return None
    r = rules()
    minutes = int((ended_at - started_at).total_seconds() // 60)
    return Length(minutes, r.minimum_minutes(MeetingKind(kind)), r.short_name)
