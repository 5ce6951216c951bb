"""The one dispatcher: every message to many members leaves through the deliveries table and here.

    rows (models/deliveries.py) ──claim──▶ render (per kind, member's language) ──▶ workers
        ▲                                                                           │ paced:
        └──────────── record outcomes in batches (sent / retry / failed / unreachable) ◀┘ global + per chat

* Pace: at most `rate_per_s` sends in any second for the bot and `per_chat_per_s` per chat, with a
  small safety margin, so Telegram's flood control is never the thing that paces us (bot/pacing.py).
* 429: the bot pauses for retry_after (every instance, when they share a budget), then the same message is
  sent again.
* 403 (blocked, deactivated) and "chat not found": unreachable, no retry; the member's account is
  marked and their secretary told (through the outbox too).
* 5xx, timeouts, network trouble: back-off and retry, up to max_attempts, then failed (visible in
  the sender's counts). 400: our request is wrong; failed at once, logged.
* Claims are leased and renewed while this process lives: a killed dispatcher's rows come back
  after the lease, a second instance never takes a row another one holds.

Features plug in through their declarations (handlers/feature.py, listed in handlers/features.py):
renderers (kind → what to send), progress (kind → the sender's status message to refresh) and ticks
(what falls due with the clock, e.g. scheduled notices). This module names no feature.

Files are uploaded once: a rendered call that carries a file (bytes or an InputFile) is sent by one
worker while the others holding the same rendered call wait, then send the file_id Telegram gave
it. A call may carry a third element, a hook run with a session and Telegram's result after an
upload, to keep the file_id for later renders and restarts (bulletins keep their voice notes so).
A renderer whose picture could not be drawn returns its text alone (handlers.render.TextOnly): the
row is sent all the same, marked models.deliveries.TEXT_ONLY for the sender's status to count.
The Bot API client (BotApi, SendError) is bot/botapi.py; BotApi is imported from here too.
"""
from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import features
from handlers.feature import Call, Progress, Renderer, Tick, UploadHook
from models import clock, deliveries
from models.accounts import Account
from models.deliveries import Claimed, DeliveryState, Outcome

from .botapi import BotApi, SendError, carries_file, keep_file_ids
from .budget import SendBudget
from .pacing import Pace, until_set

log = logging.getLogger("handbook.dispatcher")

MAX_THROTTLED = 5  # 429s for one message before it goes back to the queue
RENDER_TTL = 30.0
TURN_EDIT_HELD_S = 60.0  # how long a turn's edit of a message is remembered against refreshes drawn before it


@dataclass
class Job:
    claimed: Claimed
    calls: list[Call]


@dataclass
class Stats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    throttled: int = 0  # 429s received
    requests: int = 0


@dataclass
class Dispatcher:
    sessionmaker: async_sessionmaker[AsyncSession]
    api: BotApi
    default_language: str = "vi"
    tz: tzinfo | None = None
    rate_per_s: float | None = 30.0
    per_chat_per_s: float | None = 1.0
    max_attempts: int = 5
    concurrency: int = 64
    lease: timedelta = timedelta(seconds=30)
    backoff: timedelta = timedelta(seconds=5)
    poll_s: float = 1.0
    progress_interval_s: float = 2.0
    stop_timeout_s: float = 10.0
    # The features' (handlers/features.py); bot/app.py binds the renderers to the bot's services.
    renderers: dict[str, Renderer] = field(default_factory=features.renderers)
    progress: dict[str, Progress] = field(default_factory=features.progress)
    ticks: list[Tick] = field(default_factory=features.ticks)
    stats: Stats = field(default_factory=Stats)
    # Shared with the other instances and this one's replies (bot/budget.py); None: this process's pace alone.
    budget: SendBudget | None = None

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self._touched: set[tuple[str, int]] = set()
        self._turn_edits: dict[tuple[int, int], float] = {}  # (chat, message) → when a turn last edited it
        self.running = False

    # --- what handlers and other workers call -------------------------------------------------------
    def wake(self) -> None:
        """New rows were committed: look now instead of at the next poll."""
        self._wake.set()

    def touch(self, kind: str, ref_id: int) -> None:
        """Something the sender's status shows changed (a read): refresh it soon."""
        self._touched.add((kind, ref_id))

    def edited(self, chat_id: int, message_id: int) -> None:
        """A turn is editing this message (an officer's press put a question or a list where a status was): a
        refresh drawn before now must not land after it and put the status back over what she is doing."""
        now = time.monotonic()
        if len(self._turn_edits) > 1000:
            self._turn_edits = {k: t for k, t in self._turn_edits.items() if now - t < TURN_EDIT_HELD_S}
        self._turn_edits[(chat_id, message_id)] = now

    def _edited_since(self, params: dict[str, Any], since: float) -> bool:
        return self._turn_edits.get((params.get("chat_id"), params.get("message_id")), -1.0) >= since

    @property
    def max_held(self) -> int:
        """Rows held at once: about a second of work, so a claim is sent well within its lease."""
        if self.rate_per_s:
            return max(2 * self.concurrency, min(1000, math.ceil(self.rate_per_s)))
        return min(1000, 8 * self.concurrency)

    # --- the worker -------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; then finish the sends in flight, record them and give back the rest."""
        self.claimer = secrets.token_hex(8)
        self._stopping = False
        self._last_flush = False
        self._held: dict[int, tuple[str, int]] = {}
        self._results: list[Outcome] = []
        self._results_ready = asyncio.Event()
        self._room = asyncio.Event()
        self._queue: asyncio.Queue[Job | None] = asyncio.Queue()
        self._untried: list[int] = []
        self._cache: dict[tuple[str, int, str], tuple[float, list[Call]]] = {}
        self._uploading: dict[int, asyncio.Lock] = {}  # id of a rendered call's params → its one upload
        self._pace = Pace(self.rate_per_s, self.per_chat_per_s, self.budget)
        await self.api.start()
        self.running = True
        workers = [asyncio.create_task(self._worker(), name=f"dispatcher-worker-{i}") for i in range(self.concurrency)]
        claimer = asyncio.create_task(self._claim_loop(), name="dispatcher-claimer")
        recorder = asyncio.create_task(self._record_loop(), name="dispatcher-recorder")
        keeper = asyncio.create_task(self._housekeeping(), name="dispatcher-housekeeping")
        log.info("dispatcher %s started: %s msg/s (%s), %s per chat, %d workers", self.claimer,
                 self.rate_per_s or "no limit", "shared by the instances" if self.budget else "this process",
                 self.per_chat_per_s or "no limit", self.concurrency)
        try:
            await stop.wait()
        finally:
            self._stopping = True
            self._wake.set()
            self._room.set()
            await _finish(claimer, self.stop_timeout_s)
            while not self._queue.empty():
                job = self._queue.get_nowait()
                if job is not None:
                    self._untried.append(job.claimed.id)
            for _ in workers:
                self._queue.put_nowait(None)
            await asyncio.wait(workers, timeout=self.stop_timeout_s)
            for w in workers:
                w.cancel()
            keeper.cancel()
            self._last_flush = True
            self._results_ready.set()
            await _finish(recorder, self.stop_timeout_s)
            await self._give_back()
            await self.api.close()
            self.running = False
            log.info("dispatcher %s stopped: %s", self.claimer, self.stats)

    async def _give_back(self) -> None:
        if not self._untried:
            return
        try:
            async with self.sessionmaker() as session:
                await deliveries.release(session, self.claimer, self._untried)
                await session.commit()
        except Exception:
            log.exception("could not give back %d claimed rows; they return after the lease", len(self._untried))

    # --- claiming and rendering ----------------------------------------------------------------------------
    async def _claim_loop(self) -> None:
        while not self._stopping:
            room = self.max_held - len(self._held)
            if room < max(1, self.max_held // 2):
                self._room.clear()
                await until_set(self._room, self.poll_s)
                continue
            try:
                async with self.sessionmaker() as session:
                    rows = await deliveries.claim(session, self.claimer, room, lease=self.lease)
                    langs = await self._languages(session, rows)
                    await session.commit()
            except Exception:
                log.exception("claiming deliveries failed; trying again")
                await asyncio.sleep(self.poll_s)
                continue
            if not rows:
                self._wake.clear()
                await until_set(self._wake, self.poll_s)
                continue
            self.stats.claimed += len(rows)
            for row in rows:
                self._held[row.id] = (row.kind, row.ref_id)
            for row in rows:
                calls, error = await self._render(row, langs.get(row.chat_id) or self.default_language)
                if error is not None:
                    self._done(Outcome(row.id, DeliveryState.failed, error=error, chat_id=row.chat_id))
                elif self._stopping:
                    self._untried.append(row.id)
                else:
                    self._queue.put_nowait(Job(row, calls))

    async def _languages(self, session: AsyncSession, rows: list[Claimed]) -> dict[int, str]:
        if not rows:
            return {}
        result = await session.execute(
            select(Account.telegram_user_id, Account.language)
            .where(Account.telegram_user_id.in_({r.chat_id for r in rows}))
        )
        return {chat: lang for chat, lang in result.all() if lang}

    async def _render(self, row: Claimed, lang: str) -> tuple[list[Call], str | None]:
        """The messages of a delivery, rendered once per (kind, reference, language) and reused."""
        key = (row.kind, row.ref_id, lang)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1], None
        renderer = self.renderers.get(row.kind)
        if renderer is None:
            log.error("no renderer for deliveries of kind %r", row.kind)
            return [], f"no renderer for {row.kind}"
        try:
            async with self.sessionmaker() as session:
                calls = await renderer(session, row.ref_id, lang, self.tz)
                await session.rollback()
        except Exception as exc:
            log.exception("rendering %s %s failed", row.kind, row.ref_id)
            return [], f"render: {type(exc).__name__}"
        if not calls:
            return [], "nothing to send"
        if len(self._cache) > 512:
            self._cache.clear()
        self._cache[key] = (time.monotonic() + RENDER_TTL, calls)
        return calls, None

    # --- sending --------------------------------------------------------------------------------------------------
    async def _worker(self) -> None:
        while True:
            job = await self._queue.get()
            if job is None:
                return
            try:
                outcome = await self._deliver(job)
            except Exception as exc:  # a bug here must not lose the row: retry it later
                log.exception("delivery %s failed unexpectedly", job.claimed.id)
                outcome = deliveries.after_failure(job.claimed, f"internal: {type(exc).__name__}",
                                                   max_attempts=self.max_attempts, backoff=self.backoff)
            if outcome is None:
                self._untried.append(job.claimed.id)
            else:
                self._done(outcome)

    async def _deliver(self, job: Job) -> Outcome | None:
        row = job.claimed
        part = row.parts_sent
        message_id = None
        throttled = 0
        started = False
        while part < len(job.calls):
            method, params, *hook = job.calls[part]
            upload = await self._upload_turn(params)  # held while this worker uploads the call's file
            if not await self._pace.slot(row.chat_id, lambda: self._stopping):
                if upload is not None:
                    upload.release()
                if not started and part == row.parts_sent:
                    return None  # never tried: give it back
                return Outcome(row.id, DeliveryState.queued, error="stopped", parts_sent=part, chat_id=row.chat_id,
                               next_attempt_at=None)
            started = True
            self.stats.requests += 1
            try:
                try:
                    result = await self._call(row.chat_id, method, params, upload, hook[0] if hook else None)
                finally:
                    await self._pace.answered()
            except SendError as exc:
                if exc.code == 429:
                    self.stats.throttled += 1
                    wait = float(exc.retry_after or 1)
                    await self._pace.pause(row.chat_id, wait)
                    throttled += 1
                    if throttled <= MAX_THROTTLED:
                        continue
                    return Outcome(row.id, DeliveryState.queued, error=exc.short, parts_sent=part,
                                   chat_id=row.chat_id, next_attempt_at=clock.now() + timedelta(seconds=wait))
                if exc.code == 403 or (exc.code == 400 and "chat not found" in exc.description.lower()):
                    return Outcome(row.id, DeliveryState.unreachable, error=exc.short, parts_sent=part,
                                   chat_id=row.chat_id)
                if exc.code == 400:
                    log.error("Telegram refused a %s delivery (%s): %s", row.kind, method, exc.short)
                    return Outcome(row.id, DeliveryState.failed, error=exc.short, parts_sent=part, chat_id=row.chat_id)
                return deliveries.after_failure(row, exc.short, max_attempts=self.max_attempts,
                                                backoff=self.backoff, parts_sent=part)
            if isinstance(result, dict):
                message_id = result.get("message_id", message_id)
                keep_file_ids(params, result)
            part += 1
        missing = getattr(job.calls, "missing", None)  # handlers.render.TextOnly: sent without its picture
        return Outcome(row.id, DeliveryState.sent, message_id=message_id, parts_sent=part, chat_id=row.chat_id,
                       error=f"{deliveries.TEXT_ONLY}{missing}" if missing else None)

    async def _upload_turn(self, params: dict) -> asyncio.Lock | None:
        """A call carrying a file: one worker uploads it, the others wait here and then send its file_id."""
        if not carries_file(params):
            return None
        if len(self._uploading) > 256:  # locks of uploads that failed and were dropped from the render cache
            self._uploading = {k: v for k, v in self._uploading.items() if v.locked()}
        lock = self._uploading.setdefault(id(params), asyncio.Lock())
        await lock.acquire()
        if carries_file(params):
            return lock  # the first upload, or the one before failed
        lock.release()
        return None

    async def _call(self, chat_id: int, method: str, params: dict, upload: asyncio.Lock | None,
                    hook: UploadHook | None) -> Any:
        try:
            result = await self.api.call(method, {"chat_id": chat_id, **params})
            if upload is not None and isinstance(result, dict) and keep_file_ids(params, result):
                self._uploading.pop(id(params), None)
                if hook is not None:
                    try:
                        async with self.sessionmaker() as session:
                            await hook(session, result)
                            await session.commit()
                    except Exception:
                        log.exception("keeping the file_id of an upload failed; a later render uploads it again")
            return result
        finally:
            if upload is not None:
                upload.release()

    # --- recording --------------------------------------------------------------------------------------------------
    def _done(self, outcome: Outcome) -> None:
        self._results.append(outcome)
        self._results_ready.set()

    async def _record_loop(self) -> None:
        while True:
            await until_set(self._results_ready, 0.1)
            self._results_ready.clear()
            if self._results:
                batch, self._results = self._results, []
                if not await self._record(batch):
                    self._results[:0] = batch
                    if self._last_flush:
                        return  # the lease brings them back
                    await asyncio.sleep(0.5)
                    continue
            if self._last_flush and not self._results:
                return

    async def _record(self, batch: list[Outcome]) -> bool:
        try:
            async with self.sessionmaker() as session:
                await deliveries.record(session, self.claimer, batch)
                await session.commit()
        except Exception:
            log.exception("recording %d delivery outcomes failed; trying again", len(batch))
            return False
        for o in batch:
            kind_ref = self._held.pop(o.id, None)
            if kind_ref is not None and kind_ref[0] in self.progress:
                self._touched.add(kind_ref)
            if o.state is DeliveryState.sent:
                self.stats.sent += 1
            elif o.state is DeliveryState.failed:
                self.stats.failed += 1
            elif o.state is DeliveryState.unreachable:
                self.stats.unreachable += 1
            else:
                self.stats.retried += 1
        if any(o.state is DeliveryState.unreachable for o in batch):
            self._wake.set()  # reports to secretaries were queued
        self._room.set()
        return True

    # --- leases, the clock, the senders' status --------------------------------------------------------------------
    async def _housekeeping(self) -> None:
        renew_every = max(0.2, self.lease.total_seconds() / 3)
        last_renew = last_progress = time.monotonic()
        while not self._stopping:
            await asyncio.sleep(min(self.poll_s, renew_every))
            now = time.monotonic()
            try:
                async with self.sessionmaker() as session:
                    if now - last_renew >= renew_every:
                        if self._held:
                            await deliveries.renew(session, self.claimer, lease=self.lease)
                        last_renew = now
                    released = await deliveries.release_expired(session)
                    touched: list[tuple[str, int]] = []
                    for tick in self.ticks:
                        touched += await tick(session)
                    await session.commit()
                if released or touched:
                    self._wake.set()
                self._touched.update(t for t in touched if t[0] in self.progress)
            except Exception:
                log.exception("dispatcher housekeeping failed; trying again")
            self._pace.chats.prune()
            if self._touched and now - last_progress >= self.progress_interval_s:
                last_progress = now
                await self._refresh_progress()

    async def _refresh_progress(self) -> None:
        touched, self._touched = self._touched, set()
        for kind, ref_id in sorted(touched):
            drawn_at = time.monotonic()
            try:
                async with self.sessionmaker() as session:
                    calls = await self.progress[kind](session, ref_id, self.tz)
                    await session.rollback()
                for method, params in calls:
                    await asyncio.sleep(max(0.0, self._pace.bot.reserve() - time.monotonic()))
                    if self._edited_since(params, drawn_at):
                        continue  # a turn edited the message after this status was drawn: its edit stands
                    await self.api.call(method, params)
            except SendError as exc:
                if "not modified" not in exc.description:
                    log.warning("refreshing the status of %s %s: %s", kind, ref_id, exc.short)
            except Exception:
                log.exception("refreshing the status of %s %s failed", kind, ref_id)


async def _finish(task: asyncio.Task, timeout: float) -> None:
    try:
        await asyncio.wait_for(task, timeout)
    except TimeoutError:
        task.cancel()
    except asyncio.CancelledError:
        pass
    except Exception:
        log.exception("dispatcher task %s failed", task.get_name())


def build_dispatcher(settings, sessionmaker: async_sessionmaker[AsyncSession], token: str,
                     budget: SendBudget | None = None) -> Dispatcher:
    """The dispatcher as the settings describe it (bot/app.py starts it with the bot)."""
    api = BotApi(settings.telegram_api_url, token, connections=settings.delivery_concurrency + 8)
    return Dispatcher(
        sessionmaker,
        api,
        default_language=settings.default_language,
        tz=settings.tz,
        rate_per_s=settings.delivery_rate_per_s or None,
        per_chat_per_s=settings.delivery_per_chat_per_s or None,
        max_attempts=settings.delivery_max_attempts,
        concurrency=settings.delivery_concurrency,
        lease=timedelta(seconds=settings.delivery_lease_s),
        backoff=timedelta(seconds=settings.delivery_backoff_s),
        poll_s=settings.delivery_poll_s,
        budget=budget,
    )
