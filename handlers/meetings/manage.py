"""The secretary's meeting: the live card, answers for members without a phone (by proxy, or copied from the
printed invitation), moving and cancelling."""
from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import meetings
from models.callback_data import Codec
from models.collation import name_key
from models.meetings import Answer, Meeting, MeetingError

from ..i18n import t
from ..live_status import tell_outbox
from ..steps import answers, refuse, settle
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .common import (
    MOVE,
    PENDING,
    REASONS,
    attempt,
    error_text,
    managed,
    managed_or_refuse,
    open_for_answers,
    reminder_offsets,
    typed_for,
    when_text,
)
from .render import STATUS, show_card
from .views import reason_buttons, record_absent


@managed(btn.CARD)
async def card_pressed(turn: Turn, meeting: Meeting, _: tuple):
    await show_card(turn, meeting, edit=True)


# --- answers for members without a phone: by proxy, or given on the printed invitation -----------------------
@managed(btn.PROXY)
async def proxy_pressed(turn: Turn, meeting: Meeting, _: tuple):
    """Members who have not answered (those without Telegram first): the secretary answers for them."""
    if _answerable(turn, meeting):
        await _proxy_list(turn, meeting, paper=False)


@managed(btn.PAPER)
async def paper_pressed(turn: Turn, meeting: Meeting, _: tuple):
    """Members without Telegram who have not answered: the secretary copies their answers from the paper."""
    if _answerable(turn, meeting):
        await _proxy_list(turn, meeting, paper=True)


@answers(btn.PROXY_ANSWER, btn.PAPER_ANSWER)
@member_handler
async def answer_for_pressed(turn: Turn):
    """✅ a name (of the proxy list or the paper one): recorded as attending; 🙏: the quick reasons, for the same list."""
    row = await _row_pressed(turn, btn.PROXY_ANSWER, btn.PAPER_ANSWER, range(2))
    if row is None:
        return
    meeting, member_id, attend, paper = row
    if not await meetings.is_invited(turn.session, meeting, member_id, on_paper=paper):
        await refuse(turn, "meeting_proxy")
        return
    if attend:
        answered = meetings.answer(turn.session, turn.actor, meeting.id, Answer.attend, for_member_id=member_id,
                                   on_paper=paper)
        if await attempt(turn, answered, "meeting_proxy") is None:
            return
        turn.answer(turn.t("meeting.proxy_recorded"))
        tell_outbox(turn, meetings.MEETING_DELIVERY, touch=meeting.id)
        await _proxy_list(turn, meeting, paper=paper)
        return
    if _answerable(turn, meeting):
        turn.edit(turn.t("meeting.proxy_reason"), reason_buttons(meeting.id, turn.lang, member_id, paper=paper))


async def _row_pressed(turn: Turn, proxy: Codec, paper: Codec, numbers: range) -> tuple[Meeting, int, int, bool] | None:
    """A button on a name of the proxy list (`proxy`) or of the paper one (`paper`, when its pattern routed the
    press here): the meeting, the member, the button's number (one of `numbers`) and whether on paper; None once
    refused."""
    on_paper = re.match(paper.pattern, turn.update.callback_query.data) is not None
    meeting, ids = await managed_or_refuse(turn, paper if on_paper else proxy)
    if meeting is None:
        return None
    _, member_id, number = ids
    if number not in numbers:
        await refuse(turn, "meeting_proxy")
        return None
    return meeting, member_id, number, on_paper


def _answerable(turn: Turn, meeting: Meeting) -> bool:
    """A list or a question of answers only while they are taken (a stale button of a cancelled meeting: said)."""
    try:
        meetings.check_answerable(meeting)
    except MeetingError as exc:
        turn.answer(error_text(turn.lang, exc), alert=True)
        return False
    return True


async def _proxy_list(turn: Turn, meeting: Meeting, *, paper: bool) -> None:
    """Who has not answered, a row each: ✅ (will attend) and 🙏 (absent). On paper: members without Telegram only."""
    a = await meetings.answers(turn.session, meeting.id)
    silent = [x for x in a.silent if not (paper and x.reachable)]
    waiting = sorted(silent, key=lambda x: (x.reachable, name_key(x.name)))[:30]
    codec = btn.PAPER_ANSWER if paper else btn.PROXY_ANSWER
    rows = [[InlineKeyboardButton(f"✅ {'📵 ' if not m.reachable else ''}{m.name}"[:60],
                                  callback_data=codec.data(meeting.id, m.member_id, 1)),
             InlineKeyboardButton(turn.t("meeting.button.proxy_absent"),
                                  callback_data=codec.data(meeting.id, m.member_id, 0))] for m in waiting]
    rows.append([InlineKeyboardButton(turn.t("meeting.button.back"), callback_data=btn.CARD.data(meeting.id))])
    if paper:
        key = "print.paper.header" if waiting else "print.paper.none"
    else:
        key = "meeting.proxy_header" if waiting else "meeting.proxy_none"
    await STATUS.leave(turn, meeting)
    turn.edit(turn.t(key, title=esc(meeting.title)), InlineKeyboardMarkup(rows))


@answers(btn.PROXY_REASON, btn.PAPER_REASON)
@member_handler
async def reason_for_pressed(turn: Turn):
    """🙏 a quick reason, for a name of the proxy list or the paper one: recorded as absent."""
    row = await _row_pressed(turn, btn.PROXY_REASON, btn.PAPER_REASON, range(len(REASONS)))
    if row is None:
        return
    meeting, member_id, code, paper = row
    reason = t(turn.services.default_language, f"meeting.reason.{REASONS[code]}")
    if await record_absent(turn, meeting.id, reason, for_member_id=member_id, on_paper=paper):
        turn.answer(turn.t("meeting.proxy_recorded"))
        await _proxy_list(turn, meeting, paper=paper)


@managed(btn.MOVE, refused=ConversationHandler.END)
async def move_pressed(turn: Turn, meeting: Meeting, _: tuple):
    if not open_for_answers(meeting):
        turn.answer(turn.t("meeting.error.already_started"), alert=True)
        return ConversationHandler.END
    turn.context.user_data[PENDING] = {"what": "move", "meeting": meeting.id}
    turn.reply(turn.t("meeting.ask_move", when=when_text(turn.lang, meeting.starts_at, turn.services.timezone),
                      place=esc(meeting.place)))
    return MOVE


@typed_for("move")
async def typed_move(turn: Turn, pending: dict):
    when, _, place = turn.text.partition("|")
    try:
        day, at = meetings.parse_when(when)
        if at is None:
            raise MeetingError("time_missing")
        starts_at = meetings.local_start(day, at, turn.services.timezone)
        change = await meetings.move_meeting(turn.session, turn.actor, pending["meeting"], starts_at=starts_at,
                                             place=place.strip() or None, reminders=reminder_offsets(turn))
    except MeetingError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "meeting_move")
            return ConversationHandler.END
        turn.reply(error_text(turn.lang, exc) + "\n" + turn.t("meeting.try_again_move"))
        return MOVE
    settle(turn, lambda data: data.pop(PENDING, None))
    turn.reply(turn.t("meeting.moved", when=when_text(turn.lang, change.new_starts_at, turn.services.timezone)),
               turn.menu())
    STATUS.post(turn, pending["meeting"])
    tell_outbox(turn, meetings.MEETING_DELIVERY, wake=True)
    return ConversationHandler.END


@managed(btn.CANCEL)
async def cancel_pressed(turn: Turn, meeting: Meeting, _: tuple):
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(turn.t("meeting.button.cancel_yes"), callback_data=btn.CANCEL_YES.data(meeting.id)),
        InlineKeyboardButton(turn.t("meeting.button.back"), callback_data=btn.CARD.data(meeting.id)),
    ]])
    await STATUS.leave(turn, meeting)
    turn.edit(turn.t("meeting.ask_cancel", title=esc(meeting.title),
                     when=when_text(turn.lang, meeting.starts_at, turn.services.timezone)), markup)


@managed(btn.CANCEL_YES)
async def cancel_confirmed(turn: Turn, meeting: Meeting, _: tuple):
    if await attempt(turn, meetings.cancel_meeting(turn.session, turn.actor, meeting.id)) is None:
        return
    turn.edit(turn.t("meeting.cancelled", title=esc(meeting.title)))
    tell_outbox(turn, meetings.MEETING_DELIVERY, wake=True)
