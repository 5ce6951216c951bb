"""The few SQL helpers whose types SQLAlchemy cannot infer: the backend's INSERT (for ON CONFLICT) and rows affected;
and the rows a claiming UPDATE takes."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CTE, ColumnElement, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def upsert(session: AsyncSession, table: Table | type[Any]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT with ON CONFLICT: each backend has its own construct, with the same methods."""
    if dialect_name(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched: execute() is typed as a plain Result, whose cursor has the count."""
    return cast("CursorResult[Any]", result).rowcount


def claimable(id_column: Any, *where: ColumnElement[bool], order_by: tuple[Any, ...], limit: int, name: str) -> CTE:
    """The ids of up to `limit` due rows, in `order_by` order, for one UPDATE … WHERE id = <cte>.id RETURNING.

    PostgreSQL's FOR UPDATE SKIP LOCKED lets concurrent claimers take disjoint rows without waiting (on
    SQLite the write lock serialises them). Materialised: PostgreSQL may run an IN (… LIMIT) subquery more
    than once and claim too many. The UPDATE repeats the state test: a row claimed meanwhile is not taken twice.
    """
    due = select(id_column).where(*where).order_by(*order_by).limit(limit).with_for_update(skip_locked=True)
    return due.cte(name).prefix_with("MATERIALIZED")
