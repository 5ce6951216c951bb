"""Running the Application inside our own event loop (so the database engine shares it)."""
from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)


async def run_polling(app: Application, stop: asyncio.Event | None = None, *, poll_timeout: int = 10) -> None:
    """Long polling until `stop` is set (or SIGINT/SIGTERM)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or not Unix
            pass
    async with app:
        # post_init is only called by Application.run_polling(), which owns its loop; we own ours.
        if app.post_init:
            await app.post_init(app)
        await app.start()
        await app.updater.start_polling(timeout=poll_timeout, allowed_updates=Update.ALL_TYPES)
        log.info("the bot is polling for updates")
        try:
            await stop.wait()
        finally:
            await app.updater.stop()
            await app.stop()
