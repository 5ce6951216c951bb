"""A step of a feedback or correction conversation, kept in user_data["flow"] (the key /cancel clears).

Feedback and profile corrections (handlers/corrections) share it: a typed message is taken by the
step its sender is at, until a command or a big menu button leaves it or it goes stale.
"""
from __future__ import annotations

from datetime import timedelta

from telegram import Message
from telegram.ext import Application, ContextTypes, filters

from models import clock

from ..keyboards import MENU_TEXT
from ..turn import Turn

FLOW = "flow"
FLOW_DATA = "feedback_flow"
FLOW_TTL = timedelta(minutes=30)
COMPOSE, REPLY, CORRECT, REJECT = "feedback", "feedback_reply", "correction", "correction_reject"
OUR_FLOWS = frozenset({COMPOSE, REPLY, CORRECT, REJECT})
MENU = MENU_TEXT


def start_flow(turn: Turn, name: str, **data) -> None:
    turn.context.user_data[FLOW] = name
    turn.context.user_data[FLOW_DATA] = {"at": clock.now(), **data}


def flow_data(turn: Turn, name: str) -> dict | None:
    return _live_flow(turn.context.user_data, name)


def end_flow(turn: Turn) -> None:
    if turn.context.user_data.get(FLOW) in OUR_FLOWS:
        turn.context.user_data.pop(FLOW, None)
    turn.context.user_data.pop(FLOW_DATA, None)


def _live_flow(user_data, name: str) -> dict | None:
    if not user_data or user_data.get(FLOW) != name:
        return None
    data = user_data.get(FLOW_DATA) or {}
    if clock.now() - data.get("at", clock.now()) > FLOW_TTL:
        return None
    return data


class InFlow(filters.MessageFilter):
    """The sender is at this step of one of our conversations (and it has not gone stale)."""

    def __init__(self, app: Application, name: str):
        super().__init__(name=f"InFlow({name})")
        self.app, self.flow = app, name

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and _live_flow(self.app.user_data.get(user.id), self.flow) is not None


async def leave_flow(update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command or a big menu button leaves our conversation; the other feature then answers it."""
    if context.user_data is not None and context.user_data.get(FLOW) in OUR_FLOWS:
        context.user_data.pop(FLOW, None)

