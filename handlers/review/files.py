"""The review's workbooks and chart (issue 16): the cell's list of levels (.xlsx), the committee's summary by cell
(.xlsx) and its chart of the levels decided by cell (stacked bars, portrait PNG pages a phone can read). Every
cell of a workbook is data (models/sheets.py: a member named "=1+1" stays text); every text of the chart is
drawn as written (handlers/charts.py: a cell named "$x$" is no TeX). Pure functions; run them off the loop."""
from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from models.review.documents import LEVEL_ORDER, CellDoc, Summary
from models.sheets import cells

from .. import charts
from ..i18n import t
from .docx import list_rows, slug
from .views import level_name

LEVEL_COLOURS = ("#1565c0", "#2e7d32", "#f9a825", "#c62828")
UNDECIDED = "#bdbdbd"
MAX_BARS = 60


def summary_name(s: Summary, ext: str) -> str:
    return f"tong-hop-xep-loai-{s.year}-{slug(s.unit_name)}.{ext}"


def _workbook(lang: str, title: str, head: list[str], rows: list[list[Any]], widths: tuple[int, ...]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(t(lang, "review.doc.sheet")[:31])
    for n, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + n)].width = width
    ws.append(cells(ws, [title], font=Font(bold=True, size=13)))
    ws.append([])
    ws.append(cells(ws, head, font=Font(bold=True)))
    for row in rows:
        ws.append(cells(ws, row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def list_xlsx(d: CellDoc, lang: str) -> bytes:
    a = d.appraisal
    head = [t(lang, f"review.doc.col.{c}") for c in ("no", "name", "score", "self_level", "proposal", "decision")]
    return _workbook(lang, f"{t(lang, 'review.doc.list_title', year=a.round.year)} — {a.cell_name}", head,
                     list_rows(d, lang), (6, 32, 10, 30, 60, 30))


def summary_xlsx(s: Summary, lang: str) -> bytes:
    head = [t(lang, f"review.doc.col.{c}") for c in ("cell", "reviewed", "sent", "proposed", "decided")]
    head += [level_name(lang, lv) for lv in LEVEL_ORDER] + [t(lang, "review.doc.col.undecided")]
    rows: list[list[Any]] = [[c.cell_name, c.reviewed, c.sent, c.proposed, c.decided,
                              *(c.levels.get(lv, 0) for lv in LEVEL_ORDER), c.undecided] for c in s.cells]
    rows.append([t(lang, "review.doc.total"), *(s.total(f) for f in ("reviewed", "sent", "proposed", "decided")),
                 *(s.level_total(lv) for lv in LEVEL_ORDER), s.total("undecided")])
    return _workbook(lang, t(lang, "review.doc.summary_title", year=s.year, unit=s.unit_name), head, rows,
                     (40, 12, 12, 12, 12, 16, 16, 16, 16, 14))


def summary_chart(s: Summary, lang: str) -> bytes:
    """A bar a cell (the first MAX_BARS), each the cell's reviewed members split by the level decided."""
    shown = s.cells[:MAX_BARS]
    top = max([c.reviewed for c in shown] + [1])
    colours = (*LEVEL_COLOURS, UNDECIDED)
    names = [t(lang, f"review.level_short.{lv.value}") for lv in LEVEL_ORDER] + [t(lang, "review.doc.col.undecided")]
    with charts.pages() as new_page:
        page = new_page()
        page.paragraph(t(lang, "review.doc.summary_title", year=s.year, unit=s.unit_name), charts.TITLE_PX, bold=True)
        page.gap(12)
        x, y = float(charts.MARGIN_PX), page.y
        for name, colour in zip(names, colours, strict=True):  # the legend: a square and the level's name
            width = 32 + page.measure(name, charts.MIN_TEXT_PX)
            if x + width > charts.WIDTH_PX - charts.MARGIN_PX:
                x, y = float(charts.MARGIN_PX), y + 44
            page.box(x, y + 4, 24, 24, colour)
            page.text(name, charts.MIN_TEXT_PX, x=x + 32, y=y, advance=False)
            x += width + 24
        page.y = y + 44
        page.gap(32)
        for c in shown:
            parts = [*(c.levels.get(lv, 0) for lv in LEVEL_ORDER), c.undecided]
            top_y, _ = charts.bar_row(page, charts.Bar(c.cell_name, f"{c.decided}/{c.reviewed}", 0, UNDECIDED))
            left = float(charts.MARGIN_PX)
            for count, colour in zip(parts, colours, strict=True):
                width = page.width * count / top
                if width > 0:
                    page.box(left, top_y, width, charts.BAR_PX, colour)
                left += width
        if len(s.cells) > len(shown):
            page.paragraph(t(lang, "report.chart.more", count=len(s.cells) - len(shown)), charts.MIN_TEXT_PX,
                           colour=charts.GREY)
        return page.finish()
