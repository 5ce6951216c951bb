"""The to-do as text and buttons, in the officer's language: the Monday message and the panel's page.

Each line has its button, the callback data of the feature it is about (their codecs): the meeting's card,
who has not answered it (the secretary answers for them), the notice's status with "Nhắc người chưa đọc",
the feedback inbox, the corrections to decide, the vote's card, the member list, a new meeting."""
from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import clock, todo
from models.dates import VIETNAM
from models.todo import Names, Todo

from ..anniversaries.views import occasions_section
from ..corrections import buttons as corrections_btn
from ..feature import Call
from ..feedback import buttons as feedback_btn
from ..i18n import t
from ..meetings import buttons as meetings_btn
from ..meetings.common import when_text
from ..members import buttons as members_btn
from ..notices import buttons as notices_btn
from ..probation import buttons as probation_btn
from ..probation.views import due_line
from ..render import split_message
from ..transfers import buttons as transfers_btn
from ..transfers.views import due_line as transfer_due_line
from ..transfers.views import line_button as arrival_button
from ..transfers.views import list_line as arrival_line
from ..turn import esc
from ..votes import buttons as votes_btn

BUTTON_TITLE = 40


def short(text: str, limit: int = BUTTON_TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def names_text(lang: str, names: Names, more_key: str = "todo.more_people") -> str:
    shown = ", ".join(esc(n) for n in names.shown)
    left = names.total - len(names.shown)
    return t(lang, more_key, names=shown, count=left) if left > 0 else shown


def _week(lang: str, now: datetime, tz: tzinfo) -> str:
    monday = now.astimezone(tz).date()
    monday -= timedelta(days=monday.weekday())
    return t(lang, "todo.title", start=monday.strftime("%d/%m"), end=(monday + timedelta(days=6)).strftime("%d/%m/%Y"))


def lines(found: Todo, lang: str, tz: tzinfo) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    """The to-do's lines and a button for each."""
    text: list[str] = []
    rows: list[list[InlineKeyboardButton]] = []

    def add(line: str, label: str, data: str) -> None:
        text.append(line)
        rows.append([InlineKeyboardButton(label, callback_data=data)])

    for m in found.meetings:
        add(t(lang, "todo.meeting", title=esc(m.title), cell=esc(m.cell), when=when_text(lang, m.starts_at, tz),
              answered=m.answered, members=m.members, documents=m.documents),
            t(lang, "todo.button.meeting", title=short(m.title)), meetings_btn.CARD.data(m.meeting_id))
        if m.silent.total:
            add(t(lang, "todo.meeting_silent", count=m.silent.total, names=names_text(lang, m.silent)),
                t(lang, "todo.button.silent", count=m.silent.total), meetings_btn.PROXY.data(m.meeting_id))
    for n in found.notices:
        add(t(lang, "todo.notice", title=esc(n.title), count=n.unread.total, names=names_text(lang, n.unread)),
            t(lang, "todo.button.notice", title=short(n.title), count=n.unread.total), notices_btn.STATUS.data(n.notice_id))
    if found.feedback:
        add(t(lang, "todo.feedback", count=found.feedback), t(lang, "todo.button.feedback", count=found.feedback),
            feedback_btn.INBOX.data(0))
    if found.corrections:
        add(t(lang, "todo.corrections", count=found.corrections),
            t(lang, "todo.button.corrections", count=found.corrections), corrections_btn.LIST.data(0))
    for v in found.votes:
        add(t(lang, "todo.vote", question=esc(v.question), cell=esc(v.cell), when=when_text(lang, v.closes_at, tz)),
            t(lang, "todo.button.vote", question=short(v.question)), votes_btn.STATUS.data(v.vote_id))
    if found.blocked.total:
        add(t(lang, "todo.blocked", count=found.blocked.total, names=names_text(lang, found.blocked)),
            t(lang, "todo.button.blocked", count=found.blocked.total), members_btn.LIST.data())
    if found.no_thematic.total:
        add(t(lang, "todo.thematic", quarter=found.quarter,
              cells=names_text(lang, found.no_thematic, "todo.more_cells")),
            t(lang, "todo.button.thematic"), meetings_btn.PANEL.data())
    if found.probation:
        shown = [due_line(lang, d) for d in found.probation[:todo.LINES_MAX]]
        add("\n".join([t(lang, "probation.todo", count=len(found.probation)), *shown]),
            t(lang, "probation.todo_button", count=len(found.probation)), probation_btn.LIST.data(0))
    if found.transfers:
        shown = [transfer_due_line(lang, d) for d in found.transfers[:todo.LINES_MAX]]
        add("\n".join([t(lang, "transfer.todo", count=len(found.transfers)), *shown]),
            t(lang, "transfer.todo_button", count=len(found.transfers)), transfers_btn.LIST.data(0))
    if found.arrivals:
        text.append("\n".join([t(lang, "transfer.arrivals", count=len(found.arrivals)),
                               *(arrival_line(lang, a) for a in found.arrivals[:todo.LINES_MAX])]))
        rows += [[arrival_button(lang, a)] for a in found.arrivals[:todo.LINES_MAX]]
    for w in found.conversions:
        text.append(t(lang, "conversion.todo_line", name=esc(w.full_name), cell=esc(w.cell_name)))
        if w.decides:
            rows.append([InlineKeyboardButton(t(lang, "conversion.todo_button", name=short(w.full_name)),
                                              callback_data=probation_btn.DECIDE.data(w.conversion_id))])
    if found.anniversaries:
        section, buttons = occasions_section(lang, found.anniversaries, todo.LINES_MAX)
        text.append(section)
        rows += buttons
    return text, rows


def todo_text(found: Todo, lang: str, tz: tzinfo, now: datetime) -> tuple[str, list[list[InlineKeyboardButton]]]:
    body, rows = lines(found, lang, tz)
    parts = [_week(lang, now, tz), "\n".join(body) if body else t(lang, "todo.nothing")]
    if body:
        parts.append(t(lang, "todo.hint"))
    return "\n\n".join(parts), rows


async def render_todo(session: AsyncSession, run_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """The Monday message, built at send time: nothing waits any more, nothing is sent."""
    tz = tz or VIETNAM
    now = clock.now()
    found = await todo.todo_of_run(session, run_id, tz, now)
    if found.empty:
        return []
    text, rows = todo_text(found, lang, tz, now)
    chunks = split_message(text)
    calls: list[Call] = [("sendMessage", {"text": chunk, "parse_mode": "HTML"}) for chunk in chunks]
    calls[-1][1]["reply_markup"] = InlineKeyboardMarkup(rows).to_dict()
    return calls
