"""The lists of votes: a member's, an officer's, and the meetings a new vote may belong to."""
from __future__ import annotations

__all__ = ["MeetingChoice", "MemberVote", "for_member", "managed_votes", "meetings_for_votes"]

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from .. import clock
from ..permissions import Actor, managed_cells
from .ballots import has_voted
from .tables import Elector, Vote


# --- lists ------------------------------------------------------------------------------------------------
@dataclass
class MemberVote:
    vote: Vote
    can_vote: bool
    voted: bool


async def for_member(session: AsyncSession, member_id: int, *, closed_limit: int = 5,
                     now: datetime | None = None) -> tuple[list[MemberVote], list[MemberVote]]:
    """The member's open votes (soonest to close first) and the latest closed ones."""
    now = now or clock.now()
    base = (
        select(Vote, Elector.can_vote)
        .join(Elector, (Elector.vote_id == Vote.id) & (Elector.member_id == member_id))
        .options(selectinload(Vote.options), selectinload(Vote.cell))
    )
    open_rows = (await session.execute(
        base.where(Vote.closed_at.is_(None), Vote.closes_at > now).order_by(Vote.closes_at, Vote.id).limit(10)
    )).all()
    closed_rows = (await session.execute(
        base.where(or_(Vote.closed_at.is_not(None), Vote.closes_at <= now))
        .order_by(Vote.closes_at.desc(), Vote.id.desc()).limit(closed_limit)
    )).all()
    out = []
    for rows in (open_rows, closed_rows):
        out.append([MemberVote(v, bool(c), await has_voted(session, v, member_id)) for v, c in rows])
    return out[0], out[1]


async def managed_votes(session: AsyncSession, actor: Actor, limit: int = 8) -> list[Vote]:
    """Votes in the cells the actor manages: open ones first, then the latest closed."""
    cells = await managed_cells(session, actor)
    if not cells:
        return []
    return list((await session.scalars(
        select(Vote).where(Vote.cell_id.in_([c.id for c in cells]))
        .options(selectinload(Vote.options), selectinload(Vote.cell))
        .order_by(case((Vote.closed_at.is_(None), 0), else_=1), Vote.closes_at.desc(), Vote.id.desc())
        .limit(limit)
    )).all())


@dataclass
class MeetingChoice:
    id: int
    title: str
    starts_at: datetime


async def meetings_for_votes(session: AsyncSession, cell_id: int, now: datetime | None = None,
                             limit: int = 5) -> list[MeetingChoice]:
    """The cell's meetings a vote may belong to: held or starting within a day, not cancelled."""
    try:
        from ..meetings import Meeting, MeetingState
    except ImportError:
        return []
    now = now or clock.now()
    rows = (await session.execute(
        select(Meeting.id, Meeting.title, Meeting.starts_at)
        .where(Meeting.cell_id == cell_id, Meeting.state != MeetingState.cancelled,
               Meeting.starts_at <= now + timedelta(days=1), Meeting.starts_at >= now - timedelta(days=7))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(limit)
    )).all()
    return [MeetingChoice(i, t, s) for i, t, s in rows]
