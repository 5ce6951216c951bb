"""/vote, /votes and the ballot buttons: votes of a cell, open or secret, closed by the clock.

Ballots, reminders and results reach members through the outbox (models.votes queues them, the
dispatcher renders them with render.py's renderers, once per vote and language). steps.py is the
officer's /vote conversation; views.py what members do with a vote (tap an option, /votes and its
cards); printout.py the 📄 result printed for members without Telegram; ballot.py the ballot's words;
buttons.py the callback data.
"""
from __future__ import annotations

from telegram.ext import CallbackQueryHandler, MessageHandler

from models import votes

from ..feature import Command, Feature, MenuButton, PanelItem
from ..keyboards import MENU_TEXT
from ..steps import TYPED, add_buttons, add_command, conversation, entry
from . import buttons as btn
from . import printout, render, steps, views

# The buttons answered outside the conversations, in this order (after them and /votes); each handler knows
# the codec it answers (steps.answers).
BUTTONS = (views.open_pressed, views.result_pressed, views.status_pressed, views.close_asked, views.close_confirmed,
           views.roll_pressed, printout.print_pressed)


def register(app) -> None:
    opening_steps = {  # /vote's steps, each with ◀ Quay lại and ✖ Hủy (steps.TRAIL)
        steps.CELL: [CallbackQueryHandler(steps.chose_cell, pattern=btn.CELL.pattern)],
        steps.QUESTION: [MessageHandler(TYPED, steps.got_question),
                         CallbackQueryHandler(steps.kept, pattern=btn.KEEP.only("question"))],
        steps.OPTIONS: [CallbackQueryHandler(steps.standard_options, pattern=btn.STANDARD_OPTIONS.exact),
                        CallbackQueryHandler(steps.kept, pattern=btn.KEEP.only("options")),
                        MessageHandler(TYPED, steps.got_options)],
        steps.CLOSES: [CallbackQueryHandler(steps.chose_closes, pattern=btn.CLOSES.pattern),
                       CallbackQueryHandler(steps.kept, pattern=btn.KEEP.only("closes")),
                       MessageHandler(TYPED, steps.got_closes)],
        steps.SETTINGS: [CallbackQueryHandler(steps.toggled, pattern=btn.TOGGLE.pattern),
                         CallbackQueryHandler(steps.confirmed, pattern=btn.CONFIRM.exact)],
    }
    opening = conversation("vote", entry("vote", steps.vote_command, btn.PANEL), steps.TRAIL.states(opening_steps))
    # A tap is a conversation only for "Ý kiến khác": the next text is the opinion.
    tapping = conversation(
        "vote_opinion",
        [CallbackQueryHandler(views.tapped, pattern=btn.CAST.pattern)],
        {views.OTHER_TEXT: [MessageHandler(TYPED & ~MENU_TEXT, views.got_text)]},
        timeout=900,
    )
    app.add_handler(tapping)
    app.add_handler(opening)
    add_buttons(app, [steps.stale_step])
    add_command(app, "votes", views.list_command, menu="menu.votes")
    add_buttons(app, BUTTONS)


async def close_and_remind(session) -> list[tuple[str, int]]:
    """The clock's tick: votes whose time is up are closed, reminders fallen due queued."""
    return [(votes.BALLOT_DELIVERY, i) for i in await votes.close_due(session) + await votes.remind_due(session)]


FEATURE = Feature(
    "votes",
    register=register,
    commands=(Command("votes", 50), Command("vote", 140, officer=True, usage="vote.usage")),
    menu=(MenuButton("menu.votes", 40),),
    renderers=lambda services: {
        votes.BALLOT_DELIVERY: render.render_ballot,
        votes.PROBATION_DELIVERY: render.render_probation,
        votes.ABSENT_DELIVERY: render.render_absent,
        votes.REMINDER_DELIVERY: render.render_reminder,
        votes.RESULT_DELIVERY: render.render_result,
        votes.ROLL_DELIVERY: render.render_roll,
    },
    progress={votes.BALLOT_DELIVERY: render.status_edits, votes.RESULT_DELIVERY: render.status_edits},
    ticks=(close_and_remind,),
    panel=(PanelItem("panel.vote", 30, btn.PANEL.data, panels=frozenset({"cell"})),),
)
