"""/language: Tiếng Việt, English, বাংলা."""
from __future__ import annotations

import functools

from telegram.ext import CallbackQueryHandler, CommandHandler

from models import accounts

from ..buttons import common as btn
from ..commands import set_chat_commands
from ..feature import Command, Feature
from ..i18n import LANGUAGES
from ..keyboards import language_keyboard, link_keyboard, main_menu
from ..turn import Turn, handler


@handler
async def choose(turn: Turn):
    turn.reply(turn.t("language.choose"), language_keyboard(turn.lang))


@handler
async def chosen(turn: Turn):
    (code,) = btn.LANG.parse(turn.update.callback_query.data) or ("",)
    if code not in LANGUAGES:
        turn.answer(turn.t("error.bad_button"))
        return
    await accounts.set_language(turn.session, turn.user_id, code)
    turn.lang = code
    turn.context.user_data["lang"] = code
    turn.answer(turn.t("language.changed"))
    turn.edit(turn.t("language.choose"), language_keyboard(code))
    turn.reply(turn.t("language.changed"), main_menu(code, turn.actor.panel) if turn.actor.linked else link_keyboard(code))
    if turn.actor.linked:
        turn.later(functools.partial(set_chat_commands, turn.context.bot, turn.chat_id, code, turn.actor.is_officer))


def register(app) -> None:
    app.add_handler(CommandHandler("language", choose))
    app.add_handler(CallbackQueryHandler(chosen, pattern=btn.LANG.pattern))


FEATURE = Feature("language", register=register, commands=(Command("language", 80),))
