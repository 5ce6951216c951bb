"""/report: what a committee sees of its cells' meetings without being in the room.

`/report` (today), `/report 05/12/2026` (a day): every cell under the officer that met — attendance
over its base, content, decisions, votes, and the approved minutes a tap away. `/report 12/2026`
(a month): meetings held and attendance rate per cell, as text, a bar chart and a spreadsheet.
"""
from __future__ import annotations

import asyncio
import re
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from models import clock, reports
from models.dates import BadDate, parse_date
from models.meetings import MeetingState
from models.permissions import Action, units_for
from models.units import Unit

from ..meetings import buttons as btn
from ..meetings import common as meeting_views
from ..meetings.minutes import base_text, votes_lines
from ..render import picture, send_pictures
from ..review.documents import report_progress
from ..steps import refuse
from ..study.views import report_study
from ..turn import Turn, esc, member_handler
from .files import MAX_BARS, base_rule, chart_png, month_xlsx

CELLS_LISTED = 40
EXCERPT = 500
_MONTH = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{4})")


def _excerpt(text: str | None) -> str:
    text = (text or "").strip()
    return esc(text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…")


async def _scopes(turn: Turn) -> list[Unit]:
    return await units_for(turn.session, turn.actor, Action.view_reports)


@member_handler
async def report_command(turn: Turn):
    scopes = await _scopes(turn)
    if not scopes:
        await refuse(turn, "report")
        return
    tz = turn.services.timezone
    arg = turn.args.strip()
    if not arg:
        day = clock.now().astimezone(tz).date()
        for unit in scopes:
            await _day(turn, unit, day)
        await report_progress(turn)  # the year-end review's progress while a round is open
        await report_study(turn)  # study items not long past their deadline: per cell, studied and quiz scores
        return
    if m := _MONTH.fullmatch(arg):
        month, year = int(m[1]), int(m[2])
        if not 1 <= month <= 12 or not 2000 <= year <= 2100:
            turn.reply(turn.t("report.error.month") + "\n" + turn.t("report.usage"))
            return
        for unit in scopes:
            await _month(turn, unit, year, month)
        return
    try:
        day = parse_date(arg)
    except BadDate as exc:
        key = "report.error.no_such_day" if exc.reason == "no_such_day" else "report.error.format"
        turn.reply(turn.t(key) + "\n" + turn.t("report.usage"))
        return
    for unit in scopes:
        await _day(turn, unit, day)


async def _day(turn: Turn, unit: Unit, day: date) -> None:
    tz = turn.services.timezone
    cells = await reports.day_report(turn.session, unit.path, day, tz)
    lines = [turn.t("report.day.header", date=day.strftime("%d/%m/%Y"), unit=esc(unit.name))]
    if not cells:
        lines.append(turn.t("report.day.none"))
        turn.reply("\n".join(lines))
        return
    lines.append(turn.t("report.day.count", count=len(cells)))
    buttons = []
    for c in cells:
        lines.append("")
        lines.append(turn.t("report.day.cell", cell=esc(c.cell_name), time=meeting_views.local(c.starts_at, tz).strftime("%H:%M"),
                            title=esc(c.title)))
        if not c.roll_taken:
            lines.append(turn.t("report.day.no_roll"))
            continue
        r = c.ratio
        lines.append(turn.t("report.day.attendance", present=r.present, base=r.base, percent=r.percent,
                            basis=base_text(turn.lang, base=r.base, members=r.members, exempt=r.exempt_absent,
                                            exempt_counted=r.exempt_counted)))
        if c.state is not MeetingState.closed:
            lines.append(turn.t("report.day.not_closed"))
            continue
        lines.append(turn.t("report.day.content", content=_excerpt(c.content)))
        if c.decisions:
            lines.append(turn.t("report.day.decisions"))
            lines += [f"  {i}. {esc(d)}" for i, d in enumerate(c.decisions, 1)]
        else:
            lines.append(turn.t("report.day.no_decisions"))
        lines.append(turn.t("report.day.votes"))
        lines += ["  " + v for v in votes_lines(turn.lang, c.votes, c.votes_known)]
        if c.minutes_approved:
            buttons.append([InlineKeyboardButton(turn.t("report.button.minutes", cell=c.cell_name)[:64],
                                                 callback_data=btn.DOWNLOAD.data(c.meeting_id))])
    turn.reply("\n".join(lines), InlineKeyboardMarkup(buttons[:50]) if buttons else None)


async def _month(turn: Turn, unit: Unit, year: int, month: int) -> None:
    report = await reports.month_report(turn.session, unit, year, month, turn.services.timezone, clock.now())
    lang = turn.lang
    lines = [turn.t("report.month.header", month=f"{month:02d}", year=year, unit=esc(unit.name))]
    if not report.cells:
        lines.append(turn.t("report.month.no_cells"))
        turn.reply("\n".join(lines))
        return
    total_pct = "—" if report.percent is None else f"{report.percent}%"
    lines.append(turn.t("report.month.summary", met=report.cells_met, cells=len(report.cells), held=report.held))
    lines.append(turn.t("report.month.rate", percent=total_pct, present=report.present, base=report.base,
                        rule=base_rule(lang, report.exempt_counted)))
    silent = [c for c in report.cells if not c.held]
    if silent:
        names = ", ".join(esc(c.cell_name) for c in silent[:10])
        more = turn.t("meeting.status.more", count=len(silent) - 10) if len(silent) > 10 else ""
        lines.append(turn.t("report.month.silent", count=len(silent), names=names) + (" " + more if more else ""))
    lines.append("")
    for c in report.cells[:CELLS_LISTED]:
        pct = "—" if c.percent is None else f"{c.percent}%"
        line = turn.t("report.month.cell", cell=esc(c.cell_name), held=c.held, percent=pct, present=c.present,
                      base=c.base)
        if report.exempt_counted is None and not c.exempt_counted:  # cells count differently: say which
            line += " " + turn.t("report.month.cell_not_counted")
        lines.append(line)
    if len(report.cells) > CELLS_LISTED:
        lines.append(turn.t("report.month.more_in_file", count=len(report.cells) - CELLS_LISTED))
    turn.reply("\n".join(lines))
    groups = await reports.group_by_child(turn.session, report) if len(report.cells) > MAX_BARS else None
    bot, chat_id = turn.context.bot, turn.chat_id
    caption = turn.t("report.month.caption", month=f"{month:02d}", year=year, unit=esc(unit.name))
    name = f"bao-cao-sinh-hoat-{year}-{month:02d}-{unit.id}"

    async def send_files() -> None:
        # A chart that cannot be drawn never holds back the spreadsheet.
        await send_pictures(bot, chat_id, await picture("report", chart_png, report, lang, groups), name, caption)
        xlsx = await asyncio.to_thread(month_xlsx, report, lang)
        await bot.send_document(chat_id, InputFile(xlsx, filename=f"{name}.xlsx"), caption=caption)

    turn.later(send_files)
