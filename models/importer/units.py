"""Units and the scope: where a row's "Đảng bộ" and "Chi bộ" put a member, and the units an import creates."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..units import UnitKind
from .columns import name_key
from .report import ErrorCode


@dataclass(slots=True)
class PlannedUnit:
    id: int  # negative until created
    name: str
    kind: UnitKind
    parent_id: int | None
    path: str  # "" until created


def committee_kind(name: str) -> UnitKind:
    """"Đảng bộ phường Phú Hội" is a ward, "Đảng bộ xã Hương Phong" a commune, anything else grassroots."""
    words = f" {name.casefold()} "
    if " phường " in words or " ward " in words:
        return UnitKind.ward
    if re.search(r"\sxã\s(?!hội\s)", words) or " commune " in words:
        return UnitKind.commune
    return UnitKind.grassroots


class UnitTree:
    """The units as loaded, plus those this import would create (negative ids)."""

    def __init__(self, units: Iterable[PlannedUnit]):
        self.by_id: dict[int, PlannedUnit] = {}
        self.by_key: dict[str, list[PlannedUnit]] = defaultdict(list)
        self.planned: list[PlannedUnit] = []
        for unit in units:
            self._add(unit)

    def _add(self, unit: PlannedUnit) -> None:
        self.by_id[unit.id] = unit
        self.by_key[name_key(unit.name)].append(unit)

    def plan(self, name: str, kind: UnitKind, parent: PlannedUnit | None) -> PlannedUnit:
        unit = PlannedUnit(-(len(self.planned) + 1), name, kind, parent.id if parent else None, "")
        self.planned.append(unit)
        self._add(unit)
        return unit

    def child(self, parent: PlannedUnit | None, name: str) -> PlannedUnit | None:
        parent_id = parent.id if parent else None
        return next((u for u in self.by_key.get(name_key(name), ()) if u.parent_id == parent_id), None)

    def is_under(self, unit: PlannedUnit, ancestor: PlannedUnit) -> bool:
        node: PlannedUnit | None = unit
        while node is not None:
            if node.id == ancestor.id:
                return True
            node = self.by_id.get(node.parent_id) if node.parent_id is not None else None
        return False

    def named(self, name: str, under: PlannedUnit | None, cells: bool) -> list[PlannedUnit]:
        cell_kinds = (UnitKind.cell, UnitKind.group)
        return [
            u for u in self.by_key.get(name_key(name), ())
            if (u.kind in cell_kinds) == cells and (under is None or self.is_under(u, under))
        ]


Placed = PlannedUnit | tuple[ErrorCode, str] | None


class Placement:
    """Where a row's "Đảng bộ" and "Chi bộ" put the member, within what the importer may touch."""

    def __init__(self, tree: UnitTree, within: PlannedUnit | None, root: PlannedUnit | None):
        self.tree = tree
        self.within = within
        self.root = root
        self._cache: dict[tuple[str, str], Placed] = {}

    def place(self, committee: str | None, cell: str | None) -> Placed:
        """The cell (None when the row names none), or (error code, field)."""
        key = (name_key(committee or ""), name_key(cell or ""))
        if key not in self._cache:
            self._cache[key] = self._place(committee, cell)
        return self._cache[key]

    def _place(self, committee: str | None, cell: str | None) -> Placed:
        within = self.within
        if within is None:
            return self._place_anywhere(committee, cell)
        if within.kind in (UnitKind.cell, UnitKind.group):
            return self._place_in_cell(within, committee, cell)
        parent = within
        if committee and name_key(committee) != name_key(within.name):
            found = [u for u in self.tree.named(committee, within, cells=False) if u.id > 0]
            if len(found) != 1:
                return ErrorCode.out_of_scope, "committee"
            parent = found[0]
        if not cell:
            return None
        return self.tree.child(parent, cell) or self.tree.plan(cell, UnitKind.cell, parent)

    def _place_in_cell(self, within: PlannedUnit, committee: str | None, cell: str | None) -> Placed:
        parent = self.tree.by_id.get(within.parent_id) if within.parent_id else None
        if committee and (parent is None or name_key(committee) != name_key(parent.name)):
            return ErrorCode.out_of_scope, "committee"
        if cell and name_key(cell) != name_key(within.name):
            return ErrorCode.out_of_scope, "cell"
        return within

    def _place_anywhere(self, committee: str | None, cell: str | None) -> Placed:
        if not cell:
            return None
        if not committee:
            found = self.tree.named(cell, self.root, cells=True)
            if len(found) > 1:
                return ErrorCode.ambiguous_unit, "cell"
            return found[0] if found else self.tree.plan(cell, UnitKind.cell, self.root)
        found = self.tree.named(committee, self.root, cells=False)
        if len(found) > 1:
            return ErrorCode.ambiguous_unit, "committee"
        parent = found[0] if found else self.tree.plan(committee, committee_kind(committee), self.root)
        return self.tree.child(parent, cell) or self.tree.plan(cell, UnitKind.cell, parent)


def in_scope(path: str, within: PlannedUnit | None) -> bool:
    return within is None or path.startswith(within.path)
