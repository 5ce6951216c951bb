"""Opening the database for a command: the schema check every entry point shares.

Its own module, without Telegram: `handbook invite` and `grant` need this and nothing of the bot.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from models import migrate
from models.db import is_sqlite, make_engine

from .settings import Settings


class SchemaOutdated(SystemExit):
    """PostgreSQL on an old schema: the operator runs `handbook db upgrade` on purpose."""


async def prepare_database(settings: Settings, url: str | None = None) -> AsyncEngine:
    """SQLite is upgraded in place; PostgreSQL must already be at the head revision."""
    url = url or settings.database_url
    engine = make_engine(url)
    if not await migrate.is_up_to_date(engine):
        if is_sqlite(url):
            await migrate.upgrade(url)
        else:
            await engine.dispose()
            raise SchemaOutdated("The database schema is out of date: run `handbook db upgrade` first.")
    return engine
