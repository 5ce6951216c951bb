"""SQLite statements in one trip to aiosqlite's thread (models/sqlite_hop.py): one hop per statement, and
everything else as SQLAlchemy's own cursor has it — each check runs on both."""
from __future__ import annotations

import logging

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.exc import IntegrityError, OperationalError

from models import db, sqlite_hop


@pytest.fixture
def hops(monkeypatch):
    """Trips to aiosqlite's thread, counted."""
    count = [0]
    original = aiosqlite.Connection._execute

    async def counting(self, fn, *args, **kwargs):
        count[0] += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return count


async def make(tmp_path, one_hop: bool):
    saved = db._one_hop_statements
    if not one_hop:
        db._one_hop_statements = lambda engine: None
    try:
        engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    finally:
        db._one_hop_statements = saved
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER)"))
    return engine


@pytest.mark.parametrize("one_hop", [True, False], ids=["one-hop", "sqlalchemy"])
async def test_hops_per_statement(tmp_path, hops, one_hop):
    engine = await make(tmp_path, one_hop)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            assert (type(raw.dbapi_connection) is sqlite_hop.OneHopConnection) is one_hop
            await conn.execute(text("SELECT 1"))  # BEGIN IMMEDIATE (a hop of its own) is behind
            seen = []
            for statement, params in [
                ("INSERT INTO t (name, n) VALUES (:name, :n)", {"name": "a", "n": 1}),
                ("SELECT id, name FROM t", {}),
                ("UPDATE t SET n = n + 1", {}),
                ("DELETE FROM t WHERE name = :name", {"name": "zz"}),
                ("INSERT INTO t (name, n) VALUES (:name, :n)", [{"name": "b", "n": 2}, {"name": "c", "n": 3}]),
            ]:
                before = hops[0]
                (await conn.execute(text(statement), params)).close()
                seen.append(hops[0] - before)
            await conn.rollback()
        assert seen == ([1] * 5 if one_hop else [3, 4, 3, 3, 3])
    finally:
        await engine.dispose()


@pytest.mark.parametrize("one_hop", [True, False], ids=["one-hop", "sqlalchemy"])
async def test_behaves_as_sqlalchemys_cursor(tmp_path, one_hop):
    engine = await make(tmp_path, one_hop)
    try:
        async with engine.begin() as conn:
            inserted = await conn.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
            assert inserted.lastrowid == 1
            inserted = await conn.execute(text("INSERT INTO t (name, n) VALUES ('b', 2)"))
            assert inserted.lastrowid == 2
            many = await conn.execute(text("INSERT INTO t (name, n) VALUES (:name, :n)"),
                                      [{"name": "c", "n": 3}, {"name": "d", "n": 4}])
            assert many.rowcount == 2
            updated = await conn.execute(text("UPDATE t SET n = n * 10 WHERE n >= 2"))
            assert updated.rowcount == 3
            result = await conn.execute(text("SELECT id, name AS label, n FROM t ORDER BY id"))
            assert list(result.keys()) == ["id", "label", "n"]
            assert result.cursor.description[1][0] == "label"
            assert result.fetchone() == (1, "a", 1)
            assert result.fetchmany(2) == [(2, "b", 20), (3, "c", 30)]
            assert result.fetchall() == [(4, "d", 40)]
            assert (await conn.execute(text("SELECT name FROM t WHERE n > 100"))).all() == []
            returned = await conn.execute(text("UPDATE t SET n = 0 WHERE id = 1 RETURNING id, n"))
            assert returned.all() == [(1, 0)]
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t (name, n) VALUES ('a', 5)"))
        async with engine.connect() as conn:
            await conn.execute(text("INSERT INTO t (name, n) VALUES ('e', 5)"))
            await conn.rollback()
            # the connection stays usable after the error and the rollback
            names = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
            assert names == ["a", "b", "c", "d"]
            with pytest.raises(OperationalError, match="no such table"):
                await conn.execute(text("SELECT * FROM nowhere"))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("one_hop", [True, False], ids=["one-hop", "sqlalchemy"])
async def test_a_lock_conflict_reads_as_before(tmp_path, monkeypatch, one_hop):
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 100)
    engine = await make(tmp_path, one_hop)
    try:
        async with engine.connect() as writer, engine.connect() as reader:
            await writer.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))  # holds the write lock
            deferred = await reader.execution_options(**{db.DEFERRED: True})
            await deferred.execute(text("SELECT count(*) FROM t"))
            with pytest.raises(OperationalError) as caught:
                await deferred.execute(text("INSERT INTO t (name, n) VALUES ('b', 2)"))
            assert db.is_lock_conflict(caught.value)
            await deferred.rollback()
            await writer.commit()
    finally:
        await engine.dispose()


async def test_server_side_cursors_stay_sqlalchemys(tmp_path):
    engine = await make(tmp_path, True)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name, n) VALUES (:name, :n)"),
                               [{"name": str(i), "n": i} for i in range(5)])
            stream = await conn.stream(text("SELECT n FROM t ORDER BY n"))
            assert type(stream._real_result.cursor).__name__ == "AsyncAdapt_aiosqlite_ss_cursor"
            assert [row.n async for row in stream] == [0, 1, 2, 3, 4]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("owner, name", [
    (aiosqlite.Connection, "_execute"),
    (aiosqlite.Connection, "_conn"),
    (AsyncAdapt_aiosqlite_connection, "_cursor_cls"),
])
async def test_falls_back_when_what_it_relies_on_is_missing(tmp_path, monkeypatch, caplog, owner, name):
    monkeypatch.delattr(owner, name)
    monkeypatch.setattr(sqlite_hop, "_reported", False)
    assert sqlite_hop.missing()
    with caplog.at_level(logging.INFO, logger="models.sqlite_hop"):
        first = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
        second = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    monkeypatch.undo()
    try:
        said = [r for r in caplog.records if r.name == "models.sqlite_hop"]
        assert len(said) == 1 and said[0].levelno == logging.INFO and name in said[0].getMessage()
        async with first.connect() as conn:  # SQLAlchemy's own cursor, working
            raw = await conn.get_raw_connection()
            assert type(raw.dbapi_connection) is AsyncAdapt_aiosqlite_connection
            assert (await conn.execute(text("SELECT 7"))).scalar() == 7
    finally:
        await first.dispose()
        await second.dispose()


def test_nothing_missing_here():
    assert sqlite_hop.missing() == []
