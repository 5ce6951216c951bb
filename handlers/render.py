"""Message rendering helpers: splitting long texts where Telegram allows them; a text that never
waits for its picture or audio; a chart's pages sent as one photo or an album."""
from __future__ import annotations

import asyncio
import logging
import re
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from telegram import InputFile, InputMediaPhoto

from audio.packing import pack

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
# Pictures or audio that could not be made, by renderer, in this process: /metrics reads it (bot/metrics.py).
T = TypeVar("T")
RENDER_FAILURES: Counter[str] = Counter()


def visible_length(html_text: str) -> int:
    """Length as Telegram counts it after parsing: tags gone, entities one character."""
    return len(_ENTITY.sub("x", _TAG.sub("", html_text)))


def split_message(html_text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at paragraph, then line boundaries; our templates never open a tag across lines."""
    if visible_length(html_text) <= limit:
        return [html_text]
    return _pack(_pieces(html_text, limit), "\n\n", limit)


def _pack(pieces: Iterable[str], sep: str, limit: int) -> list[str]:
    """Pieces joined by sep, greedily, into chunks of at most limit visible characters."""
    return pack(((piece, sep) for piece in pieces), lambda chunk: visible_length(chunk) <= limit)


def _pieces(text: str, limit: int) -> list[str]:
    out: list[str] = []
    for para in text.split("\n\n"):
        if visible_length(para) <= limit:
            out.append(para)
            continue
        out += _pack((piece for line in para.split("\n") for piece in _hard_wrap(line, limit)), "\n", limit)
    return out


def _hard_wrap(line: str, limit: int) -> list[str]:
    """A single line longer than a message (a pasted wall of text): cut at spaces, never inside a tag or entity."""
    if visible_length(line) <= limit:
        return [line]
    pieces, buf, count = [], "", 0
    for token in re.split(r"(<[^>]*>|&[^;\s]{1,10};|\s+)", line):
        if not token:
            continue
        weight = 0 if token.startswith("<") else (1 if token.startswith("&") and token.endswith(";") else len(token))
        if count + weight > limit and buf:
            pieces.append(buf.rstrip())
            buf, count = "", 0
        while weight > limit:  # one enormous word
            pieces.append(token[:limit])
            token, weight = token[limit:], weight - limit
        buf += token
        count += weight
    if buf.strip():
        pieces.append(buf.rstrip())
    return pieces


class TextOnly(list):
    """A renderer's calls that go without the picture or audio they were meant to carry (it could not
    be made): the member still gets the text, and the dispatcher marks the delivery so
    (models.deliveries.TEXT_ONLY) for the sender's status to count."""

    def __init__(self, calls, missing: str):
        super().__init__(calls)
        self.missing = missing


def render_failed(renderer: str, exc: BaseException) -> None:
    """Log and count a picture or audio that could not be made; its text goes alone.

    Logged: the renderer, the exception's type and where it was raised — never its message,
    which may quote what people wrote.
    """
    RENDER_FAILURES[renderer] += 1
    where = "".join(traceback.format_tb(exc.__traceback__)[-3:])
    log.error("making the %s picture or audio failed (%s); its text goes alone\n%s", renderer,
              type(exc).__name__, where)


async def picture(renderer: str, draw: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """draw(*args, **kwargs) off the event loop; None when it fails, so the caller sends its text alone.

    A picture goes with a text that matters more (a vote's result, a report): no drawing bug may
    hold that text back.
    """
    try:
        return await asyncio.to_thread(draw, *args, **kwargs)
    except Exception as exc:
        render_failed(renderer, exc)
        return None


async def send_pictures(bot: Any, chat_id: int, pages: Sequence[bytes] | None, stem: str, caption: str | None) -> None:
    """A chart's pages (handlers.charts): one photo, or an album with the caption on its first; none, nothing.
    An album's files go as attachments (attach://…): an InputFile made without `attach` would be sent as the
    `media` field itself, which Telegram (and the emulator) refuse."""
    if not pages:
        return
    if len(pages) == 1:
        await bot.send_photo(chat_id, InputFile(pages[0], filename=f"{stem}.png"), caption=caption)
        return
    await bot.send_media_group(chat_id, [
        InputMediaPhoto(InputFile(png, filename=f"{stem}-{i}.png", attach=True), caption=caption if i == 1 else None)
        for i, png in enumerate(pages, 1)])
