"""Free text as the handbook stores it, and as its searches compare it.

Everything a person types (names, titles, bodies, places, questions, options, opinions, feedback,
addresses, corrections, unit names, file names) is sent back to other members' phones, so it is
normalised once, where it enters the database:

- NFC, so "Ha\\u0300" and "Hà" are the same name (and the same bytes in a search key);
- C0 and C1 control characters go (PostgreSQL refuses \\x00 outright; ESC starts terminal
  sequences), newline and tab excepted in multi-line text; CR LF, CR, NEL (\\x85) and the
  Unicode line and paragraph separators (U+2028, U+2029) become a newline;
- bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) go: they can make a
  name or a title read backwards or disguise one as another; the byte order mark, the bidi marks,
  the zero-width space and word joiner too (invisible, they would make one name two);
- ZWJ and ZWNJ (U+200D, U+200C) stay: Bengali conjuncts and emoji sequences are built with them;
- ends are trimmed; a one-line field (a name, a title, a place) has its whitespace runs, newlines
  and tabs included, made one space.

`CleanLine`, `CleanLineText` and `CleanText` are the column types that do it: the same DDL as
String/Text, with the normaliser run on every value bound to the column — ORM flushes, Core
inserts and updates with lists of dicts (the importer's), and WHERE clauses alike. The ORM
attribute is normalised when it is set as well, so an object in the session already holds what
the database will hold.

`fold` is the search key: lower case, no diacritics, đ as d, single spaces.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import String, Text, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper
from sqlalchemy.types import TypeDecorator

_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
# C0 and C1 but \t and \n (\r and NEL are line breaks, made \n first), DEL; bidi embeddings,
# overrides, isolates and marks; the zero-width space, word joiner and other invisible operators;
# the BOM; interlinear annotations. Not ZWNJ and ZWJ (U+200C, U+200D).
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f"
                        "\ufeff\ufff9-\ufffb]")
_SUSPECT = re.compile(f"{_LINE_BREAKS.pattern}|{_INVISIBLE.pattern}")


def _strip_invisible(text: str) -> str:
    if _SUSPECT.search(text):
        text = _INVISIBLE.sub("", _LINE_BREAKS.sub("\n", text))
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def clean_line(text: str | None) -> str:
    """One-line text (names, titles, places): controls and bidi overrides gone, NFC, one space
    between words, no space at the ends."""
    return " ".join(_strip_invisible(text or "").split())


def clean_text(text: str | None) -> str:
    """Multi-line text (bodies, agendas, opinions): like clean_line, but newlines and tabs kept
    (line breaks of every kind made \\n) and spacing inside untouched; ends trimmed."""
    return _strip_invisible(text or "").strip()


def required(text: str, limit: int, error: Callable[[str], Exception], what: str) -> str:
    """A cleaned text that must say something and fit: else error("<what>_empty") or error("<what>_long")."""
    if not text:
        raise error(f"{what}_empty")
    if len(text) > limit:
        raise error(f"{what}_long")
    return text


def fold(text: str | None) -> str:
    """The search key: one line, lower case, without diacritics, đ as d, single spaces.
    "ĐẶNG Thị", "dang thi" and "Đặng thị" fold alike; the same key for what is stored and what is asked."""
    text = clean_line(text).replace("đ", "d").replace("Đ", "D")
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    # Composed again: Hangul syllables, which have no marks to strip, stay one letter each.
    return " ".join(unicodedata.normalize("NFC", stripped.casefold()).split())


class _Clean(TypeDecorator[str]):
    """A String or Text column whose values are normalised on the way in."""

    cache_ok = True

    @staticmethod
    def clean(text: str) -> str:
        raise NotImplementedError

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return self.clean(value) if isinstance(value, str) else value


class CleanLine(_Clean):
    """VARCHAR(n) of one-line text: names, titles, places, options."""

    impl = String
    cache_ok = True  # looked up on each class itself
    clean = staticmethod(clean_line)


class CleanLineText(_Clean):
    """TEXT of one-line text."""

    impl = Text
    cache_ok = True  # looked up on each class itself
    clean = staticmethod(clean_line)


class CleanText(_Clean):
    """TEXT of multi-line text: bodies, agendas, reasons, feedback."""

    impl = Text
    cache_ok = True  # looked up on each class itself
    clean = staticmethod(clean_text)


def _cleaner(clean: Callable[[str], str]) -> Callable[[object, Any, Any, object], Any]:
    def on_set(_target: object, value: Any, _old: Any, _initiator: object) -> Any:
        return clean(value) if isinstance(value, str) else value
    return on_set


@event.listens_for(Mapper, "mapper_configured")
def _clean_on_set(mapper: Mapper[Any], class_: type[Any]) -> None:
    """Every attribute mapped to a Clean column is normalised when set (after a @validates
    method of its class, which cleans the value itself if it derives something from it)."""
    for prop in mapper.column_attrs:
        column_type = prop.columns[0].type
        if isinstance(column_type, _Clean) and prop.parent is mapper:
            event.listen(getattr(class_, prop.key), "set", _cleaner(column_type.clean), retval=True, propagate=True)
