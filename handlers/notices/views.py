"""What members and officers see of notices: the buttons under a notice (read, studied, open), /notices
(the inbox; what an officer's units sent, their status, reminders, study rates) and /documents.

Callback data is short and opaque ("nr:42"); every press is checked against the database (is the
presser an addressee, may they see this status).
"""
from __future__ import annotations

import math

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import audit, notices
from models.notices import Confirmed, Notice
from models.permissions import Action, may, scope_paths

from ..keyboards import list_markup
from ..live_status import tell_outbox
from ..steps import answers, item_handler, named_item, paged, refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .render import EMOJI, STATUS, button_title, local_day, notice_calls, send_calls

DOC_QUERY = "documents_query"
PAGE_SIZE = 8


async def _may_follow(turn: Turn, notice: Notice) -> bool:
    return notice.sender_member_id == turn.actor.member_id or may(turn.actor, Action.view_reports, notice.unit.path)


async def _may_remind(turn: Turn, notice: Notice) -> bool:
    return notice.sender_member_id == turn.actor.member_id or may(turn.actor, Action.manage_cell, notice.unit.path)


# --- members: read, study, open ----------------------------------------------------------------------------------------
def _without(markup: InlineKeyboardMarkup | None, *data: str) -> InlineKeyboardMarkup | None:
    rows = [[b for b in row if b.callback_data not in data] for row in (markup.inline_keyboard if markup else ())]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def _drop_buttons(turn: Turn, *data: str) -> None:
    message = turn.update.callback_query.message
    if message is not None:
        turn.edit_buttons(_without(message.reply_markup, *data))


async def _confirm(turn: Turn, codec, mark, what: str, said: str, *dropped) -> None:
    """✅ Đã đọc / Đã học tập: recorded (or already), the buttons it answers go, the status follows."""
    ids = codec.parse(turn.update.callback_query.data)
    result = await mark(turn.session, ids[0], turn.actor.member_id) if ids else None
    if result in (None, Confirmed.not_addressee):
        await refuse(turn, what)
        return
    if result is Confirmed.not_for_study:
        turn.answer(turn.t("error.bad_button"))
        return
    turn.answer(turn.t(f"{said}_thanks" if result is Confirmed.recorded else f"{said}_already"))
    _drop_buttons(turn, *(c.data(ids[0]) for c in dropped))
    tell_outbox(turn, notices.NOTICE_DELIVERY, touch=ids[0])


@answers(btn.READ)
@member_handler
async def read_pressed(turn: Turn):
    await _confirm(turn, btn.READ, notices.mark_read, "notice_read", "notice.read", btn.READ)


@answers(btn.STUDIED)
@member_handler
async def studied_pressed(turn: Turn):
    await _confirm(turn, btn.STUDIED, notices.mark_studied, "notice_studied", "notice.studied", btn.STUDIED, btn.READ)


@answers(btn.OPEN)
@member_handler
async def open_pressed(turn: Turn):
    notice = await named_item(turn, btn.OPEN, notices.get_notice)
    row = await notices.addressee(turn.session, notice.id, turn.actor.member_id) if notice else None
    if notice is None or (row is None and not await _may_follow(turn, notice)):
        await refuse(turn, "notice_open")
        return
    send_calls(turn, notice_calls(notice, turn.lang, turn.services.timezone,
                                   read=row is None or row.read_at is not None,
                                   studied=row is None or row.studied_at is not None))


# --- /notices: the inbox; what an officer sent ------------------------------------------------------------------------------
def item_button(turn: Turn, item: notices.Listed, data: str, *, unread_mark: bool) -> InlineKeyboardButton:
    n = item.notice
    day = local_day(n.dispatched_at or n.send_at, turn.services.timezone)
    title = button_title(n.title)
    mark = "🆕 " if unread_mark and item.read_at is None else ""
    return InlineKeyboardButton(f"{mark}{EMOJI[n.kind]} {day} · {title}", callback_data=data)


async def show_inbox(turn: Turn, page: int, *, edit: bool) -> None:
    result = await notices.inbox(turn.session, turn.actor.member_id, page * PAGE_SIZE, PAGE_SIZE)
    rows = [[item_button(turn, item, btn.OPEN.data(item.notice.id), unread_mark=True)] for item in result.items]
    sent = [[InlineKeyboardButton(turn.t("notice.button.sent_list"), callback_data=btn.SENT_PAGE.data(0))]]
    markup = list_markup(rows, btn.INBOX_PAGE, page, result.total, PAGE_SIZE, turn.lang,
                         below=sent if turn.actor.is_officer else ())
    if result.total:
        text = turn.t("notice.inbox_header", total=result.total, unread=result.unread)
    else:
        text = turn.t("notice.inbox_empty")
    turn.edit(text, markup) if edit else turn.reply(text, markup)


@member_handler
async def inbox_command(turn: Turn):
    await show_inbox(turn, 0, edit=False)


inbox_page = paged(btn.INBOX_PAGE, show_inbox, "notice_inbox")


async def show_sent(turn: Turn, page: int, *, edit: bool) -> None:
    """What the officer's units sent, newest first; each opens its status."""
    if not turn.actor.is_officer:
        await refuse(turn, "notice_sent")
        return
    paths = scope_paths(turn.actor, Action.view_reports)
    result = await notices.sent_from(turn.session, paths, page * PAGE_SIZE, PAGE_SIZE)
    rows = [[item_button(turn, item, btn.STATUS.data(item.notice.id), unread_mark=False)] for item in result.items]
    text = turn.t("notice.sent_header", total=result.total) if result.total else turn.t("notice.sent_empty")
    turn.edit(text, list_markup(rows, btn.SENT_PAGE, page, result.total, PAGE_SIZE, turn.lang))


sent_page = paged(btn.SENT_PAGE, show_sent, "notice_sent")


@item_handler(btn.STATUS, notices.get_notice, _may_follow, "notice_status")
async def status_pressed(turn: Turn, notice: Notice):
    await STATUS.show(turn, notice)


@item_handler(btn.REMIND, notices.get_notice, _may_remind, "notice_remind")
async def remind_pressed(turn: Turn, notice: Notice):
    result = await notices.remind_unread(turn.session, notice.id, turn.actor.member_id)
    if result.wait is not None:
        minutes = max(1, math.ceil(result.wait.total_seconds() / 60))
        turn.answer(turn.t("notice.remind_wait", minutes=minutes), alert=True)
        return
    await audit.record(turn.session, "notice_reminded", actor_telegram_id=turn.user_id,
                       actor_member_id=turn.actor.member_id, detail={"notice_id": notice.id, "count": result.queued})
    turn.answer(turn.t("notice.reminded", count=result.queued), alert=True)
    tell_outbox(turn, notices.NOTICE_DELIVERY, wake=True)


@item_handler(btn.STUDY_RATES, notices.get_notice, _may_follow, "notice_study_rates")
async def study_rates_pressed(turn: Turn, notice: Notice):
    within = (None if notice.sender_member_id == turn.actor.member_id
              else scope_paths(turn.actor, Action.view_reports))
    rates = await notices.rates_by_cell(turn.session, notice.id, studied=True, within=within)
    lines = [turn.t("notice.study_rates_header", title=esc(notice.title))]
    for r in rates:
        lines.append(turn.t("notice.study_rate_line", cell=esc(r.cell), count=r.count, base=r.base,
                            percent=r.percent))
        if r.exempt_left_out:
            lines.append(turn.t("notice.study_rate_exempt", count=r.exempt_left_out))
    if not rates:
        lines.append(turn.t("notice.study_rates_none"))
    turn.reply("\n".join(lines))


# --- /documents ----------------------------------------------------------------------------------------------------------
async def show_documents(turn: Turn, page: int, *, edit: bool) -> None:
    query = turn.context.user_data.get(DOC_QUERY) or ""
    if query:  # the passages holding the words, ranked (the library); none: every document, newest first
        from ..library.views import show_found

        await show_found(turn, query, page, btn.DOCUMENTS_PAGE, edit=edit)
        return
    result = await notices.documents(turn.session, turn.actor.member_id, None, page * PAGE_SIZE, PAGE_SIZE)
    rows = [[item_button(turn, item, btn.OPEN.data(item.notice.id), unread_mark=False)] for item in result.items]
    from ..library.browse import browse_row  # the library's way in: by kind, year, issuing unit

    markup = list_markup(rows, btn.DOCUMENTS_PAGE, page, result.total, PAGE_SIZE, turn.lang,
                         below=[browse_row(turn)] if result.total else ())
    text = turn.t("documents.header" if result.total else "documents.empty", total=result.total)
    turn.edit(text, markup) if edit else turn.reply(text, markup)


@member_handler
async def documents_command(turn: Turn):
    turn.context.user_data[DOC_QUERY] = turn.args[: notices.QUERY_MAX]
    await show_documents(turn, 0, edit=False)


documents_page = paged(btn.DOCUMENTS_PAGE, show_documents, "documents_page")
