"""The bot's send budget, shared by all its instances: Telegram's flood limit is the bot's, not a process's.

At most `rate` messages leave in any window of a second (+ SLACK), counted across instances by
an engine they already share:

    Redis (HANDBOOK_REDIS_URL)   a sorted set of the sends granted in the last window, trimmed,
                                 counted and added to by one script (Redis runs scripts one at a time)
    PostgreSQL (the database)    one row's array of those sends, trimmed, counted and added to by one
                                 UPDATE (models/send_budget.py; the row's lock orders the instances)
    SQLite (one instance)        no shared budget: the dispatcher's own Pacer, as before

A send asks for a grant just before it leaves. Two kinds share the window: a reply to a user
(urgent) may take all of it; the dispatcher's sends (bulk) leave RESERVE of each window to the
replies, so a member who writes during a broadcast is answered at once and neither pushes the
other over Telegram's limit. A send refused waits until the oldest send it must outlast leaves the
window, then asks again. The time is the engine's (Redis TIME, PostgreSQL clock_timestamp()).

Faults: when the engine does not answer (down, unreachable, too slow), the instance falls back to
a conservative share of the rate counted locally (rate × OUTAGE_SHARE), logs the kind of failure
once, never stops sending, and asks the engine again every RETRY_S until it answers.
The engine's address may hold a password: it is never logged (only the failure's type is).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from telegram.ext import BaseRateLimiter

log = logging.getLogger("handbook.budget")

SLACK = 0.02  # seconds added to the window: a grant and the request's arrival are not the same instant
RESERVE = 0.05  # share of each window the dispatcher leaves to replies (at least one send when the rate allows)
OUTAGE_SHARE = 0.5  # of the rate, for this instance alone, while the shared engine cannot be asked
RETRY_S = 5.0  # how often an unreachable engine is asked again
TAKE_TIMEOUT_S = 1.0  # an engine slower than this counts as unreachable…
TURN_TIMEOUT_S = 3.0  # …and so does a turn at it (behind this instance's other sends) longer than this
MAX_WAIT_S = 1.0  # a refused send asks again at least this often


def window_of(rate: float) -> tuple[float, int]:
    """A rate per second as (window seconds, sends allowed in it); 0.5/s means 1 per 2 s (Telegram's way)."""
    if rate >= 1:
        return 1.0, int(rate)
    return 1.0 / rate, 1


class Store(Protocol):
    """Where the grants of the last window are counted."""

    async def take(self, limit: int, window: float) -> tuple[float, float | None]:
        """(0, grant time) when granted; (seconds to wait, None) when the window holds `limit` sends already."""
        ...

    async def close(self) -> None: ...


def _refused(sends: list[float], limit: int, window: float, now: float) -> float:
    """How long until enough of the window's `sends` (oldest first) have left it for one more."""
    return max(0.0, sends[len(sends) - limit] + window - now) if len(sends) >= limit else 0.0


class LocalStore:
    """This process alone: a log of its own grants (the fallback, and the reference for the tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.sends: deque[float] = deque()

    async def take(self, limit: int, window: float) -> tuple[float, float | None]:
        return self.take_now(limit, window)

    def take_now(self, limit: int, window: float) -> tuple[float, float | None]:
        now = self.clock()
        while self.sends and self.sends[0] <= now - window:
            self.sends.popleft()
        if len(self.sends) < limit:
            self.sends.append(now)
            return 0.0, now
        return max(1e-3, _refused(list(self.sends), limit, window, now)), None

    async def close(self) -> None:
        pass


# KEYS[1] the sorted set; ARGV: limit, window (s), a unique member. Returns {granted 0/1, time or wait, as text}.
REDIS_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
  return {1, tostring(now)}
end
local oldest = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + window - now)}
"""


class RedisStore:
    """A sorted set per bot in Redis (redis-py's asyncio client, its own connection pool)."""

    def __init__(self, url: str, key: str):
        self.url = url
        self.key = key
        self._client: Any = None
        self._script: Any = None
        self._member = secrets.token_hex(4)
        self._n = 0

    async def take(self, limit: int, window: float) -> tuple[float, float | None]:
        if self._client is None:
            import redis.asyncio as redis

            self._client = redis.Redis.from_url(self.url, socket_timeout=TAKE_TIMEOUT_S,
                                                socket_connect_timeout=TAKE_TIMEOUT_S)
            self._script = self._client.register_script(REDIS_TAKE)
        self._n += 1
        granted, value = await self._script(keys=[self.key], args=[limit, window, f"{self._member}:{self._n}"])
        return (0.0, float(value)) if int(granted) else (max(1e-3, float(value)), None)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()


class PgStore:
    """The send_budget row of this bot in PostgreSQL, on a connection of its own (asyncpg, outside the pool)."""

    def __init__(self, database_url: str, name: str):
        self.database_url = database_url
        self.name = name
        self._conn: Any = None
        self._lock = asyncio.Lock()  # one statement at a time on the connection

    async def take(self, limit: int, window: float) -> tuple[float, float | None]:
        from models.send_budget import TAKE

        async with self._lock:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await self._connect()
                row = await self._conn.fetchrow(TAKE, self.name, limit, window, timeout=TAKE_TIMEOUT_S)
            except BaseException:  # a connection in doubt is not used again: the next take makes another
                conn, self._conn = self._conn, None
                if conn is not None:
                    conn.terminate()
                raise
        if row is None:  # the row is gone (the table emptied): made again at the next connection
            await self.close()
            raise LookupError("no send_budget row")
        if row["granted"]:
            return 0.0, row["at"]
        return max(1e-3, _refused(list(row["sends"]), limit, window, row["at"])), None

    async def _connect(self) -> Any:
        import asyncpg
        from sqlalchemy.engine import make_url

        from models.send_budget import ENSURE_ROW

        dsn = make_url(self.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        # The budget's rows are a second's history: no commit waits for the disk.
        conn = await asyncpg.connect(dsn, timeout=TAKE_TIMEOUT_S, server_settings={
            "application_name": "handbook-budget", "synchronous_commit": "off"})
        try:
            await conn.execute(ENSURE_ROW, self.name)
        except BaseException:
            conn.terminate()
            raise
        return conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 2)
            except Exception:
                conn.terminate()


class SendBudget:
    """The bot's budget as this instance sees it: the shared store, or a local share while it is unreachable."""

    def __init__(self, rate: float, store: Store | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, outage_share: float = OUTAGE_SHARE):
        self.window, allowed = window_of(rate)
        self.window += SLACK
        reserve = math.ceil(allowed * RESERVE) if allowed >= 4 else 0
        self.limits = {True: allowed, False: allowed - reserve}  # urgent (a reply) → limit; bulk
        self.local_limits = {k: max(1, math.floor(v * outage_share)) for k, v in self.limits.items()}
        self.store = store
        self.local = LocalStore(clock)
        self.clock = clock
        self.sleep = sleep
        self.down = False  # the store failed; the local share counts until it answers again
        self.outages = 0
        self.granted = 0
        self.waited = 0  # refusals (each followed by a wait)
        self._retry_at = 0.0

    @property
    def shared(self) -> bool:
        return self.store is not None

    async def acquire(self, urgent: bool, stopping: Callable[[], bool] | None = None) -> bool:
        """Wait until a send may leave; False only when `stopping` says so meanwhile."""
        while True:
            wait = await self.take(urgent)
            if wait <= 0:
                self.granted += 1
                return True
            self.waited += 1
            await self.sleep(min(wait, MAX_WAIT_S))
            if stopping is not None and stopping():
                return False

    async def take(self, urgent: bool) -> float:
        """0 when granted, else how long to wait before asking again."""
        if self.store is not None and (not self.down or self.clock() >= self._retry_at):
            try:
                # The stores time their own requests out (TAKE_TIMEOUT_S); this bounds the wait for their turn.
                wait, _ = await asyncio.wait_for(self.store.take(self.limits[urgent], self.window), TURN_TIMEOUT_S)
            except Exception as exc:  # never the message: a connection error may quote the address
                self._retry_at = self.clock() + RETRY_S
                if not self.down:
                    self.down = True
                    self.outages += 1
                    log.warning("the shared send budget cannot be reached (%s): this instance sends at most %d "
                                "a second on its own until it answers again", type(exc).__name__,
                                self.local_limits[True])
            else:
                if self.down:
                    self.down = False
                    log.info("the shared send budget answers again")
                return wait
        wait, _ = self.local.take_now(self.local_limits[urgent], self.window)
        return wait

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()


def is_send(endpoint: str) -> bool:
    """A Bot API method Telegram counts against the flood limit: a message sent (as the sandbox counts them)."""
    return (endpoint.startswith("send") and endpoint != "sendChatAction") or endpoint in (
        "copyMessage", "copyMessages", "forwardMessage", "forwardMessages")


class RepliesWithinBudget(BaseRateLimiter[None]):
    """PTB's hook on every request of the bot: a message sent to a user takes an urgent grant first."""

    def __init__(self, budget: SendBudget):
        self.budget = budget

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        await self.budget.close()  # the application's last step: its dispatcher has stopped before

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any,
                              kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: None) -> Any:
        if is_send(endpoint):
            await self.budget.acquire(urgent=True)
        return await callback(*args, **kwargs)


def make_budget(settings: Any, token: str) -> SendBudget | None:
    """The shared budget the settings call for: Redis, else PostgreSQL; None on SQLite or without a rate."""
    from models.db import is_sqlite

    rate = settings.delivery_rate_per_s
    if not rate:
        return None
    bot_id = token.split(":", 1)[0]
    if settings.redis_url is not None:
        return SendBudget(rate, RedisStore(settings.redis_url.get_secret_value(), f"handbook:send-budget:{bot_id}"))
    if not is_sqlite(settings.database_url):
        return SendBudget(rate, PgStore(settings.database_url, bot_id))
    return None
