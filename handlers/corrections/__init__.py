"""✏️ Đề nghị sửa thông tin: a member asks to correct their record from /profile; the secretary (or,
for party data, a committee above) approves or rejects with a reason; the member is told.

steps.py holds the steps (the member's request, the officer's decision), views.py the officer's list
and a request's card, buttons.py their callback data. This module imports neither at import time:
feedback (whose typed-reply flows the steps use) and keyboards import this package's buttons.
"""
from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from models import corrections

from ..feature import Feature, PanelItem
from . import buttons as btn

__all__ = ["FEATURE", "btn", "register"]


def register(app: Application) -> None:
    from ..feedback import CORRECT, MENU, REJECT, InFlow
    from .steps import (
        approve_button,
        field_button,
        reason_text,
        reject_button,
        start_button,
        value_text,
    )
    from .views import list_button, open_button

    typed = filters.TEXT & ~filters.COMMAND & ~MENU & filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(InFlow(app, CORRECT) & typed, value_text))
    app.add_handler(MessageHandler(InFlow(app, REJECT) & typed, reason_text))
    app.add_handler(CallbackQueryHandler(start_button, pattern=btn.START.pattern))
    app.add_handler(CallbackQueryHandler(field_button, pattern=btn.FIELD.pattern))
    app.add_handler(CallbackQueryHandler(list_button, pattern=btn.LIST.pattern))
    app.add_handler(CallbackQueryHandler(open_button, pattern=btn.OPEN.pattern))
    app.add_handler(CallbackQueryHandler(approve_button, pattern=btn.APPROVE.pattern))
    app.add_handler(CallbackQueryHandler(reject_button, pattern=btn.REJECT.pattern))


async def _pending(session, actor) -> int:
    return (await corrections.pending_for(session, actor, 0, 1))[1]


FEATURE = Feature("corrections", register=register,
                  panel=(PanelItem("panel.corrections", 70, lambda: btn.LIST.data(0), count=_pending),))
