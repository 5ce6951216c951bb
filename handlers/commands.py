"""The command menu each kind of user sees (members see member commands, officers more)."""
from __future__ import annotations

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.ext import Application

from .i18n import DEFAULT, LANGUAGES, t


def commands(lang: str, officer: bool) -> list[BotCommand]:
    """The features' commands (handlers/features.py) in their order; officers see theirs too."""
    from .features import command_names

    return [BotCommand(name, t(lang, f"cmd.{name}")) for name in command_names(officer)]


async def set_default_commands(app: Application) -> None:
    await app.bot.set_my_commands(commands(DEFAULT, False), scope=BotCommandScopeDefault())
    for lang in LANGUAGES:
        await app.bot.set_my_commands(commands(lang, False), scope=BotCommandScopeDefault(), language_code=lang)


async def set_chat_commands(bot, chat_id: int, lang: str, officer: bool) -> None:
    """Officers get their own menu in their chat; a member's chat falls back to the default menu."""
    scope = BotCommandScopeChat(chat_id)
    if officer:
        await bot.set_my_commands(commands(lang, True), scope=scope)
    else:
        await bot.delete_my_commands(scope=scope)
