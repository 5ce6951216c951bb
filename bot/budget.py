"""The bot's send budget, shared by all its instances: Telegram's flood limit is the bot's, not a process's.

At most `rate` messages leave in any window of a second (+ SLACK), counted across instances by
an engine they already share:

    Redis (HANDBOOK_REDIS_URL)   a sorted set of the sends granted in the last window, trimmed,
                                 counted and added to by one script (Redis runs scripts one at a time)
    PostgreSQL (the database)    one row's array of those sends, trimmed, counted and added to by one
                                 UPDATE (models/send_budget.py; the row's lock orders the instances)
    SQLite (one instance)        no shared budget: the dispatcher's own Pacer, as before

A send asks for a grant just before it leaves and says when Telegram answered it: it fills a place
in the window from its grant until a window after its answer (see Store), so the count holds however
late a request arrives after its grant. Two kinds share the window: a reply to a user (urgent) may
take all of it; the dispatcher's sends (bulk) leave RESERVE of each window to the replies, so a
member who writes during a broadcast is answered at once and neither pushes the other over
Telegram's limit. A send refused waits until the send it must outlast leaves the window, then asks
again. The time is the engine's (Redis TIME, PostgreSQL clock_timestamp()).

A 429 met by any instance pauses them all (SendBudget.pause, for Telegram's retry_after): the store
fills the window with `limit` sends stamped a window before the pause's end (engine time), so no
grant is made before it ends and a refusal's wait says how long is left; a shorter pause never
shortens a longer one (its sends leave first).

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
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger("handbook.budget")

SLACK = 0.01  # seconds added to the window, as the dispatcher's own Pacer does
HOLD_S = 2.0  # a send not yet answered counts as if it left this long after its grant (a hung request)
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
    """Where the sends of the last window are counted, each from its grant until a window after its answer.

    A grant is written as if the send left HOLD_S later (so a send in flight fills its place for as
    long as it may take); answered() moves it to the time Telegram answered. Telegram counted the
    send before it answered, so no delay between a grant and the request's arrival, however long,
    can make two sends look closer than they were (the dispatcher's Pacer closes its loop the same way).
    """

    async def take(self, limit: int, window: float) -> tuple[float, Any]:
        """(0, the grant's token) when granted; (seconds to wait, None) when the window holds `limit` sends."""
        ...

    async def answered(self, token: Any) -> None: ...

    async def pause(self, limit: int, window: float, seconds: float) -> None:
        """No grant for `seconds` from now: `limit` sends that count until then (stamped `seconds - window` on)."""
        ...

    async def close(self) -> None: ...


def _refused(sends: list[float], limit: int, window: float, now: float) -> float:
    """How long until enough of the window's `sends` (sorted) have left it for one more."""
    return max(1e-3, sends[len(sends) - limit] + window - now) if len(sends) >= limit else 1e-3


class LocalStore:
    """This process alone: its own grants (the fallback, and the reference for the tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, hold: float = HOLD_S):
        self.clock = clock
        self.hold = hold
        self.sends: dict[int, float] = {}  # token → when it counts from
        self._n = 0

    async def take(self, limit: int, window: float) -> tuple[float, Any]:
        return self.take_now(limit, window)

    def _trim(self, now: float, window: float) -> None:
        """Forget the sends that left the window."""
        for token in [t for t, at in self.sends.items() if at <= now - window]:
            del self.sends[token]

    def take_now(self, limit: int, window: float) -> tuple[float, Any]:
        now = self.clock()
        self._trim(now, window)
        if len(self.sends) < limit:
            self._n += 1
            self.sends[self._n] = now + self.hold
            return 0.0, self._n
        return _refused(sorted(self.sends.values()), limit, window, now), None

    async def answered(self, token: Any) -> None:
        self.answered_now(token)

    async def pause(self, limit: int, window: float, seconds: float) -> None:
        self.pause_now(limit, window, seconds)

    def pause_now(self, limit: int, window: float, seconds: float) -> None:
        now = self.clock()
        self._trim(now, window)  # here too: while the shared store answers, take_now() is not called
        for _ in range(limit):
            self._n += 1
            self.sends[self._n] = now + seconds - window

    def answered_now(self, token: Any) -> None:
        if token in self.sends:
            self.sends[token] = min(self.sends[token], self.clock())

    async def close(self) -> None:
        pass


# KEYS[1] the sorted set; ARGV: limit, window (s), hold (s), a unique member.
# Returns {1, the server's time} when granted, {0, seconds to wait} when not (as text: Lua numbers become integers).
REDIS_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local hold = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now + hold, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil((window + hold) * 1000) + 1000)
  return {1, tostring(now)}
end
local oldest = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return {0, tostring(math.max(0.001, tonumber(oldest[2]) + window - now))}
"""
# KEYS[1] the sorted set; ARGV[1] the member: it counts from now (when still there and held later than now).
REDIS_ANSWERED = """
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], 'XX', 'LT', tonumber(t[1]) + tonumber(t[2]) / 1000000, ARGV[1])
return 0
"""
# KEYS[1] the sorted set; ARGV: limit, window (s), seconds. The pause's sends are members of their own names
# (pause:1…limit, never a grant's), moved only later (GT): a shorter pause leaves a longer one as it is.
REDIS_PAUSE = """
local t = redis.call('TIME')
local at = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[3]) - tonumber(ARGV[2])
for i = 1, tonumber(ARGV[1]) do
  redis.call('ZADD', KEYS[1], 'GT', at, 'pause:' .. i)
end
local ttl = math.ceil(tonumber(ARGV[3]) * 1000) + 1000
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 0
"""


class RedisStore:
    """A sorted set per bot in Redis (redis-py's asyncio client, its own connection pool)."""

    def __init__(self, url: str, key: str, hold: float = HOLD_S):
        self.url = url
        self.key = key
        self.hold = hold
        self._client: Any = None
        self._scripts: Any = None
        self._member = secrets.token_hex(4)
        self._n = 0

    def _connected(self) -> Any:
        if self._client is None:
            import redis.asyncio as redis

            self._client = redis.Redis.from_url(self.url, socket_timeout=TAKE_TIMEOUT_S,
                                                socket_connect_timeout=TAKE_TIMEOUT_S)
            self._scripts = tuple(self._client.register_script(script)
                                  for script in (REDIS_TAKE, REDIS_ANSWERED, REDIS_PAUSE))
        return self._scripts

    async def take(self, limit: int, window: float) -> tuple[float, Any]:
        take, _, _ = self._connected()
        self._n += 1
        member = f"{self._member}:{self._n}"
        granted, value = await take(keys=[self.key], args=[limit, window, self.hold, member])
        return (0.0, member) if int(granted) else (float(value), None)

    async def answered(self, token: Any) -> None:
        _, answered, _ = self._connected()
        await answered(keys=[self.key], args=[token])

    async def pause(self, limit: int, window: float, seconds: float) -> None:
        _, _, pause = self._connected()
        await pause(keys=[self.key], args=[limit, window, seconds])

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()


class PgStore:
    """The send_budget row of this bot in PostgreSQL, on a connection of its own (asyncpg, outside the pool)."""

    def __init__(self, database_url: str, name: str, hold: float = HOLD_S):
        self.database_url = database_url
        self.name = name
        self.hold = hold
        self._conn: Any = None
        self._lock = asyncio.Lock()  # one statement at a time on the connection

    async def _run(self, statement: str, *args: Any) -> Any:
        async with self._lock:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await self._connect()
                return await self._conn.fetchrow(statement, *args, timeout=TAKE_TIMEOUT_S)
            except BaseException:  # a connection in doubt is not used again: the next statement makes another
                conn, self._conn = self._conn, None
                if conn is not None:
                    conn.terminate()
                raise

    async def take(self, limit: int, window: float) -> tuple[float, Any]:
        from models.send_budget import TAKE

        row = await self._run(TAKE, self.name, limit, window, self.hold)
        if row is None:  # the row is gone (the table emptied): made again at the next connection
            await self.close()
            raise LookupError("no send_budget row")
        if row["granted"]:
            return 0.0, row["at"] + self.hold  # the value written, the same float (IEEE addition on both sides)
        return _refused(list(row["sends"]), limit, window, row["at"]), None

    async def answered(self, token: Any) -> None:
        from models.send_budget import ANSWERED

        await self._run(ANSWERED, self.name, token)

    async def pause(self, limit: int, window: float, seconds: float) -> None:
        from models.send_budget import PAUSE

        await self._run(PAUSE, self.name, limit, window, seconds)

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


class Grant:
    """A send allowed to leave; given back to SendBudget.answered() once Telegram answered it (or not)."""

    __slots__ = ("store", "token")

    def __init__(self, store: Any, token: Any):
        self.store = store
        self.token = token


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
        self._paused_until = 0.0  # (this instance's clock) the longest pause it asked for
        self._queues = {True: asyncio.Lock(), False: asyncio.Lock()}  # asyncio's Lock wakes its waiters in order

    @property
    def shared(self) -> bool:
        return self.store is not None

    async def acquire(self, urgent: bool, stopping: Callable[[], bool] | None = None) -> Grant | None:
        """Wait until a send may leave; None only when `stopping` says so meanwhile.

        This instance's sends of a kind queue here in the order they came: only the first of them asks
        the engine (again when refused), so a waiting reply is not overtaken by a later one, and a full
        window costs one request per refusal, not one per waiting send.
        """
        async with self._queues[urgent]:
            while True:
                wait, grant = await self.take(urgent)
                if grant is not None:
                    self.granted += 1
                    return grant
                self.waited += 1
                await self.sleep(min(wait, MAX_WAIT_S))
                if stopping is not None and stopping():
                    return None

    async def take(self, urgent: bool) -> tuple[float, Grant | None]:
        """(0, a grant), or how long to wait before asking again."""
        if self.store is not None and (not self.down or self.clock() >= self._retry_at):
            try:
                # The stores time their own requests out (TAKE_TIMEOUT_S); this bounds the wait for their turn.
                wait, token = await asyncio.wait_for(self.store.take(self.limits[urgent], self.window), TURN_TIMEOUT_S)
            except Exception as exc:  # never the message: a connection error may quote the address
                self._fail(exc)
            else:
                if self.down:
                    self.down = False
                    log.info("the shared send budget answers again")
                return wait, None if token is None else Grant(self.store, token)
        wait, token = self.local.take_now(self.local_limits[urgent], self.window)
        return wait, None if token is None else Grant(self.local, token)

    async def answered(self, grant: Grant | None) -> None:
        """The send of `grant` got its answer (or none): it counts from now, no longer from HOLD_S after its grant."""
        if grant is None:
            return
        if grant.store is self.local:
            self.local.answered_now(grant.token)
            return
        if self.down:
            return  # it counts until HOLD_S after its grant, as if unanswered
        try:
            await asyncio.wait_for(grant.store.answered(grant.token), TURN_TIMEOUT_S)
        except Exception as exc:
            self._fail(exc)

    async def pause(self, seconds: float) -> None:
        """Telegram answered 429: no instance sharing the budget gets a grant for `seconds` (engine time).

        The local share pauses too (it counts if the engine goes down meanwhile). A pause within one this
        instance already asked for is not asked again (a burst of 429s). Never raises: an engine that
        does not answer is a fault like any other (logged by its type, the local share counts).
        """
        if seconds <= 0 or self.clock() + seconds <= self._paused_until:
            return
        self._paused_until = self.clock() + seconds
        self.local.pause_now(self.limits[True], self.window, seconds)
        if self.store is not None and (not self.down or self.clock() >= self._retry_at):
            try:
                await asyncio.wait_for(self.store.pause(self.limits[True], self.window, seconds), TURN_TIMEOUT_S)
            except Exception as exc:
                self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        self._retry_at = self.clock() + RETRY_S
        if not self.down:
            self.down = True
            self.outages += 1
            log.warning("the shared send budget cannot be reached (%s): this instance sends at most %d a second on "
                        "its own until it answers again", type(exc).__name__, self.local_limits[True])

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
        if not is_send(endpoint):
            return await callback(*args, **kwargs)
        grant = await self.budget.acquire(urgent=True)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:  # the bot is paused for every instance: they all wait (the caller retries)
            await self.budget.pause(retry_seconds(exc.retry_after))
            raise
        finally:
            await self.budget.answered(grant)


def retry_seconds(retry_after: Any) -> float:
    """A 429's retry_after in seconds: PTB gives an int or a timedelta, the Bot API a number."""
    return retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after or 0)


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
