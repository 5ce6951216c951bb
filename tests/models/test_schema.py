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


async def test_library_numbers_migration_makes_a_number_one_word_and_back(db_url):
    """0027: passages indexed before it get their numbers as one word (the index follows); downgrade takes them away."""
    from alembic import command

    engine = make_engine(db_url)

    async def rows(statement: str) -> list:
        async with engine.begin() as conn:
            result = await conn.execute(text(statement))
            return list(result.all()) if result.returns_rows else []

    async def state() -> tuple[list[str], int]:
        match = ("SELECT rowid FROM library_fts WHERE library_fts MATCH '57nqtw'" if is_sqlite(db_url) else
                 "SELECT id FROM library_passages WHERE library_terms @@ to_tsquery('simple', '57nqtw')")
        return [r[0] for r in await rows("SELECT folded FROM library_passages")], len(await rows(match))

    try:
        await migrate.upgrade(db_url, "0026_notices_documents")
        now = "2026-12-05 10:00:00"
        for statement in (
                "INSERT INTO units (id, name, kind, path, exempt_counted) VALUES (1, 'Phường', 'ward', '/1/', false)",
                "INSERT INTO notices (id, kind, unit_id, title, body, search_text, study_required, created_at, send_at) "
                f"VALUES (1, 'resolution', 1, 'Nghị quyết 57-NQ/TW', 'Số: 57-NQ/TW', '', false, '{now}', '{now}')",
                "INSERT INTO library_passages (notice_id, seq, text, folded) "
                "VALUES (1, 0, 'Số: 57-NQ/TW', 'nghi quyet 57 nq tw so 57 nq tw')"):
            await rows(statement)
        await migrate.upgrade(db_url)
        assert await state() == (["nghi quyet 57 nq tw so 57 nq tw 57nqtw 57nqtw"], 1)
        await asyncio.to_thread(command.downgrade, migrate.alembic_config(db_url), "0026_notices_documents")
        assert await state() == (["nghi quyet 57 nq tw so 57 nq tw"], 0)
    finally:
        await engine.dispose()
