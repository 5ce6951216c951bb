"""📄 Bản in: what the print buttons of notices, meetings and votes share — the sheet's members, its
words made plain, and sending the PDF to the officer who pressed.

handlers/printing.py draws the sheet; this sends it. The PDF is drawn off the event loop after the
turn's commit (fonts are parsed each time); a missing font or a drawing bug is told in one short
message (print.failed) and nothing else the turn did is lost. Who may print is each feature's check
(models.permissions.may_manage_cell on the cell printed for).
"""
from __future__ import annotations

import asyncio
import html
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InputFile

from models import clock
from models.paper import members_without_telegram

from .i18n import t
from .printing import Sheet, SheetMember, filename, render_sheet
from .render import render_failed
from .turn import Turn

_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t]{2,}")


def print_button(lang: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(t(lang, "print.button"), callback_data=data)


def plain(html_text: str) -> str:
    """A catalog's HTML as it prints: no tags, entities read, no emoji (the sheet's fonts have none)."""
    text = html.unescape(_TAG.sub("", html_text))
    text = "".join(c for c in text if unicodedata.category(c) != "So" and c != "\ufe0f")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def printed_on(tz: tzinfo | None) -> date:
    now = clock.now()
    return (now.astimezone(tz) if tz else now).date()


async def sheet_members(session: AsyncSession, cell_id: int,
                        answers: Mapping[int, str] | None = None) -> list[SheetMember]:
    """The cell's members without Telegram, each with what the answer column says (by member id)."""
    answers = answers or {}
    return [SheetMember(m.full_name, answers.get(m.id, "")) for m in await members_without_telegram(session, cell_id)]


def send_sheet(turn: Turn, sheet: Sheet) -> None:
    """After the commit: draw the sheet off the loop and send it as a document; print.failed if it cannot be drawn."""
    bot, chat_id = turn.context.bot, turn.chat_id
    caption, failed = turn.t("print.caption", count=len(sheet.members)), turn.t("print.failed")

    async def send() -> None:
        try:
            pdf = await asyncio.to_thread(render_sheet, sheet)
        except Exception as exc:  # PrintUnavailable (no fonts) or a drawing bug: said, and logged without the text
            render_failed("print", exc)
            await bot.send_message(chat_id, failed)
            return
        await bot.send_document(chat_id, InputFile(pdf, filename=filename(sheet)), caption=caption)

    turn.later(send)
