"""The migrations build exactly the schema the models describe; SQLite is set up for a bot."""
from __future__ import annotations

import ast
import asyncio
import os
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text

import models
from bot.database import SchemaOutdated, prepare_database
from bot.settings import Settings
from models import migrate
from models.base import Base, include_name
from models.db import is_sqlite, make_engine, make_sessionmaker, sqlite_path
from models.units import Unit, UnitKind, add_unit


async def test_migrations_match_the_models(db_url):
    await migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        assert await migrate.is_up_to_date(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"include_name": include_name}), Base.metadata))
        assert diff == []
    finally:
        await engine.dispose()


def test_head_revisions_agree_with_alembic():
    """migrate reads the heads from the scripts without alembic; alembic must find the same ones."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads()
    assert migrate.head_revisions() == frozenset(heads) and heads


async def test_current_revisions_agree_with_alembic(db_url):
    """A new database is at no revision; one upgraded to 0001, then to every head, reads as alembic reads it."""
    engine = make_engine(db_url)
    try:
        assert await migrate.current_revisions(engine) == frozenset()
        for target in ("0001", "heads"):
            await migrate.upgrade(db_url, target)
            async with engine.connect() as conn:
                expected = await conn.run_sync(lambda c: frozenset(MigrationContext.configure(c).get_current_heads()))
            assert await migrate.current_revisions(engine) == expected != frozenset()
        assert await migrate.is_up_to_date(engine)
    finally:
        await engine.dispose()


async def test_sqlite_is_upgraded_in_place_and_postgres_refuses(db_url):
    settings = Settings(database_url=db_url)
    if is_sqlite(db_url):
        engine = await prepare_database(settings)
        assert await migrate.is_up_to_date(engine)
        await engine.dispose()
    else:
        with pytest.raises(SchemaOutdated, match="handbook db upgrade"):
            await prepare_database(settings)
        await migrate.upgrade(db_url)
        engine = await prepare_database(settings)
        await engine.dispose()


async def test_sqlite_file_is_private_and_in_wal_mode(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'private.db'}"
    engine = make_engine(url)
    async with engine.connect() as conn:
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        fks = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
        busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
    await engine.dispose()
    assert mode == "wal" and fks == 1 and busy >= 5000
    assert stat.S_IMODE(os.stat(sqlite_path(url)).st_mode) == 0o600


async def test_concurrent_read_then_write_transactions_do_not_fail_on_sqlite(tmp_path):
    """With deferred transactions the second writer fails at once with "database is locked"."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with sessions() as s:
        await add_unit(s, "Đảng bộ phường", UnitKind.ward)
        await s.commit()

    async def read_then_write(i: int) -> None:
        async with sessions() as s:
            parent = (await s.scalars(select(Unit).where(Unit.parent_id.is_(None)))).one()
            await asyncio.sleep(0.01)  # another transaction gets in between the read and the write
            await add_unit(s, f"Chi bộ {i}", UnitKind.cell, parent)
            await s.commit()

    await asyncio.gather(*(read_then_write(i) for i in range(8)))
    async with sessions() as s:
        assert len((await s.scalars(select(Unit))).all()) == 9
    await engine.dispose()


def test_load_all_names_every_module_that_declares_tables():
    """models/__init__.py imports no table module by itself: load_all() must know each one."""
    root = Path(models.__file__).parent
    declaring = set()
    for path in root.rglob("*.py"):
        if "migrations" in path.relative_to(root).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == "Base" for b in node.bases)
               for node in ast.walk(tree)):
            declaring.add(path.relative_to(root).parts[0].removesuffix(".py"))
    assert declaring and declaring <= set(models.TABLE_MODULES)
    assert {t.name for t in models.load_all().metadata.sorted_tables} >= {"members", "votes", "deliveries"}
