"""The test suite's own fixture (tests/conftest.py): a model test on PostgreSQL starts from a schema as create_all
makes it, with no rows — emptied when an earlier test left the same schema, made anew when it changed anything.

A test that trusted an emptied schema which was not as new (rows left, a sequence further on, a table added,
statistics from an ANALYZE) would pass or fail by the order the tests ran in.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from models.db import make_engine
from models.units import UnitKind, add_unit
from tests.conftest import SCHEMA_DIGEST, created_and_empty


@pytest.fixture
async def pg(request):
    if not os.environ.get("HANDBOOK_TEST_DATABASE_URL"):
        pytest.skip("set HANDBOOK_TEST_DATABASE_URL to test the PostgreSQL fixture")
    url = request.getfixturevalue("pg_url")  # asked only now: without the variable it cannot be made
    await created_and_empty(url)
    engine = make_engine(url)
    yield url, engine
    await engine.dispose()


async def written(engine) -> int:
    """A unit written (its id from the table's sequence)."""
    from models.db import make_sessionmaker

    async with make_sessionmaker(engine)() as session:
        unit = await add_unit(session, "Chi bộ 1", UnitKind.cell)
        await session.commit()
        return unit.id


async def next_test(url: str, engine) -> None:
    """What the fixture does before the next test (it ends every other session: the engine connects anew)."""
    await created_and_empty(url)
    await engine.dispose()


async def digest(engine) -> str:
    async with engine.connect() as conn:
        return await conn.scalar(text(SCHEMA_DIGEST))


async def test_rows_and_sequences_are_as_new_after_emptying(pg):
    url, engine = pg
    before = await digest(engine)
    assert await written(engine) == 1 and await written(engine) == 2
    await next_test(url, engine)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM units")) == 0
    assert await written(engine) == 1  # the sequence starts again, as in a schema made anew
    assert await digest(engine) == before


@pytest.mark.parametrize("change", [
    "CREATE TABLE leftover (id int)",
    "CREATE INDEX ix_leftover ON units (name)",
    "ALTER TABLE units ADD COLUMN leftover int",
    "ANALYZE units",
])
async def test_a_schema_changed_by_a_test_is_made_anew(pg, change):
    url, engine = pg
    before = await digest(engine)
    await written(engine)
    async with engine.begin() as conn:
        await conn.execute(text(change))
    assert await digest(engine) != before  # the digest sees the change…
    await next_test(url, engine)
    assert await digest(engine) == before  # …and the next test gets the schema as create_all makes it
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM units")) == 0
        assert await conn.scalar(text("SELECT to_regclass('leftover')")) is None
