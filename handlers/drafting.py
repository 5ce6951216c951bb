"""The optional language model (bot/chat_model.py, HANDBOOK_LLM_URL) asked from a handler: the turn's
transaction committed first (nothing locked while the model thinks), "typing…" shown, the reply's text or
None (no model, failed, too slow, too big). What is sent and what is accepted of the reply is the
caller's model's business (models/library/answers.py, models/drafts.py)."""
from __future__ import annotations

from telegram.constants import ChatAction
from telegram.error import TelegramError

from .turn import Turn


def has_model(turn: Turn) -> bool:
    """A model is configured: the ✨ buttons are offered; without one nothing is ever sent."""
    return turn.services.chat_model is not None


async def ask_model(turn: Turn, messages: list[dict[str, str]]) -> str | None:
    """A member's short answer, given HANDBOOK_LLM_TIMEOUT_S."""
    model = await _ready(turn)
    return await model.complete(messages) if model is not None else None


async def ask_for_draft(turn: Turn, messages: list[dict[str, str]], max_tokens: int) -> str | None:
    """A draft the secretary asked for: longer, given HANDBOOK_LLM_DRAFT_TIMEOUT_S."""
    model = await _ready(turn)
    return await model.complete(messages, max_tokens, draft=True) if model is not None else None


async def _ready(turn: Turn):
    """The model, once the turn's transaction is committed and "typing…" shown; None without one."""
    model = turn.services.chat_model
    if model is None:
        return None
    await turn.commit_early()
    await turn.answer_now()  # a button (✨) is answered before the model writes, not after
    try:
        await turn.context.bot.send_chat_action(turn.chat_id, ChatAction.TYPING)
    except TelegramError:
        pass
    return model


def refused(turn: Turn) -> None:
    """The model answered, and the check refused it (its reasons are in the reply, which is not logged)."""
    turn.services.chat_model.outcomes["refused"] += 1
