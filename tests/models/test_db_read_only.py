"""models/db.py: sessions that only read — no transaction around their statements, and every write refused.

A turn that only shows something (a member's profile) runs in such a session: on PostgreSQL it saves the
BEGIN and the COMMIT (two round trips of four), on SQLite the BEGIN. Run on both backends (the `engine`
fixture); no timing is measured: what is checked is that there is no transaction, and that nothing is written.
"""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text, update

from models import accounts, db
from models.accounts import Account


async def in_transaction_after_a_read(engine) -> bool:
    """Whether the driver's connection is inside a transaction after a SELECT through `engine`."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        if engine.dialect.name == "sqlite":
            return driver._conn.in_transaction  # aiosqlite's sqlite3 connection
        return driver.is_in_transaction()  # asyncpg's


async def test_a_read_engine_runs_each_statement_as_its_own_transaction(engine):
    assert await in_transaction_after_a_read(engine)  # the usual engine: BEGIN first, the statement inside
    assert not await in_transaction_after_a_read(db.single_read_engine(engine))


async def test_a_read_only_session_reads_what_a_usual_one_wrote(engine):
    async with db.make_sessionmaker(engine)() as session:
        await accounts.ensure_account(session, 501, "vi")
        await session.commit()
    async with db.read_only_sessionmaker(engine)() as session:
        account = await session.get(Account, 501)
        assert account is not None and account.language == "vi"
        await session.commit()  # what a turn does at its end: nothing to commit, no error


@pytest.mark.parametrize("write", ["add", "change", "delete", "update"])
async def test_a_read_only_session_refuses_every_write_and_nothing_is_written(engine, write):
    async with db.make_sessionmaker(engine)() as session:
        await accounts.ensure_account(session, 502, "vi")
        await session.commit()
    async with db.read_only_sessionmaker(engine)() as session:
        with pytest.raises(db.ReadOnlyViolation):
            if write == "add":
                await accounts.ensure_account(session, 503, "en")
            elif write == "change":
                (await session.get(Account, 502)).language = "bn"
                await session.commit()
            elif write == "delete":
                await session.delete(await session.get(Account, 502))
                await session.commit()
            else:
                await session.execute(update(Account).values(language="bn"))
    async with db.make_sessionmaker(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 1
        assert (await session.get(Account, 502)).language == "vi"


async def test_a_read_only_session_waits_for_no_writer(engine):
    """A writer holding its transaction open does not hold up a read-only session (nor the other way)."""
    async with db.make_sessionmaker(engine)() as writer:
        await accounts.ensure_account(writer, 504, "vi")  # written, not committed: the write lock is held
        async with db.read_only_sessionmaker(engine)() as reader:
            found = await asyncio.wait_for(reader.get(Account, 504), 10)
            assert found is None  # not committed yet: not seen
        await writer.commit()
