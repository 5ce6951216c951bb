"""Pieces every feature's conversation is made of: refusing, a conversation's wiring, a paged list's
page buttons and the last "confirm" step. One copy each, so the features cannot drift apart."""
from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from telegram.ext import BaseHandler, CommandHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from models import audit
from models.callback_data import Codec

from .cancel import cancel
from .turn import Turn, member_handler

CONVERSATION_TIMEOUT_S = 1800


async def refuse(turn: Turn, what: str) -> None:
    """A button or request the caller may not use: say so, record the attempt."""
    await audit.record(
        turn.session,
        "refused",
        actor_telegram_id=turn.user_id,
        actor_member_id=turn.actor.member_id,
        detail={"what": what},
    )
    turn.answer(turn.t("error.not_allowed"), alert=True)
    if turn.update.callback_query is None:
        turn.reply(turn.t("error.not_allowed"))


def conversation(name: str, entry_points: Sequence[BaseHandler], states: Mapping[object, Sequence[BaseHandler]],
                 *, fallbacks: Iterable[BaseHandler] = (), timeout: float = CONVERSATION_TIMEOUT_S) -> ConversationHandler:
    """A feature's conversation: /cancel leaves it, it times out after half an hour, a new entry restarts it."""
    with warnings.catch_warnings():
        # Buttons of each step are answered by this user's conversation, whatever message they sit on.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=list(entry_points),
            states={state: list(handlers) for state, handlers in states.items()},
            fallbacks=[CommandHandler("cancel", cancel), *fallbacks],
            conversation_timeout=timeout,
            allow_reentry=True,
            name=name,
        )


Show = Callable[..., Awaitable[Any]]


def paged(codec: Codec, show: Show, what: str) -> Callable[..., Awaitable[Any]]:
    """The handler of a list's page buttons: `codec`'s last field is the page; the fields before it go
    to `show(turn, *head, page, edit=True)`. Forged data is refused, recorded as `what`."""

    async def page_pressed(turn: Turn):
        fields = codec.parse(turn.update.callback_query.data)
        if fields is None:
            await refuse(turn, what)
            return None
        return await show(turn, *fields, edit=True)

    # Named before it is wrapped: the turn's metrics and logs know a handler by the name it had then.
    page_pressed.__name__ = page_pressed.__qualname__ = f"{what}_page"
    return member_handler(page_pressed)


def settle(turn: Turn, change: Callable[[dict], Any]) -> None:
    """Change the conversation's memory (user_data) only once the turn has committed: a turn that meets a
    database lock is run again from the start (handlers/turn.py) and must find it as it was."""
    async def apply() -> None:
        change(turn.context.user_data)

    turn.later(apply)


def confirmed_draft(turn: Turn, codec: Codec, yes: str, draft_key: str, needs: Iterable[str],
                    expired_key: str) -> dict | None:
    """The last step's ✅/✖️: the draft when confirmed and whole; else the person is told (cancelled, or
    the draft is gone — a restart, another device) and None comes back. The draft is dropped either way,
    once the turn has committed (see settle)."""
    draft = dict(turn.context.user_data.get(draft_key) or {})
    settle(turn, lambda data: data.pop(draft_key, None))
    if codec.parse(turn.update.callback_query.data) != (yes,):
        turn.edit(turn.t("cancel.done"))
        return None
    if not all(k in draft for k in needs):
        turn.edit(turn.t(expired_key))
        return None
    return draft
