"""The scheduler's ticks: votes closed when their time comes (results queued once), reminders."""
from __future__ import annotations

__all__ = ["RESULT_ROUTES", "ResultRoute", "close_due", "close_vote", "remind_due"]

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import audit, clock, deliveries
from ..permissions import Actor
from ..sql import rowcount
from .ballots import _present_ids
from .tables import (
    CLOSE_BATCH,
    REMINDER_DELIVERY,
    RESULT_DELIVERY,
    ROLL_DELIVERY,
    Ballot,
    BallotKind,
    Elector,
    Electorate,
    SecretVoter,
    Vote,
)

ResultRoute = Callable[[AsyncSession, Vote, datetime], Awaitable[bool]]
# A feature that tells a batch of its votes' results in one message registers a route here: given a vote just
# closed, True when the feature queues its results itself (the engine then queues none); False for the others.
RESULT_ROUTES: list[ResultRoute] = []


# --- closing and reminding (the scheduler's ticks) --------------------------------------------------------
async def close_vote(session: AsyncSession, vote_id: int, *, by: Actor | None = None,
                     now: datetime | None = None) -> bool:
    """Close a vote and queue its results, once: False when it was closed already (by the clock, the
    secretary, or another scheduler). `by` is an officer closing early; the caller checked may_manage_cell."""
    now = now or clock.now()
    won = await session.execute(
        update(Vote).where(Vote.id == vote_id, Vote.closed_at.is_(None))
        .values(closed_at=now, closed_by_member_id=by.member_id if by else None)
        .execution_options(synchronize_session=False)
    )
    if rowcount(won) != 1:
        return False
    vote = (await session.execute(
        select(Vote).where(Vote.id == vote_id).execution_options(populate_existing=True)
    )).scalar_one()  # the row this transaction just updated
    if vote.meeting_id is not None and vote.electorate is Electorate.members:
        await _refresh_presence(session, vote, vote.meeting_id)
    everyone = (await session.scalars(
        select(Elector.member_id).where(Elector.vote_id == vote.id).order_by(Elector.member_id)
    )).all()
    routed = False
    for route in RESULT_ROUTES:
        if routed := await route(session, vote, now):
            break
    if not routed:
        await deliveries.queue_to_members(session, RESULT_DELIVERY, vote.id, everyone, not_before=now)
    if not vote.is_secret and vote.opened_by_member_id is not None:
        await deliveries.queue_to_members(session, ROLL_DELIVERY, vote.id, [vote.opened_by_member_id],
                                          not_before=now)
    await audit.record(session, "vote_closed", actor_telegram_id=by.telegram_user_id if by else None,
                       actor_member_id=by.member_id if by else None,
                       detail={"vote_id": vote.id, "early": by is not None})
    return True


async def _refresh_presence(session: AsyncSession, vote: Vote, meeting_id: int) -> None:
    """The roll-call may have gone on after the vote opened: "of those present" counts the final roll."""
    present = await _present_ids(session, meeting_id)
    await session.execute(
        update(Elector).where(Elector.vote_id == vote.id)
        .values(present=Elector.member_id.in_(sorted(present)) if present else False)
        .execution_options(synchronize_session=False)
    )


async def close_due(session: AsyncSession, now: datetime | None = None) -> list[int]:
    """Close the votes whose time has come; idempotent across processes. Returns the ids this call closed."""
    now = now or clock.now()
    ids = (await session.scalars(
        select(Vote.id).where(Vote.closed_at.is_(None), Vote.closes_at <= now)
        .order_by(Vote.closes_at, Vote.id).limit(CLOSE_BATCH)
    )).all()
    return [vote_id for vote_id in ids if await close_vote(session, vote_id, now=now)]


async def remind_due(session: AsyncSession, now: datetime | None = None) -> list[int]:
    """Remind the electors who have not voted, once per vote. Returns the ids reminded by this call."""
    now = now or clock.now()
    ids = (await session.scalars(
        select(Vote.id).where(Vote.reminded_at.is_(None), Vote.remind_at <= now, Vote.closed_at.is_(None),
                              Vote.closes_at > now)
        .order_by(Vote.remind_at, Vote.id).limit(CLOSE_BATCH)
    )).all()
    done = []
    for vote_id in ids:
        won = await session.execute(
            update(Vote).where(Vote.id == vote_id, Vote.reminded_at.is_(None)).values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(won) != 1:
            continue
        secret = await session.scalar(select(Vote.ballot).where(Vote.id == vote_id)) is BallotKind.secret
        model = SecretVoter if secret else Ballot
        missing = (await session.scalars(
            select(Elector.member_id)
            .where(Elector.vote_id == vote_id, Elector.can_vote.is_(True),
                   Elector.member_id.not_in(select(model.member_id).where(model.vote_id == vote_id)))
            .order_by(Elector.member_id)
        )).all()
        await deliveries.queue_to_members(session, REMINDER_DELIVERY, vote_id, missing, not_before=now)
        done.append(vote_id)
    return done
