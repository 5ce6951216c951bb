"""Shared fixtures: every database test runs on SQLite and, when configured, on PostgreSQL."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import models
from models import clock
from models.base import Base
from models.db import make_engine, make_sessionmaker

models.load_all()  # every table on Base.metadata, for create_all

PG_URL = os.environ.get("HANDBOOK_TEST_DATABASE_URL")
# The officers' weekly to-do comes on Mondays by the calendar: a test that runs on a Monday (or moves the
# clock across one) would find it among its messages. Off unless a test turns it on (tests/e2e/test_todo.py).
os.environ.setdefault("HANDBOOK_TODO_HOUR", "off")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


async def reset_postgres(url: str) -> None:
    """An empty public schema. A connection an earlier test left open (in a transaction, holding
    locks) would make DROP SCHEMA wait forever: such sessions are ended first, and the drop gives
    up after a while instead of hanging."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await _end_others(conn)
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def _admin(sql: str) -> None:
    engine = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def _in_thread(fn, *args):
    """fn(*args) on a thread of its own: it may run an event loop (alembic's env.py does) while ours runs."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


# What the public schema holds, in one digest: relations, columns, defaults, constraints, indexes, triggers,
# functions, enum types, and whether the planner has statistics (an ANALYZE: the library's search reads them).
# Two schemas with the same digest are the same for a test: an empty one of the same
# digest is as good as one made anew (an earlier test that changed anything — a table, an index, a trigger —
# changes the digest, and the next test gets a schema made from nothing).
SCHEMA_DIGEST = """
SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) FROM (
  SELECT 'r:' || relname || ':' || relkind::text || relpersistence::text AS x FROM pg_class
   WHERE relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'c:' || a.attrelid::regclass || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':'
         || a.attnotnull || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ':' || a.attidentity::text
         || a.attgenerated::text
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'k:' || conrelid::regclass || ':' || conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
   WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'i:' || indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL
  SELECT 't:' || tgrelid::regclass || ':' || pg_get_triggerdef(oid) FROM pg_trigger
   WHERE NOT tgisinternal
  UNION ALL
  SELECT 'f:' || oid::regprocedure || ':' || md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'e:' || t.typname || ':' || e.enumsortorder || ':' || e.enumlabel
    FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typnamespace = 'public'::regnamespace
  UNION ALL
  SELECT 's:' || count(*) FROM pg_stats WHERE schemaname = 'public'
) AS parts"""


async def _end_others(conn) -> None:
    """End the sessions an earlier test left open (in a transaction, holding locks): they would make the
    emptying wait forever; and give up after a while rather than hang."""
    await conn.execute(text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    await conn.execute(text("SET LOCAL lock_timeout = '20s'"))


async def _empty_tables(conn, keep: str | None = None) -> None:
    """No row in any table of the public schema (but `keep`), every sequence back at its start — as made anew.
    Only the tables that hold rows are truncated (an earlier test wrote to a few of the schema's tables)."""
    tables = (await conn.execute(text(
        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename <> :keep"),
        {"keep": keep or ""})).scalars().all()
    if tables:
        holding = (await conn.execute(text(" UNION ALL ".join(
            f"SELECT {i} WHERE EXISTS (SELECT FROM {table})" for i, table in enumerate(tables))))).scalars().all()
        if holding:
            await conn.execute(text(f"TRUNCATE {', '.join(tables[i] for i in holding)} CASCADE"))
    await conn.execute(text(
        "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid"
        " WHERE c.relnamespace = 'public'::regnamespace"))


async def migrated_and_empty(url: str) -> None:
    """The schema the migrations make, with no rows: the tables of an earlier test emptied when the schema is
    already at every head (a fraction of what running every migration again costs), else made from nothing."""
    from models import migrate

    engine = make_engine(url)
    try:
        at_heads = await migrate.current_revisions(engine) == migrate.head_revisions()
        if at_heads:
            async with engine.begin() as conn:
                await _end_others(conn)
                await _empty_tables(conn, keep=migrate.VERSION_TABLE)
    finally:
        await engine.dispose()
    if not at_heads:
        await reset_postgres(url)
        await migrate.upgrade(url)


_created_digest: dict[str, str] = {}  # database URL → the digest of the schema create_all made there


async def created_and_empty(url: str) -> None:
    """The schema the models make (create_all), with no rows: when the schema is the one create_all made for
    an earlier test of this process, unchanged (SCHEMA_DIGEST), its tables are emptied; else it is made anew."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await _end_others(conn)
            if _created_digest.get(url) == await conn.scalar(text(SCHEMA_DIGEST)):
                await _empty_tables(conn)
                return
        _created_digest.pop(url, None)
        await engine.dispose()  # its connection is ended by the reset
        await reset_postgres(url)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
            _created_digest[url] = await conn.scalar(text(SCHEMA_DIGEST))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_created(tmp_path_factory) -> Path:
    """A SQLite file create_all made, once per test process: a test of the models starts from a copy."""
    from sqlalchemy import create_engine

    path = tmp_path_factory.mktemp("created") / "handbook.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file the migrations made, once per test process: a sandbox test starts from a copy."""
    from models import migrate

    path = tmp_path_factory.mktemp("template") / "handbook.db"
    _in_thread(migrate.upgrade_sync, f"sqlite+aiosqlite:///{path}")
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def pg_url():
    """A database of this test process's own, so two suites on one server never meet."""
    import asyncio

    def admin(sql: str) -> None:  # its own loop in a thread: the caller may be inside a running loop
        _in_thread(asyncio.run, _admin(sql))

    name = f"handbook_test_{os.getpid()}"
    admin(f'DROP DATABASE IF EXISTS "{name}"')
    admin(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
async def db_url(request, tmp_path):
    """A fresh, empty database URL (no tables) on each backend — for a sandbox test (tests/e2e: the bot, which
    migrates its database at start), one already migrated, with no rows, the same schema for less time."""
    migrated = "sandbox_run" in request.fixturenames
    created = not migrated and "engine" in request.fixturenames  # the models' tables, made by create_all
    if request.param == "sqlite":
        path = tmp_path / "handbook.db"
        if migrated or created:
            shutil.copyfile(request.getfixturevalue("sqlite_template" if migrated else "sqlite_created"), path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
        await (migrated_and_empty(url) if migrated else created_and_empty(url) if created else reset_postgres(url))
        yield url


@pytest.fixture
async def engine(db_url, request):
    """An engine on db_url, whose tables are the models' (db_url made them; with a sandbox, the migrations did
    and create_all adds what they lack)."""
    engine = make_engine(db_url)
    if "sandbox_run" in request.fixturenames:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine):
    return make_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker):
    async with sessionmaker() as s:
        yield s


@pytest.fixture(autouse=True)
def _clock_reset():
    clock.reset()
    yield
    clock.reset()
