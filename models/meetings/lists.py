"""Lists of meetings: a member's calendar, a secretary's meetings, a cell's usual places, days and cell."""
from __future__ import annotations

__all__ = [
    "MemberMeeting", "cell_name", "managed_meetings", "past_for_member", "recent_places", "roll_call_due",
    "upcoming_for_member", "usual_days", "usual_first",
]

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from .. import clock
from ..permissions import Actor, managed_cells
from ..units import Unit
from .rsvp import _member_cell
from .schema import ROLL_CALL_OPENS, Answer, Attendance, Meeting, MeetingKind, MeetingRsvp, MeetingState, Presence


# --- lists ----------------------------------------------------------------------------------------------
@dataclass
class MemberMeeting:
    meeting: Meeting
    answer: Answer | None
    presence: Presence | None


async def upcoming_for_member(session: AsyncSession, member_id: int, limit: int = 5,
                              now: datetime | None = None) -> list[MemberMeeting]:
    """The member's cell's meetings not begun yet (or begun less than 3 hours ago), soonest first."""
    now = now or clock.now()
    cell_id = await _member_cell(session, member_id)
    rows = await session.execute(
        select(Meeting, MeetingRsvp.answer)
        .outerjoin(MeetingRsvp, and_(MeetingRsvp.meeting_id == Meeting.id, MeetingRsvp.member_id == member_id))
        .where(Meeting.cell_id == cell_id, Meeting.state == MeetingState.scheduled,
               Meeting.starts_at > now - timedelta(hours=3))
        .options(selectinload(Meeting.cell))
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    return [MemberMeeting(m, a, None) for m, a in rows.all()]


async def past_for_member(session: AsyncSession, member_id: int, limit: int = 6) -> list[MemberMeeting]:
    """Meetings the member was on the roll of, latest first, with their attendance."""
    rows = await session.execute(
        select(Meeting, Attendance.status)
        .join(Attendance, and_(Attendance.meeting_id == Meeting.id, Attendance.member_id == member_id))
        .where(Meeting.state == MeetingState.closed)
        .options(selectinload(Meeting.cell))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(limit)
    )
    return [MemberMeeting(m, None, p or Presence.unexcused) for m, p in rows.all()]


async def managed_meetings(session: AsyncSession, actor: Actor, limit: int = 10,
                           now: datetime | None = None) -> list[Meeting]:
    """For the secretary's /meeting list: upcoming meetings and those held but not yet closed or approved."""
    now = now or clock.now()
    cells = await managed_cells(session, actor)
    if not cells:
        return []
    stmt = (
        select(Meeting)
        .where(Meeting.cell_id.in_([c.id for c in cells]),
               or_(Meeting.state == MeetingState.scheduled,
                   and_(Meeting.state == MeetingState.closed, Meeting.minutes_approved_at.is_(None)),
                   and_(Meeting.state == MeetingState.closed, Meeting.closed_at > now - timedelta(days=7))))
        .options(selectinload(Meeting.cell))
        .order_by(case((Meeting.state == MeetingState.scheduled, 0), else_=1), Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def roll_call_due(session: AsyncSession, actor: Actor, limit: int = 30,
                        now: datetime | None = None) -> list[Meeting]:
    """The meetings whose roll this officer can take or finish now: begun (or within ROLL_CALL_OPENS of it), not
    cancelled, minutes not yet approved. /attendance and the officer's panel ("✅ Điểm danh (1)") show them."""
    now = now or clock.now()
    return [m for m in await managed_meetings(session, actor, limit=limit, now=now)
            if m.minutes_approved_at is None and m.state is not MeetingState.cancelled
            and now >= m.starts_at - ROLL_CALL_OPENS]


async def cell_name(session: AsyncSession, cell_id: int) -> str | None:
    return await session.scalar(select(Unit.name).where(Unit.id == cell_id))



async def recent_places(session: AsyncSession, cell_id: int | None, limit: int) -> list[str]:
    """The places of the cell's meetings, the most recently used first: offered as one-tap answers."""
    rows = (await session.execute(
        select(Meeting.place, func.max(Meeting.id)).where(Meeting.cell_id == cell_id)
        .group_by(Meeting.place).order_by(func.max(Meeting.id).desc()).limit(limit))).all()
    return [place for place, _ in rows]


USUAL_OF_LAST = 6  # regular meetings looked at for the usual day


async def usual_days(session: AsyncSession, cell_id: int, tz: tzinfo | None, last: int = USUAL_OF_LAST) -> list[int]:
    """The day(s) of the month the cell usually meets on: the most common day of its last `last` regular
    meetings (not cancelled), in the unit's time zone; ties give every tied day. Meetings each on a
    different day show no habit: none then (one meeting alone does make its day the usual one)."""
    starts = (await session.scalars(
        select(Meeting.starts_at).where(Meeting.cell_id == cell_id, Meeting.kind == MeetingKind.regular,
                                        Meeting.state != MeetingState.cancelled)
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(last))).all()
    counts = Counter((s.astimezone(tz) if tz else s).day for s in starts)
    if not counts:
        return []
    top = max(counts.values())
    if top == 1 and len(starts) > 1:
        return []
    return sorted(day for day, n in counts.items() if n == top)


async def usual_first(session: AsyncSession, actor: Actor, cells: Sequence[Unit]) -> list[Unit]:
    """`cells` with the officer's usual one first: the cell they last scheduled a meeting for, else the cell
    they are a member of; the others keep their order."""
    ids = [c.id for c in cells]
    usual = None
    if actor.member_id is not None and ids:
        usual = await session.scalar(
            select(Meeting.cell_id).where(Meeting.created_by_member_id == actor.member_id, Meeting.cell_id.in_(ids))
            .order_by(Meeting.created_at.desc(), Meeting.id.desc()).limit(1))
        if usual is None:
            usual = await _member_cell(session, actor.member_id)
    return sorted(cells, key=lambda c: c.id != usual)
