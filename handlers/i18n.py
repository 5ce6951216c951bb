"""Message catalogs (locales/<lang>/LC_MESSAGES/handbook.po) and the lookup every handler uses."""
from __future__ import annotations

import logging
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES = Path(__file__).resolve().parents[1] / "locales"
LANGUAGES = ("vi", "en", "bn")
DEFAULT = "vi"
log = logging.getLogger(__name__)


@cache
def catalog(lang: str) -> dict[str, str]:
    """Every .po file of the language, merged: each feature keeps its messages in its own file."""
    messages: dict[str, str] = {}
    for path in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            cat = read_po(fh, locale=lang)
        for m in cat:
            if m.id and m.string:
                if m.id in messages:
                    raise ValueError(f"message {m.id} defined twice in {lang}")
                messages[m.id] = m.string
    return messages


class _Args(dict):
    """Missing placeholders stay visible instead of raising mid-conversation."""

    def __missing__(self, key):
        return "{" + key + "}"


def t(lang: str | None, key: str, /, **kwargs) -> str:
    lang = lang if lang in LANGUAGES else DEFAULT
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT).get(key)
        if text is None:
            log.error("missing message %s", key)
            return key
    return text.format_map(_Args(kwargs)) if kwargs else text


def all_translations(key: str) -> set[str]:
    """The text of `key` in every language (reply-keyboard buttons are matched this way)."""
    return {catalog(lang)[key] for lang in LANGUAGES if key in catalog(lang)}


def pick_language(telegram_code: str | None, default: str = DEFAULT) -> str:
    code = (telegram_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else default


def fmt_date(value: date | datetime | None, tz: ZoneInfo | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(tz) if tz else value
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def fmt_number(lang: str, value: int | float) -> str:
    return format_decimal(value, locale=lang if lang in LANGUAGES else DEFAULT)
