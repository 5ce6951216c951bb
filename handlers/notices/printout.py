"""📄 Bản in on a notice's status card: the notice on A4 in large print, with the members of one cell who
are not on Telegram and a column to sign (handlers/paper.py), for an officer who manages that cell.

A notice to one cell prints at once. A committee's notice reaches many cells (a ward has tens): the
officer picks the cell to print for from a list, a sheet per tap — one file per cell for all of them
would flood the chat with sheets nobody asked for, and each cell's secretary prints their own.
"""
from __future__ import annotations

from telegram import InlineKeyboardButton

from models import notices
from models.notices import Notice
from models.permissions import Action, may_manage_cell, scope_paths
from models.units import Unit

from ..keyboards import list_markup
from ..paper import printed_on, send_sheet, sheet_members
from ..printing import Sheet
from ..steps import answers, paged, refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn

CELLS_PAGE = 8


async def _printable(turn: Turn, notice_id: int) -> tuple[Notice | None, list[Unit]]:
    """The notice and the cells of its audience the presser manages (none: they may not print it)."""
    notice = await notices.get_notice(turn.session, notice_id)
    if notice is None:
        return None, []
    cells = await notices.audience_cells(turn.session, notice.id, scope_paths(turn.actor, Action.manage_cell))
    return notice, [cell for cell in cells if may_manage_cell(turn.actor, cell)]


@answers(btn.PRINT)
@member_handler
async def print_pressed(turn: Turn):
    ids = btn.PRINT.parse(turn.update.callback_query.data)
    notice, cells = await _printable(turn, ids[0]) if ids else (None, [])
    if notice is None or not cells:
        await refuse(turn, "notice_print")
        return
    if len(cells) == 1:
        await _print(turn, notice, cells[0])
        return
    await _show_cells(turn, notice, cells, 0, edit=False)


async def _show_cells(turn: Turn, notice: Notice, cells: list[Unit], page: int, *, edit: bool) -> None:
    shown = cells[page * CELLS_PAGE:(page + 1) * CELLS_PAGE]
    rows = [[InlineKeyboardButton(f"📄 {cell.name}"[:64], callback_data=btn.PRINT_CELL.data(notice.id, cell.id))]
            for cell in shown]
    markup = list_markup(rows, btn.PRINT_CELLS, page, len(cells), CELLS_PAGE, turn.lang, notice.id)
    text = turn.t("print.which_cell", title=esc(notice.title), count=len(cells))
    turn.edit(text, markup) if edit else turn.reply(text, markup)


async def show_cells_page(turn: Turn, notice_id: int, page: int, *, edit: bool) -> None:
    notice, cells = await _printable(turn, notice_id)
    if notice is None or not cells or page * CELLS_PAGE >= len(cells):
        await refuse(turn, "notice_print")
        return
    await _show_cells(turn, notice, cells, page, edit=edit)


cells_page = paged(btn.PRINT_CELLS, show_cells_page, "notice_print")


@answers(btn.PRINT_CELL)
@member_handler
async def cell_pressed(turn: Turn):
    ids = btn.PRINT_CELL.parse(turn.update.callback_query.data)
    notice, cells = await _printable(turn, ids[0]) if ids else (None, [])
    cell = next((c for c in cells if ids and c.id == ids[1]), None)
    if notice is None or cell is None:
        await refuse(turn, "notice_print")
        return
    await _print(turn, notice, cell)


async def _print(turn: Turn, notice: Notice, cell: Unit) -> None:
    """The sheet for `cell`, in the handbook's language (those who get it on paper chose none)."""
    lang = turn.services.default_language
    body = [notice.body] if notice.body else []
    sheet = Sheet(lang, "notice", cell.name, notice.title, printed_on(turn.services.timezone), body,
                  facts=(("sender", notice.unit.name),), members=await sheet_members(turn.session, cell.id))
    send_sheet(turn, sheet)
    turn.answer(turn.t("print.making"))
