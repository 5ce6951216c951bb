"""Party age and the Party membership badges (Huy hiệu Đảng).

Party age runs by month from the admission date (Member.joined_on), less the periods out of the party
(PartyGap). A badge is due at 30, 40, 45 … 90 years and presented on the first award day (3/2, 19/5,
2/9, 7/11) on or after the member reaches it; each discipline decided before then delays it by the
rules' months. A badge given is an Award titled "Huy hiệu N năm tuổi Đảng" (the profile's awards, as
imported): it is not proposed again, nor is one below it. The figures are data
(models/rules/badges_2025.toml), read once by `rules()`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import audit, rulesfile
from .dates import local_today
from .members import Award, Discipline, DisciplineForm, Member, PartyGap, ProfileView
from .permissions import Action, Actor, committee_paths, within_clause
from .text import fold
from .units import Unit

__all__ = [
    "Badge", "BadgeError", "Due", "PartyAge", "Rules", "Standing", "add_award", "add_months", "award_day_on_or_after",
    "badge_title", "due_at", "member_standing", "standing_of", "months_between", "next_badge", "party_months", "proposal",
    "may_award_anywhere", "record_award", "record_gap", "rules",
]

RULES_FILE = Path(__file__).resolve().parent / "rules" / "badges_2025.toml"
BADGE_TITLE = re.compile(r"\bhuy hieu (\d{1,3}) nam tuoi dang\b")
CHUNK = 500  # members per IN (...) when loading facts


@dataclass(frozen=True)
class Rules(rulesfile.Heading):
    milestones: tuple[int, ...]
    award_days: tuple[tuple[int, int], ...]  # (month, day), in the year's order
    lead_weeks: int
    discipline_months: dict[DisciplineForm, int]


def load_rules(path: Path) -> Rules:
    data = rulesfile.read(path)
    badges = data["badges"]
    return Rules(
        **rulesfile.heading(data),
        milestones=tuple(sorted(int(m) for m in badges["milestones"])),
        award_days=tuple(sorted((int(m), int(d)) for m, d in badges["award_days"])),
        lead_weeks=int(badges["lead_weeks"]),
        discipline_months={DisciplineForm(k): int(v) for k, v in data["discipline"].items()},
    )


@cache
def rules() -> Rules:
    return load_rules(RULES_FILE)


class BadgeError(Exception):
    """A badge that cannot be recorded; `reason` names the catalog message (badge.refused.<reason>)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- dates by month ---------------------------------------------------------------------------------------
def add_months(d: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day (29/02 + 12 → 28/02)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, min(d.day, day))
        except ValueError:
            continue
    raise ValueError(d)  # unreachable: every month has 28 days


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (0 when end is not after start), as add_months counts them."""
    if end <= start:
        return 0
    n = (end.year - start.year) * 12 + end.month - start.month
    return n - 1 if add_months(start, n) > end else n


def award_day_on_or_after(d: date) -> date:
    """The first award day (rules' award_days) on or after `d`."""
    for year in (d.year, d.year + 1):
        for month, day in rules().award_days:
            if (found := date(year, month, day)) >= d:
                return found
    raise ValueError(d)  # unreachable: next year's first award day is after d


def badge_title(milestone: int) -> str:
    """The award's title as the profile keeps it (and the importer reads it)."""
    return f"Huy hiệu {milestone} năm tuổi Đảng"


def milestone_of(title: str | None) -> int | None:
    """The years of a badge award's title ("Huy hiệu 40 năm tuổi Đảng", any case or diacritics), or None."""
    found = BADGE_TITLE.search(fold(title))
    return int(found.group(1)) if found else None


# --- one member ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PartyAge:
    months_total: int

    @property
    def years(self) -> int:
        return self.months_total // 12

    @property
    def months(self) -> int:
        return self.months_total % 12


@dataclass
class Facts:
    """What a member's party age and badges are computed from."""

    joined_on: date | None
    gaps: list[tuple[date, date | None]] = field(default_factory=list)
    disciplines: list[tuple[date | None, DisciplineForm]] = field(default_factory=list)
    awarded: set[int] = field(default_factory=set)


def party_months(facts: Facts, at: date) -> int | None:
    """Party age at `at` in whole months, gaps deducted; None without an admission date or before it."""
    joined = facts.joined_on
    if joined is None or at < joined:
        return None
    out = 0
    for start, until in facts.gaps:
        end = at if until is None else min(until, at)
        out += months_between(max(start, joined), end)
    return max(0, months_between(joined, at) - out)


def reach_date(facts: Facts, months: int) -> date | None:
    """The first month-day on which party age reaches `months`; None when it never does (out of the party)."""
    joined = facts.joined_on
    if joined is None:
        return None
    if any(until is None for _, until in facts.gaps):
        return None  # out of the party now: their age stands still
    most = sum(months_between(start, until) for start, until in facts.gaps if until is not None) + 2
    for extra in range(most + 1):
        d = add_months(joined, months + extra)
        if (party_months(facts, d) or 0) >= months:
            return d
    return None


def delay_months(facts: Facts, reached: date) -> int:
    """⚠ The months discipline delays a badge reached on `reached`: each discipline decided before the
    (delayed) date adds the rules' months for its form; a discipline without a date counts."""
    table = rules().discipline_months
    delay = 0
    for decided, form in sorted(facts.disciplines, key=lambda d: d[0] or date.min):
        if decided is None or decided <= add_months(reached, delay):
            delay += table.get(form, 0)
    return delay


@dataclass(frozen=True)
class Badge:
    milestone: int
    reached_on: date  # party age reaches the milestone
    delay_months: int  # ⚠ discipline
    eligible_on: date  # reached_on + the delay
    award_day: date  # the award day it is presented on
    overdue: bool = False  # its own award day has passed without it being recorded


def next_badge(facts: Facts, today: date) -> Badge | None:
    """The badge to give next, seen on `today`: the highest one due by the next award day (a lower one
    missed is superseded), else the lowest still ahead. None: no admission date, out of the party, or
    every milestone given."""
    top = max(facts.awarded, default=0)
    due_by = award_day_on_or_after(today)
    ahead: list[Badge] = []
    for milestone in (m for m in rules().milestones if m > top):
        reached = reach_date(facts, milestone * 12)
        if reached is None:
            return None
        delay = delay_months(facts, reached)
        eligible = add_months(reached, delay)
        own_day = award_day_on_or_after(eligible)
        ahead.append(Badge(milestone, reached, delay, eligible, max(own_day, due_by), own_day < due_by))
    due = [b for b in ahead if b.eligible_on <= due_by]
    if due:
        return due[-1]
    return ahead[0] if ahead else None


# --- loading ------------------------------------------------------------------------------------------------
# Built once: /profile asks them on every call, and building a statement costs more than running it.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_GAPS = select(PartyGap.member_id, PartyGap.from_on, PartyGap.until_on).where(PartyGap.member_id.in_(_IDS))
_DISCIPLINES = select(Discipline.member_id, Discipline.decided_on, Discipline.form).where(Discipline.member_id.in_(_IDS))
_AWARDS = select(Award.member_id, Award.title).where(Award.member_id.in_(_IDS))
_JOINED = select(Member.joined_on).where(Member.id == bindparam("member_id"))


async def _facts(session: AsyncSession, members: Sequence[tuple[int, date | None]]) -> dict[int, Facts]:
    facts = {member_id: Facts(joined) for member_id, joined in members}
    ids = list(facts)
    for i in range(0, len(ids), CHUNK):
        chunk = {"ids": ids[i:i + CHUNK]}
        for member_id, start, until in (await session.execute(_GAPS, chunk)).all():
            facts[member_id].gaps.append((start, until))
        for member_id, decided, form in (await session.execute(_DISCIPLINES, chunk)).all():
            facts[member_id].disciplines.append((decided, form))
        for member_id, title in (await session.execute(_AWARDS, chunk)).all():
            if (milestone := milestone_of(title)) is not None:
                facts[member_id].awarded.add(milestone)
    return facts


@dataclass(frozen=True)
class Standing:
    """What /profile shows: party age today and the next badge."""

    age: PartyAge | None
    badge: Badge | None
    rule: str  # the rules' short name, shown beside a date discipline moved


async def member_standing(session: AsyncSession, member_id: int, today: date | None = None) -> Standing:
    today = today or local_today()
    joined = await session.scalar(_JOINED, {"member_id": member_id})
    facts = (await _facts(session, [(member_id, joined)]))[member_id]
    return _standing(facts, today)


def standing_of(view: ProfileView, today: date | None = None) -> Standing:
    """`member_standing` from what a profile read (models/members.py load_profile) already holds: no query."""
    facts = Facts(view.member.joined_on, list(view.gaps), [(d.decided_on, d.form) for d in view.disciplines],
                  {m for a in view.awards if (m := milestone_of(a.title)) is not None})
    return _standing(facts, today or local_today())


def _standing(facts: Facts, today: date) -> Standing:
    months = party_months(facts, today)
    return Standing(PartyAge(months) if months is not None else None, next_badge(facts, today), rules().short_name)


# --- a committee's list and the award -------------------------------------------------------------------------
@dataclass(frozen=True)
class Due:
    member_id: int
    full_name: str
    cell_name: str
    badge: Badge


def next_award_day(today: date | None = None) -> date:
    return award_day_on_or_after(today or local_today())


def within_lead(award_day: date, today: date | None = None) -> bool:
    """Is `award_day` close enough for committees to be shown what is due (the rules' lead_weeks)?"""
    return (award_day - (today or local_today())).days <= 7 * rules().lead_weeks


async def due_at(session: AsyncSession, actor: Actor, award_day: date) -> list[Due]:
    """The members of the units `actor` may award badges in (a committee above the cells) who have a badge
    due on `award_day`: reached (discipline delay included) by then and not given; by cell, then name."""
    paths = committee_paths(actor, Action.award_badges)
    if paths == []:
        return []
    youngest = add_months(award_day, -12 * min(rules().milestones))
    stmt = (select(Member.id, Member.joined_on, Member.full_name, Unit.name)
            .join(Unit, Unit.id == Member.cell_id)
            .where(Member.joined_on.is_not(None), Member.joined_on <= youngest, Member.living)
            .order_by(Unit.path, Member.sort_name, Member.id))
    if paths is not None:
        stmt = stmt.where(within_clause(paths))
    rows = (await session.execute(stmt)).all()
    facts = await _facts(session, [(r[0], r[1]) for r in rows])
    found = []
    for member_id, _joined, name, cell_name in rows:
        badge = next_badge(facts[member_id], award_day)
        if badge is not None and badge.award_day == award_day:
            found.append(Due(member_id, name, cell_name, badge))
    return found


async def due_count(session: AsyncSession, actor: Actor, today: date | None = None) -> int:
    """What waits on the panel: the badges due at the next award day, once it is within the lead weeks."""
    day = next_award_day(today)
    if not within_lead(day, today) or not may_award_anywhere(actor):
        return 0
    return len(await due_at(session, actor, day))


def may_award_anywhere(actor: Actor) -> bool:
    """Is `actor` a committee above the cells (or an administrator): the one who sees and records badges?"""
    return committee_paths(actor, Action.award_badges) != []


def may_award(actor: Actor, cell: Unit) -> bool:
    paths = committee_paths(actor, Action.award_badges)
    """May `actor` record badges of the members of `cell`: a committee above it, or an administrator."""
    return paths is None or any(cell.path.startswith(p) for p in paths)


async def proposal(session: AsyncSession, actor: Actor, member_id: int, milestone: int,
                   today: date | None = None) -> Due:
    """The badge of `milestone` years as the member's due one at the next award day, checked (a button's
    data is not trusted). Raises BadgeError: not_allowed (no such member, or out of the actor's units),
    bad_milestone, already (this badge or a higher one given), not_due (not reached by the next award day)."""
    today = today or local_today()
    found = (await session.execute(select(Member, Unit).join(Unit, Unit.id == Member.cell_id)
                                   .where(Member.id == member_id))).first()
    if found is None or not may_award(actor, found[1]):
        raise BadgeError("not_allowed")
    member, cell = found
    if milestone not in rules().milestones:
        raise BadgeError("bad_milestone")
    facts = (await _facts(session, [(member.id, member.joined_on)]))[member.id]
    if milestone <= max(facts.awarded, default=0):
        raise BadgeError("already")
    badge = next_badge(facts, today)
    if badge is None or badge.milestone != milestone or badge.award_day != next_award_day(today):
        raise BadgeError("not_due")
    return Due(member.id, member.full_name, cell.name, badge)


async def record_award(session: AsyncSession, actor: Actor, member_id: int, milestone: int,
                       today: date | None = None) -> tuple[Due, Award]:
    """Record the badge of `milestone` years in the member's awards, dated its award day; audited. Returns
    what was due and the award. Raises BadgeError as `proposal` does: a second award is refused."""
    due = await proposal(session, actor, member_id, milestone, today)
    badge = due.badge
    award = await add_award(session, actor, due.member_id, milestone, badge.award_day,
                            {"delay_months": badge.delay_months})
    return due, award


async def add_award(session: AsyncSession, actor: Actor, member_id: int, milestone: int, day: date,
                    detail: dict[str, object]) -> Award:
    """The badge written last in the member's awards, dated `day`; audited (badge_awarded, with `detail`)."""
    position = await session.scalar(select(func.max(Award.position_no)).where(Award.member_id == member_id))
    award = Award(member_id=member_id, position_no=(position or 0) + 1, awarded_on=day, title=badge_title(milestone))
    session.add(award)
    await session.flush()
    await audit.record(session, "badge_awarded", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member_id,
                       detail={"milestone": milestone, "award_day": day.isoformat(), **detail,
                               "rules": rules().version})
    return award


async def record_gap(session: AsyncSession, actor: Actor, member_id: int, from_on: date, until_on: date | None,
                     note: str | None = None, today: date | None = None) -> PartyGap:
    """Record a period out of the party (deducted from party age); `until_on` None: not back yet. Audited.
    Raises BadgeError: not_allowed (no such member, or out of the actor's units), gap_dates (before the
    admission, in the future, or ending before it starts), gap_overlap (over a period already recorded)."""
    today = today or local_today()
    found = (await session.execute(select(Member, Unit).join(Unit, Unit.id == Member.cell_id)
                                   .where(Member.id == member_id))).first()
    if found is None or not may_award(actor, found[1]):
        raise BadgeError("not_allowed")
    member = found[0]
    if (member.joined_on is None or from_on < member.joined_on or from_on > today
            or (until_on is not None and (until_on <= from_on or until_on > today))):
        raise BadgeError("gap_dates")
    end = until_on or date.max
    for start, until in (await session.execute(select(PartyGap.from_on, PartyGap.until_on)
                                               .where(PartyGap.member_id == member.id))).all():
        if start < end and from_on < (until or date.max):
            raise BadgeError("gap_overlap")
    gap = PartyGap(member_id=member.id, from_on=from_on, until_on=until_on, note=note)
    session.add(gap)
    await session.flush()
    await audit.record(session, "party_gap_recorded", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member.id,
                       detail={"from": from_on.isoformat(), "until": until_on.isoformat() if until_on else None})
    return gap
