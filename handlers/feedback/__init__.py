"""💬 Góp ý: members write to their cell (text, voice, photo; named or anonymous) and get the answer;
secretaries and committees read, answer, close and digest. The periodic sweep tells secretaries
about new items (one summary each) and delivers replies; the database says what is still to do.

member.py: writing and one's own items; officer.py: the inbox, answers and closing; digest.py: the
digest before a meeting; sweep.py: summaries and replies; views.py: how an item looks; flow.py: the
conversation step (shared with handlers/corrections).
"""
from __future__ import annotations

# First the names handlers/corrections takes from here: officer.py and sweep.py import corrections'
# buttons, and once corrections is a package that runs its __init__, which imports these back.
from .flow import COMPOSE, CORRECT, MENU, REJECT, REPLY, InFlow, end_flow, flow_data, leave_flow, start_flow
from .views import excerpt, tz

# isort: split
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from models import feedback as fb
from models.callback_data import any_of

from ..feature import Command, Feature, MenuButton, PanelItem
from ..keyboards import menu_pattern
from . import buttons as btn
from .digest import digest_button, digest_model_pressed
from .member import content, draft_button, feedback_command, my_item
from .officer import close_button, inbox, list_button, open_button, reply_button, reply_text, unit_button
from .sweep import SWEEP_SECONDS, deliver_replies, feedback_keys, run_sweep, sweep_job

__all__ = [  # what handlers/corrections and the tests use
    "CORRECT", "MENU", "REJECT", "InFlow", "end_flow", "excerpt", "flow_data", "start_flow", "tz",
    "deliver_replies", "feedback_keys", "run_sweep",
]


def register(app: Application) -> None:
    # Group -1 runs before every other handler and stops nothing: it only forgets our step.
    app.add_handler(MessageHandler((filters.COMMAND | MENU) & filters.ChatType.PRIVATE, leave_flow), group=-1)
    app.add_handler(CommandHandler("feedback", feedback_command))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.feedback")), feedback_command))
    fresh = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE  # an edited message is not a new answer
    typed = filters.TEXT & ~filters.COMMAND & ~MENU & fresh
    app.add_handler(MessageHandler(InFlow(app, COMPOSE) & (typed | ((filters.VOICE | filters.PHOTO) & fresh)), content))
    app.add_handler(MessageHandler(InFlow(app, REPLY) & typed, reply_text))
    buttons = (
        (draft_button, any_of(*btn.DRAFT)), (my_item, btn.MINE.pattern), (inbox, btn.INBOX.pattern),
        (unit_button, btn.UNIT.pattern), (list_button, btn.LIST.pattern), (open_button, btn.OPEN.pattern),
        (reply_button, btn.REPLY.pattern), (close_button, btn.CLOSE.pattern), (digest_button, any_of(*btn.DIGESTS)),
        (digest_model_pressed, btn.DIGEST_MODEL.pattern),
    )
    for callback, pattern in buttons:
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    if app.job_queue is not None:
        app.job_queue.run_repeating(sweep_job, interval=SWEEP_SECONDS, first=SWEEP_SECONDS, name="feedback_sweep")


FEATURE = Feature("feedback", register=register, commands=(Command("feedback", 60, usage="feedback.usage"),),
                  menu=(MenuButton("menu.feedback", 50),),
                  panel=(PanelItem("panel.feedback", 60, lambda: btn.INBOX.data(0), count=fb.waiting_for),))
