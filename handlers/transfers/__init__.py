"""🔁 Chuyển sinh hoạt đảng (issue 17): a cell's officer records a member's transfer from the member's card
(handlers/members' profile view carries the button), step by step (steps.py); the member is told. The
panel's 🔁 Chuyển sinh hoạt lists the open ones, each completed or cancelled, and the members coming to the
officer's cells, each received with ✅ Tiếp nhận (views.py). The rules, deadlines
and refusals are models/transfers.py's."""
from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, MessageHandler

from models import transfers

from ..feature import Feature, PanelItem
from ..keyboards import MENU_TEXT
from ..steps import TYPED, add_buttons, conversation
from . import buttons as btn


def register(app: Application) -> None:
    from . import steps, views

    text = TYPED & ~MENU_TEXT
    states = {
        steps.KIND: [CallbackQueryHandler(steps.chose_kind, pattern=btn.KIND.pattern)],
        steps.DEST: [CallbackQueryHandler(steps.chose_dest, pattern=btn.DEST.pattern),
                     CallbackQueryHandler(steps.dest_page, pattern=btn.DEST_PAGE.pattern),
                     CallbackQueryHandler(steps.outside, pattern=btn.OUTSIDE.exact)],
        steps.NAME: [MessageHandler(text, steps.got_name)],
        steps.DATE: [CallbackQueryHandler(steps.today, pattern=btn.TODAY.exact), MessageHandler(text, steps.got_date)],
        steps.UNTIL: [CallbackQueryHandler(steps.chose_until, pattern=btn.UNTIL.pattern),
                      MessageHandler(text, steps.got_until)],
        steps.CONFIRM: [CallbackQueryHandler(steps.confirmed, pattern=btn.CONFIRM.pattern)],
    }
    app.add_handler(conversation(
        "transfer",
        [CallbackQueryHandler(steps.start, pattern=btn.START.pattern)],
        steps.TRAIL.states(states),
    ))
    add_buttons(app, [steps.stale_step])
    for callback, codec in ((views.list_button, btn.LIST), (views.page_button, btn.PAGE),
                            (views.ask_button, btn.ASK), (views.done_button, btn.DONE),
                            (views.drop_button, btn.DROP), (views.receive_button, btn.RECEIVE)):
        app.add_handler(CallbackQueryHandler(callback, pattern=codec.pattern))


FEATURE = Feature("transfers", register=register,
                  panel=(PanelItem("panel.transfers", 52, lambda: btn.LIST.data(0), count=transfers.open_count),))
