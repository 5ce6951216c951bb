"""🎖 Huy hiệu Đảng (issue 17): a committee above the cells sees who is due a Party membership badge at the
next award day and records each award (confirmed); /profile shows a member's party age and next badge
(views.standing_lines). The dates and figures are models/party_age.py's, from its rules file."""
from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from models import party_age

from ..feature import Feature, PanelItem
from . import buttons as btn


def register(app: Application) -> None:
    from .views import ask_button, list_button, page_button, yes_button

    app.add_handler(CallbackQueryHandler(list_button, pattern=btn.LIST.pattern))
    app.add_handler(CallbackQueryHandler(page_button, pattern=btn.PAGE.pattern))
    app.add_handler(CallbackQueryHandler(ask_button, pattern=btn.ASK.pattern))
    app.add_handler(CallbackQueryHandler(yes_button, pattern=btn.YES.pattern))


FEATURE = Feature("badges", register=register,
                  panel=(PanelItem("panel.badges", 55, lambda: btn.LIST.data(0), count=party_age.due_count,
                                     panels=frozenset({"party"})),))
