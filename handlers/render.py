"""Message rendering helpers: splitting long texts where Telegram allows them."""
from __future__ import annotations

import re

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")


def visible_length(html_text: str) -> int:
    """Length as Telegram counts it after parsing: tags gone, entities one character."""
    return len(_ENTITY.sub("x", _TAG.sub("", html_text)))


def split_message(html_text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at paragraph, then line boundaries; our templates never open a tag across lines."""
    if visible_length(html_text) <= limit:
        return [html_text]
    chunks: list[str] = []
    current = ""
    for para in _pieces(html_text, limit):
        candidate = f"{current}\n\n{para}" if current else para
        if visible_length(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = para
    if current:
        chunks.append(current)
    return chunks


def _pieces(text: str, limit: int) -> list[str]:
    out: list[str] = []
    for para in text.split("\n\n"):
        if visible_length(para) <= limit:
            out.append(para)
            continue
        line_buf = ""
        for line in para.split("\n"):
            for piece in _hard_wrap(line, limit):
                candidate = f"{line_buf}\n{piece}" if line_buf else piece
                if visible_length(candidate) <= limit:
                    line_buf = candidate
                else:
                    out.append(line_buf)
                    line_buf = piece
        if line_buf:
            out.append(line_buf)
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
