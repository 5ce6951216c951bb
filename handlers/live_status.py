"""A sender's live status message (notices, meetings, votes) and the nudges a turn gives the outbox.

The status message is posted after the commit, remembered on the item, and refreshed by the
dispatcher's PROGRESS hook as deliveries, reads, answers or ballots come in.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from models import accounts
from models.db import transaction

from .i18n import DEFAULT
from .render import split_message
from .turn import Turn

Call = tuple[str, dict]


@dataclass(frozen=True)
class LiveStatus:
    """How one feature finds its item, draws its status, and remembers where the message is."""

    get: Callable[[AsyncSession, int], Awaitable[Any]]  # the item: has status_chat_id, status_message_id
    view: Callable[[AsyncSession, Any, str, tzinfo | None], Awaitable[tuple[str, dict | None]]]
    remember: Callable[[AsyncSession, int, int, int | None], Awaitable[Any]]  # (session, item id, chat, message)

    async def edits(self, session: AsyncSession, item_id: int, tz: tzinfo | None) -> list[Call]:
        """The dispatcher's progress hook: the edit that refreshes the status message."""
        item = await self.get(session, item_id)
        if item is None or item.status_message_id is None:
            return []
        lang = await accounts.language_of_user(session, item.status_chat_id)
        text, markup = await self.view(session, item, lang or DEFAULT, tz)
        params = {"chat_id": item.status_chat_id, "message_id": item.status_message_id,
                  "text": split_message(text)[0], "parse_mode": "HTML"}
        if markup:
            params["reply_markup"] = markup
        return [("editMessageText", params)]

    def post(self, turn: Turn, item_id: int) -> None:
        """After the commit: send the status message to the caller and remember it."""
        bot, chat_id, lang, tz = turn.context.bot, turn.chat_id, turn.lang, turn.services.timezone
        sessionmaker = turn.services.sessionmaker

        async def post() -> None:
            async with sessionmaker() as session:
                item = await self.get(session, item_id)
                text, markup = await self.view(session, item, lang, tz)
            message = await bot.send_message(chat_id, split_message(text)[0],
                                             reply_markup=InlineKeyboardMarkup.de_json(markup, bot) if markup else None)
            async with transaction(sessionmaker) as session:
                await self.remember(session, item_id, chat_id, message.message_id)

        turn.later(post)

    async def show(self, turn: Turn, item: Any) -> None:
        """The item's status in place of the message whose button was pressed; that message is the one kept up
        to date when the item has none yet."""
        text, markup = await self.view(turn.session, item, turn.lang, turn.services.timezone)
        turn.edit(text, InlineKeyboardMarkup.de_json(markup, turn.context.bot))
        query = turn.update.callback_query
        if item.status_message_id is None and query.message is not None:
            await self.remember(turn.session, item.id, turn.chat_id, query.message.message_id)

    async def leave(self, turn: Turn, item: Any) -> None:
        """The pressed message stops showing the item's status (a list, a question takes its place): the
        dispatcher no longer refreshes it — a member's answer must not put the card back over what the officer is
        doing — until `show` (or the feature's own card) puts the status back and remembers the message again."""
        query = turn.update.callback_query
        if (query is not None and query.message is not None and item.status_message_id == query.message.message_id
                and item.status_chat_id == turn.chat_id):
            await self.remember(turn.session, item.id, turn.chat_id, None)


def tell_outbox(turn: Turn, kind: str, *, wake: bool = False, touch: int | None = None) -> None:
    """After the commit: wake the dispatcher, and/or have it refresh the status of (kind, touch)."""
    outbox = turn.services.outbox
    if outbox is None:
        return

    async def tell() -> None:
        if touch is not None:
            outbox.touch(kind, touch)
        if wake:
            outbox.wake()

    turn.later(tell)
