"""Engines and sessions: SQLite tuned for a bot (WAL, busy timeout, BEGIN IMMEDIATE), PostgreSQL as is."""
from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.util import await_only

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Option of an engine whose transactions start deferred on SQLite: readers never queue behind
# writers (WAL), but a read-then-write transaction may meet "database is locked" and must be
# retried whole — the conversation layer does that (handlers/turn.py).
DEFERRED = "handbook_sqlite_deferred"
# Option of an engine for reads only on SQLite: no BEGIN at all (each statement is its own
# transaction), which saves two round trips to SQLite's thread on a path every update takes.
# On PostgreSQL the same engine autocommits (single_read_engine): no BEGIN, no ROLLBACK.
SINGLE_READ = "handbook_sqlite_single_read"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _touch_private(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite creates it 0644."""
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    else:
        os.chmod(path, 0o600)


def make_engine(url: str, **kw: Any) -> AsyncEngine:
    path = sqlite_path(url)
    if path is not None:
        _touch_private(path)
        kw.setdefault("connect_args", {})["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
        # Room for every concurrent update without opening and closing connections (a thread each).
        kw.setdefault("pool_size", 40)
        kw.setdefault("max_overflow", 20)
    elif not is_sqlite(url):
        kw.setdefault("pool_size", 10)
        kw.setdefault("max_overflow", 10)
    engine = create_async_engine(url, **kw)
    if is_sqlite(url):
        _one_hop_statements(engine)
        _tune_sqlite(engine)
    elif not kw.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_S = 1.0
_IDLE_SINCE = "handbook_idle_since"


def _ping_when_idle(engine: AsyncEngine) -> None:
    """A pooled connection is pinged before use when it has sat idle PING_AFTER_IDLE_S or more.

    SQLAlchemy's pool_pre_ping pings on every checkout: a round trip more for each session, twice an
    update (the conversation state's read, then the turn), on a server busy with the updates themselves.
    A connection back in the pool a moment ago is as alive as one checked by a ping; one that sat idle
    (a server restarted meanwhile, a connection cut by the network) is pinged, and when the ping fails
    the pool drops it and every older one and connects anew, as pre_ping does — the session never sees it.
    """
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _checked_in(_dbapi_conn: DBAPIConnection | None, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_conn: DBAPIConnection, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)  # none: a connection just made
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the connection is gone: this one and every older one are dropped
            raise InvalidatePoolError(f"ping after idle failed: {type(exc).__name__}") from exc


def _one_hop_statements(engine: AsyncEngine) -> None:
    """Each statement in one trip to aiosqlite's thread (models/sqlite_hop.py), where the installed
    aiosqlite and SQLAlchemy have what that relies on; SQLAlchemy's own cursor otherwise."""
    if engine.dialect.driver != "aiosqlite":
        return
    try:
        from models import sqlite_hop
    except ImportError as exc:  # an SQLAlchemy without the adapter classes it subclasses
        global _hop_import_reported
        if not _hop_import_reported:
            _hop_import_reported = True
            log.info("SQLite statements use SQLAlchemy's own cursor: %s", exc)
        return
    sqlite_hop.install(engine)


_hop_import_reported = False


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: DBAPIConnection, _record: object) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own BEGIN is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred read-then-write transaction fails at once with "database is locked";
        # IMMEDIATE takes the write lock up front and waits for it under busy_timeout.
        options = conn.get_execution_options()
        if options.get(SINGLE_READ, False):
            return
        statement = "BEGIN" if options.get(DEFERRED, False) else "BEGIN IMMEDIATE"
        driver = conn.connection.driver_connection
        if isinstance(driver, aiosqlite.Connection):
            # Straight to aiosqlite: one trip to its thread instead of three (cursor, execute,
            # close) and none of the statement machinery, on every transaction.
            try:
                await_only(driver.execute(statement))
            except sqlite3.Error as exc:  # as SQLAlchemy would say it ("database is locked" included)
                raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc
        else:
            conn.exec_driver_sql(statement)


def make_sessionmaker(engine: AsyncEngine, *, deferred: bool = False) -> async_sessionmaker[AsyncSession]:
    """Sessions of the engine; `deferred` ones are for callers that retry on a lock conflict."""
    if deferred:
        engine = engine.execution_options(**{DEFERRED: True})
    return async_sessionmaker(engine, expire_on_commit=False)


def single_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine for connections that only read (the same pool), each statement its own transaction.

    SQLite: no BEGIN is sent. PostgreSQL: the connection autocommits — one round trip a statement, where a
    transaction adds a BEGIN before and a ROLLBACK (or COMMIT) after. Statements of one connection may
    then see different snapshots: for reads that show something, as a profile, that is no loss."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{SINGLE_READ: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class ReadOnlyViolation(RuntimeError):
    """A session made to read only was asked to write: a programming error, nothing was written."""


class ReadOnlySession(Session):
    """The sync session behind read_only_sessionmaker's: it refuses every ORM write (flush, insert, update,
    delete), before the statement leaves — its connection autocommits, so a write would not wait for a commit."""


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty):
        raise ReadOnlyViolation("a read-only session was asked to write")


@event.listens_for(ReadOnlySession, "do_orm_execute")
def _refuse_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlyViolation("a read-only session was asked to write")


def read_only_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that only read (a turn that shows something): no transaction around their statements
    (single_read_engine), and a write refused (ReadOnlySession)."""
    return async_sessionmaker(single_read_engine(engine), expire_on_commit=False, sync_session_class=ReadOnlySession)


def is_lock_conflict(exc: BaseException) -> bool:
    """SQLite refused a deferred transaction's write because another one wrote first."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database table is locked" in text


@contextlib.asynccontextmanager
async def transaction(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work outside a conversation turn (a job, an after-commit follow-up, the dispatcher's
    hooks): a session whose writes are committed when the block ends normally, rolled back otherwise."""
    async with sessionmaker() as session:
        yield session
        await session.commit()


async def end_read(session: AsyncSession) -> None:
    """End the read transaction: nothing was written, so a slow step that follows (speaking, uploading)
    holds no lock and no snapshot. The session stays usable; its next statement begins anew."""
    await session.rollback()
