"""What members see and do: the answer buttons of a notice (attend, absent with a reason), a meeting
opened again, and /meetings, their calendar. Every press is checked against the database (is the
presser a member of that cell, is the meeting still open for answers)."""
from __future__ import annotations

import functools

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import meetings
from models.meetings import Answer
from models.permissions import may_manage_cell

from ..i18n import t
from ..keyboards import menu_texts
from ..live_status import tell_outbox
from ..steps import answers, named_item, parse_or_refuse, refuse, settle
from ..turn import Turn, bot_api, esc, member_handler
from . import buttons as btn
from .common import (
    PENDING,
    REASON,
    REASONS,
    answer_buttons,
    attempt,
    day_text,
    open_for_answers,
    when_text,
)
from .render import notice_calls

PRESENCE_MARK = {"present": "✅", "excused": "🙏", "unexcused": "❌", "exempt": "🕊"}


def _mark_buttons(turn: Turn, meeting_id: int, answer: Answer | None) -> None:
    """Tick the chosen answer on the message that was pressed."""
    query = turn.update.callback_query
    if query is not None and query.message is not None and query.message.reply_markup is not None:
        turn.edit_buttons(answer_buttons(meeting_id, turn.lang, answer))


@answers(btn.ATTEND)
@member_handler
async def attend_pressed(turn: Turn):
    ids = await parse_or_refuse(turn, btn.ATTEND, "meeting_attend")
    if ids is None:
        return ConversationHandler.END
    if await attempt(turn, meetings.answer(turn.session, turn.actor, ids[0], Answer.attend), "meeting_attend") is None:
        return ConversationHandler.END
    settle(turn, lambda data: data.pop(PENDING, None))
    turn.answer(turn.t("meeting.answered_attend"), alert=True)
    _mark_buttons(turn, ids[0], Answer.attend)
    tell_outbox(turn, meetings.MEETING_DELIVERY, touch=ids[0])
    return ConversationHandler.END


def reason_buttons(meeting_id: int, lang: str, member_id: int | None = None, *,
                   paper: bool = False) -> InlineKeyboardMarkup:
    """The quick reasons: the member's own, or (member_id) the secretary's for them, given on paper or not."""
    def data(i: int) -> str:
        if member_id is None:
            return btn.REASON.data(meeting_id, i)
        return (btn.PAPER_REASON if paper else btn.PROXY_REASON).data(meeting_id, member_id, i)
    rows = [[InlineKeyboardButton(t(lang, f"meeting.reason.{code}"), callback_data=data(i))]
            for i, code in enumerate(REASONS)]
    return InlineKeyboardMarkup(rows)


@member_handler
async def absent_pressed(turn: Turn):
    meeting = await named_item(turn, btn.ABSENT, meetings.get_meeting)
    if meeting is None or not await meetings.is_invited(turn.session, meeting, turn.actor.member_id):
        await refuse(turn, "meeting_absent")
        return ConversationHandler.END
    if not open_for_answers(meeting):
        turn.answer(turn.t("meeting.error.answers_closed"), alert=True)
        return ConversationHandler.END
    turn.context.user_data[PENDING] = {"what": "reason", "meeting": meeting.id}
    turn.reply(turn.t("meeting.ask_reason", title=esc(meeting.title)), reason_buttons(meeting.id, turn.lang))
    return REASON


async def record_absent(turn: Turn, meeting_id: int, reason: str, for_member_id: int | None = None, *,
                        on_paper: bool = False) -> bool:
    """The member (or, for_member_id, the secretary for them) will be absent, for `reason`."""
    answered = meetings.answer(turn.session, turn.actor, meeting_id, Answer.absent, reason=reason,
                               for_member_id=for_member_id, on_paper=on_paper)
    if await attempt(turn, answered, "meeting_reason") is None:
        return False
    tell_outbox(turn, meetings.MEETING_DELIVERY, touch=meeting_id)
    return True


@answers(btn.REASON)
@member_handler
async def reason_pressed(turn: Turn):
    ids = btn.REASON.parse(turn.update.callback_query.data)
    if ids is None or ids[1] >= len(REASONS):
        await refuse(turn, "meeting_reason")
        return ConversationHandler.END
    # Reasons are kept in the handbook's language: the minutes are written in it.
    reason = t(turn.services.default_language, f"meeting.reason.{REASONS[ids[1]]}")
    if await record_absent(turn, ids[0], reason):
        settle(turn, lambda data: data.pop(PENDING, None))
        turn.edit(turn.t("meeting.answered_absent", reason=esc(reason)))
    return ConversationHandler.END


@member_handler
async def typed_reason(turn: Turn):
    pending = turn.context.user_data.get(PENDING) or {}
    if pending.get("what") != "reason":
        return ConversationHandler.END
    if turn.text.strip() in menu_texts():  # a big menu button, not a reason: let the member start over
        turn.context.user_data.pop(PENDING, None)
        turn.reply(turn.t("meeting.reason_dropped"), turn.menu())
        return ConversationHandler.END
    reason = " ".join(turn.text.split())
    if not reason:
        return REASON
    if len(reason) > meetings.REASON_MAX:
        turn.reply(turn.t("meeting.error.reason_long", limit=meetings.REASON_MAX))
        return REASON
    if await record_absent(turn, pending["meeting"], reason):
        settle(turn, lambda data: data.pop(PENDING, None))
        turn.reply(turn.t("meeting.answered_absent", reason=esc(reason)), turn.menu())
    return ConversationHandler.END


@answers(btn.OPEN)
@member_handler
async def open_pressed(turn: Turn):
    """A member opens a meeting from /meetings: the notice again, with their answer ticked."""
    ids = btn.OPEN.parse(turn.update.callback_query.data)
    meeting = await meetings.get_meeting(turn.session, ids[0], full=True) if ids else None
    if meeting is None or not (await meetings.is_invited(turn.session, meeting, turn.actor.member_id)
                               or may_manage_cell(turn.actor, meeting.cell)):
        await refuse(turn, "meeting_open")
        return
    row = await meetings.answer_of(turn.session, meeting.id, turn.actor.member_id)
    calls = notice_calls(meeting, turn.lang, turn.services.timezone, row.answer if row else None)
    if not open_for_answers(meeting):
        calls[-1][1].pop("reply_markup", None)
    bot, chat_id = turn.context.bot, turn.chat_id
    for method, params in calls:
        turn.later(functools.partial(bot_api, bot, method, {"chat_id": chat_id, **params}))


# --- /meetings: a member's calendar ---------------------------------------------------------------------------
@member_handler
async def meetings_command(turn: Turn):
    tz = turn.services.timezone
    lines = [turn.t("meetings.header")]
    rows = []
    member_id = turn.actor.member_id
    upcoming = await meetings.upcoming_for_member(turn.session, member_id) if member_id else []
    lines.append("")
    lines.append(turn.t("meetings.upcoming" if upcoming else "meetings.none_upcoming"))
    for item in upcoming:
        m = item.meeting
        answer_key = {Answer.attend: "meetings.you_attend", Answer.absent: "meetings.you_absent",
                      None: "meetings.you_silent"}[item.answer]
        lines.append(f"• <b>{when_text(turn.lang, m.starts_at, tz)}</b> — {esc(m.title)}")
        lines.append(f"   📍 {esc(m.place)} · {turn.t(answer_key)}")
        rows.append([InlineKeyboardButton(turn.t("meetings.button.open", date=day_text(m.starts_at, tz)),
                                          callback_data=btn.OPEN.data(m.id))])
    past = await meetings.past_for_member(turn.session, member_id) if member_id else []
    if past:
        lines.append("")
        lines.append(turn.t("meetings.past"))
        for item in past:
            m = item.meeting
            status = item.presence.value
            lines.append(f"• {day_text(m.starts_at, tz)} — {esc(m.title)}: "
                         f"{PRESENCE_MARK[status]} {turn.t(f'attendance.status.{status}')}")
    managed = await meetings.managed_meetings(turn.session, turn.actor) if turn.actor.is_officer else []
    if managed:
        lines.append("")
        lines.append(turn.t("meetings.managed"))
        for m in managed:
            rows.append([InlineKeyboardButton(f"📋 {day_text(m.starts_at, tz)} · {m.cell.name} · {m.title}"[:64],
                                              callback_data=btn.CARD.data(m.id))])
    turn.reply("\n".join(lines), InlineKeyboardMarkup(rows) if rows else turn.menu())
