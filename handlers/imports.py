"""Importing a member list sent as a file by a secretary or committee officer, and describing the result."""
from __future__ import annotations

import html

from models.importer import ImportReport, RowError

from .i18n import t


def describe_row_error(lang: str, err: RowError, *, html_mode: bool = True) -> str:
    esc = html.escape if html_mode else (lambda s: s)
    value = "" if err.value in (None, "") else str(err.value)[:60]
    where = t(lang, "import.where_sheet", sheet=esc(err.sheet), row=err.row) if err.sheet else t(lang, "import.where", row=err.row)
    reason = t(lang, f"import.error.{err.code}", column=esc(err.column or ""), value=esc(value))
    return f"{where}: {reason}"


def describe_report(lang: str, report: ImportReport, *, html_mode: bool = True, dry_run: bool = False) -> str:
    key = "import.checked" if dry_run else "import.done"
    return t(lang, key, created=report.created, updated=report.updated, unchanged=report.unchanged,
             units=report.units_created)
