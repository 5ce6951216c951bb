"""Anniversaries (issue 17): birthdays, longevity celebrations (mừng thọ) and party-join anniversaries due soon.

A member's birthday comes each year on the day of Member.birth_date; the ages of the rules file
(models/rules/anniversaries.toml: 70, 75 … 100) make it a longevity celebration. A party-join anniversary
comes on the day of Member.joined_on at the rules' years of party age (30, 35 … 90). A day of 29 February
falls on 28 February in a common year (models.party_age.add_months). The secretary's weekly to-do lists
what falls within the rules' days ahead (7). Officers see the members of their units only
(models.permissions). No Telegram here.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import rulesfile
from .dates import local_today
from .members import Member
from .party_age import add_months
from .permissions import Action, Actor, scope_paths, within_clause
from .units import Unit

__all__ = ["Kind", "Occasion", "Rules", "occasions_of", "on_day", "rules", "upcoming"]

RULES_FILE = Path(__file__).resolve().parent / "rules" / "anniversaries.toml"


@dataclass(frozen=True)
class Rules:
    version: int
    name: str
    short_name: str
    longevity_ages: tuple[int, ...]
    party_years: tuple[int, ...]
    days_ahead: int


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


async def _within(session: AsyncSession, paths: list[str] | None, first: date, last: date,
                  cell_ids: list[int] | None = None) -> list[Occasion]:
    stmt = (select(Member.id, Member.full_name, Member.birth_date, Member.joined_on, Unit.id, Unit.name)
            .join(Unit, Unit.id == Member.cell_id)
            .where(or_(Member.birth_date.is_not(None), Member.joined_on.is_not(None)))
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
