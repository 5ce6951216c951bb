"""Meetings prepared as HD 42-HD/BTCTW asks, from the officer's panel: the cell's agenda template (shown, typed
anew one part a line, or back to the common one) and the meetings of tomorrow whose documents are missing."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import clock, meetings, units
from models.permissions import managed_cells, may_manage_cell
from models.units import Unit

from ..steps import any_or_refuse, refuse, settle
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .common import PENDING, TEMPLATE, attempt, local, paste_tail, typed_for, when_text


# --- the agenda template --------------------------------------------------------------------------------
@member_handler
async def template_pressed(turn: Turn):
    """🧾 Mẫu chương trình: the cell's template; an officer of several cells chooses the cell first."""
    cells = await any_or_refuse(turn, managed_cells(turn.session, turn.actor), "meeting_template")
    if not cells:
        return ConversationHandler.END
    if len(cells) == 1:
        return await _show_template(turn, cells[0])
    rows = [[InlineKeyboardButton(c.name[:60], callback_data=btn.TEMPLATE_CELL.data(c.id))] for c in cells[:30]]
    turn.reply(turn.t("meeting.template.ask_cell"), InlineKeyboardMarkup(rows))
    return ConversationHandler.END


async def _cell_or_refuse(turn: Turn, ids: tuple | None) -> Unit | None:
    cell = await units.get_unit(turn.session, ids[0]) if ids else None
    if cell is None or not may_manage_cell(turn.actor, cell):
        await refuse(turn, "meeting_template")
        return None
    return cell


@member_handler
async def template_cell_pressed(turn: Turn):
    cell = await _cell_or_refuse(turn, btn.TEMPLATE_CELL.parse(turn.update.callback_query.data))
    if cell is None:
        return ConversationHandler.END
    return await _show_template(turn, cell)


async def _show_template(turn: Turn, cell: Unit):
    template = await meetings.agenda_template(turn.session, cell.id, turn.services.default_language)
    whose = turn.t("meeting.template.own") if template.own else turn.t(
        "meeting.template.common", rule=esc(meetings.rules().short_name))
    text = turn.t("meeting.template.show", cell=esc(cell.name), whose=whose, agenda=esc(template.agenda),
                  most=meetings.TEMPLATE_PARTS_MAX)
    rows = [[InlineKeyboardButton(turn.t("meeting.template.button.reset"),
                                  callback_data=btn.TEMPLATE_RESET.data(cell.id))]] if template.own else []
    turn.context.user_data[PENDING] = {"what": "template", "cell": cell.id}
    turn.reply(text, InlineKeyboardMarkup(rows) if rows else None)
    return TEMPLATE


@typed_for("template")
async def typed_template(turn: Turn, pending: dict):
    if paste_tail(turn, refused=False):  # the rest of a long paste whose first part was refused
        return TEMPLATE
    saved = await attempt(turn, meetings.set_agenda_template(turn.session, turn.actor, pending["cell"], turn.text),
                          "meeting_template")
    if saved is None:
        paste_tail(turn, refused=True)
        return TEMPLATE
    settle(turn, lambda data: data.pop(PENDING, None))
    turn.reply(turn.t("meeting.template.saved", agenda=esc(saved.agenda)), turn.menu())
    return ConversationHandler.END


@member_handler
async def template_reset_pressed(turn: Turn):
    cell = await _cell_or_refuse(turn, btn.TEMPLATE_RESET.parse(turn.update.callback_query.data))
    if cell is None:
        return ConversationHandler.END
    await meetings.reset_agenda_template(turn.session, turn.actor, cell.id)
    settle(turn, lambda data: data.pop(PENDING, None))
    template = await meetings.agenda_template(turn.session, cell.id, turn.services.default_language)
    turn.edit(turn.t("meeting.template.reset", cell=esc(cell.name), agenda=esc(template.agenda)))
    return ConversationHandler.END


# --- documents at least a day before ----------------------------------------------------------------------
async def missing_documents_count(session, actor) -> int:
    """📎 Tài liệu họp (1) on the panel: meetings of tomorrow (or later today) with no document attached."""
    return len(await meetings.meetings_missing_documents(session, actor, clock.now()))


@member_handler
async def documents_due_pressed(turn: Turn):
    if not await any_or_refuse(turn, managed_cells(turn.session, turn.actor), "meeting_documents"):
        return
    tz = turn.services.timezone
    due = await meetings.meetings_missing_documents(turn.session, turn.actor, clock.now(), *([tz] if tz else []))
    if not due:
        turn.reply(turn.t("meeting.documents_due.none", days=meetings.rules().documents_days_before))
        return
    lines = [turn.t("meeting.documents_due.header", days=meetings.rules().documents_days_before,
                    rule=esc(meetings.rules().short_name))]
    lines += [f"• {when_text(turn.lang, m.starts_at, tz)} — {esc(m.title)} ({esc(m.cell.name)})" for m in due]
    lines.append(turn.t("meeting.documents_due.hint"))
    rows = [[InlineKeyboardButton(f"📅 {local(m.starts_at, tz):%d/%m %H:%M} · {m.title}"[:64],
                                  callback_data=btn.CARD.data(m.id))] for m in due[:10]]
    turn.reply("\n".join(lines), InlineKeyboardMarkup(rows))
