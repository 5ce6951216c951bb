"""A member sends an item: the limits checked at once, the unnamed hourly count, the sealed way back."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import clock
from ..permissions import Actor
from ..sealing import FeedbackKeys
from ..sql import rowcount, upsert
from .about import about_visible
from .tables import (
    GENERAL,
    MAX_TEXT,
    MAX_VOICE_SECONDS,
    RATE_LIMIT,
    RATE_WINDOW,
    FeedbackItem,
    FeedbackKind,
    FeedbackRate,
    FeedbackStatus,
    FeedbackThread,
)

# --- keys that never enter the database (models/sealing.py) -------------------------------------


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


async def recent_count(session: AsyncSession, key: FeedbackKeys, member_id: int) -> tuple[int, timedelta | None]:
    """Items this member sent in the last hour (named and anonymous alike), and when the next is allowed."""
    now = _minute(clock.now())
    minutes = [now - timedelta(minutes=i) for i in range(int(RATE_WINDOW.total_seconds() // 60))]
    keys = {key.rate_row(member_id, m): m for m in minutes}
    rows = (await session.execute(select(FeedbackRate.key, FeedbackRate.count).where(FeedbackRate.key.in_(keys)))).all()
    per_minute = sorted((keys[k], c) for k, c in rows)
    total = sum(c for _, c in per_minute)
    if total < RATE_LIMIT:
        return total, None
    # Free again when enough of the oldest minutes have left the window.
    over = total - RATE_LIMIT + 1
    for minute, count in per_minute:
        over -= count
        if over <= 0:
            return total, minute + RATE_WINDOW - clock.now()
    return total, RATE_WINDOW  # not reached


async def purge_rates(session: AsyncSession) -> int:
    """Forget the counts of minutes the limit no longer looks at (at every item, and by the sweep:
    a quiet day must not leave yesterday's rows behind). Returns how many rows went."""
    result = await session.execute(delete(FeedbackRate).where(FeedbackRate.minute < _minute(clock.now()) - RATE_WINDOW))
    return rowcount(result)


async def _count_one(session: AsyncSession, key: FeedbackKeys, member_id: int) -> None:
    minute = _minute(clock.now())
    await purge_rates(session)
    row_key = key.rate_row(member_id, minute)
    values = {"key": row_key, "minute": minute, "count": 1}
    stmt = upsert(session, FeedbackRate).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=[FeedbackRate.key], set_={"count": FeedbackRate.count + 1})
    await session.execute(stmt)


# --- sending ------------------------------------------------------------------------------------


class Refusal(str, enum.Enum):
    too_long = "too_long"
    voice_too_long = "voice_too_long"
    empty = "empty"
    rate_limited = "rate_limited"
    bad_about = "bad_about"
    not_a_member = "not_a_member"


class FeedbackRefused(Exception):
    def __init__(self, reason: Refusal, retry_after: timedelta | None = None):
        super().__init__(reason.value)
        self.reason = reason
        self.retry_after = retry_after


@dataclass
class Draft:
    """What a member is about to send, as the conversation collected it."""

    kind: FeedbackKind
    body: str | None = None
    file_id: str | None = None
    duration: int | None = None
    about_kind: str = GENERAL
    about_id: int | None = None


def check_draft(draft: Draft) -> None:
    """Limits that do not need the database (the handler checks them as soon as the message arrives)."""
    body = (draft.body or "").strip()
    if len(body) > MAX_TEXT:
        raise FeedbackRefused(Refusal.too_long)
    if draft.kind is FeedbackKind.voice and (draft.duration or 0) > MAX_VOICE_SECONDS:
        raise FeedbackRefused(Refusal.voice_too_long)
    if draft.kind is FeedbackKind.text and not body:
        raise FeedbackRefused(Refusal.empty)
    if draft.kind is not FeedbackKind.text and not draft.file_id:
        raise FeedbackRefused(Refusal.empty)


async def submit(
    session: AsyncSession, actor: Actor, draft: Draft, *, anonymous: bool, key: FeedbackKeys, chat_id: int
) -> FeedbackItem:
    """Record an item for the actor's cell; raises FeedbackRefused. The caller commits."""
    if actor.member_id is None or actor.cell_id is None:
        raise FeedbackRefused(Refusal.not_a_member)
    check_draft(draft)
    if draft.about_kind != GENERAL:
        if not await about_visible(session, draft.about_kind, draft.about_id, actor.member_id, actor.cell_id):
            raise FeedbackRefused(Refusal.bad_about)
    _, wait = await recent_count(session, key, actor.member_id)
    if wait is not None:
        raise FeedbackRefused(Refusal.rate_limited, wait)
    await _count_one(session, key, actor.member_id)
    item = FeedbackItem(
        cell_id=actor.cell_id,
        member_id=None if anonymous else actor.member_id,
        anonymous=anonymous,
        kind=draft.kind,
        body=(draft.body or "").strip() or None,
        file_id=draft.file_id,
        duration=draft.duration,
        about_kind=draft.about_kind if draft.about_kind != GENERAL else GENERAL,
        about_id=draft.about_id if draft.about_kind != GENERAL else None,
        status=FeedbackStatus.new,
    )
    session.add(item)
    await session.flush()
    if anonymous:
        session.add(FeedbackThread(item_id=item.id, sealed_chat=key.seal(chat_id)))
        await session.flush()
    return item

