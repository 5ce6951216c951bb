"""Who gets a message on paper: the members of a cell with no Telegram account linked to them
(handlers/printing.py draws them into the table of a large-print sheet, with a column to sign)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .accounts import Account
from .members import Member


@dataclass(frozen=True)
class PaperMember:
    id: int
    full_name: str


async def members_without_telegram(session: AsyncSession, cell_id: int) -> list[PaperMember]:
    """The members of the cell `cell_id` (of that unit itself, not the units below it) that no
    Telegram account is linked to, in Vietnamese order (members.sort_name). Read-only.

    No permission check here: the caller decides who may print a cell's list
    (models.permissions.may_manage_cell). An account that blocked the bot is still linked
    (accounts.unreachable_at): its member is not listed; nor is a member who died (deceased_on)."""
    rows = await session.execute(
        select(Member.id, Member.full_name)
        .outerjoin(Account, Account.member_id == Member.id)
        .where(Member.cell_id == cell_id, Account.telegram_user_id.is_(None), Member.living)
        .order_by(Member.sort_name, Member.id)
    )
    return [PaperMember(member_id, name) for member_id, name in rows.all()]
