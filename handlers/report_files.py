"""The committee's monthly report as files: a bar chart (PNG, matplotlib Agg) and a spreadsheet (XLSX).

Pure functions of the report and the language; run them off the event loop. The chart uses the
object API (Figure + Agg canvas), never pyplot's global state, so two reports can render at once.
"""
from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from models.reports import Group, MonthReport

from .i18n import t

MAX_BARS = 40
TARGET = 80  # a guide line on the chart; cells far below it stand out


def base_rule(lang: str, exempt_counted: bool | None) -> str:
    key = {True: "report.rule.counted", False: "report.rule.not_counted", None: "report.rule.mixed"}[exempt_counted]
    return t(lang, key)


def bars_of(report: MonthReport, groups: list[Group] | None) -> list[tuple[str, int | None, int, int]]:
    """(label, percent, present, base) per bar: cells, or the units right below when there are many cells."""
    if groups is not None:
        return [(g.name, g.percent, g.present, g.base) for g in groups]
    return [(c.cell_name, c.percent, c.present, c.base) for c in report.cells]


def chart_png(report: MonthReport, lang: str, groups: list[Group] | None = None) -> bytes:
    bars = bars_of(report, groups)[:MAX_BARS]
    height = max(3.0, 0.42 * len(bars) + 1.8)
    fig = Figure(figsize=(9, height), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    labels = [label if len(label) <= 38 else label[:37] + "…" for label, *_ in bars]
    values = [p or 0 for _, p, _, _ in bars]
    colours = ["#b71c1c" if p is None else ("#2e7d32" if p >= TARGET else "#f9a825") for _, p, _, _ in bars]
    positions = list(range(len(bars)))[::-1]
    ax.barh(positions, values, color=colours)
    ax.set_yticks(positions, labels, fontsize=9)
    ax.set_xlim(0, 110)
    ax.axvline(TARGET, color="#9e9e9e", linestyle="--", linewidth=1)
    for y, (_, p, present, base) in zip(positions, bars):
        text = t(lang, "report.chart.none") if p is None else f"{p}% ({present}/{base})"
        ax.text((p or 0) + 1, y, text, va="center", fontsize=8)
    ax.set_xlabel(t(lang, "report.chart.axis"))
    ax.set_title(t(lang, "report.chart.title", unit=report.unit_name, month=f"{report.month:02d}", year=report.year),
                 fontsize=11)
    fig.text(0.01, 0.005, base_rule(lang, report.exempt_counted), fontsize=8, color="#616161")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def month_xlsx(report: MonthReport, lang: str) -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = t(lang, "report.xlsx.sheet")[:31]
    ws.append([t(lang, "report.chart.title", unit=report.unit_name, month=f"{report.month:02d}", year=report.year)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([base_rule(lang, report.exempt_counted)])
    ws.append([])
    headers = [t(lang, f"report.xlsx.col.{c}") for c in
               ("cell", "held", "not_recorded", "present", "base", "percent", "rule")]
    ws.append(headers)
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFE0B2")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for c in report.cells:
        ws.append([c.cell_name, c.held, c.not_recorded, c.present, c.base,
                   c.percent if c.percent is not None else None, base_rule(lang, c.exempt_counted)])
    ws.append([t(lang, "report.xlsx.total"), report.held, sum(c.not_recorded for c in report.cells), report.present,
               report.base, report.percent, base_rule(lang, report.exempt_counted)])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFG", (40, 12, 14, 12, 12, 10, 44)):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = ws.cell(row=head_row + 1, column=1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
