"""/help, /cancel, and the buttons of features that are not built yet."""
from __future__ import annotations

from telegram.ext import CommandHandler, MessageHandler, filters

from ..cancel import cancel
from ..feature import Command, Feature, MenuButton
from ..keyboards import menu_pattern
from ..turn import Turn, handler, member_handler

# Features whose buttons and commands exist but whose module is not built yet.
NOT_YET: dict[str, str] = {}
OFFICER_NOT_YET: tuple[str, ...] = ()


@handler
async def help_(turn: Turn):
    key = "help.officer" if turn.actor.is_officer else ("help.member" if turn.actor.linked else "help.stranger")
    turn.reply(turn.t(key), turn.menu() if turn.actor.linked else None)


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
