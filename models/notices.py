"""Notices, documents, resolutions and reports a committee sends to the members below it.

A notice is issued by a unit (the sender's cell or committee) to an audience of units; at send
time (now, or at the time the sender scheduled) the audience is resolved from the unit tree into
recipients — every member of every cell under those units, the sender excepted — and one delivery
per recipient with a Telegram account goes into the outbox. Recipients confirm "read", and for a
resolution marked for study, "studied". No Telegram here.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload
from sqlalchemy.sql import ColumnElement

from . import audit, clock, deliveries
from .accounts import Account
from .base import Base
from .dates import as_utc
from .deliveries import Delivery, DeliveryState
from .members import Member
from .permissions import ALLOWED, Action, Actor, may_send_to
from .sql import rowcount
from .text import CleanLine, CleanText, clean_line, clean_text, fold
from .units import Unit

NOTICE_DELIVERY = "notice"  # ref_id: Notice.id
REMINDER_DELIVERY = "notice_reminder"  # ref_id: NoticeReminder.id
TITLE_MAX = 200
BODY_MAX = 4096  # what one Telegram message from the sender can hold
QUERY_MAX = 100
REMIND_INTERVAL = timedelta(minutes=10)
SCHEDULE_MAX = timedelta(days=366)
SCHEDULE_MIN = timedelta(minutes=1)
RELEASE_BATCH = 20


class NoticeKind(str, enum.Enum):
    notice = "notice"  # thông báo
    document = "document"  # văn bản
    resolution = "resolution"  # nghị quyết
    report = "report"  # báo cáo


DOCUMENT_KINDS = (NoticeKind.document, NoticeKind.resolution)
FILE_KINDS = ("document", "photo")


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(Enum(NoticeKind, native_enum=False, length=20))
    # The issuing unit: the sender's cell or committee; its documents are its members' documents.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    sender_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(CleanLine(TITLE_MAX))
    body: Mapped[str] = mapped_column(CleanText)
    # Title and text folded (lower case, no diacritics): "nghi quyet" finds "Nghị quyết" on every backend.
    search_text: Mapped[str] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(255))  # re-sent by file_id, never re-uploaded
    file_kind: Mapped[str | None] = mapped_column(String(20))  # "document" or "photo"
    file_name: Mapped[str | None] = mapped_column(CleanLine(255))
    study_required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    send_at: Mapped[datetime] = mapped_column(default=clock.now)
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    # The sender's live status message, edited as deliveries and reads come in.
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)

    unit: Mapped[Unit] = relationship(lazy="raise")

    @property
    def is_document(self) -> bool:
        return self.kind in DOCUMENT_KINDS


class NoticeAudience(Base):
    """A unit the notice was sent to: every cell under it."""

    __tablename__ = "notice_audience"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True)


class NoticeRecipient(Base):
    """A member the notice was addressed to when it was sent, and what they did with it."""

    __tablename__ = "notice_recipients"
    __table_args__ = (Index("ix_notice_recipients_member", "member_id", "notice_id"),)

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime | None] = mapped_column()
    studied_at: Mapped[datetime | None] = mapped_column()


class NoticeReminder(Base):
    """One press of "remind those who have not read": its deliveries point here."""

    __tablename__ = "notice_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=clock.now)


class NoticeError(ValueError):
    """A notice that cannot be made; `reason` names why (a catalog key suffix)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- small rules ---------------------------------------------------------------------------------
_DATE = r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})"
_TIME = r"(\d{1,2})\s*(?::|h|g|giờ)\s*(\d{1,2})?\s*(?:phút|p)?"
_DATE_TIME = re.compile(rf"{_DATE}\s*(?:,|lúc|at)?\s*{_TIME}", re.IGNORECASE)
_TIME_DATE = re.compile(rf"{_TIME}\s*(?:,|ngày|on)?\s*{_DATE}", re.IGNORECASE)


def parse_send_at(text: str, tz: tzinfo, now: datetime | None = None) -> datetime:
    """"25/12/2026 19:30" (or "19h30 25/12/2026") in the handbook's time zone → aware UTC.

    Raises NoticeError: "when_format", "when_impossible" (31/02, 25:00), "when_past", "when_too_far".
    """
    now = now or clock.now()
    value = " ".join((text or "").split())
    if m := _DATE_TIME.fullmatch(value):
        day, month, year, hour, minute = m.groups()
    elif m := _TIME_DATE.fullmatch(value):
        hour, minute, day, month, year = m.groups()
    else:
        raise NoticeError("when_format")
    if len(year) != 4:
        raise NoticeError("when_format")
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute or 0), tzinfo=tz)
    except ValueError:
        raise NoticeError("when_impossible") from None
    at = as_utc(local)
    if at < now + SCHEDULE_MIN:
        raise NoticeError("when_past")
    if at > now + SCHEDULE_MAX:
        raise NoticeError("when_too_far")
    return at


def issuing_unit_id(actor: Actor, units: list[Unit]) -> int:
    """The deepest unit the sender holds an officer role on that covers the whole audience
    (an administrator without one: the units' lowest common ancestor)."""
    covering = [
        r for r in actor.roles
        if r.kind in ALLOWED[Action.manage_cell] and all(u.path.startswith(r.unit_path) for u in units)
    ]
    if covering:
        return max(covering, key=lambda r: len(r.unit_path)).unit_id
    split = [u.path.strip("/").split("/") for u in units]
    common = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return int(common[-1]) if common else units[0].id


def _outermost(units: list[Unit]) -> list[Unit]:
    """Drop a chosen unit that lies under another chosen one (a member is addressed once)."""
    ordered = sorted({u.id: u for u in units}.values(), key=lambda u: len(u.path))
    kept: list[Unit] = []
    for u in ordered:
        if not any(u.path.startswith(k.path) for k in kept):
            kept.append(u)
    return kept


# --- making and sending -----------------------------------------------------------------------------
@dataclass
class Attachment:
    file_id: str
    kind: str  # "document" or "photo"
    name: str | None = None


async def create_notice(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: NoticeKind,
    title: str,
    body: str,
    audience_unit_ids: list[int],
    attachment: Attachment | None = None,
    study: bool = False,
    send_at: datetime | None = None,
) -> Notice:
    """Make a notice; sent at once (its deliveries queued in this transaction) unless `send_at`
    is later. Raises NoticeError. The caller commits."""
    title, body = clean_line(title), clean_text(body)
    if not title:
        raise NoticeError("title_empty")
    if len(title) > TITLE_MAX:
        raise NoticeError("title_long")
    if len(body) > BODY_MAX:
        raise NoticeError("body_long")
    if attachment is not None and attachment.kind not in FILE_KINDS:
        raise NoticeError("file_kind")
    ids = sorted(set(audience_unit_ids))
    units = list((await session.scalars(select(Unit).where(Unit.id.in_(ids)))).all()) if ids else []
    if not units or len(units) != len(ids):
        raise NoticeError("no_audience")
    if not all(may_send_to(actor, u) for u in units):
        raise NoticeError("not_allowed")
    now = clock.now()
    if send_at is not None and send_at < now + SCHEDULE_MIN:
        raise NoticeError("when_past")
    units = _outermost(units)
    notice = Notice(
        kind=kind,
        unit_id=issuing_unit_id(actor, units),
        sender_member_id=actor.member_id,
        title=title,
        body=body,
        search_text=fold(f"{title}\n{body}"),
        file_id=attachment.file_id if attachment else None,
        file_kind=attachment.kind if attachment else None,
        file_name=attachment.name if attachment else None,
        study_required=bool(study) and kind is NoticeKind.resolution,
        created_at=now,
        send_at=send_at or now,
    )
    session.add(notice)
    await session.flush()
    session.add_all(NoticeAudience(notice_id=notice.id, unit_id=u.id) for u in units)
    await session.flush()
    await audit.record(
        session, "notice_created", actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
        detail={"notice_id": notice.id, "kind": kind.value, "units": [u.id for u in units],
                "scheduled": send_at is not None},
    )
    if send_at is None:
        await dispatch(session, notice.id)
    return notice


@dataclass
class Dispatched:
    notice_id: int
    recipients: int
    queued: int


async def dispatch(session: AsyncSession, notice_id: int, now: datetime | None = None) -> Dispatched | None:
    """Resolve the audience now and queue the deliveries; None when it was already sent.

    Idempotent across processes: only the transaction that sets dispatched_at goes on.
    """
    now = now or clock.now()
    won = await session.execute(
        update(Notice)
        .where(Notice.id == notice_id, Notice.dispatched_at.is_(None))
        .values(dispatched_at=now)
    )
    if rowcount(won) != 1:
        return None
    sender = await session.scalar(select(Notice.sender_member_id).where(Notice.id == notice_id))
    paths = (
        await session.scalars(
            select(Unit.path).join(NoticeAudience, NoticeAudience.unit_id == Unit.id)
            .where(NoticeAudience.notice_id == notice_id)
        )
    ).all()
    if not paths:
        return Dispatched(notice_id, 0, 0)
    stmt = (
        select(Member.id)
        .join(Unit, Unit.id == Member.cell_id)
        .where(or_(*[Unit.path.startswith(p, autoescape=True) for p in paths]))
        .order_by(Member.id)
    )
    if sender is not None:
        stmt = stmt.where(Member.id != sender)
    member_ids = list((await session.scalars(stmt)).all())
    table = NoticeRecipient.__table__
    for start in range(0, len(member_ids), 1000):
        await session.execute(
            table.insert(), [{"notice_id": notice_id, "member_id": m} for m in member_ids[start:start + 1000]]
        )
    queued = await deliveries.queue_to_members(session, NOTICE_DELIVERY, notice_id, member_ids, not_before=now)
    return Dispatched(notice_id, len(member_ids), queued)


async def release_due(session: AsyncSession, now: datetime | None = None) -> list[Dispatched]:
    """Send the scheduled notices whose time has come (the scheduler's tick; idempotent)."""
    now = now or clock.now()
    ids = (
        await session.scalars(
            select(Notice.id)
            .where(Notice.dispatched_at.is_(None), Notice.send_at <= now)
            .order_by(Notice.send_at, Notice.id)
            .limit(RELEASE_BATCH)
        )
    ).all()
    done = []
    for notice_id in ids:
        result = await dispatch(session, notice_id, now)
        if result is not None:
            done.append(result)
    return done


async def get_notice(session: AsyncSession, notice_id: int) -> Notice | None:
    return await session.scalar(select(Notice).where(Notice.id == notice_id).options(selectinload(Notice.unit)))


async def set_status_message(session: AsyncSession, notice_id: int, chat_id: int, message_id: int) -> None:
    await session.execute(
        update(Notice).where(Notice.id == notice_id)
        .values(status_chat_id=chat_id, status_message_id=message_id)
        .execution_options(synchronize_session=False)
    )


# --- who may see and confirm -------------------------------------------------------------------------
def _covers(cell_path: str) -> ColumnElement[bool]:
    """SQL: an audience unit whose subtree holds the cell at `cell_path`."""
    return literal(cell_path).startswith(Unit.path)


async def addressee(session: AsyncSession, notice_id: int, member_id: int) -> NoticeRecipient | None:
    """The member's recipient row: addressed when it was sent, or a member who joined a cell of the
    audience since (their row is made now). None for anyone else — forged buttons end here."""
    row = await session.get(NoticeRecipient, (notice_id, member_id))
    if row is not None:
        return row
    cell_path = await session.scalar(
        select(Unit.path).join(Member, Member.cell_id == Unit.id).where(Member.id == member_id)
    )
    if cell_path is None:
        return None
    covered = await session.scalar(
        select(Notice.id)
        .join(NoticeAudience, NoticeAudience.notice_id == Notice.id)
        .join(Unit, Unit.id == NoticeAudience.unit_id)
        .where(Notice.id == notice_id, Notice.dispatched_at.is_not(None), _covers(cell_path),
               or_(Notice.sender_member_id.is_(None), Notice.sender_member_id != member_id))
        .limit(1)
    )
    if covered is None:
        return None
    row = NoticeRecipient(notice_id=notice_id, member_id=member_id)
    session.add(row)
    await session.flush()
    return row


class Confirmed(str, enum.Enum):
    recorded = "recorded"
    already = "already"
    not_addressee = "not_addressee"
    not_for_study = "not_for_study"


async def mark_read(session: AsyncSession, notice_id: int, member_id: int) -> Confirmed:
    row = await addressee(session, notice_id, member_id)
    if row is None:
        return Confirmed.not_addressee
    if row.read_at is not None:
        return Confirmed.already
    row.read_at = clock.now()
    await session.flush()
    return Confirmed.recorded


async def mark_studied(session: AsyncSession, notice_id: int, member_id: int) -> Confirmed:
    """Studying a resolution includes reading it."""
    row = await addressee(session, notice_id, member_id)
    if row is None:
        return Confirmed.not_addressee
    if not await session.scalar(select(Notice.study_required).where(Notice.id == notice_id)):
        return Confirmed.not_for_study
    if row.studied_at is not None:
        return Confirmed.already
    row.studied_at = clock.now()
    row.read_at = row.read_at or row.studied_at
    await session.flush()
    return Confirmed.recorded


# --- the sender's view -----------------------------------------------------------------------------------
@dataclass
class NoticeStatus:
    recipients: int = 0  # members addressed
    not_linked: int = 0  # of them, without Telegram when it was sent
    queued: int = 0  # waiting or being sent
    delivered: int = 0
    read: int = 0
    studied: int = 0
    unreachable: int = 0
    failed: int = 0
    scheduled_for: datetime | None = None  # not sent yet


async def status(session: AsyncSession, notice_id: int) -> NoticeStatus:
    out = NoticeStatus()
    row = (await session.execute(select(Notice.dispatched_at, Notice.send_at).where(Notice.id == notice_id))).first()
    if row is None:
        return out
    if row.dispatched_at is None:
        out.scheduled_for = row.send_at
        return out
    recipients, read, studied = (
        await session.execute(
            select(func.count(), func.count(NoticeRecipient.read_at), func.count(NoticeRecipient.studied_at))
            .where(NoticeRecipient.notice_id == notice_id)
        )
    ).one()
    by_state = await deliveries.counts(session, NOTICE_DELIVERY, notice_id)
    out.recipients, out.read, out.studied = recipients, read, studied
    out.queued = by_state[DeliveryState.queued] + by_state[DeliveryState.sending]
    out.delivered = by_state[DeliveryState.sent]
    out.unreachable = by_state[DeliveryState.unreachable]
    out.failed = by_state[DeliveryState.failed]
    out.not_linked = max(0, recipients - sum(by_state.values()))
    return out


@dataclass
class Unread:
    member_id: int
    name: str
    cell: str
    reachable: bool  # has Telegram and the notice reached them


async def unread(session: AsyncSession, notice_id: int, limit: int = 30) -> tuple[list[Unread], int]:
    """Who has not read yet (by cell, then name), and how many in all."""
    base = (
        select(Member.id, Member.full_name, Unit.name, Delivery.state)
        .select_from(NoticeRecipient)
        .join(Member, Member.id == NoticeRecipient.member_id)
        .join(Unit, Unit.id == Member.cell_id)
        .outerjoin(Delivery, and_(Delivery.kind == NOTICE_DELIVERY, Delivery.ref_id == notice_id,
                                  Delivery.member_id == Member.id))
        .where(NoticeRecipient.notice_id == notice_id, NoticeRecipient.read_at.is_(None))
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.execute(base.order_by(Unit.path, Member.sort_name, Member.id).limit(limit))
    return [Unread(m, n, c, s == DeliveryState.sent) for m, n, c, s in rows.all()], total


@dataclass
class CellRate:
    cell_id: int
    cell: str
    count: int  # read or studied, as asked
    base: int  # the members counted
    exempt_left_out: int = 0  # exempt members not counted (the cell's setting)

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.base) if self.base else 0


async def rates_by_cell(
    session: AsyncSession, notice_id: int, *, studied: bool = True, within: list[str] | None = None
) -> list[CellRate]:
    """Per cell of the audience: how many studied (or read), over which base.

    Exempt members who did not do it leave the base when their cell says so (Unit.exempt_counted).
    `within`: only cells under these unit paths (what the viewer may see).
    """
    done_col = NoticeRecipient.studied_at if studied else NoticeRecipient.read_at
    stmt = (
        select(Unit.id, Unit.name, Unit.path, Unit.exempt_counted, Member.exempt, done_col.is_not(None))
        .select_from(NoticeRecipient)
        .join(Member, Member.id == NoticeRecipient.member_id)
        .join(Unit, Unit.id == Member.cell_id)
        .where(NoticeRecipient.notice_id == notice_id)
    )
    if within is not None:
        if not within:
            return []
        stmt = stmt.where(or_(*[Unit.path.startswith(p, autoescape=True) for p in within]))
    cells: dict[int, CellRate] = {}
    order: dict[int, str] = {}
    for unit_id, name, path, exempt_counted, exempt, done in (await session.execute(stmt)).all():
        rate = cells.setdefault(unit_id, CellRate(unit_id, name, 0, 0))
        order[unit_id] = path
        if done:
            rate.count += 1
            rate.base += 1
        elif exempt and not exempt_counted:
            rate.exempt_left_out += 1
        else:
            rate.base += 1
    return [cells[i] for i in sorted(cells, key=lambda i: order[i])]


# --- reminders ---------------------------------------------------------------------------------------------
@dataclass
class Reminded:
    queued: int = 0
    wait: timedelta | None = None  # too soon after the previous reminder


async def remind_unread(session: AsyncSession, notice_id: int, by_member_id: int | None) -> Reminded:
    """Queue a reminder to every recipient who received the notice and has not read it."""
    now = clock.now()
    last = await session.scalar(select(func.max(NoticeReminder.at)).where(NoticeReminder.notice_id == notice_id))
    if last is not None and now - last < REMIND_INTERVAL:
        return Reminded(0, last + REMIND_INTERVAL - now)
    targets = (
        await session.execute(
            select(Delivery.member_id, Delivery.chat_id)
            .join(NoticeRecipient, and_(NoticeRecipient.notice_id == notice_id,
                                        NoticeRecipient.member_id == Delivery.member_id))
            .where(Delivery.kind == NOTICE_DELIVERY, Delivery.ref_id == notice_id,
                   Delivery.state == DeliveryState.sent, NoticeRecipient.read_at.is_(None))
            .order_by(Delivery.member_id)
        )
    ).all()
    if not targets:
        return Reminded(0)
    reminder = NoticeReminder(notice_id=notice_id, by_member_id=by_member_id, at=now)
    session.add(reminder)
    await session.flush()
    queued = await deliveries.queue(session, REMINDER_DELIVERY, reminder.id, [(m, c) for m, c in targets])
    return Reminded(queued)


async def notice_of_reminder(session: AsyncSession, reminder_id: int) -> int | None:
    return await session.scalar(select(NoticeReminder.notice_id).where(NoticeReminder.id == reminder_id))


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
    cell_path = await session.scalar(
        select(Unit.path).join(Member, Member.cell_id == Unit.id).where(Member.id == member_id)
    )
    if cell_path is None:
        return Page()
    covered = exists(
        select(NoticeAudience.notice_id)
        .join(Unit, Unit.id == NoticeAudience.unit_id)
        .where(NoticeAudience.notice_id == Notice.id, _covers(cell_path))
    )
    conds = [Notice.kind.in_(DOCUMENT_KINDS), Notice.dispatched_at.is_not(None), covered]
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
        .where(or_(*[Unit.path.startswith(p, autoescape=True) for p in paths]))
    )
    if exclude_member_id is not None:
        stmt = stmt.where(Member.id != exclude_member_id)
    members, linked = (await session.execute(stmt)).one()
    return members, linked


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
