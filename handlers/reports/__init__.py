"""/report: what a committee sees of its cells' meetings (views.py), the month's chart and spreadsheet (files.py)."""
from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler

from ..feature import Command, Feature, PanelItem
from . import buttons as btn
from .views import report_command


def register(app) -> None:
    app.add_handler(CommandHandler("report", report_command))
    app.add_handler(CallbackQueryHandler(report_command, pattern=btn.PANEL.exact))


FEATURE = Feature("reports", register=register, commands=(Command("report", 170, officer=True, usage="report.usage"),),
                  panel=(PanelItem("panel.report", 80, btn.PANEL.data),))
