"""The member list and profiles as an XLSX workbook an administrator can open, keep and import back.

The layout is the importer's own (models/importer/): the member list on the first sheet with the
Vietnamese headers the importer knows first, then "Quá trình công tác", "Khen thưởng" and
"Kỷ luật" keyed by party card number. Written with openpyxl in write-only mode, rows streamed from
the database, so a city's tens of thousands of members never sit in memory at once; every value
through models/sheets.py, so a name or address beginning with "=" stays text and reads back as it is.

A sub-sheet row is tied to its member by the card number; a member without one cannot be named
there, so their work history, awards and discipline are left out and counted in the report.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from .importer import SHEET_NAMES, SheetKind, canonical_header
from .members import Award, Discipline, DisciplineForm, Gender, Member, WorkHistory
from .sheets import cells
from .units import Unit

MEMBERS_SHEET = "Đảng viên"
NAME_HEADER = "Họ và tên"  # in the sub-sheets, for the reader; the importer ignores it there
STREAM_ROWS = 2_000
GENDER_WORDS = {Gender.male: "Nam", Gender.female: "Nữ"}
DISCIPLINE_WORDS = {DisciplineForm.reprimand: "Khiển trách", DisciplineForm.warning: "Cảnh cáo",
                    DisciplineForm.removal: "Cách chức", DisciplineForm.expulsion: "Khai trừ"}
MEMBER_COLUMNS = ("full_name", "birth_date", "gender", "phone", "card_number", "joined_on", "official_on",
                  "cell", "committee", "position", "address", "exempt")
ENTRY_COLUMNS: dict[SheetKind, tuple[type[WorkHistory] | type[Award] | type[Discipline], tuple[str, ...]]] = {
    SheetKind.work_history: (WorkHistory, ("period_from", "period_to", "description")),
    SheetKind.awards: (Award, ("awarded_on", "title", "decision")),
    SheetKind.discipline: (Discipline, ("decided_on", "form", "reason")),
}


@dataclass
class ExportReport:
    members: int = 0
    work_history: int = 0
    awards: int = 0
    discipline: int = 0
    left_out: int = 0  # sub-sheet rows of members without a card number


async def export_members(session: AsyncSession, path: str | Path, *, within: Unit | None = None,
                         progress: Callable[[int], object] | None = None) -> ExportReport:
    """Write every member (of `within`'s subtree, or all) and their profile parts to `path`."""
    import openpyxl  # only when exporting: it is slow to import

    report = ExportReport()
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(MEMBERS_SHEET)
    sheet.append(cells(sheet, [canonical_header(SheetKind.members, f, False) for f in MEMBER_COLUMNS]))
    cell, committee = aliased(Unit), aliased(Unit)
    stmt = (
        select(Member, cell.name, committee.name)
        .join(cell, Member.cell_id == cell.id)
        .outerjoin(committee, cell.parent_id == committee.id)
        .order_by(cell.path, Member.sort_name, Member.id)
    )
    if within is not None:
        stmt = stmt.where(cell.path.startswith(within.path, autoescape=True))
    result = await session.stream(stmt.execution_options(yield_per=STREAM_ROWS))
    async for member, cell_name, committee_name in result:
        values = {
            "full_name": member.full_name, "birth_date": member.birth_date,
            "gender": GENDER_WORDS.get(member.gender) if member.gender else None, "phone": member.phone, "card_number": member.card_number,
            "joined_on": member.joined_on, "official_on": member.official_on, "cell": cell_name,
            "committee": committee_name, "position": member.position, "address": member.address,
            "exempt": "x" if member.exempt else None,
        }
        sheet.append(cells(sheet, (values[f] for f in MEMBER_COLUMNS)))
        report.members += 1
        if progress is not None and report.members % STREAM_ROWS == 0:
            progress(report.members)
        session.expunge(member)

    for kind, (model, columns) in ENTRY_COLUMNS.items():
        sub = book.create_sheet(SHEET_NAMES[kind][0])
        sub.append(cells(sub, [canonical_header(kind, "card_number", False), NAME_HEADER]
                         + [canonical_header(kind, f, False) for f in columns]))
        entries = (
            select(model, Member.card_number, Member.full_name)
            .join(Member, model.member_id == Member.id)
            .join(cell, Member.cell_id == cell.id)
            .order_by(cell.path, Member.sort_name, Member.id, model.position_no, model.id)
        )
        if within is not None:
            entries = entries.where(cell.path.startswith(within.path, autoescape=True))
        rows = await session.stream(entries.execution_options(yield_per=STREAM_ROWS))
        written = 0
        async for entry, card, name in rows:
            session.expunge(entry)
            if not card:
                report.left_out += 1
                continue
            stored: list[str | date | DisciplineForm | None] = [getattr(entry, f) for f in columns]
            shown = [DISCIPLINE_WORDS.get(v, v) if isinstance(v, DisciplineForm) else v for v in stored]
            sub.append(cells(sub, [card, name, *shown]))
            written += 1
        setattr(report, kind.value, written)
    book.save(path)
    return report



