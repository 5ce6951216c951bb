"""The words of a member-list import's result, shared by the bot's import (handlers/imports) and the
`handbook import` command (bot/admin.py): the counts, each refused value, the shared-phone warnings,
and why a file was not read at all. HTML for the bot, plain text for the shell (html_mode=False)."""
from __future__ import annotations

import html

from models.filelimits import UnreadableFile
from models.importer import ImportReport, RowError
from models.shared_phones import SharedPhone

from .i18n import fmt_number, t

MAX_ERRORS_SHOWN = 25


def describe_row_error(lang: str, err: RowError, *, html_mode: bool = True, show_sheet: bool = True) -> str:
    esc = html.escape if html_mode else (lambda s: s)
    value = "" if err.value in (None, "") else str(err.value)[:60]
    where = t(lang, "import.where_sheet", sheet=esc(err.sheet), row=err.row) if err.sheet and show_sheet else t(lang, "import.where", row=err.row)
    code = getattr(err.code, "value", err.code)
    reason = t(lang, f"import.error.{code}", column=esc(err.column or ""), value=esc(value))
    return f"{where}: {reason}"


def describe_report(lang: str, report: ImportReport, *, dry_run: bool = False, html_mode: bool = True) -> str:
    key = "import.checked" if dry_run else "import.done"
    text = t(lang, key, created=report.created, updated=report.updated, unchanged=report.unchanged,
             units=report.units_created)
    return "\n".join([text, *describe_warnings(lang, report.warnings, html_mode=html_mode)])


def describe_warnings(lang: str, warnings: list[SharedPhone], *, html_mode: bool = True) -> list[str]:
    """Rows imported all the same, said after the counts: which rows share a phone number (never the number)."""
    if not warnings:
        return []
    esc = html.escape if html_mode else (lambda s: s)
    lines = [t(lang, "import.warn.shared_phone.intro", count=len(warnings))]
    for w in warnings[:MAX_ERRORS_SHOWN]:
        if w.other_row is not None:
            line = t(lang, "import.warn.shared_phone.row", row=w.row, other=w.other_row)
        elif w.elsewhere:
            line = t(lang, "import.warn.shared_phone.elsewhere", row=w.row)
        elif w.other_card:
            line = t(lang, "import.warn.shared_phone.card", row=w.row, card=esc(w.other_card))
        else:
            line = t(lang, "import.warn.shared_phone.member", row=w.row, name=esc(w.other_name or ""))
        lines.append("• " + line)
    if len(warnings) > MAX_ERRORS_SHOWN:
        lines.append(t(lang, "import.more_warnings", count=len(warnings) - MAX_ERRORS_SHOWN))
    return lines


def describe_unreadable(lang: str, exc: UnreadableFile) -> str:
    """Why a file was not read at all; a limit (MB or rows) is said with the number."""
    limit = getattr(exc, "limit", None)
    if limit is None:
        return t(lang, f"import.unreadable.{exc.code}")
    return t(lang, f"import.unreadable.{exc.code}", limit=fmt_number(lang, limit), sheet=exc.detail or "")
