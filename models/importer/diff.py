"""The diff: every checked row placed in its cell and matched to its member, and what would change."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from .columns import ENTRY_TABLES, MEMBER_FIELDS, Entry, SheetKind, name_key
from .reading import Sheet
from .report import ErrorCode, ImportReport, RowError
from .rows import EntryRow, MemberRow
from .store import entries_of, members_in_cells
from .units import Placement, PlannedUnit, UnitTree, in_scope

if TYPE_CHECKING:
    from .store import ExistingRow

# Column name -> value, for a member's INSERT or UPDATE: each column its own type.
Changes = dict[str, Any]
# Who a row without a card is: name key, birth date, cell.
_Identity = tuple[str, date | None, int | None]


# (kind, member id or card of a new member) -> the entries that replace the old ones
PlannedEntries = dict[tuple[SheetKind, int | str], list[Entry]]


@dataclass
class ImportPlan:
    """Everything the import would write, worked out before the first write."""

    tree: UnitTree
    new: list[MemberRow] = field(default_factory=list)
    changed: list[tuple[MemberRow, Changes]] = field(default_factory=list)
    entries: PlannedEntries = field(default_factory=dict)



def place_and_match(sheet: Sheet, rows: list[MemberRow], existing: dict[str, ExistingRow], placement: Placement,
                     errors: list[RowError]) -> list[MemberRow]:
    """Give every row its cell and, by card number, its existing member; refuse what is out of scope."""
    within = placement.within
    kept = []
    for row in rows:
        error = None
        found = existing.get(row.card_number) if row.card_number else None
        if found is not None:
            if not in_scope(found.path, within):
                error = ErrorCode.out_of_scope, "card_number", row.card_number
            row.member_id = found.id
        if error is None:
            placed = placement.place(row.committee, row.cell)
            if isinstance(placed, tuple):
                code, fld = placed
                error = code, fld, getattr(row, fld)
            elif placed is not None:
                row.cell_id = placed.id
            elif found is not None:
                row.cell_id = found.cell_id
            else:
                error = ErrorCode.missing_cell, "cell", ""
        if error is None:
            kept.append(row)
        else:
            code, fld, value = error
            errors.append(RowError(sheet.name, row.row, sheet.column(fld), code, value))
    return kept


async def match_without_card(session: AsyncSession, sheet: Sheet, rows: list[MemberRow],
                              errors: list[RowError]) -> dict[int, ExistingRow]:
    """Rows not found by card are the same member when name, birth date and cell agree.

    Returns the members matched this way, by id.
    """
    unmatched = [r for r in rows if r.member_id is None]
    candidates: dict[_Identity, list[ExistingRow]] = defaultdict(list)
    # Every row kept by place_and_match has its cell; negative: a cell this import creates.
    existing_cells = {r.cell_id for r in unmatched if r.cell_id is not None and r.cell_id > 0}
    for m in await members_in_cells(session, existing_cells) if existing_cells else ():
        candidates[(name_key(m.full_name), m.birth_date, m.cell_id)].append(m)
    claimed = {r.member_id for r in rows if r.member_id is not None}
    first_row: dict[_Identity, int] = {}
    matched: dict[int, ExistingRow] = {}
    for row in unmatched:
        key = (name_key(row.full_name), row.birth_date, row.cell_id)
        if not row.card_number:
            seen = first_row.setdefault(key, row.row)
            if seen != row.row:
                errors.append(RowError(sheet.name, row.row, sheet.column("full_name"), ErrorCode.duplicate_member,
                                       row.full_name, str(seen)))
                continue
        for m in candidates.get(key, ()):
            # A row with a card may only take over a member recorded without one.
            if m.id not in claimed and (not row.card_number or m.card_number is None):
                row.member_id = m.id
                claimed.add(m.id)
                matched[m.id] = m
                break
    return matched


async def plan_members(session: AsyncSession, sheet: Sheet, rows: list[MemberRow], current: dict[int, ExistingRow],
                        entries: list[EntryRow], owners: EntryOwners, plan: ImportPlan, report: ImportReport) -> None:
    present = set(sheet.columns)
    changed: set[int] = set()
    for row in rows:
        if row.member_id is None:
            plan.new.append(row)
            continue
        changes = member_changes(row, current[row.member_id], present)
        if changes:
            plan.changed.append((row, changes))
            changed.add(row.member_id)
    owners.new_cards = {r.card_number for r in plan.new if r.card_number}
    changed |= await plan_entries(session, entries, owners, plan, report.errors)
    in_file = {r.member_id for r in rows if r.member_id is not None}
    report.created = len(plan.new)
    report.updated = len(changed)
    report.unchanged = len(in_file - changed)


def member_changes(row: MemberRow, current: ExistingRow, present: set[str]) -> Changes:
    """The columns a row would change on the member it matched (absent columns are left alone)."""
    changes: Changes = {}
    for fld in MEMBER_FIELDS:
        if fld == "card_number":
            if row.card_number and row.card_number != current.card_number:
                changes[fld] = row.card_number
            continue
        if fld != "full_name" and fld not in present:
            continue
        value = getattr(row, fld)
        if fld == "exempt":
            value = bool(value)
        if value != getattr(current, fld):
            changes[fld] = value
    if row.cell_id != current.cell_id:
        changes["cell_id"] = row.cell_id
    return changes


@dataclass
class EntryOwners:
    """Who a sub-sheet card number belongs to."""

    file_rows: dict[str, MemberRow]  # card -> the checked member row of this file
    file_cards: set[str]  # every card the member list names, refused rows included
    existing: dict[str, ExistingRow]  # card -> the member in the database
    within: PlannedUnit | None
    new_cards: set[str] = field(default_factory=set)

    def owner(self, e: EntryRow) -> int | str | ErrorCode | None:
        """A member id, the card of a member this import creates, an error, or None (row refused already)."""
        if e.card_number in self.new_cards:
            return e.card_number
        row = self.file_rows.get(e.card_number)
        if row is not None:
            return row.member_id
        if e.card_number in self.file_cards:
            return None
        found = self.existing.get(e.card_number)
        if found is None:
            return ErrorCode.unknown_card
        if not in_scope(found.path, self.within):
            return ErrorCode.out_of_scope
        member_id: int = found.id
        return member_id


async def plan_entries(session: AsyncSession, entry_rows: list[EntryRow], owners: EntryOwners, plan: ImportPlan,
                        errors: list[RowError]) -> set[int]:
    """Group sub-sheet rows per member; keep only the lists that differ from what is stored."""
    grouped: PlannedEntries = defaultdict(list)
    for e in entry_rows:
        owner = owners.owner(e)
        if isinstance(owner, ErrorCode):
            errors.append(RowError(e.sheet.name, e.row, e.sheet.column("card_number"), owner, e.card_number))
        elif owner is not None:
            grouped[(e.sheet.kind, owner)].append(e.entry)
    changed: set[int] = set()
    for kind in ENTRY_TABLES:
        ids = [t for k, t in grouped if k is kind and isinstance(t, int)]
        stored = await entries_of(session, kind, ids) if ids else {}
        for (k, target), entries in grouped.items():
            if k is not kind:
                continue
            if isinstance(target, int):
                if stored.get(target, []) == entries:
                    continue
                changed.add(target)
            plan.entries[(kind, target)] = entries
    return changed
