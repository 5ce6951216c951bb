"""/attendance and the record of the meeting.

At the meeting the secretary taps each member's name to cycle present → excused → unexcused →
exempt, or "all present". Afterwards they type what was discussed and the decisions (one line
each) and close the meeting; the minutes (minutes.py here) are drafted from all of it.
"""
from __future__ import annotations

import math

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import clock, meetings
from models.meetings import Meeting, MeetingError, MeetingState, Presence
from models.permissions import managed_cells

from ..steps import refuse, settle
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .common import (
    CONTENT,
    DECISIONS,
    PENDING,
    attempt,
    day_text,
    error_text,
    managed,
    record,
    tell_error,
    too_long,
    typed_for,
    when_text,
)
from .minutes import show_draft
from .render import STATUS

ROLL_PAGE = 30
MARK = {None: "⬜", Presence.present: "✅", Presence.excused: "🙏", Presence.unexcused: "❌", Presence.exempt: "🕊"}


# --- the roll-call ---------------------------------------------------------------------------------------
async def roll_view(turn: Turn, meeting: Meeting, page: int) -> tuple[str, InlineKeyboardMarkup]:
    entries = await meetings.roll(turn.session, meeting.id)
    pages = max(1, math.ceil(len(entries) / ROLL_PAGE))
    page = min(max(page, 0), pages - 1)
    counts = {s: sum(1 for e in entries if e.status is s) for s in MARK}
    lines = [
        turn.t("attendance.header", title=esc(meeting.title), cell=esc(meeting.cell.name),
               when=when_text(turn.lang, meeting.starts_at, turn.services.timezone)),
        turn.t("attendance.counts", present=counts[Presence.present], excused=counts[Presence.excused],
               unexcused=counts[Presence.unexcused], exempt=counts[Presence.exempt], unmarked=counts[None],
               members=len(entries)),
        turn.t("attendance.legend"),
    ]
    rows = []
    for e in entries[page * ROLL_PAGE:(page + 1) * ROLL_PAGE]:
        extra = " 📝" if e.reason else ""
        rows.append([InlineKeyboardButton(f"{MARK[e.status]} {e.name}{extra}"[:60],
                                          callback_data=btn.MARK.data(meeting.id, e.member_id, page))])
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(turn.t("pager.prev"), callback_data=btn.ROLL.data(meeting.id, page - 1)))
    if page + 1 < pages:
        nav.append(InlineKeyboardButton(turn.t("pager.next"), callback_data=btn.ROLL.data(meeting.id, page + 1)))
    if nav:
        rows.append(nav)
    if meeting.state is MeetingState.scheduled:
        if counts[None]:
            rows.append([InlineKeyboardButton(turn.t("attendance.button.all_present"),
                                              callback_data=btn.ALL_PRESENT.data(meeting.id, page))])
        rows.append([InlineKeyboardButton(turn.t("meeting.button.close"), callback_data=btn.CLOSE.data(meeting.id))])
    else:
        rows.append([InlineKeyboardButton(turn.t("meeting.button.minutes"), callback_data=btn.MINUTES.data(meeting.id))])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def _show_roll(turn: Turn, meeting: Meeting, page: int, *, edit: bool) -> None:
    text, markup = await roll_view(turn, meeting, page)
    if edit:
        await STATUS.leave(turn, meeting)
    turn.edit(text, markup) if edit else turn.reply(text, markup)


async def _open(turn: Turn, meeting: Meeting) -> bool:
    try:
        await meetings.open_roll_call(turn.session, turn.actor, meeting.id)
    except MeetingError as exc:
        await tell_error(turn, exc, "attendance")
        return False
    return True


@member_handler
async def attendance_command(turn: Turn):
    """The meetings whose roll can be taken now; one of them opens at once."""
    cells = await managed_cells(turn.session, turn.actor)
    if not cells:
        await refuse(turn, "attendance")
        return
    candidates = await meetings.roll_call_due(turn.session, turn.actor)
    if not candidates:
        turn.reply(turn.t("attendance.none", hours=int(meetings.ROLL_CALL_OPENS.total_seconds() // 3600)))
        return
    if len(candidates) == 1:
        if await _open(turn, candidates[0]):
            await _show_roll(turn, candidates[0], 0, edit=False)
        return
    tz = turn.services.timezone
    rows = [[InlineKeyboardButton(f"📋 {day_text(m.starts_at, tz)} · {m.cell.name} · {m.title}"[:64],
                                  callback_data=btn.ROLL.data(m.id, 0))] for m in candidates[:20]]
    turn.reply(turn.t("attendance.choose"), InlineKeyboardMarkup(rows))


@managed(btn.ROLL)
async def roll_pressed(turn: Turn, meeting: Meeting, ids: tuple):
    if await _open(turn, meeting):
        await _show_roll(turn, meeting, ids[1], edit=True)


@managed(btn.MARK)
async def mark_pressed(turn: Turn, meeting: Meeting, ids: tuple):
    _, member_id, page = ids
    row = await attempt(turn, meetings.mark(turn.session, turn.actor, meeting.id, member_id), "attendance_mark")
    if row is None:
        return
    turn.answer(turn.t(f"attendance.status.{row.status.value}"))
    await _show_roll(turn, meeting, page, edit=True)


@managed(btn.ALL_PRESENT)
async def all_present_pressed(turn: Turn, meeting: Meeting, ids: tuple):
    count = await attempt(turn, meetings.mark_all_present(turn.session, turn.actor, meeting.id))
    if count is None:
        return
    turn.answer(turn.t("attendance.all_marked", count=count))
    await _show_roll(turn, meeting, ids[1], edit=True)


# --- recording and closing -----------------------------------------------------------------------------------
@managed(btn.CLOSE, refused=ConversationHandler.END)
async def close_pressed(turn: Turn, meeting: Meeting, _: tuple):
    reason = None
    if meeting.state is not MeetingState.scheduled:
        reason = "already_closed" if meeting.state is MeetingState.closed else "cancelled"
    elif meeting.starts_at > clock.now():
        reason = "not_started"
    elif meeting.roll_call_at is None:
        reason = "no_roll_call"
    if reason:
        turn.answer(error_text(turn.lang, MeetingError(reason)), alert=True)
        return ConversationHandler.END
    turn.context.user_data[PENDING] = {"what": "content", "meeting": meeting.id}
    turn.reply(turn.t("meeting.close.ask_content", title=esc(meeting.title), limit=meetings.CONTENT_MAX))
    return CONTENT


@typed_for("content")
async def typed_content(turn: Turn, pending: dict):
    content = turn.text.strip()
    if too_long(turn, content, meetings.CONTENT_MAX, "meeting.error.content_long"):
        return CONTENT
    if await record(turn, pending["meeting"], content=content) is None:
        return CONTENT
    settle(turn, lambda data: data.get(PENDING, {}).update(what="decisions"))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("meeting.close.button.no_decisions"),
                                                         callback_data=btn.NO_DECISIONS.data(pending['meeting']))]])
    turn.reply(turn.t("meeting.close.ask_decisions", limit=meetings.DECISIONS_MAX), markup)
    return DECISIONS


async def _ask_close(turn: Turn, meeting_id: int):
    settle(turn, lambda data: data.pop(PENDING, None))
    meeting = await meetings.get_meeting(turn.session, meeting_id, full=True)
    unmarked = sum(1 for e in await meetings.roll(turn.session, meeting_id) if e.status is None)
    lines = [turn.t("meeting.close.summary", decisions=len(meeting.decisions), present=meeting.present_count,
                    members=meeting.member_count)]
    if unmarked:
        lines.append(turn.t("meeting.close.unmarked_warning", count=unmarked))
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(turn.t("meeting.close.button.confirm"), callback_data=btn.CLOSE_YES.data(meeting_id)),
        InlineKeyboardButton(turn.t("meeting.button.roll_call"), callback_data=btn.ROLL.data(meeting_id, 0)),
    ]])
    turn.reply("\n".join(lines), markup)
    return ConversationHandler.END


@typed_for("decisions")
async def typed_decisions(turn: Turn, pending: dict):
    lines = meetings.clean_decisions(turn.text.splitlines())
    if await record(turn, pending["meeting"], decisions=lines) is None:
        return DECISIONS
    return await _ask_close(turn, pending["meeting"])


@managed(btn.NO_DECISIONS, refused=ConversationHandler.END)
async def no_decisions(turn: Turn, meeting: Meeting, _: tuple):
    if await record(turn, meeting.id, decisions=[]) is None:
        return ConversationHandler.END
    turn.edit(turn.t("meeting.close.no_decisions"))
    return await _ask_close(turn, meeting.id)


@managed(btn.CLOSE_YES)
async def close_confirmed(turn: Turn, meeting: Meeting, _: tuple):
    full = await meetings.get_meeting(turn.session, meeting.id, full=True)
    closed = meetings.close_meeting(turn.session, turn.actor, meeting.id, content=full.content or "",
                                    decisions=[d.text for d in full.decisions])
    if await attempt(turn, closed) is None:
        return
    turn.edit(turn.t("meeting.close.done", title=esc(meeting.title)))
    await show_draft(turn, meeting.id, edit=False)
