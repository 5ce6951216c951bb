"""Party members and the parts of their profile."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, String, Text, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship, selectinload

from . import clock
from .base import Base
from .units import Unit


class Gender(str, enum.Enum):
    male = "male"
    female = "female"


class DisciplineForm(str, enum.Enum):
    reprimand = "reprimand"  # khiển trách
    warning = "warning"  # cảnh cáo
    removal = "removal"  # cách chức
    expulsion = "expulsion"  # khai trừ


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[Gender | None] = mapped_column(Enum(Gender, native_enum=False, length=10))
    # E.164 ("+84905111222"); one format so "0905 111 222" matches too.
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    card_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    joined_on: Mapped[date | None] = mapped_column(Date)
    # Empty means probationary (dự bị): no ballot on resolutions (Charter art. 3).
    official_on: Mapped[date | None] = mapped_column(Date)
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    position: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime | None] = mapped_column(default=clock.now)

    cell: Mapped[Unit] = relationship(lazy="raise")
    work_history: Mapped[list[WorkHistory]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="WorkHistory.position_no", lazy="raise"
    )
    awards: Mapped[list[Award]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="Award.position_no", lazy="raise"
    )
    disciplines: Mapped[list[Discipline]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="Discipline.position_no", lazy="raise"
    )

    @property
    def is_full_member(self) -> bool:
        return self.official_on is not None


class WorkHistory(Base):
    """Quá trình công tác: one period of a member's working life."""

    __tablename__ = "work_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    position_no: Mapped[int] = mapped_column(Integer, default=0)
    period_from: Mapped[str | None] = mapped_column(String(20))
    period_to: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)

    member: Mapped[Member] = relationship(back_populates="work_history", lazy="raise")


class Award(Base):
    """Khen thưởng, including the party-membership badges."""

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    position_no: Mapped[int] = mapped_column(Integer, default=0)
    awarded_on: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(String(200))

    member: Mapped[Member] = relationship(back_populates="awards", lazy="raise")


class Discipline(Base):
    """Kỷ luật."""

    __tablename__ = "disciplines"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    position_no: Mapped[int] = mapped_column(Integer, default=0)
    decided_on: Mapped[date | None] = mapped_column(Date)
    form: Mapped[DisciplineForm] = mapped_column(Enum(DisciplineForm, native_enum=False, length=20))
    reason: Mapped[str | None] = mapped_column(Text)

    member: Mapped[Member] = relationship(back_populates="disciplines", lazy="raise")


async def get_profile(session: AsyncSession, member_id: int) -> Member | None:
    """A member with every part of the profile loaded (the caller has checked permission)."""
    stmt = (
        select(Member)
        .where(Member.id == member_id)
        .options(
            joinedload(Member.cell),
            selectinload(Member.work_history),
            selectinload(Member.awards),
            selectinload(Member.disciplines),
        )
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_members(session: AsyncSession, query: str, within_path: str | None = None, limit: int = 10) -> list[Member]:
    """Members whose card number equals `query` or whose name contains it, optionally under a unit."""
    q = query.strip()
    stmt = select(Member).join(Unit, Unit.id == Member.cell_id)
    if within_path is not None:
        stmt = stmt.where(Unit.path.startswith(within_path, autoescape=True))
    cond = [Member.card_number == q]
    if q.isdigit():
        cond.append(Member.id == int(q))
    cond.append(func.lower(Member.full_name).contains(q.lower(), autoescape=True))
    stmt = stmt.where(or_(*cond)).order_by(Member.full_name, Member.id).limit(limit)
    return list((await session.scalars(stmt)).all())


async def members_under(session: AsyncSession, unit_path: str, offset: int = 0, limit: int = 10) -> tuple[list[Member], int]:
    """One page of the members of every cell under a unit, by cell then name, and the total."""
    base = select(Member).join(Unit, Unit.id == Member.cell_id).where(Unit.path.startswith(unit_path, autoescape=True))
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.scalars(
        base.options(selectinload(Member.cell)).order_by(Unit.path, Member.full_name, Member.id).offset(offset).limit(limit)
    )
    return list(rows.all()), total
