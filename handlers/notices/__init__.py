"""/notice, /notices, /documents: notices, documents and resolutions to every member below.

Sending never happens here: a confirmed notice queues its deliveries (models.notices) and the
dispatcher (bot/dispatcher.py) sends them at Telegram's pace, rendering each with the renderers of
render.py in the member's language. steps.py is the officer's /notice conversation; views.py what
members and officers see (the buttons under a notice, /notices, the status, /documents); printout.py
the 📄 sheet printed for members without Telegram; buttons.py the callback data of all of them.
"""
from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from models import deliveries, notices
from models.callback_data import any_of

from ..feature import Command, Feature, MenuButton, PanelItem
from ..keyboards import menu_pattern
from ..steps import conversation
from . import buttons as btn
from . import printout, steps, views
from .render import EMOJI, notice_calls, render_notice, render_reminder, render_unreachable, status_edits

__all__ = ["EMOJI", "FEATURE", "notice_calls", "register", "render_notice"]


def register(app) -> None:
    text = filters.TEXT & ~filters.COMMAND
    composing = {  # /notice's steps, each with ◀ Quay lại and ✖ Hủy (steps.TRAIL)
        steps.KIND: [CallbackQueryHandler(steps.chose_kind, pattern=btn.KIND.pattern)],
        steps.TITLE: [MessageHandler(text, steps.got_title),
                      CallbackQueryHandler(steps.kept, pattern=btn.KEEP.only("title"))],
        steps.BODY: [MessageHandler(text, steps.got_body),
                     CallbackQueryHandler(steps.kept, pattern=btn.KEEP.only("body"))],
        steps.FILE: [
            MessageHandler(filters.Document.ALL | filters.PHOTO, steps.got_file),
            CallbackQueryHandler(steps.skip_file, pattern=btn.NO_FILE.exact),
            CallbackQueryHandler(steps.kept, pattern=btn.KEEP.only("file")),
            MessageHandler(text, steps.file_expected),
        ],
        steps.STUDY: [CallbackQueryHandler(steps.chose_study, pattern=btn.STUDY.exact)],
        steps.AUDIENCE: [CallbackQueryHandler(steps.chose_audience, pattern=any_of(btn.AUDIENCE, btn.AUDIENCE_DONE))],
        steps.WHEN: [CallbackQueryHandler(steps.chose_when, pattern=btn.WHEN.exact)],
        steps.AT: [MessageHandler(text, steps.got_at),
                   CallbackQueryHandler(steps.kept, pattern=btn.KEEP.only("at"))],
        steps.CONFIRM: [CallbackQueryHandler(steps.confirmed, pattern=btn.CONFIRM.exact)],
    }
    app.add_handler(conversation(
        "notice",
        [CommandHandler("notice", steps.notice_command),
         CallbackQueryHandler(steps.notice_command, pattern=btn.PANEL.exact)],
        {state: [*handlers, *steps.TRAIL.handlers()] for state, handlers in composing.items()},
    ))
    app.add_handler(CallbackQueryHandler(steps.stale_step, pattern=any_of(*btn.CONVERSATION)))
    app.add_handler(CommandHandler("notices", views.inbox_command))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.notices")), views.inbox_command))
    app.add_handler(CommandHandler("documents", views.documents_command))
    app.add_handler(CallbackQueryHandler(views.read_pressed, pattern=btn.READ.pattern))
    app.add_handler(CallbackQueryHandler(views.studied_pressed, pattern=btn.STUDIED.pattern))
    app.add_handler(CallbackQueryHandler(views.open_pressed, pattern=btn.OPEN.pattern))
    app.add_handler(CallbackQueryHandler(views.inbox_page, pattern=btn.INBOX_PAGE.pattern))
    app.add_handler(CallbackQueryHandler(views.sent_page, pattern=btn.SENT_PAGE.pattern))
    app.add_handler(CallbackQueryHandler(views.status_pressed, pattern=btn.STATUS.pattern))
    app.add_handler(CallbackQueryHandler(views.remind_pressed, pattern=btn.REMIND.pattern))
    app.add_handler(CallbackQueryHandler(views.study_rates_pressed, pattern=btn.STUDY_RATES.pattern))
    app.add_handler(CallbackQueryHandler(views.documents_page, pattern=btn.DOCUMENTS_PAGE.pattern))
    app.add_handler(CallbackQueryHandler(printout.print_pressed, pattern=btn.PRINT.pattern))
    app.add_handler(CallbackQueryHandler(printout.cells_page, pattern=btn.PRINT_CELLS.pattern))
    app.add_handler(CallbackQueryHandler(printout.cell_pressed, pattern=btn.PRINT_CELL.pattern))


async def release_scheduled(session) -> list[tuple[str, int]]:
    """The clock's tick: scheduled notices whose time has come go into the outbox."""
    return [(notices.NOTICE_DELIVERY, d.id) for d in await notices.release_due(session)]


FEATURE = Feature(
    "notices",
    register=register,
    commands=(Command("notices", 40), Command("documents", 41, usage="documents.usage"),
              Command("notice", 130, officer=True, usage="notice.usage")),
    menu=(MenuButton("menu.notices", 30),),
    renderers=lambda services: {
        notices.NOTICE_DELIVERY: render_notice,
        notices.REMINDER_DELIVERY: render_reminder,
        deliveries.UNREACHABLE_REPORT: render_unreachable,
    },
    progress={notices.NOTICE_DELIVERY: status_edits},
    ticks=(release_scheduled,),
    panel=(PanelItem("panel.notice", 10, btn.PANEL.data),),
)
