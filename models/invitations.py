"""Invites for every member of a cell who is not on Telegram yet, made at once from the officer's panel.

An officer sends each member a message to forward (Zalo, SMS) or prints a sheet of QR codes. Asking
again while the codes still work must not break the ones already handed out, so a member's still-valid
invite is shown again rather than replaced: the database keeps only the code's hash (accounts.Invite),
and these codes are derived, HMAC(key, the invite's id, member and expiry), under a key that is not in
the database (sealing.FeedbackKeys.invite_key, from HANDBOOK_SEAL_KEY). Whoever holds the database
alone cannot work them out. A code made otherwise (/invite, the shell) cannot be shown again: asking
from the panel replaces it, as /invite does.

Who: the cells the officer manages; a member holding a role on a unit the officer does not cover is
left to an officer above (the rule of models/relinking.py: whoever redeems the code acts with the
member's roles). A linked member (one who blocked the bot too) is never invited here: that is a re-link.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import audit, clock
from .accounts import CODE_ALPHABET, CODE_LENGTH, INVITE_TTL, Account, Invite, hash_code, new_code, revoke_invites
from .members import Member
from .paper import PaperMember, members_without_telegram
from .permissions import Action, Actor, managed_cells, may, may_manage_cell
from .roles import Role
from .units import Unit

# A code shown again must still work for a while: with less than this left, a new one is made.
REUSE_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class MemberInvite:
    member_id: int
    full_name: str
    code: str
    expires_at: datetime
    reused: bool  # the code was already made (and may have been handed out)


@dataclass(frozen=True)
class CellInvites:
    cell_id: int
    cell_name: str
    members: list[PaperMember]  # every member of the cell this officer may invite, in Vietnamese order
    invites: list[MemberInvite] = field(default_factory=list)  # those asked for, with their codes
    withheld: int = 0  # not on Telegram but holding a role beyond this officer: an officer above invites them


def derived_code(key: bytes, invite_id: int, member_id: int, expires_at: datetime) -> str:
    """The code of a derived invite: 12 characters of CODE_ALPHABET (32 of them, so each byte's low 5 bits)."""
    digest = hmac.new(key, f"invite:{invite_id}:{member_id}:{int(expires_at.timestamp())}".encode(),
                      hashlib.sha256).digest()
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:CODE_LENGTH])


async def invite_cells(session: AsyncSession, actor: Actor) -> list[Unit]:
    """The cells whose members this officer may invite from the panel (those they manage), in tree order."""
    return [u for u in await managed_cells(session, actor) if may(actor, Action.invite_member, u.path)]


async def unlinked_count(session: AsyncSession, actor: Actor) -> int:
    """The panel's count: members of the officer's cells with no Telegram account linked."""
    cells = [u.id for u in await invite_cells(session, actor)]
    if not cells:
        return 0
    return await session.scalar(
        select(func.count(Member.id)).outerjoin(Account, Account.member_id == Member.id)
        .where(Member.cell_id.in_(cells), Account.telegram_user_id.is_(None), Member.living)) or 0


async def cell_invites(session: AsyncSession, actor: Actor, cell_id: int, *, key: bytes | None,
                       start: int = 0, limit: int = 0, ttl: timedelta = INVITE_TTL) -> CellInvites | None:
    """The members of the cell `cell_id` (from a button: not trusted) this officer may invite, with codes for
    `limit` of them from `start` (0: none, only who). None: not a cell, or not this officer's.

    Idempotent while the codes last: a member whose derived invite still works for REUSE_MARGIN gets
    the same code again. Without `key` (no seal key) every call makes new codes."""
    unit = await session.get(Unit, cell_id)
    if unit is None or not may_manage_cell(actor, unit) or not may(actor, Action.invite_member, unit.path):
        return None
    if limit:
        # Codes are made: one cell's at a time. Two presses at once (a double tap, two officers) would each
        # find no code to show again and make their own, the later one revoking what the first handed out.
        # PostgreSQL waits here for the other turn's commit, then sees its codes; SQLite has one writer anyway.
        await session.execute(select(Unit.id).where(Unit.id == unit.id).with_for_update())
    unlinked = await members_without_telegram(session, unit.id)
    role_paths = (await session.execute(
        select(Role.member_id, Unit.path).join(Unit, Unit.id == Role.unit_id)
        .where(Role.member_id.in_([m.id for m in unlinked])))).all() if unlinked else []
    beyond = {member_id for member_id, path in role_paths if not may(actor, Action.invite_member, path)}
    members = [m for m in unlinked if m.id not in beyond]
    invites = [await _invite(session, actor, m, key, ttl) for m in members[start:start + limit]] if limit else []
    return CellInvites(unit.id, unit.name, members, invites, withheld=len(beyond))


async def _invite(session: AsyncSession, actor: Actor, member: PaperMember, key: bytes | None,
                  ttl: timedelta) -> MemberInvite:
    now = clock.now()
    if key is not None:
        live = await session.scalar(
            select(Invite).where(Invite.member_id == member.id, Invite.used_at.is_(None),
                                 Invite.revoked_at.is_(None), Invite.relink == false(),
                                 Invite.expires_at > now + REUSE_MARGIN)
            .order_by(Invite.id.desc()).limit(1))
        if live is not None:
            code = derived_code(key, live.id, member.id, live.expires_at)
            if hmac.compare_digest(hash_code(code), live.code_hash):
                return MemberInvite(member.id, member.full_name, code, live.expires_at, reused=True)
    await revoke_invites(session, member.id)
    expires = (now + ttl).replace(microsecond=0)
    code = new_code()
    # The derived code needs the row's id: the row is written with the hash of a random code nobody is
    # shown, then given its own (without a key, the random code is the code).
    invite = Invite(member_id=member.id, code_hash=hash_code(code), expires_at=expires,
                    created_by_member_id=actor.member_id)
    session.add(invite)
    await session.flush()
    if key is not None:
        code = derived_code(key, invite.id, member.id, expires)
        invite.code_hash = hash_code(code)
        await session.flush()
    await audit.record(session, "invite_created", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member.id, detail={"from": "panel"})
    return MemberInvite(member.id, member.full_name, code, expires, reused=False)
