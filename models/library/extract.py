"""The text of a document's attachment: PDF (pypdf) and DOCX (python-docx), within limits.

Synchronous and slow on a big file: callers run it in a thread (asyncio.to_thread). A hostile file
meets the same walls as a member list (models/filelimits.py): the size Telegram lets a bot download,
and for a DOCX (a zip) what it declares and really inflates to; a PDF is read MAX_PAGES pages at most
and MAX_CHARS characters at most, what lies beyond is left out of the index (not refused).
"""
from __future__ import annotations

__all__ = ["MAX_CHARS", "MAX_PAGES", "NotReadable", "extract_text", "readable_name"]

import io
import logging

from .. import filelimits

MAX_PAGES = 500
MAX_CHARS = 2_000_000
READABLE = (".pdf", ".docx")

logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns about every oddity of a file, with its content


class NotReadable(Exception):
    """No text could be taken from the file; `code` says why: too_large, too_inflated, unreadable, not_supported."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def readable_name(file_name: str | None) -> bool:
    return bool(file_name) and file_name.lower().endswith(READABLE)  # type: ignore[union-attr]


def extract_text(data: bytes, file_name: str | None) -> str:
    """The file's text, paragraphs on lines of their own; raises NotReadable."""
    if len(data) > filelimits.MAX_FILE_BYTES:
        raise NotReadable("too_large")
    name = (file_name or "").lower()
    if name.endswith(".docx"):
        return _docx(data)[:MAX_CHARS]
    if name.endswith(".pdf"):
        return _pdf(data)[:MAX_CHARS]
    raise NotReadable("not_supported")


def _docx(data: bytes) -> str:
    import docx

    try:
        filelimits.check_zip(data)
    except filelimits.FileTooLarge as exc:
        raise NotReadable("too_inflated") from exc
    except filelimits.UnreadableFile as exc:
        raise NotReadable("unreadable") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # PackageNotFoundError, lxml's errors on broken XML, whatever a crafted package raises
        raise NotReadable("unreadable") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return _joined(lines)


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        lines: list[str] = []
        size = 0
        for number, page in enumerate(reader.pages):
            if number >= MAX_PAGES or size >= MAX_CHARS:
                break
            text = page.extract_text() or ""
            lines.append(text)
            size += len(text)
    except Exception as exc:  # PyPdfError, and anything else a crafted PDF makes pypdf raise; nothing of it is shown
        raise NotReadable("unreadable") from exc
    return _joined(lines)


def _joined(lines: list[str]) -> str:
    text = "\n".join(line for line in lines if line and line.strip())
    if not text.strip():
        raise NotReadable("unreadable")  # a scanned PDF: pictures of text, nothing to index
    return text
