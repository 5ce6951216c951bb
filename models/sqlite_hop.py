"""Each statement on SQLite in one trip to aiosqlite's thread instead of four.

SQLAlchemy's aiosqlite adapter makes four trips ("hops": a queue put, the worker runs the call, a
call_soon_threadsafe back to the loop) per statement: open a cursor, execute, fetch all, close the
cursor. The cursor here runs one function in aiosqlite's thread that opens a sqlite3 cursor, executes,
reads the description, fetches every row when there is one, reads rowcount and lastrowid and closes the
cursor; it then serves description/rowcount/lastrowid/fetch* from what came back, and its close has
nothing left to close. SQLAlchemy's execute mutex and its exception handling are kept, so errors
(IntegrityError, "database is locked", a closed connection) surface exactly as they did.

Installed per connection, only on engines made by models.db.make_engine on SQLite: the connection's class
becomes a subclass of SQLAlchemy's whose only difference is `_cursor_cls` (no other engine in the process
changes). Server-side cursors stay SQLAlchemy's. It relies on private parts of aiosqlite
(`Connection._execute`, `Connection._conn`) and of SQLAlchemy 2.1 (`_cursor_cls`, `_execute_mutex`,
`_handle_exception`); without them it is not installed and SQLAlchemy's own cursor is used (logged once).
"""
from __future__ import annotations

import collections
import logging
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection, AsyncAdapt_dbapi_cursor
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import EMPTY_DICT, await_only

log = logging.getLogger(__name__)

# What one trip brings back: description, rows (None without a description), rowcount, lastrowid.
_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """In aiosqlite's thread: the whole statement, nothing left open."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor, each execute in one trip to the connection's thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection):
        # No aiosqlite cursor: opening one is a trip of its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1  # sqlite3's

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]  # None before any INSERT, as sqlite3 says

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _one_trip(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            driver: Any = self._connection  # aiosqlite.Connection; its _execute is untyped
            outcome: _Outcome = await driver._execute(_run, driver._conn, operation, parameters, many)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows) if rows is not None else collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._one_trip(operation, () if parameters is None else parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._one_trip(operation, seq_of_parameters, True)

    def execute(self, operation: Any, parameters: Any = None) -> None:
        try:
            await_only(self._execute_async(operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        try:
            await_only(self._executemany_async(operation, seq_of_parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed in the thread."""

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        raise sqlite3.NotSupportedError("nextset")  # sqlite3 cursors have none either

    def setinputsizes(self, *inputsizes: Any) -> None:
        """sqlite3's does nothing."""

    def fetchall(self) -> Sequence[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection but for its cursor class (same layout: assignable as __class__)."""

    __slots__ = ()
    _cursor_cls = OneHopCursor


def missing() -> list[str]:
    """What the one-hop cursor relies on that the installed aiosqlite/SQLAlchemy lack."""
    lacking = []
    for owner, name in (
        (aiosqlite.Connection, "_execute"),
        (aiosqlite.Connection, "_conn"),
        (AsyncAdapt_aiosqlite_connection, "_execute_mutex"),
        (AsyncAdapt_aiosqlite_connection, "_handle_exception"),
        (AsyncAdapt_aiosqlite_cursor, "_execute_async"),
        (AsyncAdapt_aiosqlite_cursor, "_executemany_async"),
    ):
        if not hasattr(owner, name):
            lacking.append(f"{owner.__module__}.{owner.__qualname__}.{name}")
    # The adapter must pick its cursor through _cursor_cls, and that cursor must be the one subclassed here.
    if getattr(AsyncAdapt_aiosqlite_connection, "_cursor_cls", None) is not AsyncAdapt_aiosqlite_cursor:
        lacking.append("AsyncAdapt_aiosqlite_connection._cursor_cls")
    if not issubclass(AsyncAdapt_aiosqlite_cursor, AsyncAdapt_dbapi_cursor):
        lacking.append("AsyncAdapt_aiosqlite_cursor(AsyncAdapt_dbapi_cursor)")
    return lacking


_reported = False


def report_fallback(reason: str) -> None:
    """Say once per process that statements go SQLAlchemy's way (four trips each)."""
    global _reported
    if not _reported:
        _reported = True
        log.info("SQLite statements use SQLAlchemy's own cursor: %s", reason)


def install(engine: AsyncEngine) -> bool:
    """The one-hop cursor on every connection the engine opens from now on; False if it cannot be."""
    lacking = missing()
    if lacking:
        report_fallback("missing " + ", ".join(lacking))
        return False

    @event.listens_for(engine.sync_engine, "connect")
    def _one_hop(dbapi_conn: DBAPIConnection, _record: object) -> None:
        # Exactly SQLAlchemy's class only: a subclass someone else made is left as it is.
        adapted: Any = dbapi_conn
        if type(adapted) is AsyncAdapt_aiosqlite_connection:
            adapted.__class__ = OneHopConnection

    return True
