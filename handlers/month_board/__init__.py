"""📰 Bảng tin tháng: the cell's month on one picture (handlers/month_card.py), from the officer's panel,
for the secretary to forward to the cell's other groups (views.py)."""
from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from ..feature import Feature, PanelItem
from . import buttons as btn
from .views import chose_cell, chose_month, month_board


def register(app) -> None:
    for callback, codec in ((month_board, btn.PANEL), (chose_cell, btn.CELL), (chose_month, btn.MONTH)):
        app.add_handler(CallbackQueryHandler(callback, pattern=codec.pattern))


FEATURE = Feature("month_board", register=register, panel=(PanelItem("panel.month_card", 85, btn.PANEL.data),))
