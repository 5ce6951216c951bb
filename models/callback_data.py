"""The data of an inline button as it comes back: at most 64 bytes, written by us but sent by the client,
so possibly forged or truncated. Parsed here, refused with None, never an exception."""
from __future__ import annotations


def parse_ints(data: str, prefix: str, count: int) -> list[int] | None:
    """Callback data "prefix:1:2" → [1, 2]; anything else (forged, truncated) → None."""
    head, _, rest = data.partition(":")
    parts = rest.split(":") if rest else []
    if head != prefix or len(parts) != count or not all(_ascii_number(p) for p in parts):
        return None
    return [int(p) for p in parts]


def _ascii_number(part: str) -> bool:
    """Our buttons write 0-9 only; str.isdigit() alone also takes "²", which int() then refuses."""
    return part.isascii() and part.isdigit() and len(part) < 12
