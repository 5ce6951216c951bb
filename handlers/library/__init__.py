"""The library: 🔎 Hỏi đáp and /ask (questions answered with the passages that cite them), /documents words
(handlers/notices shows the results from here), 🔊 Nghe on a passage, and indexing a document's
attachment after its notice is sent (indexing.py), 📚 Duyệt thư viện by kind, year and issuing unit
(browse.py). The search, the shelves and their rules are models.library.

views.py: what the member sees; render.py: how a result looks; buttons.py: its callback data.
"""
from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from ..feature import Command, Feature, MenuButton
from ..keyboards import MENU_TEXT, menu_pattern
from ..steps import TYPED, conversation
from . import browse, views
from . import buttons as btn
from .indexing import index_after_commit

__all__ = ["FEATURE", "index_after_commit"]


def register(app) -> None:
    typed = TYPED & ~MENU_TEXT
    app.add_handler(conversation(
        "ask",
        [CommandHandler("ask", views.ask_command),
         MessageHandler(filters.Regex(menu_pattern("menu.ask")), views.ask_command)],
        {views.QUESTION: [MessageHandler(typed, views.got_question)]},
    ))
    app.add_handler(CallbackQueryHandler(views.hear_passage, pattern=btn.HEAR.pattern))
    app.add_handler(CallbackQueryHandler(views.hear_answer, pattern=btn.HEAR_ANSWER.pattern))
    app.add_handler(CallbackQueryHandler(views.to_secretary, pattern=btn.TO_SECRETARY.pattern))
    app.add_handler(CallbackQueryHandler(browse.browse_pressed, pattern=btn.BROWSE.pattern))
    app.add_handler(CallbackQueryHandler(browse.shelf_page, pattern=btn.SHELF.pattern))


FEATURE = Feature(
    "library",
    register=register,
    commands=(Command("ask", 42, usage="ask.usage"),),
    menu=(MenuButton("menu.ask", 70),),
)
