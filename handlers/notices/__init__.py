"""/notice, /notices, /documents: notices, documents and resolutions to every member below.

Sending never happens here: a confirmed notice queues its deliveries (models.notices) and the
dispatcher (bot/dispatcher.py) sends them at Telegram's pace, rendering each with the renderers of
render.py in the member's language. steps.py is the officer's /notice conversation; views.py what
members and officers see (the buttons under a notice, /notices, the status, /documents); printout.py
the 📄 sheet printed for members without Telegram; buttons.py the callback data of all of them.
"""
from __future__ import annotations

from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from models import deliveries, notices
from models.callback_data import any_of

from ..feature import Command, Feature, MenuButton, PanelItem
from ..steps import TYPED, add_buttons, add_command, conversation, entry
from . import buttons as btn
from . import printout, steps, views
from .render import EMOJI, notice_calls, render_notice, render_reminder, render_unreachable, status_edits

__all__ = ["EMOJI", "FEATURE", "notice_calls", "register", "render_notice"]

# The buttons answered outside the conversation, in this order (after it, /notices and /documents); each
# handler knows the codec it answers (steps.answers).
BUTTONS = (views.read_pressed, views.studied_pressed, views.open_pressed, views.inbox_page, views.sent_page,
           views.status_pressed, views.remind_pressed, views.study_rates_pressed, views.documents_page,
           printout.print_pressed, printout.cells_page, printout.cell_pressed)


def register(app) -> None:
    composing = {  # /notice's steps, each with ◀ Quay lại and ✖ Hủy (steps.TRAIL)
        steps.KIND: [CallbackQueryHandler(steps.chose_kind, pattern=btn.KIND.pattern)],
        steps.TITLE: [MessageHandler(TYPED, steps.got_title),
                      CallbackQueryHandler(steps.kept, pattern=btn.KEEP.only("title"))],
        steps.BODY: [MessageHandler(TYPED, steps.got_body),
                     CallbackQueryHandler(steps.kept, pattern=btn.KEEP.only("body"))],
        steps.DRAFTING: [CallbackQueryHandler(steps.drafting, pattern=btn.DRAFTING.exact)],
        steps.FILE: [
            MessageHandler(filters.Document.ALL | filters.PHOTO, steps.got_file),
            CallbackQueryHandler(steps.skip_file, pattern=btn.NO_FILE.exact),
            CallbackQueryHandler(steps.kept, pattern=btn.KEEP.only("file")),
            MessageHandler(TYPED, steps.file_expected),
        ],
        steps.STUDY: [CallbackQueryHandler(steps.chose_study, pattern=btn.STUDY.exact)],
        steps.AUDIENCE: [CallbackQueryHandler(steps.chose_audience, pattern=any_of(btn.AUDIENCE, btn.AUDIENCE_DONE))],
        steps.WHEN: [CallbackQueryHandler(steps.chose_when, pattern=btn.WHEN.exact)],
        steps.AT: [MessageHandler(TYPED, steps.got_at),
                   CallbackQueryHandler(steps.kept, pattern=btn.KEEP.only("at"))],
        steps.CONFIRM: [CallbackQueryHandler(steps.confirmed, pattern=btn.CONFIRM.exact)],
    }
    app.add_handler(conversation("notice", entry("notice", steps.notice_command, btn.PANEL),
                                 steps.TRAIL.states(composing)))
    add_buttons(app, [steps.stale_step])
    add_command(app, "notices", views.inbox_command, menu="menu.notices")
    add_command(app, "documents", views.documents_command)
    add_buttons(app, BUTTONS)


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
