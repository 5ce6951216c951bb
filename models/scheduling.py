"""What is sent now or at a time its sender chose (notices, bulletins): a row with `id`, `send_at` and
`dispatched_at`. Sending it is claimed once, whichever process gets there first; the clock's tick
releases the rows whose time has come. No Telegram here."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .sql import rowcount

RELEASE_BATCH = 20
T = TypeVar("T")


@dataclass
class Dispatched:
    """A row sent (its id: a notice's, a bulletin's): the members it was for and the deliveries queued."""

    id: int
    recipients: int
    queued: int


async def claim(session: AsyncSession, model: Any, row_id: int, now: datetime, *still: ColumnElement[bool],
                synchronize: bool = True) -> bool:
    """Mark the row sent at `now` unless it already is (or `still` no longer holds): True for the one
    transaction that did, which goes on to queue the deliveries. `synchronize`: update the row's object
    in the session too (SQLAlchemy's default), else leave it to the caller."""
    stmt = update(model).where(model.id == row_id, model.dispatched_at.is_(None), *still).values(dispatched_at=now)
    if not synchronize:
        stmt = stmt.execution_options(synchronize_session=False)
    return rowcount(await session.execute(stmt)) == 1


async def release_due(session: AsyncSession, model: Any, dispatch: Callable[[AsyncSession, int, datetime], Awaitable[T | None]],
                      now: datetime, *still: ColumnElement[bool], batch: int = RELEASE_BATCH) -> list[T]:
    """Dispatch the rows whose time has come, soonest first, at most `batch` (the scheduler's tick;
    idempotent: a row another process sent meanwhile is skipped)."""
    ids = (
        await session.scalars(
            select(model.id)
            .where(model.dispatched_at.is_(None), *still, model.send_at <= now)
            .order_by(model.send_at, model.id)
            .limit(batch)
        )
    ).all()
    done = []
    for row_id in ids:
        result = await dispatch(session, row_id, now)
        if result is not None:
            done.append(result)
    return done
