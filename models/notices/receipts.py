"""Who a notice was addressed to and what they did with it: read and studied, the sender's status,
the rates by cell, reminders to those who have not read."""
from __future__ import annotations

__all__ = [
    "CellRate", "Confirmed", "NoticeStatus", "Reminded", "Unread", "addressee", "mark_read", "mark_studied",
    "notice_of_reminder", "rates_by_cell", "remind_unread", "status", "unread",
]

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import clock, deliveries
from ..deliveries import Delivery, DeliveryState
from ..members import Member
from ..units import Unit
from .tables import (
    NOTICE_DELIVERY,
    REMIND_INTERVAL,
    REMINDER_DELIVERY,
    Notice,
    NoticeAudience,
    NoticeRecipient,
    NoticeReminder,
    covers,
)

# --- who may see and confirm -------------------------------------------------------------------------

async def addressee(session: AsyncSession, notice_id: int, member_id: int) -> NoticeRecipient | None:
    """The member's recipient row: addressed when it was sent, or a member who joined a cell of the
    audience since (their row is made now). None for anyone else — forged buttons end here."""
    row = await session.get(NoticeRecipient, (notice_id, member_id))
    if row is not None:
        return row
    cell_path = await session.scalar(
        select(Unit.path).join(Member, Member.cell_id == Unit.id).where(Member.id == member_id)
    )
    if cell_path is None:
        return None
    covered = await session.scalar(
        select(Notice.id)
        .join(NoticeAudience, NoticeAudience.notice_id == Notice.id)
        .join(Unit, Unit.id == NoticeAudience.unit_id)
        .where(Notice.id == notice_id, Notice.dispatched_at.is_not(None), covers(cell_path),
               or_(Notice.sender_member_id.is_(None), Notice.sender_member_id != member_id))
        .limit(1)
    )
    if covered is None:
        return None
    row = NoticeRecipient(notice_id=notice_id, member_id=member_id)
    session.add(row)
    await session.flush()
    return row


class Confirmed(str, enum.Enum):
    recorded = "recorded"
    already = "already"
    not_addressee = "not_addressee"
    not_for_study = "not_for_study"


async def mark_read(session: AsyncSession, notice_id: int, member_id: int) -> Confirmed:
    row = await addressee(session, notice_id, member_id)
    if row is None:
        return Confirmed.not_addressee
    if row.read_at is not None:
        return Confirmed.already
    row.read_at = clock.now()
    await session.flush()
    return Confirmed.recorded


async def mark_studied(session: AsyncSession, notice_id: int, member_id: int) -> Confirmed:
    """Studying a resolution includes reading it."""
    row = await addressee(session, notice_id, member_id)
    if row is None:
        return Confirmed.not_addressee
    if not await session.scalar(select(Notice.study_required).where(Notice.id == notice_id)):
        return Confirmed.not_for_study
    if row.studied_at is not None:
        return Confirmed.already
    row.studied_at = clock.now()
    row.read_at = row.read_at or row.studied_at
    await session.flush()
    return Confirmed.recorded


# --- the sender's view -----------------------------------------------------------------------------------
@dataclass
class NoticeStatus:
    recipients: int = 0  # members addressed
    not_linked: int = 0  # of them, without Telegram when it was sent
    queued: int = 0  # waiting or being sent
    delivered: int = 0
    read: int = 0
    studied: int = 0
    unreachable: int = 0
    failed: int = 0
    scheduled_for: datetime | None = None  # not sent yet


async def status(session: AsyncSession, notice_id: int) -> NoticeStatus:
    out = NoticeStatus()
    row = (await session.execute(select(Notice.dispatched_at, Notice.send_at).where(Notice.id == notice_id))).first()
    if row is None:
        return out
    if row.dispatched_at is None:
        out.scheduled_for = row.send_at
        return out
    recipients, read, studied = (
        await session.execute(
            select(func.count(), func.count(NoticeRecipient.read_at), func.count(NoticeRecipient.studied_at))
            .where(NoticeRecipient.notice_id == notice_id)
        )
    ).one()
    by_state = await deliveries.counts(session, NOTICE_DELIVERY, notice_id)
    out.recipients, out.read, out.studied = recipients, read, studied
    out.queued = by_state[DeliveryState.queued] + by_state[DeliveryState.sending]
    out.delivered = by_state[DeliveryState.sent]
    out.unreachable = by_state[DeliveryState.unreachable]
    out.failed = by_state[DeliveryState.failed]
    out.not_linked = max(0, recipients - sum(by_state.values()))
    return out


@dataclass
class Unread:
    member_id: int
    name: str
    cell: str
    reachable: bool  # has Telegram and the notice reached them


async def unread(session: AsyncSession, notice_id: int, limit: int = 30) -> tuple[list[Unread], int]:
    """Who has not read yet (by cell, then name), and how many in all."""
    base = (
        select(Member.id, Member.full_name, Unit.name, Delivery.state)
        .select_from(NoticeRecipient)
        .join(Member, Member.id == NoticeRecipient.member_id)
        .join(Unit, Unit.id == Member.cell_id)
        .outerjoin(Delivery, and_(Delivery.kind == NOTICE_DELIVERY, Delivery.ref_id == notice_id,
                                  Delivery.member_id == Member.id))
        .where(NoticeRecipient.notice_id == notice_id, NoticeRecipient.read_at.is_(None))
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.execute(base.order_by(Unit.path, Member.sort_name, Member.id).limit(limit))
    return [Unread(m, n, c, s == DeliveryState.sent) for m, n, c, s in rows.all()], total


@dataclass
class CellRate:
    cell_id: int
    cell: str
    count: int  # read or studied, as asked
    base: int  # the members counted
    exempt_left_out: int = 0  # exempt members not counted (the cell's setting)

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.base) if self.base else 0


async def rates_by_cell(
    session: AsyncSession, notice_id: int, *, studied: bool = True, within: list[str] | None = None
) -> list[CellRate]:
    """Per cell of the audience: how many studied (or read), over which base.

    Exempt members who did not do it leave the base when their cell says so (Unit.exempt_counted).
    `within`: only cells under these unit paths (what the viewer may see).
    """
    done_col = NoticeRecipient.studied_at if studied else NoticeRecipient.read_at
    stmt = (
        select(Unit.id, Unit.name, Unit.path, Unit.exempt_counted, Member.exempt, done_col.is_not(None))
        .select_from(NoticeRecipient)
        .join(Member, Member.id == NoticeRecipient.member_id)
        .join(Unit, Unit.id == Member.cell_id)
        .where(NoticeRecipient.notice_id == notice_id)
    )
    if within is not None:
        if not within:
            return []
        stmt = stmt.where(or_(*[Unit.path.startswith(p, autoescape=True) for p in within]))
    cells: dict[int, CellRate] = {}
    order: dict[int, str] = {}
    for unit_id, name, path, exempt_counted, exempt, done in (await session.execute(stmt)).all():
        rate = cells.setdefault(unit_id, CellRate(unit_id, name, 0, 0))
        order[unit_id] = path
        if done:
            rate.count += 1
            rate.base += 1
        elif exempt and not exempt_counted:
            rate.exempt_left_out += 1
        else:
            rate.base += 1
    return [cells[i] for i in sorted(cells, key=lambda i: order[i])]


# --- reminders ---------------------------------------------------------------------------------------------
@dataclass
class Reminded:
    queued: int = 0
    wait: timedelta | None = None  # too soon after the previous reminder


async def remind_unread(session: AsyncSession, notice_id: int, by_member_id: int | None) -> Reminded:
    """Queue a reminder to every recipient who received the notice and has not read it."""
    now = clock.now()
    last = await session.scalar(select(func.max(NoticeReminder.at)).where(NoticeReminder.notice_id == notice_id))
    if last is not None and now - last < REMIND_INTERVAL:
        return Reminded(0, last + REMIND_INTERVAL - now)
    targets = (
        await session.execute(
            select(Delivery.member_id, Delivery.chat_id)
            .join(NoticeRecipient, and_(NoticeRecipient.notice_id == notice_id,
                                        NoticeRecipient.member_id == Delivery.member_id))
            .where(Delivery.kind == NOTICE_DELIVERY, Delivery.ref_id == notice_id,
                   Delivery.state == DeliveryState.sent, NoticeRecipient.read_at.is_(None))
            .order_by(Delivery.member_id)
        )
    ).all()
    if not targets:
        return Reminded(0)
    reminder = NoticeReminder(notice_id=notice_id, by_member_id=by_member_id, at=now)
    session.add(reminder)
    await session.flush()
    queued = await deliveries.queue(session, REMINDER_DELIVERY, reminder.id, [(m, c) for m, c in targets])
    return Reminded(queued)


async def notice_of_reminder(session: AsyncSession, reminder_id: int) -> int | None:
    return await session.scalar(select(NoticeReminder.notice_id).where(NoticeReminder.id == reminder_id))

