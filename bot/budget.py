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
late a request arrives after its grant. The engine is asked once for several: the send that asks takes
grants for those queued behind it on this instance too (up to LEASE_MAX; a grant not used within
LEASE_S is given back), and the answers that come while earlier ones are being told are told together
next, in one statement (at a congress vote's rate, two statements a reply were the engine's main work).
Two kinds share the window: a reply to a user (urgent) may take all of it; the dispatcher's sends (bulk)
leave RESERVE of each window to the replies, so a member who writes during a broadcast is answered at
once and neither pushes the other over Telegram's limit. A send refused waits until the send it must
outlast leaves the window, then asks again. The time is the engine's (Redis TIME, PostgreSQL clock_timestamp()).

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
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from handlers.turn import retry_seconds

log = logging.getLogger("handbook.budget")

SLACK = 0.01  # seconds added to the window, as the dispatcher's own Pacer does
HOLD_S = 2.0  # a send not yet answered counts as if it left this long after its grant (a hung request)
RESERVE = 0.05  # share of each window the dispatcher leaves to replies (at least one send when the rate allows)
OUTAGE_SHARE = 0.5  # of the rate, for this instance alone, while the shared engine cannot be asked
RETRY_S = 5.0  # how often an unreachable engine is asked again
TAKE_TIMEOUT_S = 1.0  # an engine slower than this counts as unreachable…
TURN_TIMEOUT_S = 3.0  # …and so does a turn at it (behind this instance's other sends) longer than this
MAX_WAIT_S = 1.0  # a refused send asks again at least this often
LEASE_MAX = 8  # grants asked for at once: the send that asks and those queued behind it on this instance
LEASE_S = 0.25  # a grant taken for a send behind and not used within this is given back (answered)


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

    async def take(self, limit: int, window: float, n: int = 1) -> tuple[float, list[Any]]:
        """(0, grants' tokens: 1 to n, as many as the window has room for); (seconds to wait, []) when it holds
        `limit` sends."""
        ...

    async def answered(self, tokens: list[Any]) -> None: ...

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

    async def take(self, limit: int, window: float, n: int = 1) -> tuple[float, list[Any]]:
        return self.take_now(limit, window, n)

    def _trim(self, now: float, window: float) -> None:
        """Forget the sends that left the window."""
        for token in [t for t, at in self.sends.items() if at <= now - window]:
            del self.sends[token]

    def take_now(self, limit: int, window: float, n: int = 1) -> tuple[float, list[Any]]:
        now = self.clock()
        self._trim(now, window)
        if len(self.sends) >= limit:
            return _refused(sorted(self.sends.values()), limit, window, now), []
        tokens = []
        for _ in range(min(n, limit - len(self.sends))):
            self._n += 1
            self.sends[self._n] = now + self.hold
            tokens.append(self._n)
        return 0.0, tokens

    async def answered(self, tokens: list[Any]) -> None:
        self.answered_now(tokens)

    async def pause(self, limit: int, window: float, seconds: float) -> None:
        self.pause_now(limit, window, seconds)

    def pause_now(self, limit: int, window: float, seconds: float) -> None:
        now = self.clock()
        self._trim(now, window)  # here too: while the shared store answers, take_now() is not called
        for _ in range(limit):
            self._n += 1
            self.sends[self._n] = now + seconds - window

    def answered_now(self, tokens: list[Any]) -> None:
        now = self.clock()
        for token in tokens:
            if token in self.sends:
                self.sends[token] = min(self.sends[token], now)

    async def close(self) -> None:
        pass


# KEYS[1] the sorted set; ARGV: limit, window (s), hold (s), a unique prefix, how many ask (n). Grant i is the member
# prefix:i. Returns {grants (1 to n), the server's time}, or {0, seconds to wait} (as text: Lua numbers become
# integers).
REDIS_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local hold = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  local granted = math.min(tonumber(ARGV[5]), limit - n)
  for i = 1, granted do
    redis.call('ZADD', KEYS[1], now + hold, ARGV[4] .. ':' .. i)
  end
  redis.call('PEXPIRE', KEYS[1], math.ceil((window + hold) * 1000) + 1000)
  return {granted, tostring(now)}
end
local oldest = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return {0, tostring(math.max(0.001, tonumber(oldest[2]) + window - now))}
"""
# KEYS[1] the sorted set; ARGV the members: each counts from now (when still there and held later than now).
REDIS_ANSWERED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
for i = 1, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', 'LT', now, ARGV[i])
end
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

    async def take(self, limit: int, window: float, n: int = 1) -> tuple[float, list[Any]]:
        take, _, _ = self._connected()
        self._n += 1
        prefix = f"{self._member}:{self._n}"
        granted, value = await take(keys=[self.key], args=[limit, window, self.hold, prefix, n])
        if int(granted):
            return 0.0, [f"{prefix}:{i}" for i in range(1, int(granted) + 1)]
        return float(value), []

    async def answered(self, tokens: list[Any]) -> None:
        _, answered, _ = self._connected()
        await answered(keys=[self.key], args=list(tokens))

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

    async def take(self, limit: int, window: float, n: int = 1) -> tuple[float, list[Any]]:
        from models.send_budget import TAKE

        row = await self._run(TAKE, self.name, limit, window, self.hold, n)
        if row is None:  # the row is gone (the table emptied): made again at the next connection
            await self.close()
            raise LookupError("no send_budget row")
        if row["n"]:  # the values written, the same floats (IEEE arithmetic on both sides, in the same order)
            return 0.0, [row["at"] + self.hold + i * 1e-6 for i in range(row["n"])]
        return _refused(list(row["sends"]), limit, window, row["at"]), []

    async def answered(self, tokens: list[Any]) -> None:
        from models.send_budget import ANSWERED

        await self._run(ANSWERED, self.name, list(tokens))

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


class _Answers:
    """Answers told the store in one statement: those that came while the statement before was on its way."""

    __slots__ = ("tokens", "told")

    def __init__(self, token: Any) -> None:
        self.tokens = [token]
        self.told: asyncio.Future[None] = asyncio.get_running_loop().create_future()


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
        self.asked = 0  # statements to the shared store: takes, answers, pauses (each for one send or several)
        self._retry_at = 0.0
        self._paused_until = 0.0  # (this instance's clock) the longest pause it asked for
        self._queues = {True: asyncio.Lock(), False: asyncio.Lock()}  # asyncio's Lock wakes its waiters in order
        self._behind = {True: 0, False: 0}  # sends of a kind waiting for their turn in its queue
        self._spare: dict[bool, deque[tuple[float, Grant]]] = {True: deque(), False: deque()}  # (taken at, grant)
        self._answers: _Answers | None = None  # answers waiting for the statement before theirs
        self._telling = asyncio.Lock()  # one statement of answers at a time

    @property
    def shared(self) -> bool:
        return self.store is not None

    def _asks_store(self) -> bool:
        """Whether the shared store is asked now: it answers, or it failed RETRY_S ago and is tried again."""
        return self.store is not None and (not self.down or self.clock() >= self._retry_at)

    async def acquire(self, urgent: bool, stopping: Callable[[], bool] | None = None) -> Grant | None:
        """Wait until a send may leave; None only when `stopping` says so meanwhile.

        This instance's sends of a kind queue here in the order they came: only the first of them asks
        the engine (again when refused), for itself and those queued behind it (up to LEASE_MAX), so a
        waiting reply is not overtaken by a later one, and a busy minute costs a statement per several
        sends and a full window one per refusal, not one per waiting send.
        """
        queue = self._queues[urgent]
        self._behind[urgent] += 1
        try:
            await queue.acquire()
        finally:
            self._behind[urgent] -= 1
        try:
            spare = self._spare[urgent]
            while spare:
                taken_at, grant = spare.popleft()
                if self.clock() - taken_at <= LEASE_S:
                    self.granted += 1
                    return grant
                await self.answered(grant)  # too old to leave on: it counts a window from now, then goes
            while True:
                wait, grants = await self._take(urgent, 1 + min(self._behind[urgent], LEASE_MAX - 1))
                if grants:
                    now = self.clock()
                    spare.extend((now, grant) for grant in grants[1:])
                    self.granted += 1
                    return grants[0]
                self.waited += 1
                await self.sleep(min(wait, MAX_WAIT_S))
                if stopping is not None and stopping():
                    return None
        finally:
            queue.release()

    async def take(self, urgent: bool) -> tuple[float, Grant | None]:
        """(0, a grant), or how long to wait before asking again."""
        wait, grants = await self._take(urgent, 1)
        return wait, grants[0] if grants else None

    async def _take(self, urgent: bool, n: int) -> tuple[float, list[Grant]]:
        """(0, 1 to n grants), or (how long to wait before asking again, [])."""
        if self._asks_store():
            try:
                self.asked += 1
                # The stores time their own requests out (TAKE_TIMEOUT_S); this bounds the wait for their turn.
                async with asyncio.timeout(TURN_TIMEOUT_S):
                    wait, tokens = await self.store.take(self.limits[urgent], self.window, n)
            except Exception as exc:  # never the message: a connection error may quote the address
                self._fail(exc)
            else:
                if self.down:
                    self.down = False
                    log.info("the shared send budget answers again")
                return wait, [Grant(self.store, token) for token in tokens]
        wait, tokens = self.local.take_now(self.local_limits[urgent], self.window, n)
        return wait, [Grant(self.local, token) for token in tokens]

    async def answered(self, grant: Grant | None) -> None:
        """The send of `grant` got its answer (or none): it counts from now, no longer from HOLD_S after its grant.

        Answers that come while the store is being told earlier ones wait and are told together, in one
        statement, as soon as it is done (a group commit); each caller returns once its own was told.
        """
        if grant is None:
            return
        if grant.store is self.local:
            self.local.answered_now([grant.token])
            return
        if self.down:
            return  # it counts until HOLD_S after its grant, as if unanswered
        batch = self._answers
        if batch is not None:
            batch.tokens.append(grant.token)
            await asyncio.shield(batch.told)
            return
        batch = self._answers = _Answers(grant.token)
        try:
            async with self._telling:
                if self._answers is batch:
                    self._answers = None  # answers from now on wait for the next statement
                if not self.down:
                    self.asked += 1
                    async with asyncio.timeout(TURN_TIMEOUT_S):
                        await grant.store.answered(batch.tokens)
        except Exception as exc:
            self._fail(exc)
        finally:
            if self._answers is batch:  # cancelled before its turn: the next answer starts anew
                self._answers = None
            if not batch.told.done():
                batch.told.set_result(None)

    async def pause(self, seconds: float) -> None:
        """Telegram answered 429: no instance sharing the budget gets a grant for `seconds` (engine time).

        The local share pauses too (it counts if the engine goes down meanwhile), and the grants this
        instance took for sends queued behind are given back. A pause within one this instance already
        asked for is not asked again (a burst of 429s). Never raises: an engine that does not answer is a
        fault like any other (logged by its type, the local share counts).
        """
        if seconds <= 0 or self.clock() + seconds <= self._paused_until:
            return
        self._paused_until = self.clock() + seconds
        spares = [grant for spare in self._spare.values() for _, grant in spare]
        for spare in self._spare.values():
            spare.clear()
        self.local.pause_now(self.limits[True], self.window, seconds)
        if self._asks_store():
            try:
                self.asked += 1
                async with asyncio.timeout(TURN_TIMEOUT_S):
                    await self.store.pause(self.limits[True], self.window, seconds)
            except Exception as exc:
                self._fail(exc)
        for grant in spares:
            await self.answered(grant)

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
