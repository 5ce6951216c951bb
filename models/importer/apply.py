"""The import: check the whole file, place and match its rows, and write only when every row is right."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from ..dates import local_today
from ..shared_phones import shared_phones
from ..units import Unit
from .columns import clean_text
from .diff import EntryOwners, ImportPlan, match_without_card, place_and_match, plan_members
from .reading import ParsedFile, Sheet
from .report import ErrorCode, ImportReport, Progress, RowError
from .rows import EntryRow, MemberRow, RowChecker, check_entry_row, check_member_row
from .store import load_units, members_by_card
from .units import Placement, PlannedUnit, UnitTree
from .write import refresh_loaded, write


async def import_members(
    session: AsyncSession,
    parsed: ParsedFile,
    *,
    within: Unit | None = None,
    root: Unit | None = None,
    extra_files: Iterable[ParsedFile] = (),
    progress: Callable[[int, int], object] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Check the whole file, then create and update members; nothing is written when a row is wrong.

    `within` limits the import to a unit (None: an administrator, anywhere); `root` is where an
    administrator's new committees go. `progress(done, total)` hears every ~1,000 rows.
    The caller commits (or rolls back: a refused file has written nothing).
    """
    if parsed.members is None:
        raise ValueError("a member list is needed; work history, awards and discipline come as extra_files")
    sheets = list(parsed.extras)
    for extra in extra_files:
        if extra.members is not None:
            raise ValueError(f"{extra.filename} is a member list, not a work-history, awards or discipline list")
        sheets.extend(extra.extras)

    report = ImportReport(dry_run=dry_run)
    steps = Progress(progress, parsed.members.row_estimate)
    # Reading and checking every row is the long part, and touches no database: a worker thread does it.
    rows, file_cards, entries = await asyncio.to_thread(_check_file, parsed.members, sheets, report.errors, steps)

    tree = await load_units(session)
    scope = _unit_in(tree, within)
    origin = _unit_in(tree, root) if within is None else None
    existing = await members_by_card(session, [r.card_number for r in rows if r.card_number] + [e.card_number for e in entries])
    rows = place_and_match(parsed.members, rows, existing, Placement(tree, scope, origin), report.errors)
    current = {m.id: m for m in existing.values()}
    current.update(await match_without_card(session, parsed.members, rows, report.errors))
    owners = EntryOwners({r.card_number: r for r in rows if r.card_number}, file_cards, existing, scope)
    plan = ImportPlan(tree)
    await plan_members(session, parsed.members, rows, current, entries, owners, plan, report)
    if report.errors:
        order = {sheet.name: n for n, sheet in enumerate([parsed.members, *sheets])}
        report.errors.sort(key=lambda e: (order.get(e.sheet, len(order)), e.row))
        report.created = report.updated = report.unchanged = 0
        return report
    report.units_created = len(tree.planned)
    report.warnings = await shared_phones(session, parsed.members.name, rows, scope.path if scope else None)
    if not dry_run:
        steps.writing(len(rows), len(plan.new))
        await write(session, plan, steps)
        await refresh_loaded(session, {row.member_id for row, _ in plan.changed if row.member_id is not None}, plan.entries)
    steps.finish(len(rows))
    return report



def _unit_in(tree: UnitTree, unit: Unit | None) -> PlannedUnit | None:
    if unit is None:
        return None
    found = tree.by_id.get(unit.id)
    if found is None:
        raise ValueError(f"unit {unit.id} is not in the database")
    return found


def _check_file(members: Sheet, sheets: list[Sheet], errors: list[RowError],
                steps: Progress) -> tuple[list[MemberRow], set[str], list[EntryRow]]:
    today = local_today()
    rows, file_cards = _check_members(members, errors, today, steps)
    entries = [e for sheet in sheets for e in _check_entries(sheet, errors, today)]
    return rows, file_cards, entries


def _check_members(sheet: Sheet, errors: list[RowError], today: date, steps: Progress) -> tuple[list[MemberRow], set[str]]:
    """The rows that passed, and every card number the list names (so sub-sheets can tell "refused" from "unknown")."""
    check = RowChecker(sheet, errors, today)
    rows: list[MemberRow] = []
    cards: set[str] = set()
    first_seen: dict[str, int] = {}
    for count, (number, values) in enumerate(sheet.rows(), start=1):
        row = check_member_row(check, number, values)
        card = row.card_number if row is not None else clean_text(values.get("card_number"))
        if card:
            cards.add(card)
            seen = first_seen.setdefault(card, number)
            if seen != number:
                check.refuse("card_number", ErrorCode.duplicate_card, card, str(seen))
                row = None
        if row is not None:
            rows.append(row)
        steps.checked(count)
    return rows, cards


def _check_entries(sheet: Sheet, errors: list[RowError], today: date) -> list[EntryRow]:
    check = RowChecker(sheet, errors, today)
    return [e for number, values in sheet.rows() if (e := check_entry_row(check, number, values)) is not None]
