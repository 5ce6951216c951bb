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
BARS_PER_PAGE = 13  # a label of two lines and its bar: ~165 px; 13 of them and the title fit in 2,560 px


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


def summary_chart(s: Summary, lang: str) -> list[bytes]:
    """A bar a cell (the first MAX_BARS), each the cell's reviewed members split by the level decided: portrait
    pages of BARS_PER_PAGE bars (each under Telegram's 2,560 px), the title numbered from the second on."""
    shown = s.cells[:MAX_BARS]
    top = max([c.reviewed for c in shown] + [1])
    colours = (*LEVEL_COLOURS, UNDECIDED)
    names = [t(lang, f"review.level_short.{lv.value}") for lv in LEVEL_ORDER] + [t(lang, "review.doc.col.undecided")]
    chunks = [shown[i:i + BARS_PER_PAGE] for i in range(0, len(shown), BARS_PER_PAGE)] or [[]]
    out = []
    with charts.pages() as new_page:
        for number, chunk in enumerate(chunks, 1):
            page = new_page()
            title = t(lang, "review.doc.summary_title", year=s.year, unit=s.unit_name)
            page.paragraph(f"{title} ({number}/{len(chunks)})" if len(chunks) > 1 else title, charts.TITLE_PX,
                           bold=True, max_lines=2)
            page.gap(12)
            _legend(page, names, colours)
            for c in chunk:
                parts = [*(c.levels.get(lv, 0) for lv in LEVEL_ORDER), c.undecided]
                bar = charts.Bar(c.cell_name, f"{c.decided}/{c.reviewed}", 0, UNDECIDED)
                top_y, _ = charts.bar_row(page, bar, label_lines=2)
                left = float(charts.MARGIN_PX)
                for count, colour in zip(parts, colours, strict=True):
                    width = page.width * count / top
                    if width > 0:
                        page.box(left, top_y, width, charts.BAR_PX, colour)
                    left += width
            if number == len(chunks) and len(s.cells) > len(shown):
                page.paragraph(t(lang, "report.chart.more", count=len(s.cells) - len(shown)), charts.MIN_TEXT_PX,
                               colour=charts.GREY)
            out.append(page.finish())
    return out


def _legend(page: charts.Page, names: list[str], colours: tuple[str, ...]) -> None:
    """A square and the level's name for each colour, as many a line as fit."""
    x, y = float(charts.MARGIN_PX), page.y
    for name, colour in zip(names, colours, strict=True):
        width = 32 + page.measure(name, charts.MIN_TEXT_PX)
        if x + width > charts.WIDTH_PX - charts.MARGIN_PX:
            x, y = float(charts.MARGIN_PX), y + 44
        page.box(x, y + 4, 24, 24, colour)
        page.text(name, charts.MIN_TEXT_PX, x=x + 32, y=y, advance=False)
        x += width + 24
    page.y = y + 76
