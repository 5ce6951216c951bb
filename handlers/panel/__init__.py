"""The officer's panel: one big button ("🗂 Công tác chi bộ", committees "🗂 Công tác đảng bộ") opening every
officer task as a button, what is waiting first, with its count. Each feature declares its own buttons
(Feature.panel); this package only lays them out."""
from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from .. import features
from ..feature import Command, Feature, MenuButton, PanelItem
from ..keyboards import menu_pattern
from ..steps import refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn

log = logging.getLogger(__name__)


async def _counted(turn: Turn, items: list[PanelItem]) -> list[tuple[PanelItem, int]]:
    """Each item with what waits for this officer; a count that fails shows the button without one."""
    counted = []
    for item in items:
        count = 0
        if item.count is not None:
            try:
                count = await item.count(turn.session, turn.actor)
            except Exception:
                log.exception("the panel's count of %s failed", item.key)
        counted.append((item, count))
    return counted


def panel_markup(turn: Turn, counted: list[tuple[PanelItem, int]]) -> InlineKeyboardMarkup:
    ordered = [ic for ic in counted if ic[1]] + [ic for ic in counted if not ic[1]]
    labels = [InlineKeyboardButton(turn.t(item.key) + (f" ({count})" if count else ""), callback_data=item.data())
              for item, count in ordered]
    return InlineKeyboardMarkup([labels[i:i + 2] for i in range(0, len(labels), 2)])


@member_handler
async def open_panel(turn: Turn):
    panel = turn.actor.panel
    if panel is None:
        await refuse(turn, "panel")
        return
    counted = await _counted(turn, features.panel_items(panel))
    units = ", ".join(dict.fromkeys(esc(r.unit_name) for r in turn.actor.officer_units())) or "—"
    lines = [turn.t(f"panel.title_{panel}", units=units)]
    waiting = [turn.t("panel.waiting_line", what=turn.t(item.key), count=count) for item, count in counted if count]
    lines.append(turn.t("panel.waiting") + "\n" + "\n".join(waiting) if waiting else turn.t("panel.nothing_waiting"))
    lines.append(turn.t("panel.hint"))
    text, markup = "\n\n".join(lines), panel_markup(turn, counted)
    if turn.update.callback_query is not None:
        turn.edit(text, markup)
    else:
        turn.reply(text, markup)


def register(app) -> None:
    app.add_handler(CommandHandler("panel", open_panel))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.panel_cell")) | filters.Regex(
        menu_pattern("menu.panel_party")), open_panel))
    app.add_handler(CallbackQueryHandler(open_panel, pattern=btn.OPEN.exact))


FEATURE = Feature(
    "panel",
    register=register,
    commands=(Command("panel", 95, officer=True),),
    menu=(MenuButton("menu.panel_cell", 1, panel="cell"), MenuButton("menu.panel_party", 1, panel="party")),
)
