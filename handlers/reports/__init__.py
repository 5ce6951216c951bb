"""/report: what a committee sees of its cells' meetings (views.py), the month's chart and spreadsheet (files.py)."""
from __future__ import annotations

from telegram.ext import CommandHandler

from ..feature import Command, Feature
from .views import report_command


def register(app) -> None:
    app.add_handler(CommandHandler("report", report_command))


FEATURE = Feature("reports", register=register, commands=(Command("report", 170, officer=True),))
