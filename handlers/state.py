"""Conversations that survive a restart and span instances: the step and the draft live in the database.

Before every update (group RESTORE_GROUP, first of all) the sender's state is read
(models/conversations.py): PTB's user_data for that person and, for every named
ConversationHandler, the step they are at. After the update (group PERSIST_GROUP, last of all) what
changed is written back. The updates of one person are taken one at a time on an instance, so a
double tap does not interleave two steps; across instances the row's version decides (the later
write wins, the other is dropped and logged).

A conversation idle for longer than its handler's conversation_timeout is not restored — the
same rule PTB applies with its timeout job, which exists only in the process that set it.
"""
from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from telegram import Update
from telegram.ext import Application, ContextTypes, ConversationHandler, TypeHandler

from models import clock
from models import conversations as store
from models.db import single_read_engine, transaction
from models.permissions import Actor

from .turn import services_of

log = logging.getLogger(__name__)

RESTORE_GROUP = -100
PERSIST_GROUP = 100
EPHEMERAL = frozenset({"lang"})  # caches the turn sets again on every update
LOCK_WAIT_S = 30.0


@dataclass
class _Taken:
    user_id: int
    keys: set[tuple]  # (chat id, user id) of the conversations concerned: this update's and those restored
    snapshot: str
    version: int
    lock: asyncio.Lock | None
    at: dict[str, datetime]  # conversation name → when it last moved, as restored
    started: float  # loop time of the restore
    actor: Actor | None  # the caller, read with the state; handed to the turn once
    replies: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)  # sent once the step is saved


Loaded = tuple[tuple[dict, int, datetime | None], Actor]


class _GroupRead:
    """The restores that come in the same turn of the event loop read in one SELECT (a burst of taps: one query
    for the updates taken up together, not one each). Each restore awaits its own caller and state."""

    def __init__(self, engine, admin_ids: frozenset[int]) -> None:
        self.engine = engine
        self.admin_ids = admin_ids
        self.reads = 0  # queries made (for tests)
        self._waiting: dict[int, list[asyncio.Future[Loaded]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def load(self, user_id: int) -> Loaded:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Loaded] = loop.create_future()
        self._waiting.setdefault(user_id, []).append(future)
        if self._reader is None:
            self._reader = loop.create_task(self._read_all())
        return await future

    async def _read_all(self) -> None:
        try:
            await asyncio.sleep(0)  # the restores of this turn of the loop join
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    async with self.engine.connect() as conn:
                        found = await store.load_many_with_actor(conn, batch, self.admin_ids)
                    self.reads += 1
                except Exception as exc:
                    for futures in batch.values():
                        for future in futures:
                            if not future.done():
                                future.set_exception(exc)
                    continue
                for user_id, futures in batch.items():
                    (data, version, at), actor = found[user_id]
                    for i, future in enumerate(futures):
                        if not future.done():  # each its own copy: a turn changes its actor and state
                            future.set_result(((data, version, at), actor) if i == 0 else
                                              ((copy.deepcopy(data), version, at), copy.deepcopy(actor)))
        except BaseException:  # cancelled (the loop shuts down): nobody is left waiting for an answer
            for futures in self._waiting.values():
                for future in futures:
                    future.cancel()
            self._waiting.clear()
            raise
        finally:
            self._reader = None


class SharedState:
    def __init__(self, conversations: dict[str, ConversationHandler]):
        self.conversations = conversations
        self.locks: dict[int, asyncio.Lock] = {}
        self.taken: dict[int, _Taken] = {}  # update_id → what restore read
        self._reader = None
        self._group: _GroupRead | None = None

    # -- reading ------------------------------------------------------------------------------------
    def reader(self, context: ContextTypes.DEFAULT_TYPE):
        if self._reader is None:
            self._reader = single_read_engine(services_of(context).sessionmaker.kw["bind"])
        return self._reader

    def group(self, context: ContextTypes.DEFAULT_TYPE) -> _GroupRead:
        if self._group is None:
            self._group = _GroupRead(self.reader(context), services_of(context).admin_ids)
        return self._group

    async def restore(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None or context.user_data is None:
            return
        self._forget_lost()
        lock = self.locks.setdefault(user.id, asyncio.Lock())
        try:
            # asyncio.timeout, not wait_for: wait_for would run acquire() as a task of its own that joins the
            # lock's queue only on the next turn of the loop; a release in between would find nobody waiting,
            # forget the lock, and the person's next update would take a new one and run beside this one.
            async with asyncio.timeout(LOCK_WAIT_S):
                await lock.acquire()
        except TimeoutError:
            # The previous update never finished (or never said so): do not let it hold this person up again.
            log.warning("an update waited %.0f s for the same person's previous one; handled anyway", LOCK_WAIT_S)
            lock = self.locks[user.id] = asyncio.Lock()
            await lock.acquire()
        try:
            # One SELECT, outside any transaction on SQLite (a plain session would take the write lock), for the
            # updates that come together; it reads the caller too, which the turn then takes instead of asking again.
            (data, version, _), actor = await self.group(context).load(user.id)
        except SQLAlchemyError as exc:
            # The database is down: the turn will say so; what memory holds stays as it is.
            log.warning("conversation state not read (%s)", type(exc).__name__)
            self._release(lock, user.id)
            return
        try:
            keys = {(update.effective_chat.id, user.id)} if update.effective_chat is not None else set()
            keys |= {tuple(step["key"]) for step in (data.get("steps") or {}).values()}
            at = self._apply(keys, data, context.user_data)
            snapshot = self._snapshot(keys, context.user_data, at)
        except Exception:  # a state this version cannot use: the update goes on without it
            log.exception("conversation state not applied")
            self._release(lock, user.id)
            return
        self.taken[update.update_id] = _Taken(user.id, keys, snapshot, version, lock, at,
                                              asyncio.get_running_loop().time(), actor)

    def prefetched_actor(self, update: Update) -> Actor | None:
        """The caller as restore read them for this update (once: a retried turn reads again)."""
        taken = self.taken.get(update.update_id)
        if taken is None or taken.actor is None:
            return None
        actor, taken.actor = taken.actor, None
        return actor

    def _forget_lost(self) -> None:
        """Updates whose last group never ran (cancelled at shutdown): drop what restore kept for them."""
        if len(self.taken) < 64:
            return
        old = asyncio.get_running_loop().time() - 2 * LOCK_WAIT_S
        for update_id in [u for u, t in self.taken.items() if t.started < old]:
            self.taken.pop(update_id, None)

    def _apply(self, keys: set[tuple], data: dict, user_data: dict) -> dict[str, datetime]:
        kept = {k: user_data[k] for k in EPHEMERAL if k in user_data}
        user_data.clear()
        user_data.update(data.get("user") or {})
        user_data.update(kept)
        steps = data.get("steps") or {}
        now, at = clock.now(), {}
        for name, handler in self.conversations.items():
            step = steps.get(name)
            if step is not None:
                timeout = handler.conversation_timeout
                limit = timeout if isinstance(timeout, timedelta) else timedelta(seconds=timeout or 0)
                if limit and now - step["at"] > limit:
                    step = None  # idle too long: over, as PTB's timeout would have ended it
            wanted = {tuple(step["key"]): step["state"]} if step is not None else {}
            if step is not None:
                at[name] = step["at"]
            mine = {k: handler._conversations[k] for k in keys if k in handler._conversations}
            if mine == wanted:
                continue
            for key in mine:
                handler._conversations.pop(key, None)
                self._drop_timeout(handler, key)
            for key, state in wanted.items():
                handler._conversations[key] = state
                self._drop_timeout(handler, key)
        return at

    @staticmethod
    def _drop_timeout(handler: ConversationHandler, key) -> None:
        """A timeout job set for an older step of this key must not end the restored one."""
        job = handler.timeout_jobs.pop(key, None)
        if job is not None:
            job.schedule_removal()

    def _current(self, keys: set[tuple], user_data: dict, at: dict[str, datetime], moved: bool) -> dict:
        steps = {}
        for name, handler in self.conversations.items():
            for key in keys:
                state = handler._conversations.get(key)
                if isinstance(state, (int, str)):
                    steps[name] = {"key": list(key), "state": state,
                                   "at": clock.now() if moved or name not in at else at[name]}
        data = {}
        user = {k: v for k, v in user_data.items() if k not in EPHEMERAL}
        if user:
            data["user"] = user
        if steps:
            data["steps"] = steps
        return data

    def _snapshot(self, keys: set[tuple], user_data: dict, at: dict[str, datetime]) -> str:
        try:
            return store.encode(self._current(keys, user_data, at, moved=False))
        except store.NotStorable:
            return ""

    # -- writing ------------------------------------------------------------------------------------
    def defer(self, update: Update, send: Callable[[], Awaitable[Any]]) -> bool:
        """Holds a turn's replies until this update's step is saved (False: no state was taken, send now).

        A person answers a question as soon as they see it; were it shown before the step is written, the
        answer could be read against the step before — by the instance that did not ask, or here by an update
        that took a lock forgotten meanwhile — and be taken for an answer to the previous question."""
        taken = self.taken.get(update.update_id)
        if taken is None:
            return False
        taken.replies.append(send)
        return True

    async def persist(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        taken = self.taken.pop(update.update_id, None)
        if taken is None:
            return
        try:
            if context.user_data is not None:
                await self._save(taken, context)
            # Then the replies, still holding the person's lock: their next update sees these answers sent.
            failed: Exception | None = None
            for send in taken.replies:
                try:
                    await send()
                except Exception as exc:  # the other turns' replies still go; the first failure is reported
                    failed = failed or exc
            if failed is not None:
                raise failed
        finally:
            self._release(taken.lock, taken.user_id)

    async def _save(self, taken: _Taken, context: ContextTypes.DEFAULT_TYPE) -> None:
        user_data = context.user_data
        unchanged = self._snapshot(taken.keys, user_data, taken.at) == taken.snapshot
        if unchanged and not self._in_conversation(taken.keys):
            return
        # Any update during a conversation keeps it alive (PTB restarts its timeout on each one).
        data = self._current(taken.keys, user_data, taken.at, moved=True)
        try:
            async with transaction(services_of(context).sessionmaker) as session:
                written = await store.save(session, taken.user_id, data, taken.version)
        except store.NotStorable as exc:  # save encodes before it writes anything
            log.error("conversation state not stored: a value of type %s cannot be kept", exc)
            return
        except IntegrityError:
            written = False
        except SQLAlchemyError as exc:
            log.warning("conversation state not written (%s)", type(exc).__name__)
            return
        if not written:
            log.info("conversation state changed elsewhere meanwhile; the later write was kept")

    def _in_conversation(self, keys: set[tuple]) -> bool:
        return any(k in h._conversations for h in self.conversations.values() for k in keys)

    def _release(self, lock: asyncio.Lock | None, user_id: int) -> None:
        if lock is None:
            return
        lock.release()
        if not lock.locked() and not lock._waiters:  # nobody queued: forget the lock
            self.locks.pop(user_id, None)


def install(app: Application) -> SharedState:
    """After every handler is added: wrap the named conversations (every ConversationHandler must have a name)."""
    conversations: dict[str, ConversationHandler] = {}
    for group in app.handlers.values():
        for h in group:
            if isinstance(h, ConversationHandler):
                if not h.name or h.name in conversations:
                    raise ValueError("every ConversationHandler needs a name of its own to be kept in the database")
                conversations[h.name] = h
    state = SharedState(conversations)
    services_of(app).conversation_state = state
    app.add_handler(TypeHandler(Update, state.restore), group=RESTORE_GROUP)
    app.add_handler(TypeHandler(Update, state.persist), group=PERSIST_GROUP)
    if app.job_queue is not None:
        app.job_queue.run_repeating(prune_job, interval=PRUNE_EVERY_S, first=PRUNE_EVERY_S, name="conversation_prune")
        app.job_queue.run_repeating(forget_job, interval=FORGET_EVERY_S, first=FORGET_EVERY_S,
                                    name="conversation_forget")
    return state


PRUNE_EVERY_S = 3600
FORGET_EVERY_S = 60


async def forget_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """States past their deadline (a secret ballot's opinion never typed) are deleted, not just skipped."""
    async with transaction(services_of(context).sessionmaker) as session:
        gone = await store.forget_expired(session)
    if gone:
        log.info("deleted %d conversation states past their deadline", gone)


async def prune_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drafts nobody touched for a day are forgotten (a repeating job: the leader runs it)."""
    async with transaction(services_of(context).sessionmaker) as session:
        gone = await store.prune(session)
    if gone:
        log.info("forgot %d idle conversation states", gone)
