"""/study: a committee officer or a secretary gives a document or resolution to their unit's members to study, with a
deadline, an optional quiz (an XLSX question bank) and an optional essay; members get the card, mark it studied, take
the quiz as Telegram quiz polls (retakes allowed, the best score kept) and hand in the essay (typed, a file, a photo
or a voice message), which the officer marks received or asks for again; /report shows per cell how far they got.

steps.py is the officer's conversation; views.py the card, the quiz, essays and their review, /report's part;
buttons.py their data.
"""
from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, PollAnswerHandler, filters

from models import study
from models.callback_data import any_of
from models.dates import VIETNAM

from ..feature import Command, Feature, PanelItem
from ..keyboards import MENU_TEXT
from ..steps import add_buttons, conversation
from ..turn import services_of
from . import buttons as btn
from . import steps, views

__all__ = ["FEATURE", "register"]


_TZ: list[tzinfo] = [VIETNAM]  # the handbook's time zone, from the services when the bot is built


def register(app) -> None:
    _TZ[0] = services_of(app).timezone or VIETNAM
    text = filters.TEXT & ~filters.COMMAND & ~MENU_TEXT  # a big menu button goes to its own feature
    asking = {
        steps.DOC: [CallbackQueryHandler(steps.chose_doc, pattern=btn.DOC.pattern)],
        steps.DAY: [CallbackQueryHandler(steps.chose_day, pattern=btn.DAY.pattern),
                    CallbackQueryHandler(steps.month_pressed, pattern=btn.MONTH.pattern)],
        steps.BANK: [MessageHandler(filters.Document.ALL, steps.got_bank),
                     CallbackQueryHandler(steps.skipped_bank, pattern=btn.NO_QUIZ.exact),
                     MessageHandler(text | filters.PHOTO, steps.bank_expected)],
        steps.ESSAY: [CallbackQueryHandler(steps.chose_essay, pattern=btn.ESSAY_ASKED.pattern)],
        steps.ESSAY_AGE: [CallbackQueryHandler(steps.chose_essay_age, pattern=btn.ESSAY_AGE.pattern)],
        steps.CONFIRM: [CallbackQueryHandler(steps.confirmed, pattern=btn.CONFIRM.exact)],
    }
    app.add_handler(conversation(
        "study",
        [CommandHandler("study", steps.study_command),
         CallbackQueryHandler(steps.study_command, pattern=btn.PANEL.exact)],
        {state: [*handlers, *steps.TRAIL.handlers()] for state, handlers in asking.items()},
    ))
    app.add_handler(conversation(
        "study_essay",
        [CallbackQueryHandler(views.essay_pressed, pattern=btn.ESSAY.pattern)],
        {views.ESSAY_WAIT: [
            MessageHandler((text | filters.Document.ALL | filters.PHOTO | filters.VOICE), views.got_essay),
            CallbackQueryHandler(views.essay_quit, pattern=btn.ESSAY_QUIT.exact),
            MessageHandler(~filters.COMMAND & ~MENU_TEXT, views.essay_expected)]},
    ))
    add_buttons(app, [
        (steps.stale_step, any_of(*btn.CONVERSATION)),
        (views.open_pressed, btn.OPEN.pattern),
        (views.studied_pressed, btn.STUDIED.pattern),
        (views.start_pressed, btn.START.pattern),
        (views.received_pressed, btn.RECEIVED.pattern),
        (views.redo_pressed, btn.REDO.pattern),
        (steps.stale_step, btn.ESSAY_QUIT.pattern),
    ])
    app.add_handler(PollAnswerHandler(views.poll_answered))


async def remind_due(session: AsyncSession) -> list[tuple[str, int]]:
    """The clock's tick: the day before a deadline, who has not finished is reminded."""
    return await study.remind_due(session, _TZ[0])


FEATURE = Feature(
    "study",
    register=register,
    commands=(Command("study", 135, officer=True),),
    renderers=lambda services: {study.STUDY_DELIVERY: views.render_study, study.ESSAY_DELIVERY: views.render_essay,
                                study.REMINDER_DELIVERY: views.render_reminder,
                                study.STUDY_EXCUSED_DELIVERY: views.render_study_excused},
    ticks=(remind_due,),
    panel=(PanelItem("panel.study", 12, btn.PANEL.data),),
)
