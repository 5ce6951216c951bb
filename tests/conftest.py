"""Shared fixtures: every database test runs on SQLite and, when configured, on PostgreSQL."""
from __future__ import annotations

import os

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


@pytest.fixture(scope="session")
def pg_url():
    """A database of this test process's own, so two suites on one server never meet."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    def admin(sql: str) -> None:  # its own loop in a thread: the caller may be inside a running loop
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _admin(sql)).result()

    name = f"handbook_test_{os.getpid()}"
    admin(f'DROP DATABASE IF EXISTS "{name}"')
    admin(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
async def db_url(request, tmp_path):
    """A fresh, empty database URL (no tables) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'handbook.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        await reset_postgres(url)
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
