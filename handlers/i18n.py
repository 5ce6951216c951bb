"""Message catalogs (locales/<lang>/LC_MESSAGES/handbook.po) and the lookup every handler uses."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, tzinfo
from functools import cache
from pathlib import Path

from models.dates import VIETNAM

LOCALES = Path(__file__).resolve().parents[1] / "locales"
LANGUAGES = ("vi", "en", "bn")
DEFAULT = "vi"
log = logging.getLogger(__name__)


_ESCAPE = re.compile(r'\\([\\abfnrtv"])')
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unquote(part: str) -> str:
    """One quoted piece of a msgid or msgstr, its C escapes undone (as babel's unescape does)."""
    inner = part.strip()[1:-1]
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[1]), inner) if "\\" in inner else inner


def read_messages(path: Path) -> list[tuple[str, str]]:
    """A .po file's translated messages as (msgid, msgstr), in order: what babel's read_po gives for the
    plain msgid/msgstr entries our catalogs hold (tests/test_catalogs.py compares them), without importing
    babel — `handbook invite` and `grant` print two messages. Obsolete (#~) entries are left out; plural
    forms and contexts are refused."""
    found: list[tuple[str, str]] = []
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    target: list[str] | None = None

    def finish() -> None:
        if msgid is not None and msgstr is not None:
            key, text = "".join(map(_unquote, msgid)), "".join(map(_unquote, msgstr))
            if key and text:
                found.append((key, text))

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):  # a comment, a flag (fuzzy messages count, as with babel) or an obsolete entry
            finish()
            msgid = msgstr = target = None
        elif line.startswith('"'):
            if target is None:
                raise ValueError(f"{path}:{lineno}: a string outside msgid and msgstr")
            target.append(line)
        else:
            keyword, _, arg = line.partition(" ")
            if keyword == "msgid":
                finish()
                msgid, msgstr = [arg], None
                target = msgid
            elif keyword == "msgstr" and msgid is not None and msgstr is None:
                msgstr = [arg]
                target = msgstr
            else:
                raise ValueError(f"{path}:{lineno}: {keyword} is not read here (msgid and msgstr only)")
    finish()
    return found


@cache
def catalog(lang: str) -> dict[str, str]:
    """Every .po file of the language, merged: each feature keeps its messages in its own file."""
    messages: dict[str, str] = {}
    for path in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po")):
        for key, text in read_messages(path):
            if key in messages:
                raise ValueError(f"message {key} defined twice in {lang}")
            messages[key] = text
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


def fmt_date(value: date | datetime | None, tz: tzinfo | None = None) -> str:
    """A day as dd/mm/yyyy; a moment as dd/mm/yyyy hh:mm in `tz` — the handbook's time (Vietnam) when not given,
    never the UTC the database keeps."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz or VIETNAM)
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def fmt_number(lang: str, value: int | float) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale=lang if lang in LANGUAGES else DEFAULT)
