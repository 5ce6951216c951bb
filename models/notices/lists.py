"""A member's lists (the inbox, the documents), what an officer's units sent, and the audience's size."""
from __future__ import annotations

__all__ = [
    "Listed", "Page", "audience_cells", "audience_size", "cell_path_of", "documents", "inbox", "is_recipient", "sent_from",
    "unreachable_member", "visible_documents",
]

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import ColumnElement

from ..accounts import Account
from ..deliveries import Delivery
from ..members import Member
from ..text import fold
from ..units import Unit, UnitKind
from .tables import DOCUMENT_KINDS, QUERY_MAX, Notice, NoticeAudience, NoticeRecipient, covers


# --- a member's lists -------------------------------------------------------------------------------------------
@dataclass
class Listed:
    notice: Notice
    read_at: datetime | None = None
    studied_at: datetime | None = None
    addressed: bool = True


@dataclass
class Page:
    items: list[Listed] = field(default_factory=list)
    total: int = 0
    unread: int = 0


async def inbox(session: AsyncSession, member_id: int, offset: int = 0, limit: int = 8) -> Page:
    """What was sent to the member, newest first."""
    where = and_(NoticeRecipient.member_id == member_id, Notice.dispatched_at.is_not(None))
    joined = select(Notice, NoticeRecipient.read_at, NoticeRecipient.studied_at).join(
        NoticeRecipient, NoticeRecipient.notice_id == Notice.id
    )
    total, unread_count = (
        await session.execute(
            select(func.count(), func.count().filter(NoticeRecipient.read_at.is_(None)))
            .select_from(NoticeRecipient).join(Notice, Notice.id == NoticeRecipient.notice_id).where(where)
        )
    ).one()
    rows = await session.execute(
        joined.where(where).options(selectinload(Notice.unit))
        .order_by(Notice.dispatched_at.desc(), Notice.id.desc()).offset(offset).limit(limit)
    )
    return Page([Listed(n, r, s) for n, r, s in rows.all()], total, unread_count)


async def documents(
    session: AsyncSession, member_id: int, query: str | None = None, offset: int = 0, limit: int = 8
) -> Page:
    """Documents and resolutions sent to the member's cell by it or any committee above it,
    newest first; `query`: every word must appear in the title or the text (diacritics ignored)."""
    cell_path = await cell_path_of(session, member_id)
    if cell_path is None:
        return Page()
    conds = visible_documents(cell_path)
    for word in fold(query or "")[:QUERY_MAX].split():
        conds.append(Notice.search_text.contains(word, autoescape=True))
    total = (await session.execute(select(func.count()).select_from(Notice).where(*conds))).scalar_one()
    recipient = and_(NoticeRecipient.notice_id == Notice.id, NoticeRecipient.member_id == member_id)
    rows = await session.execute(
        select(Notice, NoticeRecipient.read_at, NoticeRecipient.studied_at)
        .outerjoin(NoticeRecipient, recipient)
        .where(*conds)
        .options(selectinload(Notice.unit))
        .order_by(Notice.dispatched_at.desc(), Notice.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return Page([Listed(n, r, s) for n, r, s in rows.all()], total)


async def cell_path_of(session: AsyncSession, member_id: int) -> str | None:
    """The path of the member's cell (None: no such member)."""
    return await session.scalar(select(Unit.path).join(Member, Member.cell_id == Unit.id).where(Member.id == member_id))


def visible_documents(cell_path: str) -> list[ColumnElement[bool]]:
    """SQL: the documents and resolutions a member of the cell at `cell_path` may see — sent, to an
    audience unit at or above the cell (its own, or any committee over it)."""
    covered = exists(
        select(NoticeAudience.notice_id)
        .join(Unit, Unit.id == NoticeAudience.unit_id)
        .where(NoticeAudience.notice_id == Notice.id, covers(cell_path))
    )
    return [Notice.kind.in_(DOCUMENT_KINDS), Notice.dispatched_at.is_not(None), covered]


async def sent_from(session: AsyncSession, unit_paths: list[str] | None, offset: int = 0, limit: int = 8) -> Page:
    """Notices issued by units under these paths (None: everywhere, for an administrator), newest first."""
    stmt = select(Notice).join(Unit, Unit.id == Notice.unit_id)
    if unit_paths is not None:
        if not unit_paths:
            return Page()
        stmt = stmt.where(or_(*[Unit.path.startswith(p, autoescape=True) for p in unit_paths]))
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = await session.scalars(
        stmt.options(selectinload(Notice.unit)).order_by(Notice.created_at.desc(), Notice.id.desc())
        .offset(offset).limit(limit)
    )
    return Page([Listed(n) for n in rows.all()], total)


async def audience_size(session: AsyncSession, unit_ids: list[int], exclude_member_id: int | None = None) -> tuple[int, int]:
    """(members, of whom on Telegram) under these units: the preview tells the sender both."""
    paths = (await session.scalars(select(Unit.path).where(Unit.id.in_(unit_ids)))).all() if unit_ids else []
    if not paths:
        return 0, 0
    stmt = (
        select(func.count(Member.id), func.count(Account.telegram_user_id))
        .select_from(Member)
        .join(Unit, Unit.id == Member.cell_id)
        .outerjoin(Account, Account.member_id == Member.id)
        .where(or_(*[Unit.path.startswith(p, autoescape=True) for p in paths]), Member.living)
    )
    if exclude_member_id is not None:
        stmt = stmt.where(Member.id != exclude_member_id)
    members, linked = (await session.execute(stmt)).one()
    return members, linked


async def audience_cells(session: AsyncSession, notice_id: int, within: list[str] | None = None) -> list[Unit]:
    """The cells (and party groups) the notice was sent to — every one under an audience unit — in tree
    order: the cells it can be printed for. `within`: only cells under these unit paths (what the
    officer manages, models.permissions.scope_paths); None for all."""
    paths = (await session.scalars(
        select(Unit.path).join(NoticeAudience, NoticeAudience.unit_id == Unit.id)
        .where(NoticeAudience.notice_id == notice_id))).all()
    if not paths or within == []:
        return []
    stmt = (select(Unit).where(or_(*[Unit.path.startswith(p, autoescape=True) for p in paths]),
                               Unit.kind.in_((UnitKind.cell, UnitKind.group)))
            .order_by(Unit.path))
    if within is not None:
        stmt = stmt.where(or_(*[Unit.path.startswith(p, autoescape=True) for p in within]))
    return list((await session.scalars(stmt)).all())


async def is_recipient(session: AsyncSession, notice_id: int, member_id: int) -> bool:
    """Whether the notice was addressed to this member."""
    return await session.get(NoticeRecipient, (notice_id, member_id)) is not None


async def unreachable_member(session: AsyncSession, delivery_id: int) -> tuple[str, str | None, str] | None:
    """(full name, phone, cell name) of the member a delivery could not reach; None when it is gone."""
    row = (await session.execute(
        select(Member.full_name, Member.phone, Unit.name)
        .join(Delivery, Delivery.member_id == Member.id)
        .join(Unit, Unit.id == Member.cell_id)
        .where(Delivery.id == delivery_id))).first()
    return (row[0], row[1], row[2]) if row is not None else None
