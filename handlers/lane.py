"""Edits sent behind the answers: a pressed message's new text goes out after the button's toast, the latest per
message, one at a time while other updates wait and a few at a time when the bot is free.

When a congress taps at once, every tap is two Bot API calls: the answer (the toast a member waits for) and the
edit of the pressed ballot. Made in that order inside each update, the toasts of the later taps wait behind the
edits of the earlier ones. Here the turn answers, then leaves the edit to this lane and is done. While the bot is
busy with other updates the lane sends one edit at a time (it never stops: a steady stream of updates does not
starve it); when it is not, up to `workers` at once. A member who taps again before their edit is sent has only
the latest state sent — the edit waiting for that message is replaced and keeps its place in line; an edit
already on its way is followed by the newer one, never overtaken (one round of edits at a time, each message at
most once in a round).

The lane's one task is an Application task (Application.create_task): its stop waits for the edits still queued.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from telegram.error import BadRequest

log = logging.getLogger(__name__)

WORKERS = 8  # edits on their way at once when no other update waits

Send = Callable[[], Awaitable[Any]]


def _never_busy() -> bool:
    return False


class EditLane:
    def __init__(self, workers: int = WORKERS) -> None:
        self.workers = workers
        self._waiting: dict[Hashable, Send] = {}  # message → its latest edit, oldest first
        self._running = False
        self._busy: Callable[[], bool] = _never_busy
        self.sent = 0  # edits sent (or refused by Telegram), for tests and benchmarks
        self.replaced = 0  # edits replaced by a newer one of the same message before they went

    def put(self, key: Hashable, send: Send, spawn: Callable[[Awaitable[None]], Any],
            busy: Callable[[], bool] = _never_busy) -> None:
        """Queue `send` as the edit of message `key` (replacing one queued for it). `spawn` starts the lane's task
        when it is not running; `busy` says whether other updates are waiting (then one edit at a time)."""
        if key in self._waiting:
            self.replaced += 1
        self._waiting[key] = send  # an existing key keeps its place
        self._busy = busy
        if not self._running:
            self._running = True
            spawn(self._work())

    @property
    def idle(self) -> bool:
        return not self._waiting and not self._running

    async def _work(self) -> None:
        try:
            while self._waiting:
                take = 1 if self._busy() else self.workers
                keys = list(itertools.islice(self._waiting, take))
                await asyncio.gather(*(self._send(self._waiting.pop(k)) for k in keys))
        finally:
            self._running = False

    async def _send(self, send: Send) -> None:
        from .turn import _obeying_flood_control

        try:
            await _obeying_flood_control(send)
        except BadRequest as exc:  # the message was deleted meanwhile, or cannot be edited any more
            log.info("could not edit a message: %s", type(exc).__name__)
        except Exception as exc:  # the toast has gone; a lost edit is logged, the others still go
            log.warning("an edit of a pressed message failed: %s", type(exc).__name__)
        finally:
            self.sent += 1
