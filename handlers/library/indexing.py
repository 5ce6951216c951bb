"""A document's attachment into the library, after its notice is committed.

The file comes back from Telegram by its file_id (bot.get_file), its text is read in a thread
(models.library.extract, with its limits: a 300-page PDF keeps no one waiting) and the document is
indexed again with it. Nothing here can fail the notice: it is sent already; a file that cannot be
read leaves the document indexed without it, the reason kept (LibraryDocument.attachment) and
logged without any of the file's content.
"""
from __future__ import annotations

import asyncio
import functools
import logging

from telegram.error import TelegramError

from models import library
from models.db import transaction
from models.filelimits import MAX_FILE_BYTES
from models.library import NotReadable, extract_text, readable_name
from models.notices import Notice

from ..turn import Turn

log = logging.getLogger(__name__)


def index_after_commit(turn: Turn, notice: Notice) -> None:
    """Index a document just made (its attachment's text too) once the turn has committed."""
    if not notice.is_document:
        return
    job = functools.partial(index_document, turn.context.bot, turn.services.sessionmaker, notice.id,
                            notice.file_id, notice.file_name)
    turn.later(job)


async def attachment_text(bot, file_id: str, file_name: str | None) -> tuple[str | None, str]:
    """(the text, "read") or (None, why not)."""
    try:
        file = await bot.get_file(file_id)
        if file.file_size and file.file_size > MAX_FILE_BYTES:
            raise NotReadable("too_large")
        data = bytes(await file.download_as_bytearray())
        return await asyncio.to_thread(extract_text, data, file_name), "read"
    except NotReadable as exc:
        return None, exc.code
    except (TelegramError, OSError) as exc:
        log.warning("an attachment could not be fetched to index it: %s", type(exc).__name__)
        return None, "not_fetched"


async def index_document(bot, sessionmaker, notice_id: int, file_id: str | None, file_name: str | None) -> None:
    text, state = (None, None)
    if file_id and readable_name(file_name):
        text, state = await attachment_text(bot, file_id, file_name)
        if state != "read":
            log.info("notice %d: attachment not indexed (%s)", notice_id, state)
    try:
        async with transaction(sessionmaker) as session:
            await library.index_notice(session, notice_id, text, state)
    except Exception as exc:  # the first search indexes it (title and text); no content in the log
        log.error("notice %d: not indexed (%s)", notice_id, type(exc).__name__)
