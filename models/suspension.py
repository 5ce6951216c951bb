"""A member suspended from party activities (đình chỉ sinh hoạt đảng) or reinstated, as the cell's secretary
(or a committee above the cell, an administrator) records it on the member's card: the day it began kept in
members.suspended_on, every change audited. The year-end review leaves a suspended member out
(models/review/rounds.py). No Telegram here."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import audit
from .dates import local_today
from .members import Member
from .permissions import Actor, may_manage_cell
from .units import Unit


class SuspensionError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # not_allowed, unchanged


async def suspension_member(session: AsyncSession, actor: Actor, member_id: int) -> Member:
    """The member whose suspension `actor` may record (their cell's officers, a committee above it)."""
    found = (await session.execute(select(Member, Unit).join(Unit, Unit.id == Member.cell_id)
                                   .where(Member.id == member_id))).first()
    if found is None or found[0].deceased_on is not None or not may_manage_cell(actor, found[1]):
        raise SuspensionError("not_allowed")
    return found[0]


async def set_suspended(session: AsyncSession, actor: Actor, member_id: int, suspended: bool,
                        today: date | None = None) -> Member:
    """Suspended from today, or reinstated; audited (member_suspended / member_reinstated, with the day it had
    begun). Raises SuspensionError not_allowed, unchanged (already so: a second tap changes nothing)."""
    member = await suspension_member(session, actor, member_id)
    if (member.suspended_on is not None) == suspended:
        raise SuspensionError("unchanged")
    old, member.suspended_on = member.suspended_on, (today or local_today()) if suspended else None
    await session.flush()
    await audit.record(session, "member_suspended" if suspended else "member_reinstated",
                       actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
                       subject_member_id=member.id,
                       detail={"from": (member.suspended_on or old or today or local_today()).isoformat()})
    return member
