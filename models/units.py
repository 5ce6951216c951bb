"""The tree of party units: city committee → ward/commune committees → cells (→ groups)."""
from __future__ import annotations

import enum
from collections.abc import Iterable

from sqlalchemy import Boolean, Enum, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import ColumnElement

from .base import Base
from .text import CleanLine


class UnitKind(str, enum.Enum):
    city = "city"
    ward = "ward"
    commune = "commune"
    grassroots = "grassroots"
    cell = "cell"
    group = "group"


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_units_parent_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(CleanLine(200))
    kind: Mapped[UnitKind] = mapped_column(Enum(UnitKind, native_enum=False, length=20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    # Materialised path "/1/4/9/": a subtree is one indexed prefix match.
    path: Mapped[str] = mapped_column(String(500), index=True, default="")
    # Whether exempt members who do not attend count in the base of a ratio (DOMAIN.md).
    exempt_counted: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], lazy="raise")

    @property
    def is_cell(self) -> bool:
        return self.kind in (UnitKind.cell, UnitKind.group)


async def add_unit(session: AsyncSession, name: str, kind: UnitKind, parent: Unit | None = None) -> Unit:
    unit = Unit(name=name, kind=kind, parent_id=parent.id if parent else None)
    session.add(unit)
    await session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    await session.flush()
    return unit


async def find_or_create_unit(session: AsyncSession, name: str, kind: UnitKind, parent: Unit | None) -> Unit:
    stmt = select(Unit).where(Unit.name == name)
    stmt = stmt.where(Unit.parent_id == parent.id) if parent else stmt.where(Unit.parent_id.is_(None))
    unit = (await session.execute(stmt)).scalar_one_or_none()
    return unit or await add_unit(session, name, kind, parent)


async def find_units_by_name(session: AsyncSession, name: str) -> list[Unit]:
    return list((await session.scalars(select(Unit).where(Unit.name == name.strip()).order_by(Unit.id))).all())


def subtree_clause(path: str) -> ColumnElement[bool]:
    """SQL condition: a unit whose path lies under `path` (the unit itself included)."""
    return Unit.path.startswith(path, autoescape=True)


def path_ids(path: str) -> list[int]:
    """The ids in a materialised path, root first: "/1/4/9/" → [1, 4, 9]."""
    return [int(x) for x in path.strip("/").split("/") if x]


async def ancestors(session: AsyncSession, unit: Unit) -> list[Unit]:
    """The unit's ancestors, root first, the unit itself last."""
    ids = path_ids(unit.path)
    if not ids:
        return [unit]
    rows = {u.id: u for u in (await session.scalars(select(Unit).where(Unit.id.in_(ids)))).all()}
    return [rows[i] for i in ids if i in rows]


async def get_unit(session: AsyncSession, unit_id: int | None) -> Unit | None:
    """The unit with this id (None when there is none, or no id)."""
    return await session.get(Unit, unit_id) if unit_id is not None else None


async def get_units(session: AsyncSession, unit_ids: Iterable[int]) -> list[Unit]:
    """The units with these ids, in no particular order (unknown ids are skipped)."""
    return list((await session.scalars(select(Unit).where(Unit.id.in_(list(unit_ids))))).all())


async def names_by_id(session: AsyncSession, unit_ids: Iterable[int]) -> dict[int, str]:
    """{unit id: name} of these units (a summary naming the cells it counts)."""
    return dict((await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(unit_ids))))).all())


async def names_in_tree_order(session: AsyncSession, unit_ids: Iterable[int]) -> list[str]:
    """The names of these units, a parent before its children (ordered by path)."""
    return list((await session.scalars(select(Unit.name).where(Unit.id.in_(list(unit_ids))).order_by(Unit.path))).all())


async def cells_under(session: AsyncSession, path: str, limit: int) -> list[Unit]:
    """The first `limit` cells at or under the unit of `path`, in tree order (an audience to pick from)."""
    return list((await session.scalars(
        select(Unit).where(Unit.path.startswith(path, autoescape=True), Unit.kind == UnitKind.cell)
        .order_by(Unit.path).limit(limit))).all())
