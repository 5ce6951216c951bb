"""What the dispatcher sends for meetings (the notice, reminders, changes) and the secretary's live card.

Sending never happens in a handler: a scheduled meeting queues its notice (models.meetings) and the
dispatcher sends it at Telegram's pace with the renderers here, in each member's language. The
secretary's card (answers live, and what can be done) is kept up to date as members answer.
"""
from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import clock, meetings
from models.meetings import Answer, ChangeKind, Meeting, MeetingState

from ..i18n import t
from ..live_status import LiveStatus
from ..paper import print_button
from ..render import CAPTION_LIMIT, split_message, visible_length
from ..turn import Turn, esc
from . import buttons as btn
from .common import Call, answer_buttons, kind_label, meeting_head, open_for_answers, when_text

NAMES_SHOWN = 40


def member_head(meeting: Meeting, lang: str, tz: tzinfo | None, first: str) -> str:
    """Three short lines before the buttons (DOMAIN.md): what, when, where."""
    return "\n".join([first, t(lang, "meeting.line.when", when=when_text(lang, meeting.starts_at, tz)),
                      t(lang, "meeting.line.place", place=esc(meeting.place))])


def notice_calls(meeting: Meeting, lang: str, tz: tzinfo | None, answer: Answer | None = None) -> list[Call]:
    """The documents first (by file_id), then the agenda, then the notice with the answer buttons."""
    calls: list[Call] = []
    for doc in meeting.documents:
        method, field_ = ("sendPhoto", "photo") if doc.file_kind == "photo" else ("sendDocument", "document")
        caption = esc(doc.file_name or meeting.title)
        if visible_length(caption) > CAPTION_LIMIT:
            caption = esc((doc.file_name or meeting.title)[:200])
        calls.append((method, {field_: doc.file_id, "caption": caption, "parse_mode": "HTML"}))
    if meeting.agenda:
        intro = t(lang, "meeting.notice.agenda", kind=kind_label(lang, meeting.kind), cell=esc(meeting.cell.name),
                  agenda=esc(meeting.agenda))
        for chunk in split_message(intro):
            calls.append(("sendMessage", {"text": chunk, "parse_mode": "HTML"}))
    first = t(lang, "meeting.notice.title", title=esc(meeting.title), cell=esc(meeting.cell.name))
    calls.append(("sendMessage", {"text": member_head(meeting, lang, tz, first), "parse_mode": "HTML",
                                  "reply_markup": answer_buttons(meeting.id, lang, answer).to_dict()}))
    return calls


async def render_notice(session: AsyncSession, meeting_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    meeting = await meetings.get_meeting(session, meeting_id, full=True)
    return notice_calls(meeting, lang, tz) if open_for_answers(meeting) else []


def _until(lang: str, label: str) -> str:
    """"3d" → "3 ngày nữa"; "2h" → "2 giờ nữa"."""
    unit = label.strip()[-1]
    count = int(label.strip()[:-1])
    return t(lang, {"d": "meeting.until.days", "h": "meeting.until.hours", "m": "meeting.until.minutes"}[unit],
             count=count)


async def render_reminder(session: AsyncSession, reminder_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    reminder = await meetings.get_reminder(session, reminder_id)
    meeting = await meetings.get_meeting(session, reminder.meeting_id) if reminder else None
    if not open_for_answers(meeting):
        return []
    first = t(lang, "meeting.reminder", until=_until(lang, reminder.label), title=esc(meeting.title))
    text = member_head(meeting, lang, tz, first)
    return [("sendMessage", {"text": text, "parse_mode": "HTML",
                             "reply_markup": answer_buttons(meeting.id, lang).to_dict()})]


async def render_change(session: AsyncSession, change_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    change = await meetings.get_change(session, change_id)
    meeting = await meetings.get_meeting(session, change.meeting_id) if change else None
    if meeting is None:
        return []
    if change.kind is ChangeKind.cancelled:
        text = t(lang, "meeting.change.cancelled", title=esc(meeting.title), cell=esc(meeting.cell.name),
                 when=when_text(lang, change.old_starts_at, tz))
        return [("sendMessage", {"text": text, "parse_mode": "HTML"})]
    lines = [t(lang, "meeting.change.moved", title=esc(meeting.title), cell=esc(meeting.cell.name))]
    if change.new_starts_at != change.old_starts_at:
        lines.append(t(lang, "meeting.change.time", old=when_text(lang, change.old_starts_at, tz),
                       new=when_text(lang, change.new_starts_at, tz)))
    if change.new_place and change.new_place != change.old_place:
        lines.append(t(lang, "meeting.change.place", old=esc(change.old_place), new=esc(change.new_place)))
    markup = answer_buttons(meeting.id, lang).to_dict() if open_for_answers(meeting) else None
    params = {"text": "\n".join(lines), "parse_mode": "HTML"}
    if markup:
        params["reply_markup"] = markup
    return [("sendMessage", params)]


# --- the secretary's view: answers live, and what can be done -----------------------------------------------
def _names(items: list[meetings.Answered], lang: str, *, reasons: bool = False) -> list[str]:
    lines = []
    for a in items[:NAMES_SHOWN]:
        line = f"• {esc(a.name)}"
        if reasons and a.reason:
            line += f" — {esc(a.reason)}"
        if a.on_paper:
            line += " " + t(lang, "print.paper.mark")
        elif a.by_proxy:
            line += " " + t(lang, "meeting.status.proxy")
        if not a.reachable:
            line += " 📵"
        lines.append(line)
    if len(items) > NAMES_SHOWN:
        lines.append(t(lang, "meeting.status.more", count=len(items) - NAMES_SHOWN))
    return lines


def manage_buttons(meeting: Meeting, lang: str, now: datetime) -> list[list[InlineKeyboardButton]]:
    rows = [[InlineKeyboardButton(t(lang, "meeting.button.refresh"), callback_data=btn.CARD.data(meeting.id))]]
    started = meeting.starts_at <= now
    if meeting.state is MeetingState.scheduled:
        if not started:
            rows.append([InlineKeyboardButton(t(lang, "meeting.button.proxy"), callback_data=btn.PROXY.data(meeting.id))])
            # For members without Telegram: the invitation on paper, and the answers they give on it.
            rows.append([print_button(lang, btn.PRINT.data(meeting.id)),
                         InlineKeyboardButton(t(lang, "print.paper.button"), callback_data=btn.PAPER.data(meeting.id))])
            rows.append([InlineKeyboardButton(t(lang, "meeting.button.move"), callback_data=btn.MOVE.data(meeting.id)),
                         InlineKeyboardButton(t(lang, "meeting.button.cancel"), callback_data=btn.CANCEL.data(meeting.id))])
        if now >= meeting.starts_at - meetings.ROLL_CALL_OPENS:
            rows.append([InlineKeyboardButton(t(lang, "meeting.button.roll_call"), callback_data=btn.ROLL.data(meeting.id, 0))])
        if started:
            rows.append([InlineKeyboardButton(t(lang, "meeting.button.close"), callback_data=btn.CLOSE.data(meeting.id))])
    elif meeting.state is MeetingState.closed:
        rows.append([InlineKeyboardButton(t(lang, "meeting.button.minutes"), callback_data=btn.MINUTES.data(meeting.id))])
    return rows


async def status_view(session: AsyncSession, meeting: Meeting, lang: str,
                      tz: tzinfo | None) -> tuple[str, dict | None]:
    now = clock.now()
    lines = [meeting_head(meeting, lang, tz)]
    if meeting.state is MeetingState.cancelled:
        lines.append(t(lang, "meeting.status.cancelled"))
        return "\n".join(lines), None
    if meeting.state is MeetingState.closed:
        lines.append(t(lang, "meeting.status.closed", present=meeting.present_count, members=meeting.member_count))
        return "\n".join(lines), InlineKeyboardMarkup(manage_buttons(meeting, lang, now)).to_dict()
    a = await meetings.answers(session, meeting.id)
    lines.append("")
    lines.append(t(lang, "meeting.status.attend", count=len(a.attend), members=a.members))
    lines += _names(a.attend, lang)
    lines.append(t(lang, "meeting.status.absent", count=len(a.absent)))
    lines += _names(a.absent, lang, reasons=True)
    lines.append(t(lang, "meeting.status.silent", count=len(a.silent)))
    lines += _names(a.silent, lang)
    if any(not x.reachable for x in a.silent):
        lines.append(t(lang, "meeting.status.no_phone_hint"))
    if meeting.roll_call_at is not None:
        lines.append(t(lang, "meeting.status.roll", present=meeting.present_count, members=meeting.member_count))
    return "\n".join(lines), InlineKeyboardMarkup(manage_buttons(meeting, lang, now)).to_dict()


STATUS = LiveStatus(meetings.get_meeting, status_view, meetings.set_status_message)
status_edits = STATUS.edits  # the dispatcher's PROGRESS hook for meetings


async def show_card(turn: Turn, meeting: Meeting, *, edit: bool) -> None:
    text, markup = await status_view(turn.session, meeting, turn.lang, turn.services.timezone)
    keyboard = InlineKeyboardMarkup.de_json(markup, turn.context.bot) if markup else None
    turn.edit(text, keyboard) if edit else turn.reply(text, keyboard)
    query = turn.update.callback_query
    if edit and query is not None and query.message is not None:
        # The card the secretary is looking at is the one the dispatcher keeps up to date.
        await meetings.set_status_message(turn.session, meeting.id, turn.chat_id, query.message.message_id)

