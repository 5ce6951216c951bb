"""/attendance, the record of the meeting and its minutes.

At the meeting the secretary taps each member's name to cycle present → excused → unexcused →
exempt, or "all present". Afterwards they type what was discussed and the decisions (one line
each) and close the meeting; the minutes are drafted from the data, edited field by field,
approved, and sent as a Word file kept with the meeting (its file_id re-sends it to the committee).
"""
from __future__ import annotations

import asyncio
import logging
import math
from datetime import tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from models import clock, meetings, minutes
from models.db import transaction
from models.meetings import Meeting, MeetingError, MeetingState, Presence
from models.permissions import Action, managed_cells, may, may_manage_cell

from . import meetings as views
from .buttons import meetings as btn
from .i18n import t
from .keyboards import main_menu
from .minutes_docx import docx_name, option_label, render_docx, verdict
from .steps import refuse
from .turn import Turn, esc, member_handler

log = logging.getLogger(__name__)

ROLL_PAGE = 30
MARK = {None: "⬜", Presence.present: "✅", Presence.excused: "🙏", Presence.unexcused: "❌", Presence.exempt: "🕊"}
FIELDS = {"c": "chair", "r": "recorder", "n": "content", "d": "decisions"}
EXCERPT = 600


# --- the roll-call ---------------------------------------------------------------------------------------
async def roll_view(turn: Turn, meeting: Meeting, page: int) -> tuple[str, InlineKeyboardMarkup]:
    entries = await meetings.roll(turn.session, meeting.id)
    pages = max(1, math.ceil(len(entries) / ROLL_PAGE))
    page = min(max(page, 0), pages - 1)
    counts = {s: sum(1 for e in entries if e.status is s) for s in MARK}
    lines = [
        turn.t("attendance.header", title=esc(meeting.title), cell=esc(meeting.cell.name),
               when=views.when_text(turn.lang, meeting.starts_at, turn.services.timezone)),
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
    turn.edit(text, markup) if edit else turn.reply(text, markup)


async def _open(turn: Turn, meeting: Meeting) -> bool:
    try:
        await meetings.open_roll_call(turn.session, turn.actor, meeting.id)
    except MeetingError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "attendance")
        elif turn.update.callback_query is not None:
            turn.answer(views.error_text(turn.lang, exc), alert=True)
        else:
            turn.reply(views.error_text(turn.lang, exc))
        return False
    return True


@member_handler
async def attendance_command(turn: Turn):
    """The meetings whose roll can be taken now; one of them opens at once."""
    cells = await managed_cells(turn.session, turn.actor)
    if not cells:
        await refuse(turn, "attendance")
        return
    now = clock.now()
    candidates = [m for m in await meetings.managed_meetings(turn.session, turn.actor, limit=30)
                  if m.minutes_approved_at is None and m.state is not MeetingState.cancelled
                  and now >= m.starts_at - meetings.ROLL_CALL_OPENS]
    if not candidates:
        turn.reply(turn.t("attendance.none", hours=int(meetings.ROLL_CALL_OPENS.total_seconds() // 3600)))
        return
    if len(candidates) == 1:
        if await _open(turn, candidates[0]):
            await _show_roll(turn, candidates[0], 0, edit=False)
        return
    tz = turn.services.timezone
    rows = [[InlineKeyboardButton(f"📋 {views.day_text(m.starts_at, tz)} · {m.cell.name} · {m.title}"[:64],
                                  callback_data=btn.ROLL.data(m.id, 0))] for m in candidates[:20]]
    turn.reply(turn.t("attendance.choose"), InlineKeyboardMarkup(rows))


@member_handler
async def roll_pressed(turn: Turn):
    meeting, ids = await views.managed_or_refuse(turn, btn.ROLL)
    if meeting is not None and await _open(turn, meeting):
        await _show_roll(turn, meeting, ids[1], edit=True)


@member_handler
async def mark_pressed(turn: Turn):
    meeting, ids = await views.managed_or_refuse(turn, btn.MARK)
    if meeting is None:
        return
    _, member_id, page = ids
    try:
        row = await meetings.mark(turn.session, turn.actor, meeting.id, member_id)
    except MeetingError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "attendance_mark")
        else:
            turn.answer(views.error_text(turn.lang, exc), alert=True)
        return
    turn.answer(turn.t(f"attendance.status.{row.status.value}"))
    await _show_roll(turn, meeting, page, edit=True)


@member_handler
async def all_present_pressed(turn: Turn):
    meeting, ids = await views.managed_or_refuse(turn, btn.ALL_PRESENT)
    if meeting is None:
        return
    try:
        count = await meetings.mark_all_present(turn.session, turn.actor, meeting.id)
    except MeetingError as exc:
        turn.answer(views.error_text(turn.lang, exc), alert=True)
        return
    turn.answer(turn.t("attendance.all_marked", count=count))
    await _show_roll(turn, meeting, ids[1], edit=True)


# --- recording and closing -----------------------------------------------------------------------------------
@member_handler
async def close_pressed(turn: Turn):
    meeting, _ = await views.managed_or_refuse(turn, btn.CLOSE)
    if meeting is None:
        return ConversationHandler.END
    reason = None
    if meeting.state is not MeetingState.scheduled:
        reason = "already_closed" if meeting.state is MeetingState.closed else "cancelled"
    elif meeting.starts_at > clock.now():
        reason = "not_started"
    elif meeting.roll_call_at is None:
        reason = "no_roll_call"
    if reason:
        turn.answer(views.error_text(turn.lang, MeetingError(reason)), alert=True)
        return ConversationHandler.END
    turn.context.user_data[views.PENDING] = {"what": "content", "meeting": meeting.id}
    turn.reply(turn.t("meeting.close.ask_content", title=esc(meeting.title), limit=meetings.CONTENT_MAX))
    return views.CONTENT


def _pending(turn: Turn, what: str) -> dict | None:
    pending = turn.context.user_data.get(views.PENDING) or {}
    return pending if pending.get("what") == what else None


async def _record(turn: Turn, meeting_id: int, **fields) -> Meeting | None:
    try:
        return await meetings.record_content(turn.session, turn.actor, meeting_id, **fields)
    except MeetingError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "meeting_record")
        else:
            turn.reply(views.error_text(turn.lang, exc))
        return None


@member_handler
async def typed_content(turn: Turn):
    pending = _pending(turn, "content")
    if pending is None:
        return ConversationHandler.END
    content = turn.text.strip()
    if views.paste_tail(turn, refused=False):
        return views.CONTENT
    if len(content) > meetings.CONTENT_MAX:
        views.paste_tail(turn, refused=True)
        turn.reply(turn.t("meeting.error.content_long", limit=meetings.CONTENT_MAX))
        return views.CONTENT
    if await _record(turn, pending["meeting"], content=content) is None:
        return views.CONTENT
    views.settle(turn, lambda data: data.get(views.PENDING, {}).update(what="decisions"))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("meeting.close.button.no_decisions"),
                                                         callback_data=btn.NO_DECISIONS.data(pending['meeting']))]])
    turn.reply(turn.t("meeting.close.ask_decisions", limit=meetings.DECISIONS_MAX), markup)
    return views.DECISIONS


async def _ask_close(turn: Turn, meeting_id: int):
    views.settle(turn, lambda data: data.pop(views.PENDING, None))
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


@member_handler
async def typed_decisions(turn: Turn):
    pending = _pending(turn, "decisions")
    if pending is None:
        return ConversationHandler.END
    lines = meetings.clean_decisions(turn.text.splitlines())
    if await _record(turn, pending["meeting"], decisions=lines) is None:
        return views.DECISIONS
    return await _ask_close(turn, pending["meeting"])


@member_handler
async def no_decisions(turn: Turn):
    meeting, _ = await views.managed_or_refuse(turn, btn.NO_DECISIONS)
    if meeting is None:
        return ConversationHandler.END
    if await _record(turn, meeting.id, decisions=[]) is None:
        return ConversationHandler.END
    turn.edit(turn.t("meeting.close.no_decisions"))
    return await _ask_close(turn, meeting.id)


@member_handler
async def close_confirmed(turn: Turn):
    meeting, _ = await views.managed_or_refuse(turn, btn.CLOSE_YES)
    if meeting is None:
        return
    full = await meetings.get_meeting(turn.session, meeting.id, full=True)
    try:
        await meetings.close_meeting(turn.session, turn.actor, meeting.id, content=full.content or "",
                                     decisions=[d.text for d in full.decisions])
    except MeetingError as exc:
        turn.answer(views.error_text(turn.lang, exc), alert=True)
        return
    turn.edit(turn.t("meeting.close.done", title=esc(meeting.title)))
    await _show_draft(turn, meeting.id, edit=False)


# --- the minutes ----------------------------------------------------------------------------------------------
def base_text(lang: str, *, base: int, members: int, exempt: int, exempt_counted: bool) -> str:
    """The base of a percentage, said next to it (DOMAIN.md): with or without the exempt who stayed away."""
    if exempt_counted or not exempt:
        return t(lang, "report.base.counted", base=base)
    return t(lang, "report.base.not_counted", base=base, exempt=exempt)


def votes_lines(lang: str, votes: list[minutes.VoteResult], known: bool) -> list[str]:
    if not votes:
        return [t(lang, "minutes.no_votes")]
    out = []
    for i, v in enumerate(votes, 1):
        counts = ", ".join(f"{esc(option_label(lang, label, kind))}: {count}" for label, count, kind in v.options)
        out.append(t(lang, "minutes.vote.line", n=i, question=esc(v.question), counts=counts, cast=v.cast,
                     eligible=v.eligible, verdict=esc(verdict(lang, v))))
    return out


def minutes_text(m: minutes.Minutes, lang: str, tz: tzinfo | None) -> str:
    kind = views.kind_label(lang, meetings.MeetingKind(m.kind))
    lines = [
        t(lang, "minutes.draft_header") if m.approved_at is None else t(lang, "minutes.approved_header"),
        f"{kind} · {esc(m.unit_name)}",
        f"<b>{esc(m.title)}</b>",
        t(lang, "meeting.line.when", when=views.when_text(lang, m.starts_at, tz)),
        t(lang, "meeting.line.place", place=esc(m.place)),
        t(lang, "minutes.chair", name=esc(m.chair or "—")),
        t(lang, "minutes.recorder", name=esc(m.recorder or "—")),
        "",
        t(lang, "minutes.attendance", present=m.present, base=m.base, percent=m.percent,
          basis=base_text(lang, base=m.base, members=m.members, exempt=m.exempt, exempt_counted=m.exempt_counted)),
        t(lang, "minutes.absences", excused=m.excused, unexcused=m.unexcused, exempt=m.exempt),
    ]
    for a in m.absent:
        reason = f" — {esc(a.reason)}" if a.reason else ""
        lines.append(f"• {esc(a.name)}: {t(lang, f'attendance.status.{a.status}')}{reason}")
    if m.agenda:
        lines += ["", t(lang, "minutes.agenda"), esc(m.agenda)]
    lines += ["", t(lang, "minutes.content"), esc(m.content) or "—"]
    lines += ["", t(lang, "minutes.decisions")]
    lines += [f"{i}. {esc(d)}" for i, d in enumerate(m.decisions, 1)] or ["—"]
    lines += ["", t(lang, "minutes.votes")] + votes_lines(lang, m.votes, m.votes_known)
    return "\n".join(lines)


def _draft_buttons(turn: Turn, meeting_id: int) -> InlineKeyboardMarkup:
    b = InlineKeyboardButton
    return InlineKeyboardMarkup([
        [b(turn.t("minutes.button.chair"), callback_data=btn.MINUTES_FIELD.data(meeting_id, "c")),
         b(turn.t("minutes.button.recorder"), callback_data=btn.MINUTES_FIELD.data(meeting_id, "r"))],
        [b(turn.t("minutes.button.content"), callback_data=btn.MINUTES_FIELD.data(meeting_id, "n")),
         b(turn.t("minutes.button.decisions"), callback_data=btn.MINUTES_FIELD.data(meeting_id, "d"))],
        [b(turn.t("minutes.button.attendance"), callback_data=btn.ROLL.data(meeting_id, 0))],
        [b(turn.t("minutes.button.approve"), callback_data=btn.APPROVE.data(meeting_id))],
    ])


async def _show_draft(turn: Turn, meeting_id: int, *, edit: bool) -> None:
    m = await minutes.draft_minutes(turn.session, meeting_id)
    text = minutes_text(m, turn.lang, turn.services.timezone)
    if m.approved_at is None:
        markup = _draft_buttons(turn, meeting_id)
    else:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("minutes.button.download"),
                                                             callback_data=btn.DOWNLOAD.data(meeting_id))]])
    turn.edit(text, markup) if edit else turn.reply(text, markup)


@member_handler
async def draft_pressed(turn: Turn):
    meeting, _ = await views.managed_or_refuse(turn, btn.MINUTES)
    if meeting is None:
        return
    if meeting.state is not MeetingState.closed:
        turn.answer(views.error_text(turn.lang, MeetingError("not_closed")), alert=True)
        return
    await _show_draft(turn, meeting.id, edit=False)


@member_handler
async def edit_field_pressed(turn: Turn):
    meeting_id, code = btn.MINUTES_FIELD.parse(turn.update.callback_query.data) or (None, None)
    ids = [meeting_id] if code in FIELDS else None
    meeting = await meetings.get_meeting(turn.session, ids[0]) if ids else None
    if meeting is None or not may_manage_cell(turn.actor, meeting.cell):
        await refuse(turn, "minutes_edit")
        return ConversationHandler.END
    if meeting.minutes_approved_at is not None or meeting.state is not MeetingState.closed:
        turn.answer(views.error_text(turn.lang, MeetingError(
            "minutes_approved" if meeting.minutes_approved_at else "not_closed")), alert=True)
        return ConversationHandler.END
    turn.context.user_data[views.PENDING] = {"what": "edit", "meeting": meeting.id, "field": FIELDS[code]}
    limit = {"chair": meetings.NAME_MAX, "recorder": meetings.NAME_MAX, "content": meetings.CONTENT_MAX,
             "decisions": meetings.DECISIONS_MAX}[FIELDS[code]]
    turn.reply(turn.t(f"minutes.ask.{FIELDS[code]}", limit=limit))
    return views.EDIT


@member_handler
async def typed_field(turn: Turn):
    pending = _pending(turn, "edit")
    if pending is None:
        return ConversationHandler.END
    field, value = pending["field"], turn.text.strip()
    if field == "decisions":
        fields = {"decisions": meetings.clean_decisions(value.splitlines())}
    elif field == "content":
        fields = {"content": value}
    else:
        fields = {f"{field}_name": value}
    if await _record(turn, pending["meeting"], **fields) is None:
        return views.EDIT
    views.settle(turn, lambda data: data.pop(views.PENDING, None))
    turn.reply(turn.t("minutes.saved"), main_menu(turn.lang))
    await _show_draft(turn, pending["meeting"], edit=False)
    return ConversationHandler.END


@member_handler
async def approve_pressed(turn: Turn):
    meeting, _ = await views.managed_or_refuse(turn, btn.APPROVE)
    if meeting is None:
        return
    try:
        approved = await minutes.approve_minutes(turn.session, turn.actor, meeting.id)
    except MeetingError as exc:
        turn.answer(views.error_text(turn.lang, exc), alert=True)
        return
    turn.answer(turn.t("minutes.approved"))
    turn.edit(minutes_text(approved, turn.lang, turn.services.timezone))
    _send_docx(turn, meeting.id, approved, remember=True)


def _send_docx(turn: Turn, meeting_id: int, m: minutes.Minutes, *, remember: bool) -> None:
    """After the commit: render the Word file off the event loop, send it, keep its file_id."""
    bot, chat_id, sessionmaker = turn.context.bot, turn.chat_id, turn.services.sessionmaker
    # The minutes are a party document: written in the handbook's language, whoever approves them.
    doc_lang, tz = turn.services.default_language, turn.services.timezone
    caption = turn.t("minutes.caption", title=esc(m.title), unit=esc(m.unit_name))

    async def send() -> None:
        data = await asyncio.to_thread(render_docx, m, doc_lang, tz)
        message = await bot.send_document(chat_id, InputFile(data, filename=docx_name(m, tz)), caption=caption)
        if remember and message.document is not None:
            async with transaction(sessionmaker) as session:
                await minutes.set_minutes_file(session, meeting_id, message.document.file_id)

    turn.later(send)


@member_handler
async def download_pressed(turn: Turn):
    """The approved minutes, for the secretary or any committee above the cell."""
    ids = btn.DOWNLOAD.parse(turn.update.callback_query.data)
    meeting = await meetings.get_meeting(turn.session, ids[0]) if ids else None
    if meeting is None or not (may_manage_cell(turn.actor, meeting.cell)
                               or may(turn.actor, Action.view_reports, meeting.cell.path)):
        await refuse(turn, "minutes_download")
        return
    if meeting.minutes_approved_at is None:
        turn.answer(turn.t("minutes.not_approved"), alert=True)
        return
    if meeting.minutes_file_id:
        file_id, caption = meeting.minutes_file_id, turn.t("minutes.caption", title=esc(meeting.title),
                                                           unit=esc(meeting.cell.name))
        turn.later(lambda: turn.context.bot.send_document(turn.chat_id, file_id, caption=caption))
        return
    m = await minutes.draft_minutes(turn.session, meeting.id)
    _send_docx(turn, meeting.id, m, remember=True)


# --- wiring (one conversation with /meeting: see handlers/meetings.register) ---------------------------------
def entry_points() -> list:
    return [CallbackQueryHandler(close_pressed, pattern=btn.CLOSE.pattern),
            CallbackQueryHandler(edit_field_pressed, pattern=btn.MINUTES_FIELD.pattern)]


def states(text) -> dict:
    return {
        views.CONTENT: [MessageHandler(text, typed_content)],
        views.DECISIONS: [MessageHandler(text, typed_decisions), CallbackQueryHandler(no_decisions, pattern=btn.NO_DECISIONS.pattern)],
        views.EDIT: [MessageHandler(text, typed_field)],
    }


def register(app) -> None:
    app.add_handler(CommandHandler("attendance", attendance_command))
    app.add_handler(CallbackQueryHandler(roll_pressed, pattern=btn.ROLL.pattern))
    app.add_handler(CallbackQueryHandler(mark_pressed, pattern=btn.MARK.pattern))
    app.add_handler(CallbackQueryHandler(all_present_pressed, pattern=btn.ALL_PRESENT.pattern))
    app.add_handler(CallbackQueryHandler(no_decisions, pattern=btn.NO_DECISIONS.pattern))
    app.add_handler(CallbackQueryHandler(close_confirmed, pattern=btn.CLOSE_YES.pattern))
    app.add_handler(CallbackQueryHandler(draft_pressed, pattern=btn.MINUTES.pattern))
    app.add_handler(CallbackQueryHandler(approve_pressed, pattern=btn.APPROVE.pattern))
    app.add_handler(CallbackQueryHandler(download_pressed, pattern=btn.DOWNLOAD.pattern))
