"""Opening a review round: a committee officer over the unit picks the year, the two deadlines and the rules
file; every member of the cells below gets an entry with the form their position gives and the points
suggested (last year's, else the rules' defaults), or is left out as exempt with the reason. Members on
Telegram are told through the outbox (kind "review_open", ref_id the entry). The daily tick reminds those
who have not sent theirs at the rules' days before the deadline, each reminder once (review_reminders)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ForeignKey, Integer, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .. import audit, clock, deliveries
from ..base import Base
from ..dates import VIETNAM, local_today
from ..members import Member
from ..party_age import add_months
from ..permissions import CELL_KINDS, Action, Actor, committee_paths, within_clause
from ..units import Unit
from .errors import ReviewError
from .rules import Form, Rules, rules
from .schema import ReviewEntry, ReviewRound, RoundState

OPEN_DELIVERY = "review_open"  # ref_id: ReviewEntry.id — the member is asked for their self-review
REMINDER_DELIVERY = "review_reminder"  # ref_id: ReviewReminder.id
MAX_DAYS_AHEAD = 120  # a deadline at most this many days after opening


class ReviewReminder(Base):
    """A reminder of a self-review not sent yet, queued once per entry and threshold."""

    __tablename__ = "review_reminders"
    __table_args__ = (UniqueConstraint("entry_id", "days_before", name="uq_review_reminders_entry_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("review_entries.id", ondelete="CASCADE"))
    days_before: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


async def units_to_open(session: AsyncSession, actor: Actor) -> list[Unit]:
    """The committees' units (not cells) on which `actor` may open a round, topmost first."""
    paths = committee_paths(actor, Action.open_review)
    if paths == []:
        return []
    stmt = select(Unit).where(Unit.kind.not_in(CELL_KINDS))
    if paths is None:
        stmt = stmt.where(Unit.parent_id.is_(None))
    else:
        stmt = stmt.where(Unit.path.in_(paths))
    return list((await session.scalars(stmt.order_by(Unit.path))).all())


def exempt_reason(r: Rules, member: Member, year: int) -> str | None:
    """Why a member is left out of the year's review (the rules' exemptions), or None."""
    if r.exempt_suspended and member.suspended_on is not None:
        return "suspended"
    if r.exempt_excused and member.exempt:
        return "excused"
    if member.joined_on is not None and member.joined_on > add_months(date(year, 12, 31), -r.admitted_months):
        return "recent"
    return None


async def _last_year_points(session: AsyncSession, member_ids: list[int], year: int) -> dict[int, tuple[Form, dict[str, Any]]]:
    """A query per 1,000 members: a city's round has 100,000, past what one statement may bind (PostgreSQL
    takes 32,767 parameters)."""
    found: dict[int, tuple[Form, dict[str, Any]]] = {}
    for start in range(0, len(member_ids), 1000):
        rows = await session.execute(
            select(ReviewEntry.member_id, ReviewEntry.form, ReviewEntry.points)
            .join(ReviewRound, ReviewRound.id == ReviewEntry.round_id)
            .where(ReviewRound.year == year - 1, ReviewEntry.submitted_at.is_not(None),
                   ReviewEntry.member_id.in_(member_ids[start:start + 1000])))
        found.update((m, (f, dict(p or {}))) for m, f, p in rows.all())
    return found


def suggested_points(r: Rules, form: Form, last: tuple[Form, dict[str, Any]] | None) -> dict[str, int]:
    """Last year's points for the same form's groups, else the rules' defaults."""
    before = last[1] if last is not None and last[0] is form else {}
    return {g.id: int(before[g.id]) if isinstance(before.get(g.id), int) and 0 <= before[g.id] <= g.max
            else g.default for g in r.groups(form)}


@dataclass(frozen=True)
class Opened:
    round: ReviewRound
    reviewed: int
    exempt: list[tuple[str, str, str]]  # (name, cell, reason)
    told: int


async def open_round(session: AsyncSession, actor: Actor, unit_id: int, year: int, self_deadline: date,
                     meeting_deadline: date, rules_id: str | None = None, today: date | None = None) -> Opened:
    """Open the year's round over a committee's unit. Raises ReviewError not_allowed, already_open, year,
    deadline_past, deadline_far, deadline_order. The caller commits."""
    today = today or local_today()
    unit = await session.get(Unit, unit_id)
    if unit is None or unit.is_cell or unit.id not in {u.id for u in await units_to_open(session, actor)}:
        raise ReviewError("not_allowed")
    if year not in (today.year - 1, today.year):
        raise ReviewError("year")
    if self_deadline < today:
        raise ReviewError("deadline_past")
    if meeting_deadline > today + timedelta(days=MAX_DAYS_AHEAD):
        raise ReviewError("deadline_far")
    if meeting_deadline < self_deadline:
        raise ReviewError("deadline_order")
    if await session.scalar(select(ReviewRound.id).where(ReviewRound.unit_id == unit.id,
                                                         ReviewRound.year == year)) is not None:
        raise ReviewError("already_open")
    r = rules(rules_id) if rules_id else rules()
    found = ReviewRound(unit_id=unit.id, year=year, self_deadline=self_deadline, meeting_deadline=meeting_deadline,
                        rules_id=r.id, rules_version=r.version, state=RoundState.open,
                        opened_by_member_id=actor.member_id, opened_at=clock.now())
    session.add(found)
    await session.flush()
    members = list((await session.execute(
        select(Member, Unit.name).join(Unit, Unit.id == Member.cell_id)
        .where(within_clause([unit.path]), Unit.kind.in_(CELL_KINDS), Member.living)
        .order_by(Unit.path, Member.sort_name, Member.id))).all())
    last = await _last_year_points(session, [m.id for m, _ in members], year)
    exempt, entries = [], []
    for member, cell_name in members:
        form = r.form_for(member.position)
        reason = exempt_reason(r, member, year)
        entry = ReviewEntry(round_id=found.id, member_id=member.id, cell_id=member.cell_id, form=form,
                            exempt_reason=reason, points=suggested_points(r, form, last.get(member.id)),
                            conditions=[], updated_at=clock.now())
        entries.append(entry)
        if reason:
            exempt.append((member.full_name, cell_name, reason))
    session.add_all(entries)
    await session.flush()
    told = 0
    chats = await deliveries.chats_of_members(session, [e.member_id for e in entries if not e.exempt])
    for entry in entries:  # a query per member on Telegram, none for the others
        if entry.member_id in chats:
            told += await deliveries.queue(session, OPEN_DELIVERY, entry.id, [(entry.member_id, chats[entry.member_id])])
    await audit.record(session, "review_opened", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id,
                       detail={"round": found.id, "unit": unit.id, "year": year, "rules": r.id,
                               "entries": len(entries), "exempt": len(exempt)})
    return Opened(found, len(entries) - len(exempt), exempt, told)


async def open_rounds(session: AsyncSession) -> list[ReviewRound]:
    return list((await session.scalars(select(ReviewRound).where(ReviewRound.state == RoundState.open)
                                       .order_by(ReviewRound.id))).all())


def reminder_due(r: Rules, deadline: date, today: date) -> int | None:
    """The reminder threshold of `today` (the smallest of the rules' days not below the days left: a day
    missed while the bot was down is not made up twice), None outside them."""
    left = (deadline - today).days
    due = [d for d in r.reminder_days if d >= left]
    return min(due) if left >= 0 and due else None


async def daily_tick(session: AsyncSession, tz: tzinfo = VIETNAM, now: datetime | None = None) -> list[tuple[str, int]]:
    """Remind every member on Telegram who has not sent their self-review, at the rules' days before the
    deadline, once per threshold however often it runs. The caller commits."""
    from ..sql import upsert

    today = (now or clock.now()).astimezone(tz).date()
    queued: list[tuple[str, int]] = []
    for rnd in await open_rounds(session):
        days = reminder_due(rules(rnd.rules_id), rnd.self_deadline, today)
        if days is None:
            continue
        waiting = (await session.execute(
            select(ReviewEntry.id, ReviewEntry.member_id).where(
                ReviewEntry.round_id == rnd.id, ReviewEntry.submitted_at.is_(None),
                ReviewEntry.exempt_reason.is_(None)))).all()
        for entry_id, member_id in waiting:
            stmt = (upsert(session, ReviewReminder.__table__)
                    .values(entry_id=entry_id, days_before=days, created_at=clock.now())
                    .on_conflict_do_nothing(index_elements=["entry_id", "days_before"])
                    .returning(ReviewReminder.__table__.c.id))
            reminder_id = (await session.execute(stmt)).scalar_one_or_none()
            if reminder_id is not None and await deliveries.queue_to_members(
                    session, REMINDER_DELIVERY, reminder_id, [member_id]):
                queued.append((REMINDER_DELIVERY, reminder_id))
    return queued


async def reminder_entry(session: AsyncSession, reminder_id: int) -> tuple[int, int] | None:
    """(entry id, days before) of a reminder."""
    row = await session.get(ReviewReminder, reminder_id)
    return None if row is None else (row.entry_id, row.days_before)
