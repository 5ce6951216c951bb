"""/help (views.py: members' and officers' differ), /cancel, and the buttons of features that are not built yet."""
from __future__ import annotations

from telegram.ext import CommandHandler, MessageHandler, filters

from ..cancel import cancel
from ..feature import Command, Feature, MenuButton
from ..keyboards import menu_pattern
from ..turn import Turn, handler, member_handler
from .views import member_help, officer_help, panel_button

# Features whose buttons and commands exist but whose module is not built yet.
NOT_YET: dict[str, str] = {}
OFFICER_NOT_YET: tuple[str, ...] = ()


@handler
async def help_(turn: Turn):
    if turn.actor.is_officer:
        turn.reply(officer_help(turn), panel_button(turn))
    elif turn.actor.linked:
        turn.reply(member_help(turn), turn.menu())
    else:
        turn.reply(turn.t("help.stranger"))


@member_handler
async def not_yet(turn: Turn):
    turn.reply(turn.t("feature.not_yet"), turn.menu())


def register(app) -> None:
    app.add_handler(CommandHandler("help", help_))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.help")), help_))
    app.add_handler(CommandHandler("cancel", cancel))
    app.add_handler(CommandHandler(list(NOT_YET) + list(OFFICER_NOT_YET), not_yet))
    for key in NOT_YET.values():
        app.add_handler(MessageHandler(filters.Regex(menu_pattern(key)), not_yet))


FEATURE = Feature(
    "help",
    register=register,
    commands=(Command("help", 900), Command("cancel", 910)),
    menu=(MenuButton("menu.help", 90),),
)
