"""Which instance runs the background work: one leader at a time, elected by PostgreSQL.

Every instance answers the updates it receives; only the leader runs the delivery dispatcher,
its ticks (scheduled notices, reminders, vote closing) and the repeating jobs features register.

The leader holds a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its
own, opened with asyncpg outside SQLAlchemy's pool: a pooled connection is not closed when it is
"closed", so it would keep the lock after its owner thought it had let go. The lock lives exactly
as long as that connection:

* the leader checks the connection every CHECK_S; if it fails, does not answer within
  CHECK_TIMEOUT_S, or asyncpg reports it closed, leadership is lost and the work is told to stop at
  once (it would be unsafe to go on: another instance may already lead);
* a leader killed with -9 loses its socket, PostgreSQL ends the session and frees the lock at once;
  a leader cut off by the network is ended by the server after IDLE_SESSION_TIMEOUT_S without a
  check, so the lock never stays with a ghost;
* followers try the lock every RETRY_S, so a new leader starts within about RETRY_S of the old
  one's death.

With SQLite there is one instance: it leads from the start.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import make_url

from models.db import is_sqlite

log = logging.getLogger("handbook.leader")

# One bigint for the whole bot ("handbook" in ASCII): the background work of one database.
LOCK_KEY = int.from_bytes(b"handbook", "big")
RETRY_S = 5.0
CHECK_S = 2.0
CHECK_TIMEOUT_S = 3.0
CONNECT_TIMEOUT_S = 5.0
IDLE_SESSION_TIMEOUT_S = 15

Lead = Callable[[asyncio.Event], Awaitable[None]]  # runs the work until the Event ("resign") is set


class Leadership:
    """Run `lead(resign)` on this instance whenever it leads; `resign` is set the moment it stops leading."""

    def __init__(self, database_url: str | None = None, *, key: int = LOCK_KEY, retry_s: float = RETRY_S,
                 check_s: float = CHECK_S, check_timeout_s: float = CHECK_TIMEOUT_S):
        self.database_url = database_url
        self.key = key
        self.retry_s = retry_s
        self.check_s = check_s
        self.check_timeout_s = check_timeout_s
        self.is_leader = False
        self.elected = 0  # times this instance became leader
        self.lost = 0  # times it lost leadership without being asked to stop
        self.since: float | None = None  # monotonic time of the current election

    @property
    def shared(self) -> bool:
        """Several instances may share the database (PostgreSQL): an election is held."""
        return bool(self.database_url) and not is_sqlite(self.database_url)

    @property
    def role(self) -> str:
        return "leader" if self.is_leader else "follower"

    async def run(self, stop: asyncio.Event, lead: Lead) -> None:
        """Until `stop`: lead whenever the lock is ours, follow otherwise."""
        if not self.shared:
            await self._lead(lead, stop, None)
            return
        while not stop.is_set():
            conn = await self._try_lock()
            if conn is None:
                await _wait(stop, self.retry_s)
                continue
            try:
                await self._lead(lead, stop, conn)
            finally:
                await _close(conn, self.key)
            await _wait(stop, self.retry_s)  # after a loss, give the others their turn first

    async def _lead(self, lead: Lead, stop: asyncio.Event, conn) -> None:
        resign = asyncio.Event()
        self.is_leader, self.since = True, time.monotonic()
        self.elected += 1
        log.info("this instance leads: it runs the background work")
        work = asyncio.create_task(lead(resign), name="leader-work")
        try:
            if conn is None:
                await stop.wait()
            elif not await self._hold(conn, stop, work):
                self.lost += 1
                log.error("leadership lost (the lock's database connection failed): background work stops now")
        finally:
            self.is_leader, self.since = False, None
            resign.set()
            try:
                await work
            except Exception:
                log.exception("the background work failed while stopping")
        if not stop.is_set():
            log.info("this instance now follows; it will try to lead again every %g s", self.retry_s)

    async def _try_lock(self):
        """A dedicated connection holding the lock, or None (another instance leads, or no database)."""
        try:
            conn = await _connect(self.database_url)
        except Exception as exc:
            log.warning("cannot reach PostgreSQL for the leader election (%s); trying again", type(exc).__name__)
            return None
        try:
            if await asyncio.wait_for(conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key), self.check_timeout_s):
                return conn
        except Exception as exc:
            log.warning("the leader election failed (%s); trying again", type(exc).__name__)
        await _close(conn, None)
        return None

    async def _hold(self, conn, stop: asyncio.Event, work: asyncio.Task) -> bool:
        """While leading: True when asked to stop, False when the connection (and so the lock) is gone."""
        gone = asyncio.Event()
        conn.add_termination_listener(lambda _conn: gone.set())
        while True:
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(gone.wait())]
            await asyncio.wait(waits, timeout=self.check_s, return_when=asyncio.FIRST_COMPLETED)
            for w in waits:
                w.cancel()
            if stop.is_set():
                return True
            if gone.is_set() or conn.is_closed():
                return False
            try:
                await asyncio.wait_for(conn.fetchval("SELECT 1"), self.check_timeout_s)
            except Exception:
                return False


async def _connect(database_url: str):
    import asyncpg

    url = make_url(database_url).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    settings = {"application_name": "handbook-leader"}
    try:
        # The server ends a session that stops checking in, and with it the lock.
        return await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_S,
                                     server_settings={**settings, "idle_session_timeout": f"{IDLE_SESSION_TIMEOUT_S}s"})
    except asyncpg.exceptions.UndefinedObjectError:  # PostgreSQL before 14 has no idle_session_timeout
        return await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_S, server_settings=settings)


async def _close(conn, key: int | None) -> None:
    """Unlock politely when the connection still works; closing it frees the lock anyway."""
    if conn.is_closed():
        return
    with contextlib.suppress(Exception):
        if key is not None:
            await asyncio.wait_for(conn.execute("SELECT pg_advisory_unlock($1)", key), 2)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(conn.close(), 2)
    if not conn.is_closed():
        conn.terminate()


async def _wait(event: asyncio.Event, timeout: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)
