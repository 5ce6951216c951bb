"""A sweep's claim: the rows whose stamp (told at, sent at) is still empty, stamped now.

The UPDATE checks the stamp again, so two sweeps running at once (two instances, or a sweep and a
handler) never claim the same row: each gets the ids it stamped itself.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from . import clock


async def claim(session: AsyncSession, stamp: InstrumentedAttribute[datetime | None], *where: ColumnElement[bool],
                limit: int) -> list[int]:
    """Ids (ascending) of up to `limit` rows of `stamp`'s table with no stamp yet (and `where`), now stamped."""
    table: Any = stamp.class_
    ids = (
        await session.scalars(select(table.id).where(stamp.is_(None), *where).order_by(table.id).limit(limit))
    ).all()
    if not ids:
        return []
    claimed = (
        await session.scalars(
            update(table)
            .where(table.id.in_(ids), stamp.is_(None))
            .values({stamp.key: clock.now()})
            .returning(table.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    return sorted(claimed)
