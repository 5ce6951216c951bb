"""models/db.py on PostgreSQL: a pooled connection is pinged only after sitting idle, and a dead one is replaced
before the session sees it (what pool_pre_ping did for every checkout, at a round trip a session)."""
from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import text

from models import db


@pytest.fixture
def pg(request):
    if not os.environ.get("HANDBOOK_TEST_DATABASE_URL"):
        pytest.skip("set HANDBOOK_TEST_DATABASE_URL to test the pool on PostgreSQL")
    return request.getfixturevalue("pg_url")  # asked only now: without the variable it cannot be made


async def test_a_busy_connection_is_not_pinged_and_an_idle_dead_one_is_replaced_unseen(pg, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.2)
    engine = db.make_engine(pg, pool_size=1, max_overflow=0)
    admin = db.make_engine(pg, pool_size=1, max_overflow=0)
    pings = []
    dialect = engine.sync_engine.dialect
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: (pings.append(1), real_ping(conn))[1])
    try:
        async with engine.connect() as conn:
            first = await conn.scalar(text("SELECT pg_backend_pid()"))
        for _ in range(5):  # back in the pool a moment ago: used as it is
            async with engine.connect() as conn:
                assert await conn.scalar(text("SELECT pg_backend_pid()")) == first
        assert pings == []

        async with admin.connect() as conn:  # the server drops the pooled connection (a restart, a cut)
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        await asyncio.sleep(0.3)  # idle long enough to be checked before use
        async with engine.connect() as conn:
            second = await conn.scalar(text("SELECT pg_backend_pid()"))
        assert second != first and pings == [1]  # pinged, found dead, replaced: the statement never failed

        await asyncio.sleep(0.3)
        async with engine.connect() as conn:  # idle again but alive: one ping, the same connection
            assert await conn.scalar(text("SELECT pg_backend_pid()")) == second
        assert pings == [1, 1]
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_pre_ping_asked_for_is_left_to_sqlalchemy(pg):
    engine = db.make_engine(pg, pool_pre_ping=True)
    try:
        assert engine.sync_engine.pool._pre_ping
        assert not engine.sync_engine.pool.dispatch.checkout  # no second ping of ours on top
    finally:
        await engine.dispose()
