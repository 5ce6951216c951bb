"""Alembic, driven from code: `handbook db upgrade` and the start-up schema check.

The check (is the database at every head?) is what every command runs first, `handbook invite`
included: it reads the revision ids from the scripts and the database without importing alembic
(a quarter of a second of CPU spent only to compare a few strings). Upgrading imports alembic.
"""
from __future__ import annotations

import ast
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"  # alembic's default, which env.py keeps


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on "%" in a password.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _literals(source: str) -> dict[str, object]:
    """The module's `revision` and `down_revision` assignments."""
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("revision", "down_revision"):
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


def _script_ids(path: Path) -> tuple[str | None, tuple[str, ...]]:
    """A script's `revision` and its `down_revision`s, read as the literals they are.

    They come before upgrade(): only that head is parsed (every command reads every script), the
    whole script when the head does not hold them or is cut mid-statement.
    """
    source = path.read_text(encoding="utf-8")
    try:
        found = _literals(source.partition("\ndef ")[0])
    except SyntaxError:
        found = {}
    if "revision" not in found:
        found = _literals(source)
    down = found.get("down_revision")
    downs = tuple(down) if isinstance(down, (tuple, list)) else (down,) if down else ()
    return found.get("revision"), downs  # type: ignore[return-value]


def head_revisions() -> frozenset[str]:
    """Features may add migrations side by side (several heads); all of them make the schema.

    A head is a revision no other script revises (tests/models/test_schema.py checks alembic agrees).
    """
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        revision, downs = _script_ids(path)
        if revision is not None:
            revisions.add(revision)
            revised.update(downs)
    return frozenset(revisions - revised)


def head_revision() -> str:
    return ",".join(sorted(head_revisions()))


async def current_revisions(engine: AsyncEngine) -> frozenset[str]:
    """The revisions the database is at (none: a new database)."""
    def read(conn: Connection) -> frozenset[str]:
        if not inspect(conn).has_table(VERSION_TABLE):
            return frozenset()
        return frozenset(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())

    async with engine.connect() as conn:
        return await conn.run_sync(read)


async def is_up_to_date(engine: AsyncEngine) -> bool:
    return await current_revisions(engine) == head_revisions()


def upgrade_sync(url: str, revision: str = "heads") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "heads") -> None:
    """Run the migrations (env.py runs its own event loop, so keep it off ours)."""
    await asyncio.to_thread(upgrade_sync, url, revision)
