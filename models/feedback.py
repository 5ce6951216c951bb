"""Members write back: ideas, questions and opinions to their cell, and the cell's replies.

Anonymity is structural, not a flag that hides a column: an anonymous item has no member on
it at all. The reply finds its way back through a thread row holding the member's chat id
sealed with a key that is in neither the database nor the bot's token (HANDBOOK_SEAL_KEY, see
models/sealing.py), and that row is deleted as soon as the reply is delivered or the item closed.
The hourly limit is counted in a table keyed by an HMAC of (member, minute) under a key of the
day derived from the same secret, and its rows are deleted once out of the hour, so the count
never says which member wrote which item either.
"""
from __future__ import annotations

import enum
import re
import unicodedata
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from . import audit, clock
from .accounts import Account
from .base import Base
from .dates import VIETNAM, format_date
from .members import Member
from .permissions import Action, Actor, may
from .roles import Role, RoleKind
from .sealing import FeedbackKeys, seal_chat, unseal_chat  # noqa: F401 (seal_chat, unseal_chat: re-exported)
from .sql import rowcount, upsert
from .text import CleanText
from .units import Unit, ancestors

if TYPE_CHECKING:
    from .meetings import Meeting  # a type only: the features are imported where they are used

MAX_TEXT = 4000
MAX_VOICE_SECONDS = 5 * 60
RATE_LIMIT = 10
RATE_WINDOW = timedelta(hours=1)
GENERAL = "general"


class FeedbackStatus(str, enum.Enum):
    new = "new"  # mới
    seen = "seen"  # đã xem
    answered = "answered"  # đã trả lời
    closed = "closed"  # đã đóng


STATUSES = tuple(FeedbackStatus)


class FeedbackKind(str, enum.Enum):
    text = "text"
    voice = "voice"
    photo = "photo"


class FeedbackItem(Base):
    __tablename__ = "feedback_items"
    __table_args__ = (
        # An anonymous item carries no member, whatever the code that wrote it intended.
        CheckConstraint("NOT anonymous OR member_id IS NULL", name="anonymous_has_no_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[FeedbackKind] = mapped_column(Enum(FeedbackKind, native_enum=False, length=10))
    body: Mapped[str | None] = mapped_column(CleanText)  # the text, or a photo's caption
    file_id: Mapped[str | None] = mapped_column(String(250))  # Telegram's id of the voice or photo
    duration: Mapped[int | None] = mapped_column(Integer)  # seconds of a voice message
    # What it is about, generically: ("general", None), ("meeting", 12), ("notice", 3), ("vote", 7).
    about_kind: Mapped[str] = mapped_column(String(20), default=GENERAL)
    about_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[FeedbackStatus] = mapped_column(
        Enum(FeedbackStatus, native_enum=False, length=10), default=FeedbackStatus.new, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    notified_at: Mapped[datetime | None] = mapped_column(index=True)  # the secretaries were told
    seen_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class FeedbackReply(Base):
    __tablename__ = "feedback_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(CleanText)
    replied_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Claimed for delivery (or delivered); NULL: still to be sent. The sweep is the only sender.
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)
    undeliverable: Mapped[bool] = mapped_column(Boolean, default=False)


class FeedbackThread(Base):
    """The way back to the author of an anonymous item; deleted once the reply is delivered."""

    __tablename__ = "feedback_threads"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_items.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    sealed_chat: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class FeedbackRate(Base):
    """How many items one (unnamed) member sent in one minute: HMAC(key, member, minute) → count."""

    __tablename__ = "feedback_rate"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    minute: Mapped[datetime] = mapped_column(index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


# --- what an item can be about ---------------------------------------------------------------


@dataclass(frozen=True)
class AboutSource:
    """A feature whose records members may write about (meetings, notices, votes).

    `latest(session, member_id, cell_id, limit)` lists (id, title) of the newest ones that
    member can see; `title(session, id)` is a record's title (None: no such record);
    `visible(session, id, member_id, cell_id)` says whether that member could see it.
    """

    kind: str
    latest: Callable[[AsyncSession, int, int, int], Awaitable[list[tuple[int, str]]]]
    title: Callable[[AsyncSession, int], Awaitable[str | None]]
    visible: Callable[[AsyncSession, int, int, int], Awaitable[bool]]


ABOUT_SOURCES: dict[str, AboutSource] = {}
ABOUT_KINDS = ("meeting", "notice", "vote")


def register_about_source(source: AboutSource) -> None:
    """Called by the meetings, notices and votes features once they exist."""
    if source.kind not in ABOUT_KINDS:
        raise ValueError(f"unknown about kind {source.kind!r}")
    ABOUT_SOURCES[source.kind] = source


@dataclass(frozen=True)
class About:
    kind: str = GENERAL
    id: int | None = None
    title: str | None = None


async def about_choices(session: AsyncSession, member_id: int, cell_id: int, per_kind: int = 2) -> list[About]:
    """"General" first, then the latest meetings, notices and votes the member can see, where those exist."""
    choices = [About()]
    for kind in ABOUT_KINDS:
        source = ABOUT_SOURCES.get(kind)
        if source is None:
            continue
        for ref_id, title in await source.latest(session, member_id, cell_id, per_kind):
            choices.append(About(kind, ref_id, title))
    return choices


async def about_title(session: AsyncSession, kind: str, ref_id: int | None) -> str | None:
    source = ABOUT_SOURCES.get(kind)
    if source is None or ref_id is None:
        return None
    return await source.title(session, ref_id)


async def about_visible(session: AsyncSession, kind: str, ref_id: int | None, member_id: int, cell_id: int) -> bool:
    source = ABOUT_SOURCES.get(kind)
    if source is None or ref_id is None:
        return False
    return await source.visible(session, ref_id, member_id, cell_id)


# The features that exist today; each imports its own module only when asked (no import cycle).
MEETING_WINDOW = (timedelta(days=62), timedelta(days=31))  # recently held, or coming soon


async def _meetings_latest(session: AsyncSession, member_id: int, cell_id: int, limit: int) -> list[tuple[int, str]]:
    from .meetings import Meeting, MeetingState

    now = clock.now()
    rows = await session.scalars(
        select(Meeting)
        .where(Meeting.cell_id == cell_id, Meeting.state != MeetingState.cancelled,
               Meeting.starts_at >= now - MEETING_WINDOW[0], Meeting.starts_at <= now + MEETING_WINDOW[1])
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(limit)
    )
    return [(m.id, _meeting_title(m)) for m in rows.all()]


def _meeting_title(meeting: Meeting) -> str:
    return f"{meeting.title} ({format_date(meeting.starts_at.astimezone(VIETNAM))})"


async def _meetings_title(session: AsyncSession, ref_id: int) -> str | None:
    from .meetings import Meeting

    meeting = await session.get(Meeting, ref_id)
    return _meeting_title(meeting) if meeting else None


async def _meetings_visible(session: AsyncSession, ref_id: int, member_id: int, cell_id: int) -> bool:
    from .meetings import Meeting, MeetingState

    meeting = await session.get(Meeting, ref_id)
    return meeting is not None and meeting.cell_id == cell_id and meeting.state is not MeetingState.cancelled


register_about_source(AboutSource("meeting", _meetings_latest, _meetings_title, _meetings_visible))


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


# --- reading ------------------------------------------------------------------------------------


async def own_items(session: AsyncSession, member_id: int, limit: int = 5) -> list[FeedbackItem]:
    """The member's named items, newest first (anonymous ones are linked to nobody)."""
    stmt = (
        select(FeedbackItem)
        .where(FeedbackItem.member_id == member_id)
        .order_by(FeedbackItem.created_at.desc(), FeedbackItem.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def replies_of(session: AsyncSession, item_id: int) -> list[FeedbackReply]:
    stmt = select(FeedbackReply).where(FeedbackReply.item_id == item_id).order_by(FeedbackReply.id)
    return list((await session.scalars(stmt)).all())


@dataclass
class ItemView:
    item: FeedbackItem
    cell: Unit
    author: str | None  # the member's name; None when anonymous (or the member was deleted)
    replies: list[FeedbackReply]
    about_title: str | None = None


class NotAllowed(Exception):
    """The actor may not do this to this item; the caller refuses and audits."""


async def item_and_cell(session: AsyncSession, item_id: int) -> tuple[FeedbackItem, Unit] | None:
    row = (
        await session.execute(
            select(FeedbackItem, Unit).join(Unit, Unit.id == FeedbackItem.cell_id).where(FeedbackItem.id == item_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


def may_handle(actor: Actor, cell_path: str) -> bool:
    """Sees, replies to, closes: the cell's own secretary or deputy, or a committee above (or an admin)."""
    return may(actor, Action.manage_cell, cell_path)


async def open_item(session: AsyncSession, actor: Actor, item_id: int, *, as_officer: bool) -> ItemView:
    """An item with its replies. An officer opening a new item marks it seen; raises NotAllowed."""
    found = await item_and_cell(session, item_id)
    if found is None:
        raise NotAllowed
    item, cell = found
    if as_officer:
        if not may_handle(actor, cell.path):
            raise NotAllowed
        if item.status is FeedbackStatus.new:
            item.status = FeedbackStatus.seen
            item.seen_at = clock.now()
            await session.flush()
    elif item.member_id is None or item.member_id != actor.member_id:
        raise NotAllowed
    author = await session.scalar(select(Member.full_name).where(Member.id == item.member_id)) if item.member_id else None
    title = await about_title(session, item.about_kind, item.about_id)
    return ItemView(item, cell, author, await replies_of(session, item.id), title)


async def list_items(
    session: AsyncSession, unit_path: str, status: FeedbackStatus, offset: int = 0, limit: int = 8
) -> tuple[list[tuple[FeedbackItem, str]], int]:
    """One page of the items of every cell under a unit with that status (newest first), and the total."""
    base = (
        select(FeedbackItem, Unit.name)
        .join(Unit, Unit.id == FeedbackItem.cell_id)
        .where(Unit.path.startswith(unit_path, autoescape=True), FeedbackItem.status == status)
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.execute(
        base.order_by(FeedbackItem.created_at.desc(), FeedbackItem.id.desc()).offset(offset).limit(limit)
    )
    return [(i, name) for i, name in rows.all()], total


@dataclass
class CellCounts:
    cell_id: int
    name: str
    path: str
    counts: dict[FeedbackStatus, int] = field(default_factory=lambda: {s: 0 for s in STATUSES})

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def counts_by_cell(session: AsyncSession, unit_path: str) -> list[CellCounts]:
    """For a committee: every cell under the unit, with its items counted by status."""
    cells = (
        await session.execute(
            select(Unit.id, Unit.name, Unit.path)
            .where(Unit.path.startswith(unit_path, autoescape=True), Unit.kind.in_(("cell", "group")))
            .order_by(Unit.path)
        )
    ).all()
    result = {cid: CellCounts(cid, name, path) for cid, name, path in cells}
    rows = await session.execute(
        select(FeedbackItem.cell_id, FeedbackItem.status, func.count())
        .join(Unit, Unit.id == FeedbackItem.cell_id)
        .where(Unit.path.startswith(unit_path, autoescape=True))
        .group_by(FeedbackItem.cell_id, FeedbackItem.status)
    )
    for cell_id, status, n in rows.all():
        if cell_id in result:
            result[cell_id].counts[FeedbackStatus(status)] = n
    return list(result.values())


async def count_status(session: AsyncSession, unit_path: str, status: FeedbackStatus) -> int:
    return (await session.execute(
        select(func.count())
        .select_from(FeedbackItem)
        .join(Unit, Unit.id == FeedbackItem.cell_id)
        .where(Unit.path.startswith(unit_path, autoescape=True), FeedbackItem.status == status)
    )).scalar_one()


# --- answering -----------------------------------------------------------------------------------


class ReplyRefusal(str, enum.Enum):
    closed = "closed"
    thread_gone = "thread_gone"  # an anonymous item already answered: the way back is deleted
    too_long = "too_long"
    empty = "empty"


class ReplyRefused(Exception):
    def __init__(self, reason: ReplyRefusal):
        super().__init__(reason.value)
        self.reason = reason


async def add_reply(session: AsyncSession, actor: Actor, item_id: int, body: str) -> FeedbackReply:
    """The officer's answer, to be delivered by the sweep; raises NotAllowed or ReplyRefused."""
    found = await item_and_cell(session, item_id)
    if found is None or not may_handle(actor, found[1].path):
        raise NotAllowed
    item, _ = found
    body = (body or "").strip()
    if not body:
        raise ReplyRefused(ReplyRefusal.empty)
    if len(body) > MAX_TEXT:
        raise ReplyRefused(ReplyRefusal.too_long)
    if item.status is FeedbackStatus.closed:
        raise ReplyRefused(ReplyRefusal.closed)
    if item.anonymous and await session.get(FeedbackThread, item.id) is None:
        raise ReplyRefused(ReplyRefusal.thread_gone)
    if item.anonymous and await session.scalar(select(func.count()).where(FeedbackReply.item_id == item.id)):
        raise ReplyRefused(ReplyRefusal.thread_gone)
    reply = FeedbackReply(item_id=item.id, body=body, replied_by_member_id=actor.member_id)
    session.add(reply)
    item.status = FeedbackStatus.answered
    item.seen_at = item.seen_at or clock.now()
    await session.flush()
    await audit.record(
        session, "feedback_replied", actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
        subject_member_id=item.member_id, detail={"item": item.id},
    )
    return reply


async def close_item(session: AsyncSession, actor: Actor, item_id: int) -> FeedbackItem:
    """Close an item; an anonymous item's way back goes too, unless a reply is still on its way."""
    found = await item_and_cell(session, item_id)
    if found is None or not may_handle(actor, found[1].path):
        raise NotAllowed
    item, _ = found
    if item.status is not FeedbackStatus.closed:
        item.status = FeedbackStatus.closed
        item.closed_at = clock.now()
        item.closed_by_member_id = actor.member_id
        pending = await session.scalar(
            select(func.count()).where(FeedbackReply.item_id == item.id, FeedbackReply.delivered_at.is_(None))
        )
        if not pending:
            await session.execute(delete(FeedbackThread).where(FeedbackThread.item_id == item.id))
        await session.flush()
        await audit.record(
            session, "feedback_closed", actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
            subject_member_id=item.member_id, detail={"item": item.id},
        )
    return item


# --- the sweeps: the database says what is still to be told -----------------------------------


async def claim_unnotified(session: AsyncSession, limit: int = 500) -> list[tuple[int, int]]:
    """(item id, cell id) of items no secretary was told about yet, now marked told. Two sweeps never share one."""
    ids = (
        await session.scalars(
            select(FeedbackItem.id).where(FeedbackItem.notified_at.is_(None)).order_by(FeedbackItem.id).limit(limit)
        )
    ).all()
    if not ids:
        return []
    rows = await session.execute(
        update(FeedbackItem)
        .where(FeedbackItem.id.in_(ids), FeedbackItem.notified_at.is_(None))
        .values(notified_at=clock.now())
        .returning(FeedbackItem.id, FeedbackItem.cell_id)
        .execution_options(synchronize_session=False)
    )
    return sorted((i, c) for i, c in rows.all())


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
    ids = (
        await session.scalars(
            select(FeedbackReply.id).where(FeedbackReply.delivered_at.is_(None)).order_by(FeedbackReply.id).limit(limit)
        )
    ).all()
    if not ids:
        return []
    claimed = (
        await session.scalars(
            update(FeedbackReply)
            .where(FeedbackReply.id.in_(ids), FeedbackReply.delivered_at.is_(None))
            .values(delivered_at=clock.now())
            .returning(FeedbackReply.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    out: list[PendingReply] = []
    for reply_id in sorted(claimed):
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


# --- the digest before a meeting ------------------------------------------------------------------

# Function words and forms of address that say nothing about what members raise.
STOP_WORDS = frozenset(
    """
    à ạ ai anh bà bác bạn bao bên bị bởi cả các cái cần càng cháu chị chiếc cho chú chúng chưa chứ có cô
    còn của cùng cũng đã đang đây đấy để đến đều điều do đó đồng em gì hay hãy hoặc họ hơn khi không là
    lại lên lúc mà mình mỗi một nà nào này nay nên nếu nhé nhiều như nhưng những nữa ở ơi ông phải qua ra
    rằng rất rồi sao sau sẽ tại tôi thì theo thế thêm trên trong trước từ và vào vẫn về vì với vậy xin ấy
    đâu được chỉ cứ luôn kia nọ nhỉ nha thôi vừa hết ít
    """.split()
)
# Phrases of courtesy and of the genre itself, dropped before counting.
STOP_PHRASES = (
    ("đồng", "chí"), ("đề", "nghị"), ("kiến", "nghị"), ("góp", "ý"), ("ý", "kiến"), ("cảm", "ơn"),
    ("chúng", "tôi"), ("chúng", "ta"), ("bà", "con"), ("chi", "bộ"), ("bí", "thư"),
)
_CLAUSE = re.compile(r"[.,;:!?()\[\]\"'«»“”\n\r\t/–—-]+")
_SYLLABLE = re.compile(r"[^\W\d_]+")


def _clauses(text: str) -> list[list[str]]:
    """Runs of meaningful syllables: clauses split at punctuation, then at stop words and phrases."""
    runs: list[list[str]] = []
    for clause in _CLAUSE.split(unicodedata.normalize("NFC", text).lower()):
        words = _SYLLABLE.findall(clause)
        stop = [w in STOP_WORDS for w in words]
        for i in range(len(words) - 1):
            if (words[i], words[i + 1]) in STOP_PHRASES:
                stop[i] = stop[i + 1] = True
        run: list[str] = []
        for w, s in zip(words, stop, strict=True):
            if s:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(w)
        if run:
            runs.append(run)
    return runs


def recurring_terms(texts: list[str], top: int = 10, max_words: int = 4) -> list[tuple[str, int]]:
    """The words and phrases raised in the most items (each item counts once), longest phrase kept.

    Vietnamese words are mostly two syllables ("đường điện", "vệ sinh", "môi trường"), so phrases
    of two to four syllables are counted; a shorter one is dropped when it never occurs outside a
    longer one that recurs as often, and a single syllable only when it is part of no phrase.
    """
    df: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        grams: set[tuple[str, ...]] = set()
        for run in _clauses(text or ""):
            for n in range(1, max_words + 1):
                for i in range(len(run) - n + 1):
                    grams.add(tuple(run[i:i + n]))
        df.update(grams)
    candidates = {g: n for g, n in df.items() if n >= 2}
    phrases = [g for g in candidates if len(g) > 1]

    def inside(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
        return len(short) < len(long) and any(long[i:i + len(short)] == short for i in range(len(long) - len(short) + 1))

    kept = []
    for g, n in candidates.items():
        if len(g) == 1 and any(inside(g, p) for p in phrases):
            continue
        if any(inside(g, p) and candidates[p] == n for p in phrases):
            continue
        kept.append((g, n))
    kept.sort(key=lambda gn: (-gn[1], -len(gn[0]), " ".join(gn[0])))
    return [(" ".join(g), n) for g, n in kept[:top]]


@dataclass
class DigestGroup:
    about: About
    items: list[FeedbackItem]


@dataclass
class Digest:
    total: int
    answered: int
    groups: list[DigestGroup]
    terms: list[tuple[str, int]]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """A calendar month in Huế, as UTC instants."""
    start = datetime(year, month, 1, tzinfo=VIETNAM)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=VIETNAM)
    return start, end


async def digest(
    session: AsyncSession,
    unit_path: str,
    *,
    month: tuple[int, int] | None = None,
    about: tuple[str, int] | None = None,
) -> Digest:
    """What members raised under a unit in a month, or about one meeting, notice or vote."""
    stmt = (
        select(FeedbackItem)
        .join(Unit, Unit.id == FeedbackItem.cell_id)
        .where(Unit.path.startswith(unit_path, autoescape=True))
        .order_by(FeedbackItem.created_at, FeedbackItem.id)
    )
    if month is not None:
        start, end = month_bounds(*month)
        stmt = stmt.where(FeedbackItem.created_at >= start, FeedbackItem.created_at < end)
    if about is not None:
        stmt = stmt.where(FeedbackItem.about_kind == about[0], FeedbackItem.about_id == about[1])
    items = list((await session.scalars(stmt)).all())
    answered_ids = set(
        (
            await session.scalars(
                select(FeedbackReply.item_id).where(FeedbackReply.item_id.in_([i.id for i in items])).distinct()
            )
        ).all()
    ) if items else set()
    groups: dict[tuple[str, int | None], DigestGroup] = {}
    for item in items:
        ref = (item.about_kind, item.about_id)
        if ref not in groups:
            title = await about_title(session, item.about_kind, item.about_id)
            groups[ref] = DigestGroup(About(item.about_kind, item.about_id, title), [])
        groups[ref].items.append(item)
    order = {GENERAL: 0, **{k: i + 1 for i, k in enumerate(ABOUT_KINDS)}}
    ordered = sorted(groups.values(), key=lambda g: (order.get(g.about.kind, 9), -(g.about.id or 0)))
    answered = sum(1 for i in items if i.id in answered_ids or i.status is FeedbackStatus.answered)
    return Digest(len(items), answered, ordered, recurring_terms([i.body or "" for i in items]))


async def about_refs(session: AsyncSession, unit_path: str, since: datetime) -> list[tuple[str, int]]:
    """The meetings, notices and votes written about under a unit since a time (for digest buttons)."""
    rows = await session.execute(
        select(FeedbackItem.about_kind, FeedbackItem.about_id)
        .join(Unit, Unit.id == FeedbackItem.cell_id)
        .where(
            Unit.path.startswith(unit_path, autoescape=True),
            FeedbackItem.about_kind != GENERAL,
            FeedbackItem.about_id.is_not(None),
            FeedbackItem.created_at >= since,
        )
        .distinct()
    )
    return sorted(((k, i) for k, i in rows.all() if i is not None), key=lambda r: (r[0], -r[1]))


def local_month(at: datetime | date | None = None) -> tuple[int, int]:
    at = at or clock.now()
    if isinstance(at, datetime):
        at = at.astimezone(VIETNAM)
    return at.year, at.month
