"""Moving a member's record to another Telegram account: a lost phone, a new account.

Whoever holds a record acts as that member, with the member's roles. So a record that is already
linked moves only by an invite made as a re-link: asked for, confirmed, and allowed to the asker
only when their roles cover the member's cell and every unit where the member holds a role
(permissions.may_relink). The rule holds again when the code is redeemed. A shared contact never
moves a record (models/accounts.link_by_contact). When a record moves, the old account is told at
once through the outbox, in its own language, and whatever it was doing with the bot ends.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, ForeignKey, String, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from . import audit, clock, deliveries
from .accounts import INVITE_TTL, Account, Invite, account_of_member, create_invite
from .base import Base
from .conversations import ConversationState
from .deliveries import Delivery, DeliveryState
from .members import Member
from .permissions import Action, Actor, may, may_relink, member_actor
from .roles import Role, RoleKind
from .units import Unit, path_ids

ACCOUNT_MOVED_DELIVERY = "account_moved"  # ref_id: an AccountMove; to the account the record left
NAME_LENGTH = 64  # Telegram's longest first name


class AccountMove(Base):
    """A record that left one Telegram account for another; what the old account is told about."""

    __tablename__ = "account_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    from_telegram_id: Mapped[int] = mapped_column(BigInteger)
    to_telegram_id: Mapped[int] = mapped_column(BigInteger)
    # The new account's Telegram first name: the one thing the old account can recognise it by.
    to_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    inviter_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=clock.now)


# --- asking for an invite -----------------------------------------------------------------------
class InviteStep(str, enum.Enum):
    created = "created"  # here is the code
    confirm = "confirm"  # the member is linked: confirm the re-link first
    refused = "refused"  # not the asker's to invite, or to re-link


@dataclass
class InviteRequest:
    step: InviteStep
    code: str | None = None
    linked: bool = False  # the member is on Telegram already
    linked_at: datetime | None = None  # since when (None: linked before this was kept)
    relink: bool = False  # the code moves the record from that account
    role_outside: bool = False  # refused: the member holds a role on a unit the asker does not cover


async def request_invite(session: AsyncSession, actor: Actor, member_id: int, *, confirmed: bool = False,
                         ttl: timedelta = INVITE_TTL) -> InviteRequest:
    """An officer asks for a member's invite code. A member not yet on Telegram gets one at once; for
    a linked member the asker must be allowed to re-link and must confirm (`confirmed`) first."""
    cell_path = await session.scalar(
        select(Unit.path).join(Member, Member.cell_id == Unit.id).where(Member.id == member_id))
    account = await account_of_member(session, member_id)
    linked_at = account.linked_at if account is not None else None
    # Whoever redeems the code acts with the member's roles, linked before or not: a first invite for a
    # ward officer is as much a hand-over of the ward as a re-link, so both need may_relink.
    in_cell = cell_path is not None and may(actor, Action.invite_member, cell_path)
    if not in_cell or not await may_relink(session, actor, member_id):
        await audit.record(session, "invite_refused" if account is None else "relink_refused",
                           actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
                           subject_member_id=member_id)
        return InviteRequest(InviteStep.refused, linked=account is not None, linked_at=linked_at,
                             role_outside=in_cell)
    if account is None:
        code = await create_invite(session, member_id, created_by_member_id=actor.member_id, ttl=ttl)
        return InviteRequest(InviteStep.created, code)
    if not confirmed:
        return InviteRequest(InviteStep.confirm, linked=True, linked_at=linked_at)
    code = await create_invite(session, member_id, created_by_member_id=actor.member_id, ttl=ttl, relink=True)
    await audit.record(session, "relink_invite_created", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member_id)
    return InviteRequest(InviteStep.created, code, linked=True, linked_at=linked_at, relink=True)


# --- redeeming ------------------------------------------------------------------------------------
async def may_take_over(session: AsyncSession, invite: Invite, admin_ids: frozenset[int] = frozenset()) -> bool:
    """May this invite take its member's record from the account that holds it, now?

    Only a code made as a re-link, and only while its creator still may re-link the member (a role
    given or taken since the code was made counts). A code from the shell (no creator) was made by
    an administrator.
    """
    if not invite.relink:
        return False
    if invite.created_by_member_id is None:
        return True
    creator = await member_actor(session, invite.created_by_member_id, admin_ids)
    return await may_relink(session, creator, invite.member_id)


async def move_account(session: AsyncSession, invite: Invite, old_telegram_id: int, new_telegram_id: int,
                       new_name: str | None) -> AccountMove:
    """Unlink the old account, end its conversations, send what was queued for the member to the new
    account, and queue the old account's notice. The caller then links the new account."""
    await session.execute(
        update(Account).where(Account.telegram_user_id == old_telegram_id)
        .values(member_id=None, linked_at=None).execution_options(synchronize_session="fetch"))
    await session.execute(
        ConversationState.__table__.delete().where(ConversationState.telegram_user_id == old_telegram_id))
    other = aliased(Delivery)
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == old_telegram_id, Delivery.member_id == invite.member_id,
               Delivery.state == DeliveryState.queued,
               ~exists().where(and_(other.kind == Delivery.kind, other.ref_id == Delivery.ref_id,
                                    other.chat_id == new_telegram_id)))
        .values(chat_id=new_telegram_id).execution_options(synchronize_session=False))
    move = AccountMove(member_id=invite.member_id, from_telegram_id=old_telegram_id, to_telegram_id=new_telegram_id,
                       to_name=(new_name or "")[:NAME_LENGTH] or None, inviter_member_id=invite.created_by_member_id)
    session.add(move)
    await session.flush()
    await deliveries.queue(session, ACCOUNT_MOVED_DELIVERY, move.id, [(None, old_telegram_id)])
    await audit.record(session, "account_moved", actor_telegram_id=new_telegram_id,
                       actor_member_id=invite.created_by_member_id, subject_member_id=invite.member_id,
                       detail={"from_telegram_id": old_telegram_id})
    return move


# --- what the old account is told -------------------------------------------------------------------
@dataclass
class MoveNotice:
    member_name: str
    new_account_name: str | None
    inviter_name: str | None  # None: an administrator, from the shell
    contacts: list[str]  # whom to call if it was not them: the inviter, else the nearest officers


async def move_notice(session: AsyncSession, move_id: int) -> MoveNotice | None:
    move = await session.get(AccountMove, move_id)
    if move is None:
        return None
    member = await session.get(Member, move.member_id)
    if member is None:  # deleted, with its move (CASCADE), between the two reads
        return None
    inviter = await session.get(Member, move.inviter_member_id) if move.inviter_member_id else None
    contacts = [inviter.full_name] if inviter is not None else await nearest_officers(session, member)
    return MoveNotice(member.full_name, move.to_name, inviter.full_name if inviter else None, contacts)


async def nearest_officers(session: AsyncSession, member: Member) -> list[str]:
    """Names of the officers of the member's cell (secretary first), else of the nearest unit above."""
    path = await session.scalar(select(Unit.path).where(Unit.id == member.cell_id))
    order = {RoleKind.secretary: 0, RoleKind.deputy: 1, RoleKind.committee: 2}
    for unit_id in reversed(path_ids(path or "")):
        rows = (await session.execute(
            select(Member.full_name, Role.kind).join(Role, Role.member_id == Member.id)
            .where(Role.unit_id == unit_id, Role.kind.in_(order), Member.id != member.id)
            .order_by(Member.id))).all()
        if rows:
            return list(dict.fromkeys(name for name, kind in sorted(rows, key=lambda r: order[r[1]])))
    return []
