"""The sweeps: the database says what is still to be told (new items to secretaries) and sent (replies
to members), and who hears about a cell."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import clock
from ..accounts import Account
from ..claims import claim
from ..roles import Role, RoleKind
from ..sealing import FeedbackKeys
from ..units import Unit, ancestors
from .tables import FeedbackItem, FeedbackKind, FeedbackReply, FeedbackThread

# --- the sweeps: the database says what is still to be told -----------------------------------


async def claim_unnotified(session: AsyncSession, limit: int = 500) -> list[tuple[int, int]]:
    """(item id, cell id) of items no secretary was told about yet, now marked told. Two sweeps never share one."""
    claimed = await claim(session, FeedbackItem.notified_at, limit=limit)
    if not claimed:
        return []
    rows = await session.execute(
        select(FeedbackItem.id, FeedbackItem.cell_id).where(FeedbackItem.id.in_(claimed)).order_by(FeedbackItem.id)
    )
    return [(i, c) for i, c in rows.all()]


@dataclass
class PendingReply:
    reply_id: int
    item_id: int
    body: str
    item_body: str | None
    item_kind: FeedbackKind
    item_created_at: datetime
    anonymous: bool
    chat_id: int | None
    language: str | None


async def claim_undelivered(session: AsyncSession, key: FeedbackKeys, limit: int = 100) -> list[PendingReply]:
    """Replies still to be sent, now claimed, with where each goes (None: nowhere any more)."""
    claimed = await claim(session, FeedbackReply.delivered_at, limit=limit)
    out: list[PendingReply] = []
    for reply_id in claimed:
        reply = await session.get(FeedbackReply, reply_id)
        item = await session.get(FeedbackItem, reply.item_id) if reply is not None else None
        if reply is None or item is None:  # claimed just now, in this transaction: both are there
            continue
        chat_id = language = None
        if item.anonymous:
            thread = await session.get(FeedbackThread, item.id)
            chat_id = key.unseal(thread.sealed_chat) if thread else None
            if chat_id is not None:
                language = await session.scalar(select(Account.language).where(Account.telegram_user_id == chat_id))
        elif item.member_id is not None:
            row = (
                await session.execute(
                    select(Account.telegram_user_id, Account.language).where(Account.member_id == item.member_id)
                )
            ).first()
            if row:
                chat_id, language = row
        out.append(
            PendingReply(reply.id, item.id, reply.body, item.body, item.kind, item.created_at, item.anonymous,
                         chat_id, language)
        )
    return out


async def reseal_legacy(session: AsyncSession, key: FeedbackKeys) -> int:
    """Seal again, under the current key, the ways back that an older version sealed with the key it
    derived from the bot's token: after this, the token and the database no longer open any.
    Idempotent (a current seal is left alone), so every instance may run it at start."""
    if key.legacy is None:
        return 0
    resealed = 0
    for thread in (await session.scalars(select(FeedbackThread))).all():
        if key.is_current(thread.sealed_chat):
            continue
        chat_id = key.unseal(thread.sealed_chat)
        if chat_id is not None:
            thread.sealed_chat = key.seal(chat_id)
            resealed += 1
    await session.flush()
    return resealed


# A reply that keeps failing on the network is tried at every sweep for this long, then given up.
REPLY_RETRY_FOR = timedelta(days=1)


async def finish_delivery(session: AsyncSession, reply_id: int, *, delivered: bool, retry: bool = False) -> bool:
    """After trying to send: the way back of an anonymous item is forgotten, unless we will retry.

    Returns whether the reply will be tried again (a retry asked for a reply younger than
    REPLY_RETRY_FOR)."""
    reply = await session.get(FeedbackReply, reply_id)
    if reply is None:
        return False
    if retry and clock.now() - reply.created_at < REPLY_RETRY_FOR:
        reply.delivered_at = None
        await session.flush()
        return True
    reply.undeliverable = not delivered
    await session.execute(delete(FeedbackThread).where(FeedbackThread.item_id == reply.item_id))
    await session.flush()
    return False


@dataclass(frozen=True)
class Recipient:
    telegram_user_id: int
    language: str | None


async def cell_officers(
    session: AsyncSession, cell_id: int, *, committee_only: bool = False, exclude_member_id: int | None = None
) -> list[Recipient]:
    """Who hears about a cell's items: its secretary and deputies; failing those (or for party data
    only committees decide, or a request of the secretary's own), the committee of the nearest unit
    above that has one."""
    cell = await session.get(Unit, cell_id)
    if cell is None:
        return []
    chain = await ancestors(session, cell)  # root first, the cell last
    levels: list[tuple[int, tuple[RoleKind, ...]]] = []
    if not committee_only:
        levels.append((cell.id, (RoleKind.secretary, RoleKind.deputy)))
    levels += [(u.id, (RoleKind.committee,)) for u in reversed(chain[:-1])]
    for unit_id, kinds in levels:
        stmt = (
            select(Account.telegram_user_id, Account.language)
            .join(Role, Role.member_id == Account.member_id)
            .where(Role.unit_id == unit_id, Role.kind.in_(kinds), Account.unreachable_at.is_(None))
            .order_by(Account.telegram_user_id)
            .distinct()
        )
        if exclude_member_id is not None:
            stmt = stmt.where(Account.member_id != exclude_member_id)
        rows = (await session.execute(stmt)).all()
        if rows:
            return [Recipient(uid, lang) for uid, lang in rows]
    return []

