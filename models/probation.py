"""Probation (Đảng viên dự bị): the deadlines of a probationary member and who is due soon.

A probationary member has an admission date (Member.joined_on, the admission decision) and no
"Ngày chính thức" (Member.official_on None). From the decision: the admission ceremony within 30 working
days; month 12, counted from the ceremony when one is recorded (Member.ceremony_on), else from the
decision; the conversion meeting within 30 working days after month 12. Past that window without
official_on the probation has lapsed. The figures are data (models/rules/probation_2025.toml), working
days Vietnam's (models/workdays.py).
Officers see the members of their units only (models.permissions). No Telegram here.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import rulesfile
from .dates import local_today
from .members import Member
from .party_age import add_months
from .permissions import Action, Actor, scope_paths, within_clause
from .units import Unit
from .workdays import add_working_days

__all__ = ["Deadlines", "Due", "Rules", "Status", "deadlines", "deadlines_of", "due", "due_count", "member_deadlines", "rules"]

RULES_FILE = Path(__file__).resolve().parent / "rules" / "probation_2025.toml"


@dataclass(frozen=True)
class Rules(rulesfile.Heading):
    ceremony_working_days: int
    months: int
    month12_from: str  # "ceremony" (when recorded, else the decision) or "decision"
    conversion_working_days: int
    reminder_days: tuple[int, ...]  # descending: the first is the listing's window

    @property
    def window_days(self) -> int:
        return self.reminder_days[0]


def load_rules(path: Path) -> Rules:
    data = rulesfile.read(path)
    probation = data["probation"]
    month12_from = str(probation["month12_from"])
    if month12_from not in ("ceremony", "decision"):
        raise ValueError(f"{path}: month12_from is 'ceremony' or 'decision', not {month12_from!r}")
    return Rules(
        **rulesfile.heading(data),
        ceremony_working_days=int(probation["ceremony_working_days"]),
        months=int(probation["months"]),
        month12_from=month12_from,
        conversion_working_days=int(probation["conversion_working_days"]),
        reminder_days=tuple(sorted((int(d) for d in data["reminders"]["days"]), reverse=True)),
    )


@cache
def rules() -> Rules:
    return load_rules(RULES_FILE)


class Status(str, enum.Enum):
    ceremony_due = "ceremony_due"  # the admission ceremony's window is open
    on_track = "on_track"  # between the ceremony's window and month 12
    conversion_due = "conversion_due"  # month 12 passed, the conversion meeting's window is open
    lapsed = "lapsed"  # the conversion window passed without "Ngày chính thức"


@dataclass(frozen=True)
class Deadlines:
    decided_on: date
    ceremony_by: date
    month12: date
    conversion_by: date
    status: Status

    @property
    def next_deadline(self) -> date:
        """The deadline that matters now: the ceremony's while it is due, else the conversion's."""
        return self.ceremony_by if self.status is Status.ceremony_due else self.conversion_by


def deadlines(decided_on: date, today: date, ceremony_on: date | None = None) -> Deadlines:
    """The deadlines of a member admitted (decision) on `decided_on`, and their status on `today`;
    `ceremony_on`, the admission ceremony when recorded."""
    r = rules()
    ceremony_by = add_working_days(decided_on, r.ceremony_working_days)
    start = ceremony_on if ceremony_on is not None and r.month12_from == "ceremony" else decided_on
    month12 = add_months(start, r.months)
    conversion_by = add_working_days(month12, r.conversion_working_days)
    if ceremony_on is None and today <= ceremony_by:
        status = Status.ceremony_due
    elif today < month12:
        status = Status.on_track
    elif today <= conversion_by:
        status = Status.conversion_due
    else:
        status = Status.lapsed
    return Deadlines(decided_on, ceremony_by, month12, conversion_by, status)


async def member_deadlines(session: AsyncSession, member_id: int, today: date | None = None) -> Deadlines | None:
    """What /profile shows of a probationary member; None for a full member, one without an admission
    date, or one whose admission date is in the future."""
    today = today or local_today()
    found = (await session.execute(select(Member.joined_on, Member.official_on, Member.ceremony_on)
                                   .where(Member.id == member_id))).first()
    if found is None:
        return None
    return deadlines_of(*found, today)


def deadlines_of(joined: date | None, official: date | None, ceremony: date | None,
                 today: date | None = None) -> Deadlines | None:
    """`member_deadlines` from a member's admission, official and ceremony dates already read: no query."""
    today = today or local_today()
    if joined is None or official is not None or joined > today:
        return None
    return deadlines(joined, today, ceremony)


# --- an officer's list ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Due:
    member_id: int
    full_name: str
    cell_name: str
    deadlines: Deadlines
    days_left: int  # to the next deadline; negative when lapsed

    @property
    def threshold(self) -> int | None:
        """The smallest reminder threshold (30, 7, 1 days) the deadline is within; None when lapsed."""
        if self.days_left < 0:
            return None
        return min((d for d in rules().reminder_days if self.days_left <= d), default=None)


async def due(session: AsyncSession, actor: Actor, today: date | None = None,
              within_days: int | None = None) -> list[Due]:
    """The probationary members of the units `actor` sees the profiles of whose next deadline is within
    `within_days` (the rules' window by default), lapsed ones included; soonest first, then by name."""
    today = today or local_today()
    within = rules().window_days if within_days is None else within_days
    paths = scope_paths(actor, Action.view_profile)
    if paths == []:
        return []
    stmt = (select(Member.id, Member.full_name, Member.joined_on, Member.ceremony_on, Unit.name)
            .join(Unit, Unit.id == Member.cell_id)
            .where(Member.joined_on.is_not(None), Member.joined_on <= today, Member.official_on.is_(None),
                   Member.living)
            .order_by(Unit.path, Member.sort_name, Member.id))
    if paths is not None:
        stmt = stmt.where(within_clause(paths))
    found = []
    for member_id, name, joined, ceremony, cell_name in (await session.execute(stmt)).all():
        if joined is None:  # the query leaves these out; for the type checker
            continue
        d = deadlines(joined, today, ceremony)
        left = (d.next_deadline - today).days
        if d.status is Status.lapsed or left <= within:
            found.append(Due(member_id, name, cell_name, d, left))
    return sorted(found, key=lambda x: x.days_left)


async def due_count(session: AsyncSession, actor: Actor, today: date | None = None) -> int:
    """What waits on the officer's panel: probationary members with a deadline within the window."""
    return len(await due(session, actor, today))
