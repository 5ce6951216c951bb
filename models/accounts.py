"""Telegram accounts, their link to a member, and the invite codes that make the link."""
from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from . import audit, clock
from .base import Base
from .members import Member
from .sql import rowcount

INVITE_TTL = timedelta(days=7)
WRONG_CODE_LIMIT = 5
WRONG_CODE_WINDOW = timedelta(hours=1)
# Unambiguous characters only: elderly users may have to read a code aloud or type it.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


class Account(Base):
    """A Telegram user the bot has met; linked to at most one member, and a member to one account."""

    __tablename__ = "accounts"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), unique=True)
    language: Mapped[str | None] = mapped_column(String(5))
    first_seen: Mapped[datetime] = mapped_column(default=clock.now)
    linked_at: Mapped[datetime | None] = mapped_column()
    unreachable_at: Mapped[datetime | None] = mapped_column()


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[datetime | None] = mapped_column()
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # Made as a confirmed re-link by someone allowed to (models/relinking.py): only such a code may
    # take the member's record from the Telegram account that holds it.
    relink: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class LinkAttempt(Base):
    """A wrong invite code, kept to slow down guessing (5 an hour)."""

    __tablename__ = "link_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)


class LinkOutcome(str, enum.Enum):
    linked = "linked"
    already_linked = "already_linked"  # this account is already this member's
    account_taken = "account_taken"  # this account is linked to another member
    wrong_code = "wrong_code"
    expired = "expired"
    used = "used"
    revoked = "revoked"
    throttled = "throttled"
    forged_contact = "forged_contact"
    phone_unknown = "phone_unknown"
    phone_ambiguous = "phone_ambiguous"
    member_taken = "member_taken"  # the member already has another account: a new invite is needed
    member_linked = "member_linked"  # an invite for a member linked elsewhere, not made as a re-link


@dataclass
class LinkResult:
    outcome: LinkOutcome
    member_id: int | None = None
    retry_after: timedelta | None = None


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def normalise_code(code: str) -> str:
    """Codes are read aloud and retyped: ignore case, spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def ensure_account(session: AsyncSession, telegram_user_id: int, language: str | None = None) -> Account:
    account = await session.get(Account, telegram_user_id)
    if account is None:
        account = Account(telegram_user_id=telegram_user_id, language=language)
        session.add(account)
        await session.flush()
    return account


async def set_language(session: AsyncSession, telegram_user_id: int, language: str) -> None:
    account = await ensure_account(session, telegram_user_id)
    account.language = language
    await session.flush()


async def create_invite(
    session: AsyncSession, member_id: int, *, created_by_member_id: int | None = None, ttl: timedelta = INVITE_TTL,
    relink: bool = False,
) -> str:
    """A fresh single-use code for the member; earlier unused codes stop working. Returns the plain code.

    `relink`: the code may move the record from the account that holds it. Only after the check and
    the confirmation of models/relinking.request_invite (or an administrator on the shell).
    """
    await revoke_invites(session, member_id)
    code = new_code()
    session.add(
        Invite(
            member_id=member_id,
            code_hash=hash_code(code),
            expires_at=clock.now() + ttl,
            created_by_member_id=created_by_member_id,
            relink=relink,
        )
    )
    await session.flush()
    await audit.record(session, "invite_created", actor_member_id=created_by_member_id, subject_member_id=member_id)
    return code


async def revoke_invites(session: AsyncSession, member_id: int) -> int:
    result = await session.execute(
        update(Invite)
        .where(Invite.member_id == member_id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return rowcount(result) or 0


async def _throttle_wait(session: AsyncSession, telegram_user_id: int) -> timedelta | None:
    since = clock.now() - WRONG_CODE_WINDOW
    rows = (
        await session.scalars(
            select(LinkAttempt.at)
            .where(LinkAttempt.telegram_user_id == telegram_user_id, LinkAttempt.at > since)
            .order_by(LinkAttempt.at)
        )
    ).all()
    if len(rows) < WRONG_CODE_LIMIT:
        return None
    # Free again when the oldest counted attempt leaves the window.
    return rows[-WRONG_CODE_LIMIT] + WRONG_CODE_WINDOW - clock.now()


async def _wrong(session: AsyncSession, telegram_user_id: int, outcome: LinkOutcome) -> LinkResult:
    session.add(LinkAttempt(telegram_user_id=telegram_user_id))
    await session.flush()
    await audit.record(session, "link_refused", actor_telegram_id=telegram_user_id, detail={"reason": outcome.value})
    return LinkResult(outcome)


async def link_by_invite(session: AsyncSession, telegram_user_id: int, code: str, *, account_name: str | None = None,
                         admin_ids: frozenset[int] = frozenset()) -> LinkResult:
    """Redeem an invite code. A member linked to another account keeps it unless the code was made as
    an authorised re-link that still holds now; then the record moves and the old account is told
    (`account_name`, the new account's Telegram first name, is what it is told)."""
    wait = await _throttle_wait(session, telegram_user_id)
    if wait is not None:
        return LinkResult(LinkOutcome.throttled, retry_after=wait)
    invite = await session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))
    if invite is None:
        return await _wrong(session, telegram_user_id, LinkOutcome.wrong_code)
    account = await ensure_account(session, telegram_user_id)
    if invite.used_at is not None:
        if invite.used_by_telegram_id == telegram_user_id and account.member_id == invite.member_id:
            return LinkResult(LinkOutcome.already_linked, invite.member_id)
        return await _wrong(session, telegram_user_id, LinkOutcome.used)
    if invite.revoked_at is not None:
        return await _wrong(session, telegram_user_id, LinkOutcome.revoked)
    if invite.expires_at <= clock.now():
        return await _wrong(session, telegram_user_id, LinkOutcome.expired)
    if account.member_id is not None and account.member_id != invite.member_id:
        return LinkResult(LinkOutcome.account_taken, account.member_id)
    from . import relinking  # it builds on this module (and on permissions, which does too)

    previous = (await session.scalars(select(Account.telegram_user_id).where(
        Account.member_id == invite.member_id, Account.telegram_user_id != telegram_user_id))).all()
    if previous and not await relinking.may_take_over(session, invite, admin_ids):
        await audit.record(session, "link_refused", actor_telegram_id=telegram_user_id,
                           subject_member_id=invite.member_id, detail={"reason": LinkOutcome.member_linked.value})
        return LinkResult(LinkOutcome.member_linked, invite.member_id)
    for old in previous:  # a lost phone: the record leaves the old account, which is told so
        await relinking.move_account(session, invite, old, telegram_user_id, account_name)
    invite.used_at = clock.now()
    invite.used_by_telegram_id = telegram_user_id
    account.member_id = invite.member_id
    account.linked_at = clock.now()
    account.unreachable_at = None
    await session.flush()
    await audit.record(
        session, "linked_by_invite", actor_telegram_id=telegram_user_id, subject_member_id=invite.member_id
    )
    return LinkResult(LinkOutcome.linked, invite.member_id)


async def link_by_contact(
    session: AsyncSession, telegram_user_id: int, contact_user_id: int | None, phone_e164: str | None
) -> LinkResult:
    """Link by a shared phone number, only when the contact is the sender's own."""
    if contact_user_id != telegram_user_id:
        await audit.record(session, "forged_contact", actor_telegram_id=telegram_user_id)
        return LinkResult(LinkOutcome.forged_contact)
    account = await ensure_account(session, telegram_user_id)
    if account.member_id is not None:
        return LinkResult(LinkOutcome.already_linked, account.member_id)
    if not phone_e164:
        return LinkResult(LinkOutcome.phone_unknown)
    matches = (await session.scalars(select(Member.id).where(Member.phone == phone_e164).limit(2))).all()
    if not matches:
        return LinkResult(LinkOutcome.phone_unknown)
    if len(matches) > 1:
        return LinkResult(LinkOutcome.phone_ambiguous)
    member_id = matches[0]
    taken = await session.scalar(select(func.count()).select_from(Account).where(Account.member_id == member_id))
    if taken:
        return LinkResult(LinkOutcome.member_taken, member_id)
    account.member_id = member_id
    account.linked_at = clock.now()
    account.unreachable_at = None
    await session.flush()
    await audit.record(session, "linked_by_contact", actor_telegram_id=telegram_user_id, subject_member_id=member_id)
    return LinkResult(LinkOutcome.linked, member_id)


async def account_of_member(session: AsyncSession, member_id: int) -> Account | None:
    return await session.scalar(select(Account).where(Account.member_id == member_id))


async def get_account(session: AsyncSession, telegram_user_id: int) -> Account | None:
    """The account of this Telegram user, linked or not (None before their first contact)."""
    return await session.get(Account, telegram_user_id)


async def language_of_member(session: AsyncSession, member_id: int) -> str | None:
    """The language the member's Telegram account uses (None when they have no account)."""
    return await session.scalar(select(Account.language).where(Account.member_id == member_id))


async def language_of_user(session: AsyncSession, telegram_user_id: int) -> str | None:
    """The language this Telegram user chose or was given (None before their first contact)."""
    return await session.scalar(select(Account.language).where(Account.telegram_user_id == telegram_user_id))


async def count_linked(session: AsyncSession, member_ids: Iterable[int]) -> int:
    """How many of these members have a Telegram account linked (those a message can reach)."""
    member_ids = list(member_ids)
    if not member_ids:
        return 0
    return int(await session.scalar(
        select(func.count()).select_from(Account).where(Account.member_id.in_(member_ids))) or 0)
