"""/bulletin and /bulletins: the monthly audio bulletin (bản tin âm thanh) for members who listen.

An officer gives a title and a text, hears the preview as a voice note, then sends it now or at a
time (steps.py). Sending never happens here: models.bulletins queues one delivery per member and
the dispatcher renders each with render.py's `renderers(speech)`: the voice note(s) by file_id, the
title and the text underneath. Members list past bulletins and hear them again from /bulletins (or
the 🔊 Bản tin âm thanh button): views.py.
"""
from __future__ import annotations

from telegram.ext import CallbackQueryHandler, MessageHandler

from ..feature import Command, Feature, MenuButton, PanelItem
from ..steps import TYPED, add_buttons, add_command, conversation, entry
from . import buttons as btn
from . import steps, views
from .render import release_due, render_bulletin, renderers

__all__ = ["FEATURE", "register", "render_bulletin", "renderers"]

# The buttons answered outside the conversation, in this order (after it and /bulletins); each handler knows
# the codec it answers (steps.answers).
BUTTONS = (views.list_page, views.play_pressed, views.scheduled_pressed, views.withdraw_pressed)


def register(app) -> None:
    app.add_handler(conversation(
        "bulletin",
        entry("bulletin", steps.bulletin_command, btn.PANEL),
        {
            steps.UNIT: [CallbackQueryHandler(steps.chose_unit, pattern=btn.UNIT.pattern)],
            steps.TITLE: [CallbackQueryHandler(steps.chose_source, pattern=btn.SOURCE.pattern),
                          MessageHandler(TYPED, steps.got_title)],
            steps.BODY: [CallbackQueryHandler(steps.preview_pressed, pattern=btn.PREVIEW.exact),
                         MessageHandler(TYPED, steps.got_text)],
            steps.CONFIRM: [CallbackQueryHandler(steps.confirmed, pattern=btn.CONFIRM.exact)],
            steps.WHEN: [CallbackQueryHandler(steps.chose_when, pattern=btn.WHEN.exact),
                         CallbackQueryHandler(steps.confirmed, pattern=btn.CONFIRM.only("no"))],
            steps.AT: [MessageHandler(TYPED, steps.got_at)],
        },
    ))
    add_buttons(app, [steps.stale_step])
    add_command(app, "bulletins", views.list_command, menu="menu.bulletins")
    add_buttons(app, BUTTONS)


FEATURE = Feature(
    "bulletins",
    register=register,
    commands=(Command("bulletins", 70), Command("bulletin", 150, officer=True, usage="bulletin.usage")),
    menu=(MenuButton("menu.bulletins", 60),),
    renderers=lambda services: renderers(services.speech if services else None),
    ticks=(release_due,),
    panel=(PanelItem("panel.bulletin", 90, btn.PANEL.data),),
)
