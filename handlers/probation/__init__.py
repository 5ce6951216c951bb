"""🌱 Đảng viên dự bị (issue 17): the deadlines of probation — the admission ceremony, month 12, the conversion
meeting — on /profile (views.profile_line), in the secretary's weekly to-do and on the officer's panel: who is
due within the rules' window (30 days), reminded at 30, 7 and 1 days. The dates are models/probation.py's, in
Vietnam's working days (models/workdays.py)."""
from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from models import probation

from ..feature import Feature, PanelItem
from . import buttons as btn


def register(app: Application) -> None:
    from .views import list_button, page_button

    app.add_handler(CallbackQueryHandler(list_button, pattern=btn.LIST.pattern))
    app.add_handler(CallbackQueryHandler(page_button, pattern=btn.PAGE.pattern))


FEATURE = Feature("probation", register=register,
                  panel=(PanelItem("panel.probation", 65, lambda: btn.LIST.data(0), count=probation.due_count),))
