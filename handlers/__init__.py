"""The conversation: one module per feature. Thin: parse the update, call models, render.

The features are imported by register(), not here: `handlers.i18n` (the messages the `handbook`
command prints too) must be importable without loading every feature, Telegram's and matplotlib.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from telegram.ext import Application

    from .turn import Services


def register(app: Application, services: Services) -> None:
    from . import (
        bulletins,
        corrections,
        errors,
        feedback,
        help,
        imports,
        language,
        listen,
        meetings,
        members,
        notices,
        profile,
        reports,
        start,
        state,
        votes,
    )
    from .turn import SERVICES

    app.bot_data[SERVICES] = services
    # Order matters inside a group: conversations before the global /cancel, the stranger fallback last.
    members.register(app, help.cancel)
    # Before imports: a file sent while composing a notice is its attachment, not a member list.
    notices.register(app, help.cancel)
    votes.register(app, help.cancel)
    # Also before imports: a file sent while scheduling a meeting is one of its documents.
    meetings.register(app, help.cancel)
    bulletins.register(app, help.cancel)
    listen.register(app)
    reports.register(app)
    start.register(app)
    profile.register(app)
    language.register(app)
    help.register(app)
    imports.register(app)
    feedback.register(app)
    corrections.register(app)
    start.register_fallback(app)
    # Each person's conversation step and draft are read from the database before every update
    # and written back after it: they survive a restart and follow the person across instances.
    state.install(app)
    app.add_error_handler(errors.on_error)
