"""The committee's monthly report as files: a bar chart (PNG, matplotlib Agg) and a spreadsheet (XLSX).

Pure functions of the report and the language; run them off the event loop. The chart uses the
object API (charts.figure: a Figure on an Agg canvas), never pyplot's global state, with the shared fonts
and text drawn as written (charts.py).
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from models.reports import Group, MonthReport
from models.sheets import cells

from .. import charts
from ..i18n import t

MAX_BARS = 60  # a bar a cell up to this many; above it, a bar a unit right below (a ward of a city)
TARGET = 80  # a guide line on the chart; cells far below it stand out


def base_rule(lang: str, exempt_counted: bool | None) -> str:
    key = {True: "report.rule.counted", False: "report.rule.not_counted", None: "report.rule.mixed"}[exempt_counted]
    return t(lang, key)


def bars_of(report: MonthReport, groups: list[Group] | None) -> list[tuple[str, int | None, int, int]]:
    """(label, percent, present, base) per bar: cells, or the units right below when there are many cells."""
    if groups is not None:
        return [(g.name, g.percent, g.present, g.base) for g in groups]
    return [(c.cell_name, c.percent, c.present, c.base) for c in report.cells]


def chart_png(report: MonthReport, lang: str, groups: list[Group] | None = None) -> list[bytes]:
    """The month's attendance a bar a cell (or group), portrait pages a phone can read: one, or a few for many."""
    every = bars_of(report, groups)
    bars = [charts.Bar(label, t(lang, "report.chart.none") if p is None else f"{p}% ({present}/{base})",
                       (p or 0) / 100, charts.GREEN if p is not None and p >= TARGET else charts.AMBER)
            for label, p, present, base in every[:MAX_BARS]]
    note = base_rule(lang, report.exempt_counted)
    if len(every) > len(bars):
        note += " " + t(lang, "report.chart.more", count=len(every) - len(bars))
    return charts.percent_bars(title=t(lang, "report.chart.title", unit=report.unit_name,
                                       month=f"{report.month:02d}", year=report.year),
                               axis=t(lang, "report.chart.axis"), bars=bars, note=note, target=TARGET)


def month_xlsx(report: MonthReport, lang: str) -> bytes:
    """One row a cell (thousands for a city): openpyxl's write-only mode streams them."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(t(lang, "report.xlsx.sheet")[:31])
    for column, width in zip("ABCDEFG", (40, 12, 14, 12, 12, 10, 44), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A5"

    def styled(values, **style):  # every value as data: a cell named "=…" stays text (models/sheets.py)
        return cells(ws, values, **style)

    ws.append(styled([t(lang, "report.chart.title", unit=report.unit_name, month=f"{report.month:02d}",
                       year=report.year)], font=Font(bold=True, size=13)))
    ws.append(styled([base_rule(lang, report.exempt_counted)]))
    ws.append([])
    ws.append(styled([t(lang, f"report.xlsx.col.{c}") for c in
                      ("cell", "held", "not_recorded", "present", "base", "percent", "rule")],
                     font=Font(bold=True), fill=PatternFill("solid", fgColor="FFE0B2"),
                     alignment=Alignment(wrap_text=True, vertical="center")))
    rules = {flag: base_rule(lang, flag) for flag in (True, False)}
    for c in report.cells:
        ws.append(styled([c.cell_name, c.held, c.not_recorded, c.present, c.base, c.percent, rules[c.exempt_counted]]))
    ws.append(styled([t(lang, "report.xlsx.total"), report.held, sum(c.not_recorded for c in report.cells),
                      report.present, report.base, report.percent, base_rule(lang, report.exempt_counted)],
                     font=Font(bold=True)))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
