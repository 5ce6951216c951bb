"""What the database holds already, read in chunks: the units, the members by card or cell, their entries."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .columns import ENTRY_COLUMNS, ENTRY_TABLES, MEMBER_FIELDS, MEMBERS, UNITS, Entry, SheetKind
from .units import PlannedUnit, UnitTree

if TYPE_CHECKING:
    from sqlalchemy import Row

    # A member as _EXISTING reads it: id, cell_id, path, then MEMBER_FIELDS (read by name).
    ExistingRow = Row[*tuple[Any, ...]]
T = TypeVar("T")
# Well under every backend's limit on bound parameters in one IN (...).
LOOKUP_CHUNK = 900


def chunks(items: Sequence[T], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


_EXISTING = select(
    MEMBERS.c.id, MEMBERS.c.cell_id, UNITS.c.path, *(MEMBERS.c[f] for f in MEMBER_FIELDS)
).join(UNITS, UNITS.c.id == MEMBERS.c.cell_id)


async def load_units(session: AsyncSession) -> UnitTree:
    rows = await session.execute(select(UNITS.c.id, UNITS.c.name, UNITS.c.kind, UNITS.c.parent_id, UNITS.c.path))
    return UnitTree(PlannedUnit(i, n, k, p, path) for i, n, k, p, path in rows)


async def members_by_card(session: AsyncSession, cards: Iterable[str]) -> dict[str, ExistingRow]:
    found: dict[str, ExistingRow] = {}
    for chunk in chunks(sorted(set(cards))):
        for row in await session.execute(_EXISTING.where(MEMBERS.c.card_number.in_(chunk))):
            found[row.card_number] = row
    return found


async def members_in_cells(session: AsyncSession, cell_ids: Iterable[int]) -> list[ExistingRow]:
    found: list[ExistingRow] = []
    for chunk in chunks(sorted(set(cell_ids))):
        found.extend(await session.execute(_EXISTING.where(MEMBERS.c.cell_id.in_(chunk)).order_by(MEMBERS.c.id)))
    return found


async def entries_of(session: AsyncSession, kind: SheetKind, member_ids: Iterable[int]) -> dict[int, list[Entry]]:
    table = ENTRY_TABLES[kind]
    cols = [table.c[c] for c in ENTRY_COLUMNS[kind]]
    found: dict[int, list[Entry]] = defaultdict(list)
    for chunk in chunks(sorted(set(member_ids))):
        stmt = select(table.c.member_id, *cols).where(table.c.member_id.in_(chunk))
        for member_id, *values in await session.execute(stmt.order_by(table.c.member_id, table.c.position_no, table.c.id)):
            found[member_id].append(tuple(values))
    return found
