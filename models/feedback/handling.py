"""Reading and answering: a member's own items, an officer's lists and counts, a reply, closing."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import audit, clock
from ..members import Member
from ..permissions import Action, Actor, may
from ..units import Unit
from .about import about_title
from .tables import MAX_TEXT, STATUSES, FeedbackItem, FeedbackReply, FeedbackStatus, FeedbackThread

# --- reading ------------------------------------------------------------------------------------


async def own_items(session: AsyncSession, member_id: int, limit: int = 5) -> list[FeedbackItem]:
    """The member's named items, newest first (anonymous ones are linked to nobody)."""
    stmt = (
        select(FeedbackItem)
        .where(FeedbackItem.member_id == member_id)
        .order_by(FeedbackItem.created_at.desc(), FeedbackItem.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def replies_of(session: AsyncSession, item_id: int) -> list[FeedbackReply]:
    stmt = select(FeedbackReply).where(FeedbackReply.item_id == item_id).order_by(FeedbackReply.id)
    return list((await session.scalars(stmt)).all())


@dataclass
class ItemView:
    item: FeedbackItem
    cell: Unit
    author: str | None  # the member's name; None when anonymous (or the member was deleted)
    replies: list[FeedbackReply]
    about_title: str | None = None


class NotAllowed(Exception):
    """The actor may not do this to this item; the caller refuses and audits."""


async def item_and_cell(session: AsyncSession, item_id: int) -> tuple[FeedbackItem, Unit] | None:
    row = (
        await session.execute(
            select(FeedbackItem, Unit).join(Unit, Unit.id == FeedbackItem.cell_id).where(FeedbackItem.id == item_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


def may_handle(actor: Actor, cell_path: str) -> bool:
    """Sees, replies to, closes: the cell's own secretary or deputy, or a committee above (or an admin)."""
    return may(actor, Action.manage_cell, cell_path)


async def open_item(session: AsyncSession, actor: Actor, item_id: int, *, as_officer: bool) -> ItemView:
    """An item with its replies. An officer opening a new item marks it seen; raises NotAllowed."""
    found = await item_and_cell(session, item_id)
    if found is None:
        raise NotAllowed
    item, cell = found
    if as_officer:
        if not may_handle(actor, cell.path):
            raise NotAllowed
        if item.status is FeedbackStatus.new:
            item.status = FeedbackStatus.seen
            item.seen_at = clock.now()
            await session.flush()
    elif item.member_id is None or item.member_id != actor.member_id:
        raise NotAllowed
    author = await session.scalar(select(Member.full_name).where(Member.id == item.member_id)) if item.member_id else None
    title = await about_title(session, item.about_kind, item.about_id)
    return ItemView(item, cell, author, await replies_of(session, item.id), title)


async def list_items(
    session: AsyncSession, unit_path: str, status: FeedbackStatus, offset: int = 0, limit: int = 8
) -> tuple[list[tuple[FeedbackItem, str]], int]:
    """One page of the items of every cell under a unit with that status (newest first), and the total."""
    base = (
        select(FeedbackItem, Unit.name)
        .join(Unit, Unit.id == FeedbackItem.cell_id)
        .where(Unit.path.startswith(unit_path, autoescape=True), FeedbackItem.status == status)
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.execute(
        base.order_by(FeedbackItem.created_at.desc(), FeedbackItem.id.desc()).offset(offset).limit(limit)
    )
    return [(i, name) for i, name in rows.all()], total


@dataclass
class CellCounts:
    cell_id: int
    name: str
    path: str
    counts: dict[FeedbackStatus, int] = field(default_factory=lambda: {s: 0 for s in STATUSES})

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def counts_by_cell(session: AsyncSession, unit_path: str) -> list[CellCounts]:
    """For a committee: every cell under the unit, with its items counted by status."""
    cells = (
        await session.execute(
            select(Unit.id, Unit.name, Unit.path)
            .where(Unit.path.startswith(unit_path, autoescape=True), Unit.kind.in_(("cell", "group")))
            .order_by(Unit.path)
        )
    ).all()
    result = {cid: CellCounts(cid, name, path) for cid, name, path in cells}
    rows = await session.execute(
        select(FeedbackItem.cell_id, FeedbackItem.status, func.count())
        .join(Unit, Unit.id == FeedbackItem.cell_id)
        .where(Unit.path.startswith(unit_path, autoescape=True))
        .group_by(FeedbackItem.cell_id, FeedbackItem.status)
    )
    for cell_id, status, n in rows.all():
        if cell_id in result:
            result[cell_id].counts[FeedbackStatus(status)] = n
    return list(result.values())


async def waiting_for(session: AsyncSession, actor: Actor) -> int:
    """Items this officer has to answer (new or seen, not answered or closed), in every unit they handle:
    the officer's panel shows "📨 Góp ý chờ trả lời (3)"."""
    from ..permissions import units_for

    units = await units_for(session, actor, Action.manage_cell)
    if not units:
        return 0
    return (await session.execute(
        select(func.count()).select_from(FeedbackItem).join(Unit, Unit.id == FeedbackItem.cell_id)
        .where(or_(*(Unit.path.startswith(u.path, autoescape=True) for u in units)),
               FeedbackItem.status.in_((FeedbackStatus.new, FeedbackStatus.seen))))).scalar_one()


async def count_status(session: AsyncSession, unit_path: str, status: FeedbackStatus) -> int:
    return (await session.execute(
        select(func.count())
        .select_from(FeedbackItem)
        .join(Unit, Unit.id == FeedbackItem.cell_id)
        .where(Unit.path.startswith(unit_path, autoescape=True), FeedbackItem.status == status)
    )).scalar_one()


# --- answering -----------------------------------------------------------------------------------


class ReplyRefusal(str, enum.Enum):
    closed = "closed"
    thread_gone = "thread_gone"  # an anonymous item already answered: the way back is deleted
    too_long = "too_long"
    empty = "empty"


class ReplyRefused(Exception):
    def __init__(self, reason: ReplyRefusal):
        super().__init__(reason.value)
        self.reason = reason


async def add_reply(session: AsyncSession, actor: Actor, item_id: int, body: str) -> FeedbackReply:
    """The officer's answer, to be delivered by the sweep; raises NotAllowed or ReplyRefused."""
    found = await item_and_cell(session, item_id)
    if found is None or not may_handle(actor, found[1].path):
        raise NotAllowed
    item, _ = found
    body = (body or "").strip()
    if not body:
        raise ReplyRefused(ReplyRefusal.empty)
    if len(body) > MAX_TEXT:
        raise ReplyRefused(ReplyRefusal.too_long)
    if item.status is FeedbackStatus.closed:
        raise ReplyRefused(ReplyRefusal.closed)
    if item.anonymous and await session.get(FeedbackThread, item.id) is None:
        raise ReplyRefused(ReplyRefusal.thread_gone)
    if item.anonymous and await session.scalar(select(func.count()).where(FeedbackReply.item_id == item.id)):
        raise ReplyRefused(ReplyRefusal.thread_gone)
    reply = FeedbackReply(item_id=item.id, body=body, replied_by_member_id=actor.member_id)
    session.add(reply)
    item.status = FeedbackStatus.answered
    item.seen_at = item.seen_at or clock.now()
    await session.flush()
    await audit.record(
        session, "feedback_replied", actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
        subject_member_id=item.member_id, detail={"item": item.id},
    )
    return reply


async def close_item(session: AsyncSession, actor: Actor, item_id: int) -> FeedbackItem:
    """Close an item; an anonymous item's way back goes too, unless a reply is still on its way."""
    found = await item_and_cell(session, item_id)
    if found is None or not may_handle(actor, found[1].path):
        raise NotAllowed
    item, _ = found
    if item.status is not FeedbackStatus.closed:
        item.status = FeedbackStatus.closed
        item.closed_at = clock.now()
        item.closed_by_member_id = actor.member_id
        pending = await session.scalar(
            select(func.count()).where(FeedbackReply.item_id == item.id, FeedbackReply.delivered_at.is_(None))
        )
        if not pending:
            await session.execute(delete(FeedbackThread).where(FeedbackThread.item_id == item.id))
        await session.flush()
        await audit.record(
            session, "feedback_closed", actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
            subject_member_id=item.member_id, detail={"item": item.id},
        )
    return item

