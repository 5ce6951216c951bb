"""Keyboards: the big reply buttons members tap, and inline keyboards.

Callback data is an opaque short key ("m:p:42"); the server re-checks everything it implies.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, Message, ReplyKeyboardMarkup
from telegram.ext import filters

from models.callback_data import Codec

from .buttons import common as btn
from .corrections import buttons as corrections_buttons
from .i18n import LANGUAGES, all_translations, t


def main_menu(lang: str, panel: str | None = None) -> ReplyKeyboardMarkup:
    """The main menu: the features' big buttons (handlers/features.py), two a row; an officer's panel
    button on top (`panel`: models.permissions.Actor.panel). In a turn: `turn.menu()`."""
    from .features import menu_rows

    return ReplyKeyboardMarkup(
        [[KeyboardButton(t(lang, key)) for key in row] for row in menu_rows(panel)],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=t(lang, "menu.placeholder"),
    )


def link_keyboard(lang: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t(lang, "link.share_phone"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=False,
        is_persistent=True,
    )


def menu_pattern(key: str) -> str:
    """A regex matching the button `key` in any language (the member may have switched language)."""
    import re

    return "^(" + "|".join(re.escape(text) for text in sorted(all_translations(key))) + ")$"


@cache
def menu_texts() -> frozenset[str]:
    """Every big menu button's text, in every language."""
    from .features import menu_keys

    return frozenset(text for key in menu_keys() for text in all_translations(key))


class _MenuText(filters.MessageFilter):
    """A big menu button tapped (in any language): read when the first message comes, not at import."""

    def filter(self, message: Message) -> bool:
        return bool(message.text) and message.text in menu_texts()


MENU_TEXT = _MenuText(name="MENU_TEXT")


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    names = {"vi": "🇻🇳 Tiếng Việt", "en": "🇬🇧 English", "bn": "🇧🇩 বাংলা"}
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(("✅ " if code == current else "") + names[code], callback_data=btn.LANG.data(code))]
         for code in LANGUAGES]
    )


def pager(codec: Codec, page: int, pages: int, lang: str, *head: object) -> list[InlineKeyboardButton]:
    """Previous, "2/5", next: the page is the codec's last field, after `head` (a unit, a status)."""
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(t(lang, "pager.prev"), callback_data=codec.data(*head, page - 1)))
    if pages > 1:
        row.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data=btn.NOOP.data()))
    if page + 1 < pages:
        row.append(InlineKeyboardButton(t(lang, "pager.next"), callback_data=codec.data(*head, page + 1)))
    return row


def list_markup(rows: list[list[InlineKeyboardButton]], codec: Codec, page: int, total: int, size: int, lang: str,
                *head: object, below: Sequence[list[InlineKeyboardButton]] = ()) -> InlineKeyboardMarkup | None:
    """A page of a list: its rows, the pager when `total` items take more than one page of `size`,
    then `below` (what every page shows); None when nothing is left to show."""
    nav = pager(codec, page, max(1, math.ceil(total / size)), lang, *head)
    rows = [*rows, *([nav] if nav else []), *below]
    return InlineKeyboardMarkup(rows) if rows else None


def correction_button(lang: str) -> InlineKeyboardMarkup:
    """Under a member's own profile: ask the secretary to correct something."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "correction.button"), callback_data=corrections_buttons.START.data(0))]])
