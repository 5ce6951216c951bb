"""The delivery outbox: one row per member per outgoing message, sent by the one dispatcher.

A feature queues rows of its own `kind` pointing at its own `ref_id` (a notice, a reminder, a
meeting…); the dispatcher (bot/dispatcher.py) claims them, renders them at send time in the
member's language and records what Telegram said. The table is the truth: a restart, a crash
or a second instance loses and repeats nothing except the few messages in flight.

No personal data here: a chat id, a state and Telegram's error text.
"""
from __future__ import annotations

import enum
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    case,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from . import clock
from .accounts import Account
from .base import Base
from .members import Member
from .roles import Role, RoleKind
from .sql import claimable, rowcount, upsert
from .units import Unit, path_ids

# Kinds owned by the outbox itself; features define their own next to their models.
UNREACHABLE_REPORT = "unreachable"  # ref_id: the delivery that met a blocked member
MAX_ERROR = 200
# last_error of a row sent without the picture or audio it was to carry (what was missing follows): the
# member got the text; the sender's status counts these (sent_text_only).
TEXT_ONLY = "text only: "
BACKOFF_CAP = timedelta(minutes=15)

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys only


class DeliveryState(str, enum.Enum):
    queued = "queued"  # waiting for its time (next_attempt_at)
    sending = "sending"  # claimed by a dispatcher until claimed_until
    sent = "sent"
    failed = "failed"  # gave up after the last attempt, or Telegram refused the content
    unreachable = "unreachable"  # the member blocked the bot or deleted the account (403)


FINAL_STATES = (DeliveryState.sent, DeliveryState.failed, DeliveryState.unreachable)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        # A chat receives a given message once, however often it is queued.
        UniqueConstraint("kind", "ref_id", "chat_id", name="uq_deliveries_kind_ref_chat"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    ref_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[DeliveryState] = mapped_column(
        Enum(DeliveryState, native_enum=False, length=12), default=DeliveryState.queued
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Messages of a multi-part delivery (file, then long text) already sent: a retry goes on from there.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column()
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(MAX_ERROR))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column()


@dataclass(frozen=True)
class Claimed:
    """A row a dispatcher now holds: what it needs to render and send it."""

    id: int
    kind: str
    ref_id: int
    member_id: int | None
    chat_id: int
    attempts: int
    parts_sent: int


@dataclass
class Outcome:
    """What happened to a claimed row; the dispatcher records these in batches."""

    id: int
    state: DeliveryState
    message_id: int | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None  # for a row going back to the queue
    parts_sent: int = 0
    chat_id: int | None = None


# --- queueing ---------------------------------------------------------------------------------
async def queue(
    session: AsyncSession,
    kind: str,
    ref_id: int,
    recipients: Iterable[tuple[int | None, int]],
    *,
    not_before: datetime | None = None,
) -> int:
    """Queue one message of `kind`/`ref_id` to each (member_id, chat_id); repeats are ignored.

    Returns how many rows were new. The caller commits; the dispatcher picks them up.
    """
    at = not_before or clock.now()
    rows, seen = [], set()
    for member_id, chat_id in recipients:
        if chat_id in seen:
            continue
        seen.add(chat_id)
        rows.append({"kind": kind, "ref_id": ref_id, "member_id": member_id, "chat_id": chat_id,
                     "state": DeliveryState.queued, "attempts": 0, "parts_sent": 0,
                     "next_attempt_at": at, "created_at": clock.now()})
    if not rows:
        return 0
    stmt = upsert(session, Delivery.__table__).on_conflict_do_nothing(index_elements=["kind", "ref_id", "chat_id"])
    before = await _count(session, kind, ref_id)
    for start in range(0, len(rows), 1000):
        await session.execute(stmt, rows[start:start + 1000])
    return await _count(session, kind, ref_id) - before


async def _count(session: AsyncSession, kind: str, ref_id: int) -> int:
    return (await session.execute(
        select(func.count()).select_from(Delivery).where(Delivery.kind == kind, Delivery.ref_id == ref_id)
    )).scalar_one()


async def queue_to_members(
    session: AsyncSession, kind: str, ref_id: int, member_ids: Iterable[int], *, not_before: datetime | None = None
) -> int:
    """Queue to the Telegram accounts of these members; members without an account are skipped."""
    recipients = sorted((await chats_of_members(session, member_ids)).items())
    return await queue(session, kind, ref_id, recipients, not_before=not_before)


async def chats_of_members(session: AsyncSession, member_ids: Iterable[int]) -> dict[int, int]:
    """member id → Telegram chat, for those of these members with an account (a query per 1,000 members)."""
    ids = list(member_ids)
    found: dict[int, int] = {}
    for start in range(0, len(ids), 1000):
        rows = await session.execute(
            select(Account.member_id, Account.telegram_user_id).where(Account.member_id.in_(ids[start:start + 1000]))
        )
        found.update((m, c) for m, c in rows.all() if m is not None)  # none is: in_(chunk)
    return found


# --- claiming -----------------------------------------------------------------------------------
async def claim(
    session: AsyncSession, claimer: str, limit: int, *, lease: timedelta, now: datetime | None = None
) -> list[Claimed]:
    """Take up to `limit` due rows for `claimer` until now + lease, oldest first.

    One UPDATE … RETURNING: on SQLite the write lock (BEGIN IMMEDIATE) makes it atomic, on
    PostgreSQL FOR UPDATE SKIP LOCKED lets concurrent claimers take disjoint rows without waiting.
    Every claim counts as an attempt (a crash after the claim may have sent it).
    """
    now = now or clock.now()
    picked = claimable(Delivery.id, Delivery.state == DeliveryState.queued, Delivery.next_attempt_at <= now,
                       order_by=(Delivery.next_attempt_at, Delivery.id), limit=limit, name="due")
    stmt = (
        update(Delivery)
        .where(Delivery.id == picked.c.id, Delivery.state == DeliveryState.queued)
        .values(state=DeliveryState.sending, claimed_by=claimer, claimed_until=now + lease,
                attempts=Delivery.attempts + 1)
        .returning(Delivery.id, Delivery.kind, Delivery.ref_id, Delivery.member_id, Delivery.chat_id,
                   Delivery.attempts, Delivery.parts_sent)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(stmt)).all()
    claimed = [Claimed(*row) for row in rows]
    claimed.sort(key=lambda c: c.id)
    return claimed


async def renew(session: AsyncSession, claimer: str, *, lease: timedelta, now: datetime | None = None) -> int:
    """A live dispatcher keeps its claims; only a dead one's lapse."""
    now = now or clock.now()
    result = await session.execute(
        update(Delivery)
        .where(Delivery.state == DeliveryState.sending, Delivery.claimed_by == claimer)
        .values(claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) or 0


async def release_expired(session: AsyncSession, now: datetime | None = None) -> int:
    """Rows whose claimer stopped renewing (killed, crashed) go back to the queue."""
    now = now or clock.now()
    result = await session.execute(
        update(Delivery)
        .where(Delivery.state == DeliveryState.sending, Delivery.claimed_until < now)
        .values(state=DeliveryState.queued, claimed_by=None, claimed_until=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) or 0


async def release(session: AsyncSession, claimer: str, ids: Iterable[int]) -> int:
    """Give back claimed rows that were never tried (a clean shutdown): the attempt did not happen."""
    ids = list(ids)
    if not ids:
        return 0
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.claimed_by == claimer, Delivery.state == DeliveryState.sending)
        .values(state=DeliveryState.queued, claimed_by=None, claimed_until=None,
                attempts=case((Delivery.attempts > 0, Delivery.attempts - 1), else_=0))
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) or 0


# --- recording ---------------------------------------------------------------------------------
def retry_delay(attempts: int, base: timedelta, *, jitter: float = 0.1) -> timedelta:
    """Exponential back-off after the n-th failed attempt: base, 2·base, 4·base … up to 15 minutes."""
    factor: int = 2 ** max(attempts - 1, 0)
    delay = min(base * factor, BACKOFF_CAP)
    return delay * (1 + random.uniform(-jitter, jitter))


def after_failure(claimed: Claimed, error: str, *, max_attempts: int, backoff: timedelta, parts_sent: int = 0,
                  now: datetime | None = None) -> Outcome:
    """A transient failure (5xx, timeout, network): retry later, or give up after the last attempt."""
    now = now or clock.now()
    if claimed.attempts >= max_attempts:
        return Outcome(claimed.id, DeliveryState.failed, error=error, parts_sent=parts_sent, chat_id=claimed.chat_id)
    return Outcome(claimed.id, DeliveryState.queued, error=error, parts_sent=parts_sent, chat_id=claimed.chat_id,
                   next_attempt_at=now + retry_delay(claimed.attempts, backoff))


_RECORD = (
    update(Delivery.__table__)
    .where(
        Delivery.__table__.c.id == bindparam("b_id"),
        Delivery.__table__.c.claimed_by == bindparam("b_claimer"),
        Delivery.__table__.c.state == DeliveryState.sending.value,
    )
    .values(
        state=bindparam("b_state"),
        telegram_message_id=bindparam("b_message_id"),
        last_error=bindparam("b_error"),
        next_attempt_at=bindparam("b_next"),
        parts_sent=bindparam("b_parts"),
        sent_at=bindparam("b_sent_at"),
        claimed_by=None,
        claimed_until=None,
    )
)


async def record(session: AsyncSession, claimer: str, outcomes: list[Outcome], now: datetime | None = None) -> None:
    """Write a batch of outcomes (one executemany); a row another claimer took over is left alone.

    Members found unreachable are marked on their account and reported to their secretary
    (through the outbox); members reached again lose the mark.
    """
    if not outcomes:
        return
    now = now or clock.now()
    params = [
        {
            "b_id": o.id,
            "b_claimer": claimer,
            "b_state": o.state.value,
            "b_message_id": o.message_id,
            "b_error": (o.error or "")[:MAX_ERROR] or None,
            "b_next": o.next_attempt_at or now,
            "b_parts": o.parts_sent,
            "b_sent_at": now if o.state is DeliveryState.sent else None,
        }
        for o in outcomes
    ]
    await session.execute(_RECORD, params)
    reached = [o.chat_id for o in outcomes if o.state is DeliveryState.sent and o.chat_id is not None]
    if reached:
        await session.execute(
            update(Account)
            .where(Account.telegram_user_id.in_(reached), Account.unreachable_at.is_not(None))
            .values(unreachable_at=None)
            .execution_options(synchronize_session=False)
        )
    lost = [o for o in outcomes if o.state is DeliveryState.unreachable]
    if lost:
        await mark_unreachable(session, lost, now)


async def mark_unreachable(session: AsyncSession, lost: list[Outcome], now: datetime) -> int:
    """Mark the accounts behind these deliveries unreachable; report each newly lost member once."""
    reported = 0
    for outcome in lost:
        row = (
            await session.execute(
                select(Account, Delivery.member_id)
                .join(Delivery, Delivery.chat_id == Account.telegram_user_id)
                .where(Delivery.id == outcome.id)
            )
        ).first()
        if row is None:
            continue
        account, member_id = row
        if account.unreachable_at is not None:
            continue  # already reported; a later successful send clears the mark
        account.unreachable_at = now
        member_id = member_id or account.member_id
        if member_id is None:
            continue
        officers = await officers_to_tell(session, member_id)
        reported += await queue(session, UNREACHABLE_REPORT, outcome.id, officers)
    await session.flush()
    return reported


async def officers_to_tell(session: AsyncSession, member_id: int) -> list[tuple[int, int]]:
    """(member_id, chat_id) of the nearest officers above a member: the cell's secretary and
    deputy, or, when the cell has none on Telegram, the committee above it, and so on up."""
    path = await session.scalar(
        select(Unit.path).join(Member, Member.cell_id == Unit.id).where(Member.id == member_id)
    )
    if path is None:
        return []
    unit_ids = path_ids(path)
    kinds = (RoleKind.secretary, RoleKind.deputy, RoleKind.committee)
    for unit_id in reversed(unit_ids):
        rows = await session.execute(
            select(Role.member_id, Account.telegram_user_id)
            .join(Account, Account.member_id == Role.member_id)
            .where(Role.unit_id == unit_id, Role.kind.in_(kinds), Role.member_id != member_id,
                   Account.unreachable_at.is_(None))
            .order_by(Role.member_id)
        )
        found = list(dict.fromkeys((m, c) for m, c in rows.all()))
        if found:
            return found
    return []


# --- reading ---------------------------------------------------------------------------------
async def counts(session: AsyncSession, kind: str, ref_id: int) -> dict[DeliveryState, int]:
    rows = await session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.kind == kind, Delivery.ref_id == ref_id)
        .group_by(Delivery.state)
    )
    out = {state: 0 for state in DeliveryState}
    out.update({DeliveryState(state): n for state, n in rows.all()})
    return out


async def sent_text_only(session: AsyncSession, kind: str, ref_id: int) -> int:
    """Messages of kind/ref_id that reached their member as text alone (their picture could not be made)."""
    found = await session.scalar(
        select(func.count()).select_from(Delivery)
        .where(Delivery.kind == kind, Delivery.ref_id == ref_id, Delivery.state == DeliveryState.sent,
               Delivery.last_error.startswith(TEXT_ONLY, autoescape=True))
    )
    return int(found or 0)


async def delivered_to(session: AsyncSession, kind: str, ref_id: int, member_id: int) -> bool:
    """Was (or will) this message be sent to this member? Callback buttons are checked this way."""
    found = await session.scalar(
        select(Delivery.id).where(Delivery.kind == kind, Delivery.ref_id == ref_id, Delivery.member_id == member_id)
        .limit(1)
    )
    return found is not None
