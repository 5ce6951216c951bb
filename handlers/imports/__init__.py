"""Importing a member list sent as a file (steps.py); the words of its result: handlers/import_report.py."""
from __future__ import annotations

from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from ..feature import Feature
from . import buttons as btn
from .steps import confirm_import, member_file


def register(app) -> None:
    app.add_handler(MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, member_file))
    app.add_handler(CallbackQueryHandler(confirm_import, pattern=btn.CONFIRM.pattern))


FEATURE = Feature("imports", register=register)
