"""The error handler: log without personal data, tell the user in their language."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import ContextTypes

from .i18n import t
from .turn import services_of

log = logging.getLogger("handbook.errors")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    err = context.error
    # BadRequest is a NetworkError subclass too, and is our own bug: only transport trouble is quiet.
    if isinstance(err, (TimedOut, RetryAfter)) or type(err) is NetworkError:
        log.warning("Telegram call failed: %s", type(err).__name__)
        return
    # The update itself may carry names and phone numbers: log only its id and kind.
    kind = type(update).__name__
    update_id = getattr(update, "update_id", None)
    log.error("error while handling update %s (%s): %s", update_id, kind, type(err).__name__, exc_info=err)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    lang = (context.user_data or {}).get("lang") or services_of(context).default_language
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(t(lang, "error.generic"), show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, t(lang, "error.generic"))
    except Exception as exc:  # the user cannot be told; nothing more to do
        log.warning("could not report the error to the user: %s", type(exc).__name__)
