"""/cancel: leaves whatever step the person is in (every conversation's fallback, and a command of its own)."""
from __future__ import annotations

from telegram.ext import ConversationHandler

from .turn import Turn, handler


@handler
async def cancel(turn: Turn):
    turn.context.user_data.pop("flow", None)
    turn.reply(turn.t("cancel.done"), turn.menu() if turn.actor.linked else None)
    return ConversationHandler.END
