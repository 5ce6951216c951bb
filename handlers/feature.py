"""What a feature declares about itself, in one object (its package's `FEATURE`).

A feature is a package under handlers/ (views, steps, buttons) beside its models. It says here
everything the bot needs to wire it: the handlers it adds, the commands it offers (and to whom), its
big menu buttons, the outbox renderers of the deliveries it queues, the senders' live status views,
what falls due with the clock and its buttons on the officer's panel. handlers/features.py lists the features; bot/ composes the list
and names none of them.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from telegram.ext import Application

    from models.permissions import Actor

    from .turn import Services

Call = tuple  # (method, parameters without chat_id) or (method, parameters, hook after an upload)
UploadHook = Callable[[AsyncSession, dict], Awaitable[None]]
# kind's row → the calls sending it to one chat, in the member's language
Renderer = Callable[[AsyncSession, int, str, "tzinfo | None"], Awaitable[Any]]
# the sender's status message(s) of one broadcast, refreshed as its deliveries come back
Progress = Callable[[AsyncSession, int, "tzinfo | None"], Awaitable[list[Call]]]
# what fell due with the clock: (kind, ref_id) of the deliveries it queued
Tick = Callable[[AsyncSession], Awaitable[list[tuple[str, int]]]]


@dataclass(frozen=True)
class Command:
    """A slash command in Telegram's menu; `order` places it among every feature's commands.

    `usage` is the catalog id of its one-line form with an example (what /help shows under it), for a
    command that takes words after it; None: the command alone."""

    name: str
    order: int
    officer: bool = False  # shown only to members holding a role
    usage: str | None = None


@dataclass(frozen=True)
class MenuButton:
    """One of the big reply buttons (a catalog id); `order` places it, two a row, an odd last one alone.

    `panel` names the officers who see it ("cell", "party": models.permissions.Actor.panel), on a row of
    its own above the members' buttons; None: everyone linked."""

    key: str
    order: int
    panel: str | None = None


@dataclass(frozen=True)
class PanelItem:
    """A button of the officer's panel (handlers/panel): what the feature lets an officer do from there.

    `data` gives the callback data that starts it (the feature's codec: the feature's handlers take it);
    `count`, what is waiting for this officer (shown "(3)" and put first); `panels`, whose panel shows it."""

    key: str
    order: int
    data: Callable[[], str]
    count: Callable[[AsyncSession, Actor], Awaitable[int]] | None = None
    panels: frozenset[str] = frozenset({"cell", "party"})


def _no_renderers(services: Services | None) -> Mapping[str, Renderer]:
    return {}


@dataclass(frozen=True)
class Feature:
    name: str
    # Adds the feature's handlers; called in the order of handlers/features.py (order matters in a group).
    register: Callable[[Application], None] | None = None
    # Called after every feature's register: handlers that must come last (the catch-all fallback).
    register_last: Callable[[Application], None] | None = None
    commands: tuple[Command, ...] = ()
    menu: tuple[MenuButton, ...] = ()
    # The outbox renderers of the kinds this feature queues, given the bot's services (None in tools and tests).
    renderers: Callable[[Services | None], Mapping[str, Renderer]] = _no_renderers
    progress: Mapping[str, Progress] = field(default_factory=dict)
    ticks: tuple[Tick, ...] = ()
    panel: tuple[PanelItem, ...] = ()
