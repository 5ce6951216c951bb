"""How a notice looks: on a member's phone (the outbox's renderers) and in its sender's live status.

Sending never happens here: the dispatcher (bot/dispatcher.py) sends what these renderers return,
in the member's language, at Telegram's pace.
"""
from __future__ import annotations

import functools
from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import notices
from models.notices import Notice, NoticeKind

from ..i18n import fmt_date, t
from ..listen import listen_button_data
from ..live_status import LiveStatus
from ..paper import print_button
from ..render import CAPTION_LIMIT, split_message, visible_length
from ..turn import Turn, bot_api, esc
from . import buttons as btn

NAMES_SHOWN = 30
CELLS_SHOWN = 30
BUTTON_TITLE = 48
EMOJI = {NoticeKind.notice: "📢", NoticeKind.document: "📄", NoticeKind.resolution: "📜", NoticeKind.report: "📊"}
Call = tuple[str, dict]


# --- how a notice looks on a member's phone ---------------------------------------------------------------
def kind_label(lang: str, kind: NoticeKind) -> str:
    return f"{EMOJI[kind]} {t(lang, f'notice.kind.{kind.value}')}"


def button_title(title: str) -> str:
    """A title as it fits on a list's button."""
    return title if len(title) <= BUTTON_TITLE else title[:BUTTON_TITLE - 1] + "…"


def when_text(value: datetime | None, tz: tzinfo | None) -> str:
    return fmt_date(value, tz) if value else "—"


def local_day(value: datetime, tz: tzinfo | None) -> str:
    return fmt_date((value.astimezone(tz) if tz else value).date())


def notice_head(notice: Notice, lang: str, tz: tzinfo | None) -> str:
    day = local_day(notice.dispatched_at or notice.send_at, tz)
    return (f"{kind_label(lang, notice.kind)} · {esc(notice.unit.name)} · {day}\n"
            f"<b>{esc(notice.title)}</b>")


def notice_body(notice: Notice, lang: str) -> str:
    parts = [esc(notice.body)] if notice.body else []
    if notice.study_required:
        parts.append(t(lang, "notice.study_request"))
    return "\n\n".join(parts)


def member_buttons(notice: Notice, lang: str, *, read: bool = False, studied: bool = False) -> dict | None:
    rows = []
    if not read:
        rows.append([InlineKeyboardButton(t(lang, "notice.button.read"), callback_data=btn.READ.data(notice.id))])
    if notice.study_required and not studied:
        rows.append([InlineKeyboardButton(t(lang, "notice.button.studied"), callback_data=btn.STUDIED.data(notice.id))])
    # Members who listen rather than read: the text as a voice note (handlers/listen/).
    rows.append([InlineKeyboardButton(t(lang, "listen.button"), callback_data=listen_button_data(notice.id))])
    return InlineKeyboardMarkup(rows).to_dict()


def notice_calls(notice: Notice, lang: str, tz: tzinfo | None, *, read: bool = False,
                 studied: bool = False) -> list[Call]:
    """The Bot API calls that show a notice: the file (by file_id) with as much as fits in its
    caption, then the text split at paragraphs; the buttons go on the last message."""
    head, body = notice_head(notice, lang, tz), notice_body(notice, lang)
    markup = member_buttons(notice, lang, read=read, studied=studied)
    whole = f"{head}\n\n{body}" if body else head
    calls: list[Call] = []
    rest = whole
    if notice.file_id:
        method, field_ = ("sendPhoto", "photo") if notice.file_kind == "photo" else ("sendDocument", "document")
        caption = whole if visible_length(whole) <= CAPTION_LIMIT else head
        if visible_length(caption) > CAPTION_LIMIT:
            caption = esc(notice.title[:200])
        calls.append((method, {field_: notice.file_id, "caption": caption, "parse_mode": "HTML"}))
        rest = "" if caption == whole else body
    chunks = split_message(rest) if rest else []
    for chunk in chunks:
        calls.append(("sendMessage", {"text": chunk, "parse_mode": "HTML",
                                      "link_preview_options": {"is_disabled": True}}))
    if markup:
        calls[-1][1]["reply_markup"] = markup
    return calls


# --- renderers the dispatcher calls (registered in bot/dispatcher.py) -----------------------------------------
async def render_notice(session: AsyncSession, notice_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    notice = await notices.get_notice(session, notice_id)
    return notice_calls(notice, lang, tz) if notice is not None else []


async def render_reminder(session: AsyncSession, reminder_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    notice_id = await notices.notice_of_reminder(session, reminder_id)
    notice = await notices.get_notice(session, notice_id) if notice_id else None
    if notice is None:
        return []
    text = t(lang, "notice.reminder", kind=kind_label(lang, notice.kind), title=esc(notice.title),
             unit=esc(notice.unit.name))
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(t(lang, "notice.button.open"), callback_data=btn.OPEN.data(notice.id))],
        [InlineKeyboardButton(t(lang, "notice.button.read"), callback_data=btn.READ.data(notice.id))],
    ]).to_dict()
    return [("sendMessage", {"text": text, "parse_mode": "HTML", "reply_markup": markup})]


async def render_unreachable(session: AsyncSession, delivery_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """To a secretary: a member of theirs can no longer be reached through the bot."""
    row = await notices.unreachable_member(session, delivery_id)
    if row is None:
        return []
    name, phone, cell = row
    from ..profile import display_phone

    phone_text = display_phone(phone) or t(lang, "delivery.no_phone")
    text = t(lang, "delivery.unreachable_report", name=esc(name), cell=esc(cell), phone=esc(phone_text))
    return [("sendMessage", {"text": text, "parse_mode": "HTML"})]


# --- the sender's status -----------------------------------------------------------------------------------------------
async def status_view(session: AsyncSession, notice: Notice, lang: str, tz: tzinfo | None) -> tuple[str, dict]:
    s = await notices.status(session, notice.id)
    lines = [f"📊 <b>{esc(notice.title)}</b>", f"{kind_label(lang, notice.kind)} · {esc(notice.unit.name)}"]
    buttons = [[InlineKeyboardButton(t(lang, "notice.button.refresh"), callback_data=btn.STATUS.data(notice.id))],
               [print_button(lang, btn.PRINT.data(notice.id))]]
    if s.scheduled_for is not None:
        lines.append(t(lang, "notice.status.scheduled", when=when_text(s.scheduled_for, tz)))
        return "\n".join(lines), InlineKeyboardMarkup(buttons).to_dict()
    lines.append(t(lang, "notice.status.recipients", count=s.recipients, not_linked=s.not_linked))
    lines.append(t(lang, "notice.status.counts", queued=s.queued, delivered=s.delivered, read=s.read,
                   unreachable=s.unreachable, failed=s.failed))
    if notice.study_required:
        lines.append(t(lang, "notice.status.studied", studied=s.studied, base=s.recipients))
    unread_total = s.recipients - s.read
    if unread_total and notice.unit.is_cell:
        names, total = await notices.unread(session, notice.id, limit=NAMES_SHOWN)
        lines.append("")
        lines.append(t(lang, "notice.status.unread_header", count=total))
        for u in names:
            mark = "" if u.reachable else " " + t(lang, "notice.status.not_reached")
            lines.append(f"• {esc(u.name)}{mark}")
        if total > len(names):
            lines.append(t(lang, "notice.status.more", count=total - len(names)))
    elif unread_total:
        rates = await notices.rates_by_cell(session, notice.id, studied=False)
        lines.append("")
        lines.append(t(lang, "notice.status.by_cell_header"))
        for r in rates[:CELLS_SHOWN]:
            lines.append(t(lang, "notice.status.cell_line", cell=esc(r.cell), count=r.count, base=r.base,
                           percent=r.percent))
    if unread_total and s.delivered:
        buttons.append([InlineKeyboardButton(t(lang, "notice.button.remind"), callback_data=btn.REMIND.data(notice.id))])
    if notice.study_required:
        buttons.append([InlineKeyboardButton(t(lang, "notice.button.study_rates"), callback_data=btn.STUDY_RATES.data(notice.id))])
    return "\n".join(lines), InlineKeyboardMarkup(buttons).to_dict()


STATUS = LiveStatus(notices.get_notice, status_view, notices.set_status_message)
status_edits = STATUS.edits  # the dispatcher's PROGRESS hook for notices


def send_calls(turn: Turn, calls: list[Call]) -> None:
    bot, chat_id = turn.context.bot, turn.chat_id
    for method, params in calls:
        turn.later(functools.partial(bot_api, bot, method, {"chat_id": chat_id, **params}))

