"""Anniversaries (issue 17): birthdays, longevity celebrations (mừng thọ) and party-join anniversaries due soon.

A member's birthday comes each year on the day of Member.birth_date; the ages of the rules file
(models/rules/anniversaries.toml: 70, 75 … 100) make it a longevity celebration. A party-join anniversary
comes on the day of Member.joined_on at the rules' years of party age (30, 35 … 90). A day of 29 February
falls on 28 February in a common year (models.party_age.add_months). The secretary's weekly to-do lists
what falls within the rules' days ahead (7). Officers see the members of their units only
(models.permissions).

Greetings: a cell's secretary may have the bot greet the cell's members on the day, in the cell's name
(anniversary_cells, off by default); a member may turn them off (anniversary_optouts). The daily tick, from
the rules' hour, records each occasion once (anniversary_greetings, unique per member, kind and year) and
queues one delivery of kind "anniversary" pointing at it: a member gets one greeting per occasion a year
however often the tick runs. No Telegram here.
"""
from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    UniqueConstraint,
    and_,
    delete,
    exists,
    extract,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import ColumnElement

from . import audit, clock, deliveries, rulesfile
from .accounts import Account
from .base import Base
from .dates import VIETNAM, local_today
from .members import Member
from .party_age import add_months
from .permissions import Action, Actor, scope_paths, within_clause
from .units import Unit

__all__ = ["GREETING_DELIVERY", "Greeting", "Kind", "Occasion", "Rules", "cell_greets", "daily_tick", "greeting",
           "member_opted_out", "occasions_of", "on_day", "opt_out", "rules", "set_cell_greets", "upcoming",
           "upcoming_count"]

GREETING_DELIVERY = "anniversary"  # ref_id: AnniversaryGreeting.id — one member's occasion of one year

RULES_FILE = Path(__file__).resolve().parent / "rules" / "anniversaries.toml"


@dataclass(frozen=True)
class Rules(rulesfile.Heading):
    longevity_ages: tuple[int, ...]
    party_years: tuple[int, ...]
    days_ahead: int
    greeting_hour: int  # local hour from which the day's greetings go


def load_rules(path: Path) -> Rules:
    data = rulesfile.read(path)
    days_ahead = int(data["todo"]["days_ahead"])
    if days_ahead < 0:
        raise ValueError(f"{path}: days_ahead is not negative, not {days_ahead}")
    return Rules(
        **rulesfile.heading(data),
        longevity_ages=tuple(sorted(int(a) for a in data["longevity"]["ages"])),
        party_years=tuple(sorted(int(y) for y in data["party"]["years"])),
        days_ahead=days_ahead,
        greeting_hour=int(data["greetings"]["hour"]),
    )


@cache
def rules() -> Rules:
    return load_rules(RULES_FILE)


class Kind(str, enum.Enum):
    birthday = "birthday"
    longevity = "longevity"  # mừng thọ: a birthday at one of the rules' ages
    party = "party"  # a party-join anniversary at one of the rules' years


@dataclass(frozen=True)
class Occasion:
    member_id: int
    full_name: str
    cell_id: int
    cell_name: str
    kind: Kind
    day: date  # this year's (or next year's) day
    years: int  # the age, or the years of party age

    def days_left(self, today: date) -> int:
        return (self.day - today).days


def anniversary(start: date, years: int) -> date:
    """The day `years` after `start`: 29/02 falls on 28/02 in a common year."""
    return add_months(start, 12 * years)


def occasions_of(birth: date | None, joined: date | None, first: date, last: date) -> list[tuple[Kind, date, int]]:
    """A member's occasions from `first` to `last` (both included): (kind, day, years), by day."""
    r = rules()
    found: list[tuple[Kind, date, int]] = []
    for year in range(first.year, last.year + 1):
        if birth is not None and (age := year - birth.year) > 0:
            day = anniversary(birth, age)
            if first <= day <= last:
                found.append((Kind.longevity if age in r.longevity_ages else Kind.birthday, day, age))
        if joined is not None and (years := year - joined.year) in r.party_years:
            day = anniversary(joined, years)
            if first <= day <= last:
                found.append((Kind.party, day, years))
    return sorted(found, key=lambda o: o[1])


def _falls_on(column: Any, day: date) -> ColumnElement[bool]:
    """The dates whose anniversary is `day`: its month and day, and 29/02 on 28/02 of a common year."""
    days = [day.day]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        days.append(29)
    return and_(extract("month", column) == day.month, extract("day", column).in_(days))


async def _within(session: AsyncSession, paths: list[str] | None, first: date, last: date,
                  cell_ids: list[int] | None = None) -> list[Occasion]:
    has_dates = (or_(_falls_on(Member.birth_date, first), _falls_on(Member.joined_on, first)) if first == last
                 else or_(Member.birth_date.is_not(None), Member.joined_on.is_not(None)))  # one day: its own only
    stmt = (select(Member.id, Member.full_name, Member.birth_date, Member.joined_on, Unit.id, Unit.name)
            .join(Unit, Unit.id == Member.cell_id).where(has_dates, Member.living)
            .order_by(Unit.path, Member.sort_name, Member.id))
    if paths is not None:
        stmt = stmt.where(within_clause(paths))
    if cell_ids is not None:
        stmt = stmt.where(Member.cell_id.in_(cell_ids))
    found = []
    for member_id, name, birth, joined, cell_id, cell_name in (await session.execute(stmt)).all():
        for kind, day, years in occasions_of(birth, joined, first, last):
            found.append(Occasion(member_id, name, cell_id, cell_name, kind, day, years))
    return sorted(found, key=lambda o: o.day)  # stable: by unit and name within a day


async def upcoming(session: AsyncSession, actor: Actor, today: date | None = None,
                   within_days: int | None = None) -> list[Occasion]:
    """The occasions of the members of the units `actor` sees the profiles of within the next `within_days`
    days, today the first (the rules' days ahead by default: a Monday's to-do covers its week to Sunday),
    soonest first, then by unit and name."""
    today = today or local_today()
    within = rules().days_ahead if within_days is None else within_days
    paths = scope_paths(actor, Action.view_profile)
    if paths == []:
        return []
    return await _within(session, paths, today, today + timedelta(days=within - 1))


async def on_day(session: AsyncSession, day: date, cell_ids: list[int] | None = None) -> list[Occasion]:
    """Every occasion of `day` (of these cells' members when given): what the day's greetings are about."""
    return await _within(session, None, day, day, cell_ids)


# --- greetings ----------------------------------------------------------------------------------------------------------
class AnniversaryCell(Base):
    """A cell's choice: the bot greets its members on the day in the cell's name (off when no row)."""

    __tablename__ = "anniversary_cells"

    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    greets: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class AnniversaryOptOut(Base):
    """A member who asked for no greetings."""

    __tablename__ = "anniversary_optouts"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class AnniversaryGreeting(Base):
    """One member's occasion of one year, greeted (queued): never twice."""

    __tablename__ = "anniversary_greetings"
    __table_args__ = (UniqueConstraint("member_id", "kind", "year", name="uq_anniversary_greetings_member_kind_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(Enum(Kind, native_enum=False, length=12))
    year: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    years: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


async def cell_greets(session: AsyncSession, cell_id: int) -> bool:
    return bool(await session.scalar(select(AnniversaryCell.greets).where(AnniversaryCell.cell_id == cell_id)))


async def set_cell_greets(session: AsyncSession, cell_id: int, greets: bool, by_member_id: int | None, *,
                          by_telegram_id: int | None = None) -> None:
    """The secretary's choice for the cell (the caller checked they manage it and commits); a change is
    audited — greetings go out in the cell's name."""
    row = await session.get(AnniversaryCell, cell_id)
    if row is None:
        row = AnniversaryCell(cell_id=cell_id, greets=False)
        session.add(row)
    if bool(row.greets) != greets:
        await audit.record(session, "anniversary_greetings_on" if greets else "anniversary_greetings_off",
                           actor_telegram_id=by_telegram_id, actor_member_id=by_member_id,
                           detail={"cell_id": cell_id})
    row.greets, row.updated_by_member_id, row.updated_at = greets, by_member_id, clock.now()
    await session.flush()


async def upcoming_count(session: AsyncSession, actor: Actor, today: date | None = None) -> int:
    """The officer panel's count: the occasions of the coming days (the to-do's section) in the actor's scope."""
    return len(await upcoming(session, actor, today))


async def member_opted_out(session: AsyncSession, member_id: int) -> bool:
    return await session.get(AnniversaryOptOut, member_id) is not None


async def opt_out(session: AsyncSession, member_id: int, out: bool = True) -> None:
    """The member's greetings off (or on again). The caller commits."""
    if out:
        if not await member_opted_out(session, member_id):
            session.add(AnniversaryOptOut(member_id=member_id, created_at=clock.now()))
    else:
        await session.execute(delete(AnniversaryOptOut).where(AnniversaryOptOut.member_id == member_id))
    await session.flush()


async def _take(session: AsyncSession, o: Occasion) -> int | None:
    """The greeting row of this occasion, if this call made it (None: an earlier tick, or instance, did)."""
    from .sql import upsert

    stmt = (upsert(session, AnniversaryGreeting.__table__)
            .values(member_id=o.member_id, cell_id=o.cell_id, kind=o.kind.value, year=o.day.year, day=o.day,
                    years=o.years, created_at=clock.now())
            .on_conflict_do_nothing(index_elements=["member_id", "kind", "year"])
            .returning(AnniversaryGreeting.__table__.c.id))
    found: int | None = (await session.execute(stmt)).scalar_one_or_none()
    return found


async def daily_tick(session: AsyncSession, tz: tzinfo = VIETNAM, now: datetime | None = None) -> list[tuple[str, int]]:
    """From the rules' hour: today's occasions of the members of the cells that greet, not opted out, on
    Telegram, each queued once. Idempotent: a second call finds them taken. The caller commits."""
    now = now or clock.now()
    local = now.astimezone(tz)
    if local.hour < rules().greeting_hour:
        return []
    cells = list((await session.scalars(select(AnniversaryCell.cell_id).where(AnniversaryCell.greets.is_(True)))).all())
    if not cells:
        return []
    today = local.date()
    taken = set((await session.execute(select(AnniversaryGreeting.member_id, AnniversaryGreeting.kind)
                                       .where(AnniversaryGreeting.day == today))).all())
    left = [o for o in await on_day(session, today, cells) if (o.member_id, o.kind) not in taken]
    if not left:
        return []
    wanted = set((await session.scalars(
        select(Account.member_id).where(
            Account.member_id.in_({o.member_id for o in left}), Account.unreachable_at.is_(None),
            ~exists().where(AnniversaryOptOut.member_id == Account.member_id)))).all())
    queued = []
    for o in left:
        if o.member_id not in wanted:
            continue
        greeting_id = await _take(session, o)
        if greeting_id is not None and await deliveries.queue_to_members(session, GREETING_DELIVERY, greeting_id,
                                                                          [o.member_id]):
            queued.append((GREETING_DELIVERY, greeting_id))
    return queued


@dataclass(frozen=True)
class Greeting:
    member_id: int
    full_name: str
    cell_name: str
    kind: Kind
    years: int


async def greeting(session: AsyncSession, greeting_id: int) -> Greeting | None:
    """What a greeting says, at send time; None when it should not go any more (the member opted out since,
    the cell turned greetings off, or the row is gone)."""
    row = await session.get(AnniversaryGreeting, greeting_id)
    if row is None or await member_opted_out(session, row.member_id) or not await cell_greets(session, row.cell_id):
        return None
    found = (await session.execute(select(Member.full_name, Unit.name).join(Unit, Unit.id == row.cell_id)
                                   .where(Member.id == row.member_id))).first()
    if found is None:
        return None
    return Greeting(row.member_id, found[0], found[1], Kind(row.kind), row.years)
