"""The few SQL helpers whose types SQLAlchemy cannot infer: the backend's INSERT (for ON CONFLICT) and rows affected."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:  # imported when used: a command on SQLite never loads PostgreSQL's dialect
    from sqlalchemy.dialects import postgresql, sqlite


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def upsert(session: AsyncSession, table: Table | type[Any]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT with ON CONFLICT: each backend has its own construct, with the same methods."""
    if dialect_name(session) == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched: execute() is typed as a plain Result, whose cursor has the count."""
    return cast("CursorResult[Any]", result).rowcount
