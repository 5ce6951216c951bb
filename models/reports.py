"""What a committee sees of the cells below it without being in the room.

A day: every cell under the unit that met that day — attendance over its base, what was discussed,
what was decided, how the votes went. A month: each cell's meetings held and its attendance rate.
Rates read the counts kept on each meeting (models/meetings.recount), so a month over thousands of
cells is one grouped query over the meetings, not over every attendance row. No Telegram here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from .collation import title_key
from .meetings import Meeting, MeetingKind, MeetingState, Ratio, ratio
from .minutes import VoteResult, vote_results
from .units import Unit, UnitKind, path_ids, subtree_clause

CELL_KINDS = (UnitKind.cell, UnitKind.group)


def day_window(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def month_window(year: int, month: int, tz: tzinfo) -> tuple[datetime, datetime]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC),
            datetime.combine(following, time(0), tzinfo=tz).astimezone(UTC))


# --- a day ------------------------------------------------------------------------------------------
@dataclass
class CellDay:
    meeting_id: int
    cell_id: int
    cell_name: str
    kind: MeetingKind
    title: str
    starts_at: datetime
    place: str
    state: MeetingState
    roll_taken: bool
    ratio: Ratio
    content: str | None
    decisions: list[str]
    votes: list[VoteResult]
    votes_known: bool
    minutes_approved: bool
    minutes_file_id: str | None


async def day_report(session: AsyncSession, unit_path: str, day: date, tz: tzinfo) -> list[CellDay]:
    """Every meeting held (or due) that day in the cells under `unit_path`, by cell."""
    start, end = day_window(day, tz)
    meetings = (await session.scalars(
        select(Meeting)
        .join(Unit, Unit.id == Meeting.cell_id)
        .where(subtree_clause(unit_path), Meeting.starts_at >= start, Meeting.starts_at < end,
               Meeting.state != MeetingState.cancelled)
        .options(selectinload(Meeting.cell), selectinload(Meeting.decisions))
        .order_by(Unit.path, Meeting.starts_at, Meeting.id)
    )).all()
    out = []
    for m in meetings:
        votes, known = await vote_results(session, m.id)
        out.append(CellDay(
            meeting_id=m.id, cell_id=m.cell_id, cell_name=m.cell.name, kind=m.kind, title=m.title,
            starts_at=m.starts_at, place=m.place, state=m.state, roll_taken=m.roll_call_at is not None,
            ratio=ratio(m, m.cell.exempt_counted), content=m.content, decisions=[d.text for d in m.decisions],
            votes=votes, votes_known=known, minutes_approved=m.minutes_approved_at is not None,
            minutes_file_id=m.minutes_file_id,
        ))
    return out


# --- a month --------------------------------------------------------------------------------------------
@dataclass
class CellMonth:
    cell_id: int
    cell_name: str
    path: str
    exempt_counted: bool
    held: int  # meetings closed (held and recorded)
    not_recorded: int  # meetings whose time has passed but that were never closed
    present: int
    base: int
    members: int  # summed over the meetings held

    @property
    def percent(self) -> int | None:
        return round(100 * self.present / self.base) if self.base else None


@dataclass
class MonthReport:
    year: int
    month: int
    unit_name: str
    unit_path: str
    cells: list[CellMonth] = field(default_factory=list)

    @property
    def held(self) -> int:
        return sum(c.held for c in self.cells)

    @property
    def cells_met(self) -> int:
        return sum(1 for c in self.cells if c.held)

    @property
    def present(self) -> int:
        return sum(c.present for c in self.cells)

    @property
    def base(self) -> int:
        return sum(c.base for c in self.cells)

    @property
    def percent(self) -> int | None:
        return round(100 * self.present / self.base) if self.base else None

    @property
    def exempt_counted(self) -> bool | None:
        """True or False when every cell counts the same way, None when they differ."""
        kinds = {c.exempt_counted for c in self.cells}
        return kinds.pop() if len(kinds) == 1 else None


async def month_report(session: AsyncSession, unit: Unit, year: int, month: int, tz: tzinfo,
                       now: datetime) -> MonthReport:
    """Each cell under `unit`: meetings held in the month and attendance over its base."""
    start, end = month_window(year, month, tz)
    closed = Meeting.state == MeetingState.closed
    # Exempt members who stayed away leave the base where the cell says so (DOMAIN.md).
    base = Meeting.member_count - case((Unit.exempt_counted, 0), else_=Meeting.exempt_count)
    stmt = (
        select(
            Unit.id, Unit.name, Unit.path, Unit.exempt_counted,
            func.count(Meeting.id).filter(closed),
            func.count(Meeting.id).filter(Meeting.state == MeetingState.scheduled, Meeting.starts_at < now),
            func.coalesce(func.sum(case((closed, Meeting.present_count), else_=0)), 0),
            func.coalesce(func.sum(case((closed, base), else_=0)), 0),
            func.coalesce(func.sum(case((closed, Meeting.member_count), else_=0)), 0),
        )
        .select_from(Unit)
        .outerjoin(Meeting, (Meeting.cell_id == Unit.id) & (Meeting.starts_at >= start) & (Meeting.starts_at < end))
        .where(subtree_clause(unit.path), Unit.kind.in_(CELL_KINDS))
        .group_by(Unit.id, Unit.name, Unit.path, Unit.exempt_counted)
        .order_by(Unit.path)
    )
    rows = (await session.execute(stmt)).all()
    report = MonthReport(year, month, unit.name, unit.path)
    report.cells = [CellMonth(cid, name, path, bool(ec), held, late, int(present), int(b), int(members))
                    for cid, name, path, ec, held, late, present, b, members in rows]
    # The cells of one committee together, each committee's by name as people read it ("Tổ 2" before "Tổ 10").
    report.cells.sort(key=lambda c: (path_ids(c.path)[:-1], title_key(c.cell_name)))
    return report


@dataclass
class Group:
    """Cells gathered under one unit right below the report's unit (a ward of a city)."""

    unit_id: int
    name: str
    cells: int = 0
    cells_met: int = 0
    held: int = 0
    present: int = 0
    base: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.present / self.base) if self.base else None


async def group_by_child(session: AsyncSession, report: MonthReport) -> list[Group]:
    """The month's figures summed per unit directly under the report's unit (for a chart of a city)."""
    depth = len(path_ids(report.unit_path))
    groups: dict[int, Group] = {}
    for cell in report.cells:
        parts = path_ids(cell.path)
        child = parts[depth] if len(parts) > depth else parts[-1]
        g = groups.setdefault(child, Group(child, ""))
        g.cells += 1
        g.cells_met += bool(cell.held)
        g.held += cell.held
        g.present += cell.present
        g.base += cell.base
    if groups:
        names = dict((await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(groups))))).all())
        for g in groups.values():
            g.name = names.get(g.unit_id, str(g.unit_id))
    return sorted(groups.values(), key=lambda g: title_key(g.name))
