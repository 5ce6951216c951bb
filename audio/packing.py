"""Greedy packing of text pieces into chunks under a limit: the speech's parts (audio/normalize.py) and the
long messages Telegram takes in several (handlers/render.py) are cut the same way. Pure: no audio here."""
from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["pack"]


def pack(pieces: Iterable[tuple[str, str]], fits: Callable[[str], bool]) -> list[str]:
    """(piece, separator before it) pairs joined in order into chunks: a piece joins the current chunk while
    the chunk with it still fits, else it starts the next one (alone, even when it does not fit by itself:
    the caller cuts its pieces small enough first)."""
    chunks: list[str] = []
    current = ""
    for piece, sep in pieces:
        if current and fits(current + sep + piece):
            current += sep + piece
        else:
            if current:
                chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks
