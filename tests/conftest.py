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
            await conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            await conn.execute(text("SET LOCAL lock_timeout = '20s'"))
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


async def migrated_and_empty(url: str) -> None:
    """The schema the migrations make, with no rows: the tables of an earlier test emptied when the schema is
    already at every head (a fraction of what running every migration again costs), else made from nothing."""
    from models import migrate

    engine = make_engine(url)
    try:
        at_heads = await migrate.current_revisions(engine) == migrate.head_revisions()
        if at_heads:
            async with engine.begin() as conn:
                await conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
                await conn.execute(text("SET LOCAL lock_timeout = '20s'"))
                tables = (await conn.execute(text(
                    "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'"
                    f" AND tablename <> '{migrate.VERSION_TABLE}'"))).scalars().all()
                if tables:
                    await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()
    if not at_heads:
        await reset_postgres(url)
        await migrate.upgrade(url)


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
    if request.param == "sqlite":
        path = tmp_path / "handbook.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
        await (migrated_and_empty(url) if migrated else reset_postgres(url))
        yield url


@pytest.fixture
async def engine(db_url):
    engine = make_engine(db_url)
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
