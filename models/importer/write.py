"""Writing a planned import: the new units, the members in bulk, the changed columns, the replaced entries."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from itertools import islice

from sqlalchemy import bindparam, delete, insert, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import clock
from ..collation import name_key as sort_key
from ..members import Award, Discipline, Member, WorkHistory, search_key
from ..text import clean_line
from .columns import ENTRY_COLUMNS, ENTRY_TABLES, MEMBER_FIELDS, MEMBERS, UNITS
from .diff import Changes, ImportPlan, PlannedEntries
from .report import Progress
from .rows import MemberRow
from .store import chunks, members_by_card
from .units import UnitTree

WRITE_BATCH = 1_000


async def write(session: AsyncSession, plan: ImportPlan, steps: Progress) -> None:
    unit_ids = await _create_units(session, plan.tree)
    wanted = {t for (_, t) in plan.entries if isinstance(t, str)}
    card_ids = await _insert_members(session, plan.new, unit_ids, steps, wanted)
    await _update_members(session, plan.changed, unit_ids)
    await _replace_entries(session, plan.entries, card_ids)


async def _create_units(session: AsyncSession, tree: UnitTree) -> dict[int, int]:
    """Planned id -> real id; parents were planned before their children."""
    real: dict[int, int] = {}
    for unit in tree.planned:
        parent_id = None if unit.parent_id is None else real.get(unit.parent_id, unit.parent_id)
        parent_path = tree.by_id[parent_id].path if parent_id is not None else "/"
        new_id = (await session.execute(
            insert(UNITS).values(name=unit.name, kind=unit.kind, parent_id=parent_id, path="").returning(UNITS.c.id)
        )).scalar_one()
        unit.path = f"{parent_path}{new_id}/"
        await session.execute(update(UNITS).where(UNITS.c.id == new_id).values(path=unit.path))
        real[unit.id] = new_id
        tree.by_id[new_id] = unit
    return real


async def _insert_members(session: AsyncSession, rows: list[MemberRow], unit_ids: dict[int, int],
                          steps: Progress, cards_wanted: set[str]) -> dict[str, int]:
    """Bulk inserts; returns card number -> new id for the cards sub-sheet rows name."""
    created_at = clock.now()
    stmt = insert(MEMBERS)
    done = 0
    for batch in chunks(rows, WRITE_BATCH):
        await session.execute(stmt, [_member_values(r, unit_ids, created_at) for r in batch])
        done += len(batch)
        steps.written(done)
    # Looked up afterwards: executemany with RETURNING runs row by row on SQLite.
    return {card: m.id for card, m in (await members_by_card(session, cards_wanted)).items()}


def _member_values(row: MemberRow, unit_ids: dict[int, int], created_at: datetime) -> Changes:
    values: Changes = {f: getattr(row, f) for f in MEMBER_FIELDS}
    values["exempt"] = bool(row.exempt)
    values["cell_id"] = None if row.cell_id is None else unit_ids.get(row.cell_id, row.cell_id)
    values["created_at"] = created_at
    return values


async def _update_members(session: AsyncSession, changed: list[tuple[MemberRow, Changes]], unit_ids: dict[int, int]) -> None:
    # One statement shape per set of changed columns, each run as one executemany.
    by_columns: dict[tuple[str, ...], list[Changes]] = defaultdict(list)
    for row, changes in changed:
        if "cell_id" in changes:
            changes["cell_id"] = unit_ids.get(changes["cell_id"], changes["cell_id"])
        if "full_name" in changes:
            changes["sort_name"] = sort_key(clean_line(changes["full_name"]))
            changes["search_name"] = search_key(changes["full_name"])
        by_columns[tuple(sorted(changes))].append({"member_id": row.member_id, **{f"new_{k}": v for k, v in changes.items()}})
    for columns, params in by_columns.items():
        stmt = (
            update(MEMBERS)
            .where(MEMBERS.c.id == bindparam("member_id"))
            .values({c: bindparam(f"new_{c}") for c in columns})
        )
        for batch in chunks(params, WRITE_BATCH):
            await session.execute(stmt, list(batch))


async def _replace_entries(session: AsyncSession, entries: PlannedEntries, card_ids: dict[str, int]) -> None:
    for kind, table in ENTRY_TABLES.items():
        owned = {(card_ids[t] if isinstance(t, str) else t): rows for (k, t), rows in entries.items() if k is kind}
        if not owned:
            continue
        for chunk in chunks(sorted(owned)):
            await session.execute(delete(table).where(table.c.member_id.in_(chunk)))
        names = ENTRY_COLUMNS[kind]
        params = (
            {"member_id": member_id, "position_no": n, **dict(zip(names, values, strict=True))}
            for member_id, rows in owned.items()
            for n, values in enumerate(rows)
        )
        while batch := list(islice(params, WRITE_BATCH)):
            await session.execute(insert(table), batch)



async def refresh_loaded(session: AsyncSession, updated: set[int], entries: PlannedEntries) -> None:
    """Objects the caller already holds must not show what the import has just replaced."""
    touched = updated | {t for _, t in entries if isinstance(t, int)}
    for obj in list(session.identity_map.values()):
        state = inspect(obj)  # read loaded values only: touching an expired one would need IO
        if isinstance(obj, Member) and state.identity[0] in touched:
            await session.refresh(obj)
        elif isinstance(obj, (WorkHistory, Award, Discipline)):
            member_id = state.dict.get("member_id")  # None once expired: whose it is is unknown, let it go
            if member_id is None or member_id in touched:
                session.expunge(obj)
