"""The conversation: one package per feature (handlers/features.py lists them). Thin: parse the update,
call models, render.

The features are imported by register(), not here: `handlers.i18n` (the messages the `handbook`
command prints too) must be importable without loading every feature, Telegram's and matplotlib.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from telegram.ext import Application

    from .turn import Services


def register(app: Application, services: Services) -> None:
    from . import errors, features, state
    from .turn import SERVICES

    app.bot_data[SERVICES] = services
    # In the list's order: inside a group, conversations before the global /cancel, the stranger fallback last.
    for feature in features.load():
        if feature.register:
            feature.register(app)
    for feature in features.load():
        if feature.register_last:
            feature.register_last(app)
    # Each person's conversation step and draft are read from the database before every update
    # and written back after it: they survive a restart and follow the person across instances.
    state.install(app)
    app.add_error_handler(errors.on_error)
