"""What an officer and a member see of anniversaries: the weekly to-do's section (one line per occasion, a
button to the profile of each member shown), the cell panel's page turning the cell's greetings on or off,
and the member's own "no more greetings" under a greeting."""
from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import anniversaries
from models.anniversaries import Occasion
from models.permissions import managed_cells

from ..i18n import t
from ..members import buttons as members_btn
from ..steps import refuse, shown_if
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .render import mine_markup


def occasion_line(lang: str, o: Occasion) -> str:
    """"• 10/12: đồng chí Lê Văn Bảy (Chi bộ 1) — mừng thọ 80 tuổi"."""
    return t(lang, f"anniversaries.line.{o.kind.value}", day=o.day.strftime("%d/%m"), name=esc(o.full_name),
             cell=esc(o.cell_name), years=o.years)


def occasions_section(lang: str, found: Sequence[Occasion],
                      most: int) -> tuple[str, list[list[InlineKeyboardButton]]]:
    """The section's text (its heading, at most `most` lines, "and N more") and a button per member shown."""
    shown = found[:most]
    lines = [t(lang, "anniversaries.todo", count=len(found)), *(occasion_line(lang, o) for o in shown)]
    if len(found) > most:
        lines.append(t(lang, "anniversaries.more", count=len(found) - most))
    rows: list[list[InlineKeyboardButton]] = []
    seen: set[int] = set()
    for o in shown:
        if o.member_id not in seen:
            seen.add(o.member_id)
            rows.append([InlineKeyboardButton(t(lang, "anniversaries.todo_button", name=o.full_name[:60]),
                                              callback_data=members_btn.PROFILE.data(o.member_id))])
    return "\n".join(lines), rows


async def show_cells(turn: Turn) -> None:
    """The officer's cells, each with its greetings on or off and the button that turns them the other way."""
    cells = await managed_cells(turn.session, turn.actor)
    lines = [turn.t("anniversaries.cells", hour=f"{anniversaries.rules().greeting_hour:02d}:00")]
    rows = []
    for cell in cells:
        on = await anniversaries.cell_greets(turn.session, cell.id)
        lines.append(turn.t("anniversaries.cell_on" if on else "anniversaries.cell_off", cell=esc(cell.name)))
        label = turn.t("anniversaries.button.off" if on else "anniversaries.button.on", cell=cell.name[:40])
        rows.append([InlineKeyboardButton(label, callback_data=btn.GREETS.data(cell.id, "off" if on else "on"))])
    text, markup = "\n".join(lines), InlineKeyboardMarkup(rows)
    if turn.update.callback_query is not None and turn.update.callback_query.data != btn.CELLS.data():
        turn.edit(text, markup)
    else:
        turn.reply(text, markup)  # from the panel: a new message, the panel stays


cells_pressed = shown_if("cells_pressed", btn.CELLS, lambda turn: managed_cells(turn.session, turn.actor), show_cells,
                         "anniversaries_cells")


@member_handler
async def greets_pressed(turn: Turn):
    fields = btn.GREETS.parse(turn.update.callback_query.data)
    cells = {c.id for c in await managed_cells(turn.session, turn.actor)}
    if fields is None or fields[0] not in cells:
        await refuse(turn, "anniversaries_greets")
        return
    cell_id, choice = fields
    await anniversaries.set_cell_greets(turn.session, cell_id, choice == "on", turn.actor.member_id,
                                        by_telegram_id=turn.user_id)
    turn.answer(turn.t("anniversaries.saved_on" if choice == "on" else "anniversaries.saved_off"))
    await show_cells(turn)


@member_handler
async def mine_pressed(turn: Turn):
    fields = btn.MINE.parse(turn.update.callback_query.data)
    if fields is None or turn.actor.member_id is None:
        await refuse(turn, "anniversaries_mine")
        return
    out = fields[0] == "off"
    await anniversaries.opt_out(turn.session, turn.actor.member_id, out)
    turn.answer(turn.t("anniversaries.opted_out" if out else "anniversaries.opted_in"), alert=out)
    turn.edit_buttons(mine_markup(turn.lang, out))
