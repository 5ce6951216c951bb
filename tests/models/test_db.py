"""The SQLite engine: BEGIN goes straight to aiosqlite, yet a lock conflict still reads as SQLAlchemy's error."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from models import db


async def engine_with_a_table(tmp_path):
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    return engine


async def test_a_writer_waiting_past_the_busy_timeout_gets_a_lock_conflict(tmp_path, monkeypatch):
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    engine = await engine_with_a_table(tmp_path)
    try:
        sessions = db.make_sessionmaker(engine)
        async with sessions() as first:
            await first.execute(text("INSERT INTO t VALUES (1)"))  # BEGIN IMMEDIATE: holds the write lock
            async with sessions() as second:
                try:
                    await second.execute(text("INSERT INTO t VALUES (2)"))
                except OperationalError as exc:  # SQLAlchemy's error, as the turn's retry expects
                    assert db.is_lock_conflict(exc)
                else:
                    raise AssertionError("a second writer got in while the first held the lock")
            await first.commit()
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_a_single_read_takes_no_lock(tmp_path):
    engine = await engine_with_a_table(tmp_path)
    try:
        sessions = db.make_sessionmaker(engine)
        async with sessions() as writer:
            await writer.execute(text("INSERT INTO t VALUES (1)"))  # holds the write lock, uncommitted
            async with db.single_read_engine(engine).connect() as reader:
                assert (await reader.execute(text("SELECT count(*) FROM t"))).scalar() == 0  # not blocked
            await writer.commit()
    finally:
        await engine.dispose()
