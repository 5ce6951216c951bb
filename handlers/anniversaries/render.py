"""The greeting on the day, in the member's language and in the cell's name, built at send time: a member who
turned greetings off since, or a cell that did, gets nothing. Its button turns the member's greetings off."""
from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import anniversaries

from ..feature import Call
from ..i18n import t
from ..turn import esc
from . import buttons as btn


def mine_markup(lang: str, opted_out: bool) -> InlineKeyboardMarkup:
    if opted_out:
        return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "anniversaries.button.opt_in"),
                                                           callback_data=btn.MINE.data("on"))]])
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "anniversaries.button.opt_out"),
                                                       callback_data=btn.MINE.data("off"))]])


async def render_greeting(session: AsyncSession, greeting_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    g = await anniversaries.greeting(session, greeting_id)
    if g is None:
        return []
    text = t(lang, f"anniversaries.greeting.{g.kind.value}", cell=esc(g.cell_name), name=esc(g.full_name),
             years=g.years)
    return [("sendMessage", {"text": text, "parse_mode": "HTML",
                             "reply_markup": mine_markup(lang, False).to_dict()})]
