"""The data of an inline button as it comes back: at most 64 bytes, written by us but sent by the client,
so possibly forged or truncated. Parsed here, refused with None, never an exception."""
from __future__ import annotations

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
