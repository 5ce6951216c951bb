"""The features of the bot, in the order their handlers are added. Adding a feature: one line here.

Order matters where two features could take the same update: a conversation before the handlers
after it, and the catch-all fallback (start's `register_last`) after everything. Each name is a
package (or module) under handlers/ exposing `FEATURE`; they are imported when first needed, so a
command-line tool that needs none of them loads none.
"""
from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

from .feature import Command, Feature, PanelItem, Progress, Renderer, Tick

if TYPE_CHECKING:
    from .turn import Services

FEATURES = (
    "members",  # first: an invite's conversation
    "notices",  # before imports: a file sent while composing a notice is its attachment, not a member list
    "study",  # 📖 before imports too: an XLSX sent while giving a document to study is its question bank
    "votes",
    "meetings",  # also before imports: a file sent while scheduling a meeting is one of its documents
    "bulletins",
    "listen",
    "reports",
    "month_board",  # 📰 the month's bulletin board, from the panel
    "start",
    "profile",
    "language",
    "help",
    "panel",  # the officer's panel: lays out the features' panel buttons
    "todo",  # the officer's weekly to-do
    "imports",
    "feedback",
    "corrections",
    "badges",  # 🎖 Huy hiệu Đảng: party age and badges, from the committee's panel
    "probation",  # 🌱 Đảng viên dự bị: probation deadlines, on the profile, the to-do and the panel
    "transfers",  # 🔁 Chuyển sinh hoạt: from a member's card (members' profile view)
    "library",  # 🔎 Hỏi đáp, /ask; /documents words (notices) shows its results
    "anniversaries",  # 🎂 birthdays, mừng thọ, party-join anniversaries: the to-do's section
    "review",  # 📝 the year-end review: the round (committee's panel, /review), the self-review, the cell's list
)


@cache
def load() -> tuple[Feature, ...]:
    return tuple(importlib.import_module(f"{__package__}.{name}").FEATURE for name in FEATURES)


def renderers(services: Services | None = None) -> dict[str, Renderer]:
    found: dict[str, Renderer] = {}
    for feature in load():
        for kind, render in feature.renderers(services).items():
            if kind in found:
                raise ValueError(f"two features render the delivery kind {kind!r}")
            found[kind] = render
    return found


def progress() -> dict[str, Progress]:
    return {kind: view for feature in load() for kind, view in feature.progress.items()}


def ticks() -> list[Tick]:
    return [tick for feature in load() for tick in feature.ticks]


def commands(officer: bool) -> list[Command]:
    """Every feature's commands in their order; the officers' too when `officer`."""
    return sorted((c for f in load() for c in f.commands if officer or not c.officer), key=lambda c: (c.order, c.name))


def command_names(officer: bool) -> list[str]:
    return [c.name for c in commands(officer)]


def menu_keys() -> tuple[str, ...]:
    """Every big button's catalog id, the officers' included."""
    return tuple(b.key for b in sorted((b for f in load() for b in f.menu), key=lambda b: b.order))


def menu_rows(panel: str | None = None) -> tuple[tuple[str, ...], ...]:
    """The big buttons a person sees: the officer's own (`panel`, Actor.panel) a row each on top, then the
    members', two a row."""
    buttons = sorted((b for f in load() for b in f.menu), key=lambda b: b.order)
    own = tuple((b.key,) for b in buttons if panel is not None and b.panel == panel)
    keys = [b.key for b in buttons if b.panel is None]
    return own + tuple(tuple(keys[i:i + 2]) for i in range(0, len(keys), 2))


def panel_items(panel: str) -> list[PanelItem]:
    """The officer's panel (`panel`: "cell" or "party"), in the features' order."""
    return sorted((i for f in load() for i in f.panel if panel in i.panels), key=lambda i: i.order)
