"""The declaration list of the next award day as a Word document ("Danh sách đề nghị tặng Huy hiệu Đảng"), in the
layout of the party's papers (handlers/meetings/minutes_docx.py: Times New Roman, the two-column header): a table
STT, họ và tên, năm sinh, ngày vào Đảng, ngày chính thức, tuổi Đảng, loại huy hiệu, ghi chú (sớm, truy tặng),
grouped by milestone. Pure function: lines in, .docx bytes out; run it off the event loop."""
from __future__ import annotations

from datetime import date
from itertools import groupby

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH

from models.badge_awards import DeclarationLine

from ..i18n import t
from ..meetings.minutes_docx import BODY_PT, HEADER_PT, TITLE_PT, _font, _para, docx_bytes, new_document

TABLE_PT = 12
COLUMNS = ("no", "name", "born", "joined", "official", "age", "badge", "note")


def _day(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _age(lang: str, months: int | None) -> str:
    if months is None:
        return ""
    years, rest = divmod(months, 12)
    return t(lang, "badge.years_months", years=years, months=rest) if rest else t(lang, "badge.years", years=years)


def _cell(cell, text: str, *, bold: bool = False, center: bool = False) -> None:
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
    _font(p.add_run(text), TABLE_PT, bold=bold)


def docx_name(award_day: date) -> str:
    return f"danh-sach-huy-hieu-dang-{award_day.isoformat()}.docx"


def render_docx(lines: list[DeclarationLine], lang: str, unit_name: str, award_day: date, today: date) -> bytes:
    doc = new_document(landscape=True)

    header = doc.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = header.rows[0].cells
    left.paragraphs[0].alignment = right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(left.paragraphs[0].add_run(unit_name.upper()), HEADER_PT, bold=True)
    _para(left, "*", align=WD_ALIGN_PARAGRAPH.CENTER, size=HEADER_PT, space_after=0)
    _font(right.paragraphs[0].add_run(t(lang, "minutes.doc.party")), BODY_PT, bold=True, underline=True)
    _para(right, t(lang, "minutes.doc.dated", day=f"{today.day:02d}", month=f"{today.month:02d}", year=today.year),
          align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, space_after=0)

    _para(doc, space_after=6)
    _para(doc, t(lang, "badge.doc.title"), align=WD_ALIGN_PARAGRAPH.CENTER, size=TITLE_PT, bold=True, space_after=0)
    _para(doc, t(lang, "badge.doc.subtitle", day=_day(award_day)), align=WD_ALIGN_PARAGRAPH.CENTER, italic=True,
          space_after=12)

    table = doc.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, column in zip(table.rows[0].cells, COLUMNS, strict=True):
        _cell(cell, t(lang, f"badge.doc.column.{column}"), bold=True, center=True)
    number = 0
    for milestone, group in groupby(lines, key=lambda line: line.milestone):
        heading = table.add_row().cells
        merged = heading[0].merge(heading[-1])
        _cell(merged, t(lang, "badge.title", years=milestone), bold=True)
        for line in group:
            number += 1
            note = t(lang, f"badge.doc.note.{line.kind.value}") if line.kind else ""
            values = (str(number), line.full_name, str(line.birth_date.year) if line.birth_date else "",
                      _day(line.joined_on), _day(line.official_on), _age(lang, line.party_months),
                      t(lang, "badge.title", years=milestone), note)
            for cell, value, column in zip(table.add_row().cells, values, COLUMNS, strict=True):
                _cell(cell, value, center=column not in ("name", "badge", "note"))
    if not number:
        _para(doc, t(lang, "badge.doc.empty"), indent=True)
    _para(doc, space_after=12)
    signs = doc.add_table(rows=1, cols=2)
    cell = signs.rows[0].cells[1]
    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(cell.paragraphs[0].add_run(t(lang, "badge.doc.sign")), bold=True)
    _para(cell, t(lang, "minutes.doc.sign.hint"), align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, space_after=48)

    return docx_bytes(doc)
