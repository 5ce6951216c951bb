"""The data of an inline button as it comes back: at most 64 bytes, written by us but sent by the client,
so possibly forged or truncated. Parsed here, refused with None, never an exception."""
from __future__ import annotations

import re
from typing import Any

# Every id in callback data is a key of an Integer column (32 bits on PostgreSQL, which refuses a larger
# parameter outright) or a page or position, far smaller.
ID_MAX = 2**31 - 1


def parse_ints(data: str, prefix: str, count: int) -> list[int] | None:
    """Callback data "prefix:1:2" → [1, 2]; anything else (forged, truncated) → None."""
    head, _, rest = data.partition(":")
    parts = rest.split(":") if rest else []
    if head != prefix or len(parts) != count:
        return None
    ids = [as_id(p) for p in parts]
    numbers = [i for i in ids if i is not None]
    return numbers if len(numbers) == len(ids) else None


def as_id(text: str) -> int | None:
    """Text that is an id (ASCII digits, at most ID_MAX) → the id; anything else → None.

    Our buttons write 0-9 only; str.isdigit() alone also takes "²", which int() then refuses."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(ID_MAX))):
        return None
    value = int(text)
    return value if value <= ID_MAX else None


# --- codecs: one per kind of button, building both the data and the handler's pattern ---------------------------------
# Telegram takes 1-64 bytes of callback data. A codec writes "prefix:field:field", its anchored regex is the
# handler's pattern, and its parser gives the typed fields back or None for anything that is not exactly
# this shape (forged, truncated, another button). Prefixes are unique case-insensitively, so two kinds of
# button never differ only by the case of a letter (easy to misread, and easy to mistype in a pattern).
DATA_LIMIT = 64
SEPARATOR = ":"


class Field:
    """One field of callback data: the regex of its text, how to read it and how to write it."""
    regex: str

    def read(self, text: str) -> object | None:
        raise NotImplementedError

    def write(self, value: object) -> str:
        text = str(value)
        assert self.read(text) == value, f"{value!r} is not a valid {self!r}"
        return text


class Id(Field):
    """A non-negative id, page or position, read with as_id; written without leading zeros, and only that
    canonical form is read back (our buttons never write "007")."""
    regex = r"(?:0|[1-9][0-9]{0,9})"

    def read(self, text: str) -> int | None:
        value = as_id(text)
        return value if value is not None and str(value) == text else None

    def write(self, value: object) -> str:
        assert type(value) is int and 0 <= value <= ID_MAX, f"{value!r} is not an id"
        return str(value)

    def __repr__(self) -> str:
        return "Id"


class Choice(Field):
    """One of a fixed set of short words ("yes", "no", "c")."""

    def __init__(self, *values: str) -> None:
        assert values and all(v and SEPARATOR not in v and v.isascii() for v in values), values
        self.values = tuple(values)
        self.regex = "(?:" + "|".join(re.escape(v) for v in self.values) + ")"

    def read(self, text: str) -> str | None:
        return text if text in self.values else None

    def __repr__(self) -> str:
        return f"Choice{self.values}"


class Token(Field):
    """A short ASCII word of our own making (a nonce, a date "20261202"): letters, digits, '-' and '_' only."""

    def __init__(self, pattern: str = r"[A-Za-z0-9_-]{1,32}") -> None:
        self.regex = f"(?:{pattern})"
        self._compiled = re.compile(self.regex)

    def read(self, text: str) -> str | None:
        return text if text.isascii() and self._compiled.fullmatch(text) else None

    def __repr__(self) -> str:
        return f"Token({self.regex})"


class CodecClash(ValueError):
    """Two codecs whose prefixes differ only by case, or are the same."""


REGISTRY: dict[str, Codec] = {}  # prefix.casefold() → codec


class Codec:
    """The callback data of one kind of button: `prefix:field:...`.

    `legacy` is a prefix this button used to have: its data is still read (buttons stay in chats for
    weeks) but never written. It need not be unique case-insensitively — that is why it was renamed."""

    def __init__(self, prefix: str, *fields: Field, legacy: str | None = None) -> None:
        assert prefix.isascii() and prefix.isalnum(), prefix
        self.prefix, self.fields, self.legacy = prefix, tuple(fields), legacy
        heads = "|".join(re.escape(p) for p in (prefix, legacy) if p)
        # \Z, not $: "$" also matches before a final newline, and forged data may end with one.
        self.exact = "^(?:" + heads + ")" + "".join(SEPARATOR + f.regex for f in self.fields) + r"\Z"
        # The handler's pattern routes every data of this prefix to it, whatever follows: forged or truncated
        # data then reaches the handler, whose parse gives None, and it refuses and logs in its own words
        # (rather than the fallback's "button no longer valid"). `exact` is for conversation states whose
        # handlers take only well-formed data.
        self.pattern = "^(?:" + heads + r")(?::|\Z)"
        self._compiled = re.compile(self.exact)
        register(self)

    def data(self, *values: object) -> str:
        assert len(values) == len(self.fields), f"{self.prefix}: {len(self.fields)} fields, got {values!r}"
        text = SEPARATOR.join([self.prefix, *(f.write(v) for f, v in zip(self.fields, values, strict=True))])
        assert 1 <= len(text.encode()) <= DATA_LIMIT, f"callback data over {DATA_LIMIT} bytes: {text!r}"
        return text

    def parse(self, data: str | None) -> tuple[Any, ...] | None:
        """The fields of data of exactly this shape; None for anything else, never an exception."""
        if not isinstance(data, str) or not self._compiled.fullmatch(data):
            return None
        head, *parts = data.split(SEPARATOR)
        values = tuple(f.read(p) for f, p in zip(self.fields, parts, strict=False))
        return None if None in values or len(parts) != len(self.fields) else values

    def only(self, *values: object) -> str:
        """The pattern of one button of this codec (a conversation state that takes only "bc:no")."""
        current = re.escape(self.data(*values))
        if self.legacy is None:
            return rf"^{current}\Z"
        return rf"^(?:{current}|{re.escape(SEPARATOR.join([self.legacy, *current.split(SEPARATOR)[1:]]))})\Z"

    def __repr__(self) -> str:
        return f"Codec({self.prefix!r}, {', '.join(map(repr, self.fields))})"


def register(codec: Codec) -> None:
    """Called by every Codec: its prefix must differ from every other one, even ignoring case, and no
    current prefix may be another codec's legacy one (old buttons would reach the wrong handler)."""
    key = codec.prefix.casefold()
    other = REGISTRY.get(key)
    if other is not None and other is not codec:
        raise CodecClash(f"callback prefix {codec.prefix!r} clashes with {other.prefix!r}")
    for c in REGISTRY.values():
        if codec.legacy is not None and codec.legacy == c.prefix or c.legacy is not None and c.legacy == codec.prefix:
            raise CodecClash(f"callback prefix {codec.prefix!r} clashes with a legacy prefix of {c.prefix!r}")
    REGISTRY[key] = codec


def any_of(*codecs: Codec) -> str:
    """One pattern for several codecs (a conversation's buttons, caught once it is over)."""
    return "|".join(c.pattern for c in codecs)


def decoders(data: str) -> list[Codec]:
    """Every registered codec that reads this data: exactly one for any button we send."""
    return [c for c in REGISTRY.values() if c.parse(data) is not None]
