"""The secretary's and the committee's side: the inbox of their units, an item opened, answered, closed."""
from __future__ import annotations

import math

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import corrections
from models import feedback as fb
from models.feedback import FeedbackKind, FeedbackStatus, ReplyRefused
from models.permissions import Action, may_act_on_unit, units_for
from models.units import Unit

from ..corrections import buttons as corrections_buttons
from ..i18n import fmt_number
from ..keyboards import pager
from ..steps import refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .flow import REPLY, end_flow, flow_data, start_flow
from .sweep import deliver_replies
from .views import STATUS_ICON, item_button, opened, render_item, status_label

PAGE = 8


async def officer_rows(turn: Turn) -> list[list[InlineKeyboardButton]]:
    units = await officer_scope(turn)
    if not units:
        return []
    new = sum([await fb.count_status(turn.session, u.path, FeedbackStatus.new) for u in units])
    _, pending = await corrections.pending_for(turn.session, turn.actor, 0, 1)
    return [
        [InlineKeyboardButton(turn.t("feedback.button.inbox", count=new), callback_data=btn.INBOX.data(0))],
        [InlineKeyboardButton(turn.t("feedback.button.corrections", count=pending), callback_data=corrections_buttons.LIST.data(0))],
        [InlineKeyboardButton(turn.t("feedback.button.digest"), callback_data=btn.DIGEST.data(0))],
    ]


async def officer_scope(turn: Turn) -> list[Unit]:
    """The topmost units whose feedback this actor handles (an administrator: the roots)."""
    return await units_for(turn.session, turn.actor, Action.manage_cell)




# --- the secretary and the committee: read, answer, close ------------------------------------------


@member_handler
async def inbox(turn: Turn):
    end_flow(turn)
    units = await officer_scope(turn)
    if not units:
        await refuse(turn, "feedback_inbox")
        return
    if len(units) == 1:
        await show_unit(turn, units[0], edit=False)
        return
    rows = [[InlineKeyboardButton(u.name[:60], callback_data=btn.UNIT.data(u.id))] for u in units]
    turn.reply(turn.t("feedback.choose_unit"), InlineKeyboardMarkup(rows))


async def show_unit(turn: Turn, unit: Unit, *, edit: bool) -> None:
    if unit.is_cell:
        await show_list(turn, unit, FeedbackStatus.new, 0, edit=edit)
    else:
        await show_overview(turn, unit, edit=edit)


async def show_overview(turn: Turn, unit: Unit, *, edit: bool) -> None:
    """A committee's view: every cell below, with its items counted by status."""
    cells = await fb.counts_by_cell(turn.session, unit.path)
    lines = [turn.t("feedback.overview.title", unit=esc(unit.name))]
    rows = []
    for c in cells:
        counts = ", ".join(f"{status_label(turn.lang, s)} {c.counts[s]}" for s in fb.STATUSES)
        lines.append(f"• {esc(c.name)}: {counts}")
        rows.append([InlineKeyboardButton(f"{c.name} ({c.counts[FeedbackStatus.new]} 🆕)"[:60],
                                          callback_data=btn.LIST.data(c.cell_id, 0, 0))])
    if not cells:
        lines.append(turn.t("feedback.overview.no_cells"))
    rows.append([InlineKeyboardButton(turn.t("feedback.button.all_new"), callback_data=btn.LIST.data(unit.id, 0, 0))])
    text, markup = "\n".join(lines), InlineKeyboardMarkup(rows)
    turn.edit(text, markup) if edit else turn.reply(text, markup)


async def show_list(turn: Turn, unit: Unit, status: FeedbackStatus, page: int, *, edit: bool) -> None:
    index = fb.STATUSES.index(status)
    items, total = await fb.list_items(turn.session, unit.path, status, page * PAGE, PAGE)
    pages = max(1, math.ceil(total / PAGE))
    if page >= pages and total:
        page = pages - 1
        items, _ = await fb.list_items(turn.session, unit.path, status, page * PAGE, PAGE)
    counts = {s: await fb.count_status(turn.session, unit.path, s) for s in fb.STATUSES}
    tabs = [
        InlineKeyboardButton(("• " if s is status else "") + f"{STATUS_ICON[s]} {counts[s]}", callback_data=btn.LIST.data(unit.id, i, 0))
        for i, s in enumerate(fb.STATUSES)
    ]
    rows = [tabs]
    rows += [item_button(turn, item, btn.OPEN, None if unit.is_cell else name) for item, name in items]
    nav = pager(btn.LIST, page, pages, turn.lang, unit.id, index)
    if nav:
        rows.append(nav)
    legend = " · ".join(f"{STATUS_ICON[s]} {status_label(turn.lang, s)}" for s in fb.STATUSES)
    key = "feedback.list.title" if total else "feedback.list.empty"
    text = turn.t(key, unit=esc(unit.name), status=status_label(turn.lang, status), total=total) + "\n" + legend
    markup = InlineKeyboardMarkup(rows)
    turn.edit(text, markup) if edit else turn.reply(text, markup)


async def unit_from(turn: Turn, unit_id: int) -> Unit | None:
    return await may_act_on_unit(turn.session, turn.actor, Action.manage_cell, unit_id)


@member_handler
async def unit_button(turn: Turn):
    end_flow(turn)
    ids = btn.UNIT.parse(turn.update.callback_query.data)
    unit = await unit_from(turn, ids[0]) if ids else None
    if unit is None:
        await refuse(turn, "feedback_unit")
        return
    await show_unit(turn, unit, edit=True)


@member_handler
async def list_button(turn: Turn):
    end_flow(turn)
    ids = btn.LIST.parse(turn.update.callback_query.data)
    unit = await unit_from(turn, ids[0]) if ids else None
    if unit is None or ids[1] >= len(fb.STATUSES):
        await refuse(turn, "feedback_list")
        return
    await show_list(turn, unit, fb.STATUSES[ids[1]], ids[2], edit=True)


def item_actions(turn: Turn, item: fb.FeedbackItem) -> InlineKeyboardMarkup:
    rows = []
    if item.status is not FeedbackStatus.closed:
        rows.append([
            InlineKeyboardButton(turn.t("feedback.button.reply"), callback_data=btn.REPLY.data(item.id)),
            InlineKeyboardButton(turn.t("feedback.button.close"), callback_data=btn.CLOSE.data(item.id)),
        ])
    status = fb.STATUSES.index(item.status)
    rows.append([InlineKeyboardButton(turn.t("feedback.button.back"), callback_data=btn.LIST.data(item.cell_id, status, 0))])
    return InlineKeyboardMarkup(rows)


@member_handler
async def open_button(turn: Turn):
    end_flow(turn)
    view = await opened(turn, btn.OPEN, as_officer=True, what="feedback_open")
    if view is None:
        return
    item = view.item
    turn.reply(render_item(turn, view, officer=True), item_actions(turn, item))
    bot, chat_id = turn.context.bot, turn.chat_id
    if item.kind is FeedbackKind.voice:
        turn.later(lambda: bot.send_voice(chat_id=chat_id, voice=item.file_id))
    elif item.kind is FeedbackKind.photo:
        turn.later(lambda: bot.send_photo(chat_id=chat_id, photo=item.file_id))


@member_handler
async def reply_button(turn: Turn):
    ids = btn.REPLY.parse(turn.update.callback_query.data)
    found = await fb.item_and_cell(turn.session, ids[0]) if ids else None
    if found is None or not fb.may_handle(turn.actor, found[1].path):
        await refuse(turn, "feedback_reply")
        return
    item = found[0]
    if item.status is FeedbackStatus.closed:
        turn.answer(turn.t("feedback.reply_refused.closed"), alert=True)
        return
    start_flow(turn, REPLY, item=item.id)
    turn.reply(turn.t("feedback.reply_ask", id=item.id))


@member_handler
async def reply_text(turn: Turn):
    data = flow_data(turn, REPLY)
    item_id = data["item"]
    try:
        await fb.add_reply(turn.session, turn.actor, item_id, turn.text)
    except fb.NotAllowed:
        end_flow(turn)
        await refuse(turn, "feedback_reply_text")
        return
    except ReplyRefused as exc:
        if exc.reason is fb.ReplyRefusal.too_long:  # a second chance
            turn.reply(turn.t("feedback.reply_refused.too_long", limit=fmt_number(turn.lang, fb.MAX_TEXT)))
            return
        end_flow(turn)
        turn.reply(turn.t(f"feedback.reply_refused.{exc.reason.value}"))
        return
    end_flow(turn)
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(turn.t("feedback.button.close"), callback_data=btn.CLOSE.data(item_id)),
        InlineKeyboardButton(turn.t("feedback.button.back"), callback_data=btn.INBOX.data(0)),
    ]])
    turn.reply(turn.t("feedback.replied", id=item_id), markup)
    app = turn.context.application
    turn.later(lambda: deliver_replies(app))


@member_handler
async def close_button(turn: Turn):
    end_flow(turn)
    ids = btn.CLOSE.parse(turn.update.callback_query.data)
    try:
        item = await fb.close_item(turn.session, turn.actor, ids[0]) if ids else None
    except fb.NotAllowed:
        item = None
    if item is None:
        await refuse(turn, "feedback_close")
        return
    turn.answer(turn.t("feedback.closed", id=item.id))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("feedback.button.back"),
                                                         callback_data=btn.LIST.data(item.cell_id, 0, 0))]])
    turn.edit(turn.t("feedback.closed", id=item.id), markup)

