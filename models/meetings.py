"""Cell meetings (sinh hoạt chi bộ): schedule, notice, answers, reminders, roll-call, record, close.

A secretary (or deputy, or a committee above the cell) schedules a meeting of one cell; every
member of the cell is sent the notice through the outbox and answers "I will attend" or "absent,
with a reason" until the meeting starts. Reminders are rows with due times: the scheduler's tick
claims the due ones atomically and queues their deliveries, so a restart loses none and repeats
none. At the meeting the roll-call is taken; afterwards the content and the decisions are recorded
and the meeting is closed; the minutes (models/minutes.py) are drafted from all of it. Every answer
and every attendance mark records who made it and when. No Telegram here.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from . import audit, clock, deliveries
from .base import Base
from .dates import BadDate, parse_date, parse_offset
from .members import Member
from .permissions import Actor, managed_cells, may_manage_cell
from .roles import Role, RoleKind
from .sql import rowcount
from .text import CleanLine, CleanLineText, CleanText, clean_line, clean_text, fold  # noqa: F401 (fold: handlers)
from .units import Unit

# Delivery kinds (models/deliveries.py): what the dispatcher renders for each.
MEETING_DELIVERY = "meeting"  # ref_id: Meeting.id — the notice with the answer buttons
REMINDER_DELIVERY = "meeting_reminder"  # ref_id: MeetingReminder.id
CHANGE_DELIVERY = "meeting_change"  # ref_id: MeetingChange.id — moved or cancelled

TITLE_MAX = 200
PLACE_MAX = 200
AGENDA_MAX = 2000  # the notice (title, time, place, agenda) must fit one Telegram message
CONTENT_MAX = 4000
DECISION_MAX = 500
DECISIONS_MAX = 30
REASON_MAX = 300
NAME_MAX = 200
DOCUMENTS_MAX = 5
SCHEDULE_MIN = timedelta(minutes=1)
SCHEDULE_MAX = timedelta(days=366)
# The roll-call opens this long before the start (members arrive early; the secretary prepares).
ROLL_CALL_OPENS = timedelta(hours=1)
DEFAULT_REMINDERS = ("3d", "1d", "2h")
RELEASE_BATCH = 200


class MeetingKind(str, enum.Enum):
    regular = "regular"  # sinh hoạt thường kỳ
    thematic = "thematic"  # sinh hoạt chuyên đề
    committee = "committee"  # họp cấp ủy (chi ủy)


class MeetingState(str, enum.Enum):
    scheduled = "scheduled"
    cancelled = "cancelled"
    closed = "closed"  # held, content and decisions recorded


class Answer(str, enum.Enum):
    attend = "attend"  # ✅ Tôi sẽ tham dự
    absent = "absent"  # 🙏 Vắng, có lý do


class Presence(str, enum.Enum):
    present = "present"  # có mặt
    excused = "excused"  # vắng có lý do
    unexcused = "unexcused"  # vắng không lý do
    exempt = "exempt"  # miễn sinh hoạt


# What a tap on a member's roll-call button does next (unmarked → present first).
CYCLE = {None: Presence.present, Presence.present: Presence.excused, Presence.excused: Presence.unexcused,
         Presence.unexcused: Presence.exempt, Presence.exempt: Presence.present}


class ReminderState(str, enum.Enum):
    pending = "pending"
    sent = "sent"  # its deliveries are queued
    dropped = "dropped"  # fell due when the meeting had begun, or a later reminder superseded it
    cancelled = "cancelled"  # the meeting was moved or cancelled


class ChangeKind(str, enum.Enum):
    moved = "moved"
    cancelled = "cancelled"


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_cell_starts", "cell_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    kind: Mapped[MeetingKind] = mapped_column(Enum(MeetingKind, native_enum=False, length=20))
    title: Mapped[str] = mapped_column(CleanLine(TITLE_MAX))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(CleanLine(PLACE_MAX))
    agenda: Mapped[str] = mapped_column(CleanText, default="")
    state: Mapped[MeetingState] = mapped_column(
        Enum(MeetingState, native_enum=False, length=20), default=MeetingState.scheduled
    )
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    cancelled_at: Mapped[datetime | None] = mapped_column()
    # After the meeting: what was discussed, who chaired and who kept the minutes.
    content: Mapped[str | None] = mapped_column(CleanText)
    chair_name: Mapped[str | None] = mapped_column(CleanLine(NAME_MAX))
    recorder_name: Mapped[str | None] = mapped_column(CleanLine(NAME_MAX))
    roll_call_at: Mapped[datetime | None] = mapped_column()  # when the roll-call was opened
    closed_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    closed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # Counts kept with the meeting (recounted on every mark): reports read these, not every row.
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    present_count: Mapped[int] = mapped_column(Integer, default=0)
    excused_count: Mapped[int] = mapped_column(Integer, default=0)
    unexcused_count: Mapped[int] = mapped_column(Integer, default=0)
    exempt_count: Mapped[int] = mapped_column(Integer, default=0)
    # The approved minutes: a snapshot of what was approved, and the Word file sent.
    minutes_json: Mapped[str | None] = mapped_column(Text)
    minutes_approved_at: Mapped[datetime | None] = mapped_column()
    minutes_approved_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    minutes_file_id: Mapped[str | None] = mapped_column(String(255))
    # The secretary's live status message (answers), edited as members answer.
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)

    cell: Mapped[Unit] = relationship(lazy="raise")
    documents: Mapped[list[MeetingDocument]] = relationship(
        cascade="all, delete-orphan", order_by="MeetingDocument.position_no", lazy="raise"
    )
    decisions: Mapped[list[MeetingDecision]] = relationship(
        cascade="all, delete-orphan", order_by="MeetingDecision.position_no", lazy="raise"
    )

    @property
    def is_open(self) -> bool:
        return self.state is MeetingState.scheduled


class MeetingDocument(Base):
    """A file sent with the notice (by file_id: uploaded once, re-sent to everyone)."""

    __tablename__ = "meeting_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position_no: Mapped[int] = mapped_column(Integer, default=0)
    file_id: Mapped[str] = mapped_column(String(255))
    file_kind: Mapped[str] = mapped_column(String(20))  # "document" or "photo"
    file_name: Mapped[str | None] = mapped_column(CleanLine(255))


class MeetingDecision(Base):
    """One decision (nghị quyết, kết luận) of the meeting, one line each."""

    __tablename__ = "meeting_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position_no: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(CleanLineText)


class MeetingRsvp(Base):
    """A member's answer to the notice; `by_proxy` when the secretary recorded it for them."""

    __tablename__ = "meeting_rsvps"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    answer: Mapped[Answer] = mapped_column(Enum(Answer, native_enum=False, length=10))
    reason: Mapped[str | None] = mapped_column(CleanLine(REASON_MAX))
    answered_at: Mapped[datetime] = mapped_column(default=clock.now)
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    by_proxy: Mapped[bool] = mapped_column(Boolean, default=False)


class Attendance(Base):
    """A member on the roll of a meeting; status None until marked."""

    __tablename__ = "attendance"
    __table_args__ = (Index("ix_attendance_member", "member_id", "meeting_id"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[Presence | None] = mapped_column(Enum(Presence, native_enum=False, length=12))
    reason: Mapped[str | None] = mapped_column(CleanLine(REASON_MAX))
    recorded_at: Mapped[datetime | None] = mapped_column()
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class MeetingReminder(Base):
    __tablename__ = "meeting_reminders"
    __table_args__ = (Index("ix_meeting_reminders_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(10))  # "3d", "1d", "2h": how long before the start
    due_at: Mapped[datetime] = mapped_column()
    state: Mapped[ReminderState] = mapped_column(
        Enum(ReminderState, native_enum=False, length=12), default=ReminderState.pending
    )
    done_at: Mapped[datetime | None] = mapped_column()


class MeetingChange(Base):
    """A move or a cancellation, told to every member: its deliveries point here."""

    __tablename__ = "meeting_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ChangeKind] = mapped_column(Enum(ChangeKind, native_enum=False, length=12))
    old_starts_at: Mapped[datetime] = mapped_column()
    new_starts_at: Mapped[datetime | None] = mapped_column()
    old_place: Mapped[str | None] = mapped_column(CleanLine(PLACE_MAX))
    new_place: Mapped[str | None] = mapped_column(CleanLine(PLACE_MAX))
    by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=clock.now)


class MeetingError(ValueError):
    """What cannot be done; `reason` names why (a catalog key suffix)."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


# --- small rules --------------------------------------------------------------------------------------
_TIME = re.compile(r"(\d{1,2})\s*(?::|h|g|giờ|\.)\s*(\d{1,2})?\s*(?:phút|p)?", re.IGNORECASE)
_DATE = r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}"
_DATE_TIME = re.compile(rf"({_DATE})(?:\s*(?:,|lúc|at)?\s*(.+))?", re.IGNORECASE)
_TIME_DATE = re.compile(rf"(.+?)\s*(?:,|ngày|on)?\s*({_DATE})", re.IGNORECASE)


def parse_time(text: str) -> time:
    """"19:30", "19h30", "19 giờ 30", "7h" → a time of day; MeetingError "time_format"/"time_impossible"."""
    m = _TIME.fullmatch(" ".join((text or "").split()))
    if not m:
        raise MeetingError("time_format")
    hour, minute = int(m[1]), int(m[2] or 0)
    if hour > 23 or minute > 59:
        raise MeetingError("time_impossible")
    return time(hour, minute)


def parse_day(text: str) -> date:
    try:
        return parse_date(text)
    except BadDate as exc:
        raise MeetingError("date_impossible" if exc.reason == "no_such_day" else "date_format") from None


def parse_when(text: str) -> tuple[date, time | None]:
    """"05/12/2026 19:30" (or "19:30 05/12/2026", or the date alone) → (day, time or None)."""
    value = " ".join((text or "").split())
    if m := _DATE_TIME.fullmatch(value):
        day_text, time_text = m[1], m[2]
    elif m := _TIME_DATE.fullmatch(value):
        time_text, day_text = m[1], m[2]
    else:
        raise MeetingError("date_format")
    day = parse_day(day_text)
    return day, (parse_time(time_text) if time_text else None)


def local_start(day: date, at: time, tz: tzinfo, now: datetime | None = None) -> datetime:
    """The start in UTC, checked: not in the past, not more than a year ahead."""
    now = now or clock.now()
    starts = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
    if starts < now + SCHEDULE_MIN:
        raise MeetingError("when_past")
    if starts > now + SCHEDULE_MAX:
        raise MeetingError("when_too_far")
    return starts


def check_texts(title: str, place: str, agenda: str) -> None:
    if not title:
        raise MeetingError("title_empty")
    if len(title) > TITLE_MAX:
        raise MeetingError("title_long", limit=TITLE_MAX)
    if not place:
        raise MeetingError("place_empty")
    if len(place) > PLACE_MAX:
        raise MeetingError("place_long", limit=PLACE_MAX)
    if len(agenda) > AGENDA_MAX:
        raise MeetingError("agenda_long", limit=AGENDA_MAX)


async def get_meeting(session: AsyncSession, meeting_id: int, *, full: bool = False) -> Meeting | None:
    options = [selectinload(Meeting.cell)]
    if full:
        options += [selectinload(Meeting.documents), selectinload(Meeting.decisions)]
    return await session.scalar(select(Meeting).where(Meeting.id == meeting_id).options(*options))


async def managed_meeting(session: AsyncSession, actor: Actor, meeting_id: int, *, full: bool = False) -> Meeting:
    meeting = await get_meeting(session, meeting_id, full=full)
    if meeting is None or not may_manage_cell(actor, meeting.cell):
        raise MeetingError("not_allowed")
    return meeting


async def cell_member_ids(session: AsyncSession, cell_id: int) -> list[int]:
    return list((await session.scalars(select(Member.id).where(Member.cell_id == cell_id).order_by(Member.id))).all())


# --- scheduling ---------------------------------------------------------------------------------------
@dataclass
class Document:
    file_id: str
    kind: str  # "document" or "photo"
    name: str | None = None


async def schedule_meeting(
    session: AsyncSession,
    actor: Actor,
    *,
    cell_id: int,
    kind: MeetingKind,
    title: str,
    starts_at: datetime,
    place: str,
    agenda: str = "",
    documents: Sequence[Document] = (),
    reminders: Iterable[str] = DEFAULT_REMINDERS,
) -> Meeting:
    """Make a meeting, plan its reminders, queue its notice to every member of the cell.

    Raises MeetingError. The caller commits; the dispatcher sends.
    """
    title, place, agenda = clean_line(title), clean_line(place), clean_text(agenda)
    check_texts(title, place, agenda)
    if len(documents) > DOCUMENTS_MAX:
        raise MeetingError("too_many_documents", limit=DOCUMENTS_MAX)
    cell = await session.get(Unit, cell_id)
    if cell is None or not may_manage_cell(actor, cell):
        raise MeetingError("not_allowed")
    now = clock.now()
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be aware")
    if starts_at < now + SCHEDULE_MIN:
        raise MeetingError("when_past")
    if starts_at > now + SCHEDULE_MAX:
        raise MeetingError("when_too_far")
    offsets = [(label, parse_offset(label)) for label in reminders]
    meeting = Meeting(cell_id=cell.id, kind=kind, title=title, starts_at=starts_at, place=place, agenda=agenda,
                      state=MeetingState.scheduled, created_by_member_id=actor.member_id, created_at=now,
                      updated_at=now)
    session.add(meeting)
    await session.flush()
    for i, doc in enumerate(documents):
        session.add(MeetingDocument(meeting_id=meeting.id, position_no=i, file_id=doc.file_id,
                                    file_kind=doc.kind, file_name=(doc.name or None) and doc.name[:255]))
    _plan_reminders(session, meeting, offsets, now)
    members = await cell_member_ids(session, cell.id)
    if actor.member_id in members:  # the one who calls the meeting will be there
        session.add(MeetingRsvp(meeting_id=meeting.id, member_id=actor.member_id, answer=Answer.attend,
                                answered_at=now, recorded_by_member_id=actor.member_id))
    await session.flush()
    await audit.record(session, "meeting_scheduled", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id,
                       detail={"meeting_id": meeting.id, "cell_id": cell.id, "starts_at": starts_at.isoformat()})
    recipients = [m for m in members if m != actor.member_id]
    await deliveries.queue_to_members(session, MEETING_DELIVERY, meeting.id, recipients, not_before=now)
    return meeting


def _plan_reminders(session: AsyncSession, meeting: Meeting, offsets: list[tuple[str, timedelta]],
                    now: datetime) -> None:
    """One pending row per reminder still ahead (a meeting called for tomorrow gets no "3 days")."""
    for label, offset in offsets:
        due = meeting.starts_at - offset
        if due > now:
            session.add(MeetingReminder(meeting_id=meeting.id, label=label, due_at=due))


async def _cancel_pending_reminders(session: AsyncSession, meeting_id: int, now: datetime) -> None:
    await session.execute(
        update(MeetingReminder)
        .where(MeetingReminder.meeting_id == meeting_id, MeetingReminder.state == ReminderState.pending)
        .values(state=ReminderState.cancelled, done_at=now)
        .execution_options(synchronize_session=False)
    )


async def move_meeting(
    session: AsyncSession,
    actor: Actor,
    meeting_id: int,
    *,
    starts_at: datetime | None = None,
    place: str | None = None,
    reminders: Iterable[str] = DEFAULT_REMINDERS,
) -> MeetingChange:
    """A new time and/or place: members are told, reminders follow the new time."""
    meeting = await managed_meeting(session, actor, meeting_id)
    now = clock.now()
    if meeting.state is not MeetingState.scheduled:
        raise MeetingError("not_open")
    if meeting.starts_at <= now:
        raise MeetingError("already_started")
    new_place = clean_line(place) if place is not None else None
    if new_place is not None:
        check_texts(meeting.title, new_place, "")
    if starts_at is not None:
        if starts_at < now + SCHEDULE_MIN:
            raise MeetingError("when_past")
        if starts_at > now + SCHEDULE_MAX:
            raise MeetingError("when_too_far")
    if (starts_at is None or starts_at == meeting.starts_at) and (new_place is None or new_place == meeting.place):
        raise MeetingError("nothing_changed")
    new_starts_at = starts_at or meeting.starts_at
    change = MeetingChange(meeting_id=meeting.id, kind=ChangeKind.moved, old_starts_at=meeting.starts_at,
                           new_starts_at=new_starts_at, old_place=meeting.place,
                           new_place=new_place or meeting.place, by_member_id=actor.member_id, at=now)
    session.add(change)
    if starts_at is not None and starts_at != meeting.starts_at:
        meeting.starts_at = starts_at
        await _cancel_pending_reminders(session, meeting.id, now)
        _plan_reminders(session, meeting, [(label, parse_offset(label)) for label in reminders], now)
    if new_place:
        meeting.place = new_place
    meeting.updated_at = now
    await session.flush()
    await audit.record(session, "meeting_moved", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id,
                       detail={"meeting_id": meeting.id, "change_id": change.id,
                               "from": change.old_starts_at.isoformat(), "to": new_starts_at.isoformat()})
    members = [m for m in await cell_member_ids(session, meeting.cell_id) if m != actor.member_id]
    await deliveries.queue_to_members(session, CHANGE_DELIVERY, change.id, members, not_before=now)
    return change


async def cancel_meeting(session: AsyncSession, actor: Actor, meeting_id: int) -> MeetingChange:
    meeting = await managed_meeting(session, actor, meeting_id)
    now = clock.now()
    if meeting.state is not MeetingState.scheduled:
        raise MeetingError("not_open")
    if meeting.roll_call_at is not None:
        raise MeetingError("roll_call_taken")
    meeting.state = MeetingState.cancelled
    meeting.cancelled_at = meeting.updated_at = now
    change = MeetingChange(meeting_id=meeting.id, kind=ChangeKind.cancelled, old_starts_at=meeting.starts_at,
                           old_place=meeting.place, by_member_id=actor.member_id, at=now)
    session.add(change)
    await _cancel_pending_reminders(session, meeting.id, now)
    await session.flush()
    await audit.record(session, "meeting_cancelled", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, detail={"meeting_id": meeting.id, "change_id": change.id})
    members = [m for m in await cell_member_ids(session, meeting.cell_id) if m != actor.member_id]
    await deliveries.queue_to_members(session, CHANGE_DELIVERY, change.id, members, not_before=now)
    return change


async def get_change(session: AsyncSession, change_id: int) -> MeetingChange | None:
    return await session.get(MeetingChange, change_id)


async def set_status_message(session: AsyncSession, meeting_id: int, chat_id: int, message_id: int) -> None:
    await session.execute(
        update(Meeting).where(Meeting.id == meeting_id)
        .values(status_chat_id=chat_id, status_message_id=message_id)
        .execution_options(synchronize_session=False)
    )


# --- answers (RSVP) -------------------------------------------------------------------------------------
async def _member_cell(session: AsyncSession, member_id: int | None) -> int | None:
    if member_id is None:
        return None
    return await session.scalar(select(Member.cell_id).where(Member.id == member_id))


async def is_invited(session: AsyncSession, meeting: Meeting, member_id: int | None) -> bool:
    """Members of the meeting's cell are invited; nobody else — forged buttons end here."""
    return member_id is not None and await _member_cell(session, member_id) == meeting.cell_id


async def answer(
    session: AsyncSession,
    actor: Actor,
    meeting_id: int,
    reply: Answer,
    *,
    reason: str | None = None,
    for_member_id: int | None = None,
) -> MeetingRsvp:
    """A member's answer, changeable until the meeting starts. With `for_member_id` the secretary
    records it for a member without a phone (a proxy answer, marked as such)."""
    meeting = await get_meeting(session, meeting_id)
    if meeting is None:
        raise MeetingError("not_allowed")
    member_id = actor.member_id if for_member_id is None else for_member_id
    proxy = member_id != actor.member_id
    if proxy and not may_manage_cell(actor, meeting.cell):
        raise MeetingError("not_allowed")
    if not await is_invited(session, meeting, member_id):
        raise MeetingError("not_allowed")
    now = clock.now()
    if meeting.state is not MeetingState.scheduled:
        raise MeetingError("cancelled" if meeting.state is MeetingState.cancelled else "answers_closed")
    if meeting.starts_at <= now:
        raise MeetingError("answers_closed")
    reason = clean_line(reason)[:REASON_MAX] or None
    if reply is Answer.absent and not reason:
        raise MeetingError("reason_empty")
    row = await session.get(MeetingRsvp, (meeting.id, member_id))
    if row is None:
        row = MeetingRsvp(meeting_id=meeting.id, member_id=member_id)
        session.add(row)
    row.answer, row.reason = reply, (reason if reply is Answer.absent else None)
    row.answered_at, row.recorded_by_member_id, row.by_proxy = now, actor.member_id, proxy
    await session.flush()
    await audit.record(session, "meeting_answer", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member_id,
                       detail={"meeting_id": meeting.id, "answer": reply.value, "proxy": proxy})
    return row


async def answer_of(session: AsyncSession, meeting_id: int, member_id: int) -> MeetingRsvp | None:
    return await session.get(MeetingRsvp, (meeting_id, member_id))


@dataclass
class Answered:
    member_id: int
    name: str
    answer: Answer | None
    reason: str | None = None
    by_proxy: bool = False
    reachable: bool = True  # has a Telegram account


@dataclass
class Answers:
    members: int
    attend: list[Answered] = field(default_factory=list)
    absent: list[Answered] = field(default_factory=list)
    silent: list[Answered] = field(default_factory=list)


async def answers(session: AsyncSession, meeting_id: int) -> Answers:
    """Who said they will come, who will be absent and why, who has not answered (the secretary's view)."""
    from .accounts import Account

    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        return Answers(members=0)
    rows = await session.execute(
        select(Member.id, Member.full_name, MeetingRsvp.answer, MeetingRsvp.reason, MeetingRsvp.by_proxy,
               Account.telegram_user_id)
        .outerjoin(MeetingRsvp, and_(MeetingRsvp.member_id == Member.id, MeetingRsvp.meeting_id == meeting_id))
        .outerjoin(Account, Account.member_id == Member.id)
        .where(Member.cell_id == meeting.cell_id)
        .order_by(Member.sort_name, Member.id)
    )
    out = Answers(members=0)
    for member_id, name, reply, reason, proxy, chat in rows.all():
        out.members += 1
        item = Answered(member_id, name, reply, reason, bool(proxy), chat is not None)
        {Answer.attend: out.attend, Answer.absent: out.absent, None: out.silent}[reply].append(item)
    return out


async def declined_ids(session: AsyncSession, meeting_id: int) -> set[int]:
    return set((await session.scalars(
        select(MeetingRsvp.member_id).where(MeetingRsvp.meeting_id == meeting_id, MeetingRsvp.answer == Answer.absent)
    )).all())


# --- reminders: the scheduler's tick ------------------------------------------------------------------
@dataclass
class Released:
    reminder_id: int
    meeting_id: int
    queued: int


async def release_due_reminders(session: AsyncSession, now: datetime | None = None,
                                limit: int = RELEASE_BATCH) -> list[Released]:
    """Claim the due reminders and queue their deliveries, in the caller's transaction.

    The claim is one UPDATE … RETURNING guarded by state = pending: two schedulers never take the
    same row (PostgreSQL skips rows another holds; SQLite's write lock serialises). A reminder that
    fell due after its meeting began (the bot was down) is dropped; of several due at once for one
    meeting only the latest is sent — a member gets one reminder, not a burst.
    """
    now = now or clock.now()
    due = (
        select(MeetingReminder.id)
        .where(MeetingReminder.state == ReminderState.pending, MeetingReminder.due_at <= now)
        .order_by(MeetingReminder.due_at, MeetingReminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    picked = due.cte("due_reminders").prefix_with("MATERIALIZED")
    claimed = (await session.execute(
        update(MeetingReminder)
        .where(MeetingReminder.id == picked.c.id, MeetingReminder.state == ReminderState.pending)
        .values(state=ReminderState.sent, done_at=now)
        .returning(MeetingReminder.id, MeetingReminder.meeting_id, MeetingReminder.due_at)
        .execution_options(synchronize_session=False)
    )).all()
    if not claimed:
        return []
    latest: dict[int, tuple[datetime, int]] = {}
    for reminder_id, meeting_id, due_at in claimed:
        if meeting_id not in latest or (due_at, reminder_id) > latest[meeting_id]:
            latest[meeting_id] = (due_at, reminder_id)
    meetings = {m.id: m for m in (await session.scalars(
        select(Meeting).where(Meeting.id.in_(list(latest)))
    )).all()}
    dropped: list[int] = []
    released: list[Released] = []
    for reminder_id, meeting_id, _ in sorted(claimed):
        meeting = meetings.get(meeting_id)
        if (latest[meeting_id][1] != reminder_id or meeting is None or meeting.state is not MeetingState.scheduled
                or meeting.starts_at <= now):
            dropped.append(reminder_id)
            continue
        declined = await declined_ids(session, meeting_id)
        members = [m for m in await cell_member_ids(session, meeting.cell_id) if m not in declined]
        queued = await deliveries.queue_to_members(session, REMINDER_DELIVERY, reminder_id, members, not_before=now)
        released.append(Released(reminder_id, meeting_id, queued))
    if dropped:
        await session.execute(
            update(MeetingReminder).where(MeetingReminder.id.in_(dropped))
            .values(state=ReminderState.dropped).execution_options(synchronize_session=False)
        )
    return released


async def reminder_tick(session: AsyncSession) -> list[tuple[str, int]]:
    """The dispatcher's tick (bot/dispatcher.py TICKS): reminders fallen due, as (kind, ref_id) queued."""
    return [(REMINDER_DELIVERY, r.reminder_id) for r in await release_due_reminders(session)]


async def meeting_of_reminder(session: AsyncSession, reminder_id: int) -> int | None:
    return await session.scalar(select(MeetingReminder.meeting_id).where(MeetingReminder.id == reminder_id))


async def reminders_of(session: AsyncSession, meeting_id: int) -> list[MeetingReminder]:
    return list((await session.scalars(
        select(MeetingReminder).where(MeetingReminder.meeting_id == meeting_id).order_by(MeetingReminder.due_at,
                                                                                         MeetingReminder.id)
    )).all())


# --- the roll-call --------------------------------------------------------------------------------------
@dataclass
class RollEntry:
    member_id: int
    name: str
    status: Presence | None
    reason: str | None
    exempt: bool  # the member is exempt from activities (miễn sinh hoạt)
    answer: Answer | None
    by_proxy: bool


def _check_roll_call_open(meeting: Meeting, now: datetime) -> None:
    if meeting.state is MeetingState.cancelled:
        raise MeetingError("cancelled")
    if meeting.minutes_approved_at is not None:
        raise MeetingError("minutes_approved")
    if now < meeting.starts_at - ROLL_CALL_OPENS:
        raise MeetingError("roll_call_early", hours=int(ROLL_CALL_OPENS.total_seconds() // 3600))


async def open_roll_call(session: AsyncSession, actor: Actor, meeting_id: int) -> Meeting:
    """The roll of the meeting: every member of the cell now. Members who sent a reason start as
    excused, exempt members as exempt; everyone else is unmarked until the secretary taps."""
    meeting = await managed_meeting(session, actor, meeting_id)
    now = clock.now()
    _check_roll_call_open(meeting, now)
    on_roll = set((await session.scalars(select(Attendance.member_id).where(Attendance.meeting_id == meeting.id))).all())
    rows = await session.execute(
        select(Member.id, Member.exempt, MeetingRsvp.answer, MeetingRsvp.reason)
        .outerjoin(MeetingRsvp, and_(MeetingRsvp.member_id == Member.id, MeetingRsvp.meeting_id == meeting.id))
        .where(Member.cell_id == meeting.cell_id)
    )
    for member_id, exempt, reply, reason in rows.all():
        if member_id in on_roll:
            continue
        status = Presence.excused if reply is Answer.absent else (Presence.exempt if exempt else None)
        session.add(Attendance(meeting_id=meeting.id, member_id=member_id, status=status,
                               reason=reason if reply is Answer.absent else None,
                               recorded_at=now if status else None))
    if meeting.roll_call_at is None:
        meeting.roll_call_at = now
        await audit.record(session, "roll_call_opened", actor_telegram_id=actor.telegram_user_id,
                           actor_member_id=actor.member_id, detail={"meeting_id": meeting.id})
    await session.flush()
    await recount(session, meeting)
    return meeting


async def roll(session: AsyncSession, meeting_id: int) -> list[RollEntry]:
    rows = await session.execute(
        select(Member.id, Member.full_name, Attendance.status, Attendance.reason, Member.exempt,
               MeetingRsvp.answer, MeetingRsvp.by_proxy)
        .join(Attendance, Attendance.member_id == Member.id)
        .outerjoin(MeetingRsvp, and_(MeetingRsvp.member_id == Member.id, MeetingRsvp.meeting_id == meeting_id))
        .where(Attendance.meeting_id == meeting_id)
        .order_by(Member.sort_name, Member.id)
    )
    return [RollEntry(mid, name, status, reason, bool(exempt), reply, bool(proxy))
            for mid, name, status, reason, exempt, reply, proxy in rows.all()]


async def mark(
    session: AsyncSession,
    actor: Actor,
    meeting_id: int,
    member_id: int,
    status: Presence | None = None,
    *,
    reason: str | None = None,
) -> Attendance:
    """Mark one member (status None: the next in the cycle present → excused → unexcused → exempt)."""
    meeting = await managed_meeting(session, actor, meeting_id)
    _check_roll_call_open(meeting, clock.now())
    row = await session.get(Attendance, (meeting.id, member_id))
    if row is None:
        if not await is_invited(session, meeting, member_id):
            raise MeetingError("not_allowed")
        await open_roll_call(session, actor, meeting.id)
        row = await session.get(Attendance, (meeting.id, member_id))
        if row is None:  # the roll takes the cell's members, as is_invited does: cannot happen
            raise MeetingError("not_allowed")
    new = status if status is not None else CYCLE[row.status]
    row.status = new
    if reason is not None:
        row.reason = clean_line(reason)[:REASON_MAX] or None
    elif new is Presence.present:
        row.reason = None
    row.recorded_at, row.recorded_by_member_id = clock.now(), actor.member_id
    await session.flush()
    await audit.record(session, "attendance_marked", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member_id,
                       detail={"meeting_id": meeting.id, "status": new.value})
    await recount(session, meeting)
    return row


async def mark_all_present(session: AsyncSession, actor: Actor, meeting_id: int) -> int:
    """Everyone not yet marked is present (those who sent a reason, or are exempt, keep their mark)."""
    meeting = await managed_meeting(session, actor, meeting_id)
    _check_roll_call_open(meeting, clock.now())
    if meeting.roll_call_at is None:
        await open_roll_call(session, actor, meeting.id)
    now = clock.now()
    result = await session.execute(
        update(Attendance)
        .where(Attendance.meeting_id == meeting.id, Attendance.status.is_(None))
        .values(status=Presence.present, recorded_at=now, recorded_by_member_id=actor.member_id)
        .execution_options(synchronize_session=False)
    )
    count = rowcount(result) or 0
    await audit.record(session, "attendance_all_present", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, detail={"meeting_id": meeting.id, "count": count})
    await recount(session, meeting)
    return count


async def recount(session: AsyncSession, meeting: Meeting) -> None:
    """Keep the counts on the meeting in step with its roll (the reports read them)."""
    rows = (await session.execute(
        select(Attendance.status, func.count()).where(Attendance.meeting_id == meeting.id).group_by(Attendance.status)
    )).all()
    counts = {status: n for status, n in rows}
    meeting.member_count = sum(counts.values())
    meeting.present_count = counts.get(Presence.present, 0)
    meeting.excused_count = counts.get(Presence.excused, 0)
    # An unmarked member of a closed meeting was not there and sent no reason.
    meeting.unexcused_count = counts.get(Presence.unexcused, 0) + (
        counts.get(None, 0) if meeting.state is MeetingState.closed else 0)
    meeting.exempt_count = counts.get(Presence.exempt, 0)
    await session.flush()


async def present_member_ids(session: AsyncSession, meeting_id: int) -> set[int]:
    """Who was marked present at the meeting (the votes of the meeting are cast by these)."""
    return set((await session.scalars(
        select(Attendance.member_id).where(Attendance.meeting_id == meeting_id, Attendance.status == Presence.present)
    )).all())


@dataclass(frozen=True)
class Ratio:
    """Attendance over a base; whether exempt members who stayed away count follows the cell."""

    present: int
    base: int
    members: int
    exempt_absent: int
    exempt_counted: bool

    @property
    def percent(self) -> int:
        return round(100 * self.present / self.base) if self.base else 0


def ratio(meeting: Meeting, exempt_counted: bool) -> Ratio:
    base = meeting.member_count - (0 if exempt_counted else meeting.exempt_count)
    return Ratio(meeting.present_count, base, meeting.member_count, meeting.exempt_count, exempt_counted)


# --- after the meeting ------------------------------------------------------------------------------------
def clean_decisions(lines: Iterable[str]) -> list[str]:
    """One decision a line; bullets and numbering the secretary typed are dropped."""
    out = []
    for line in lines:
        text = re.sub(r"^\s*(?:[-•*+–]|\d{1,2}[.)])\s*", "", line or "").strip()
        text = clean_line(text)
        if text:
            out.append(text)
    return out


def _check_record(content: str | None, decisions: list[str] | None) -> None:
    if content is not None and len(content) > CONTENT_MAX:
        raise MeetingError("content_long", limit=CONTENT_MAX)
    if decisions is not None:
        if len(decisions) > DECISIONS_MAX:
            raise MeetingError("decisions_many", limit=DECISIONS_MAX)
        if any(len(d) > DECISION_MAX for d in decisions):
            raise MeetingError("decision_long", limit=DECISION_MAX)


async def record_content(
    session: AsyncSession,
    actor: Actor,
    meeting_id: int,
    *,
    content: str | None = None,
    decisions: list[str] | None = None,
    chair_name: str | None = None,
    recorder_name: str | None = None,
) -> Meeting:
    """What was discussed and decided, who chaired and who kept the minutes; until the minutes are approved."""
    meeting = await managed_meeting(session, actor, meeting_id, full=True)
    if meeting.state is MeetingState.cancelled:
        raise MeetingError("cancelled")
    if meeting.minutes_approved_at is not None:
        raise MeetingError("minutes_approved")
    if clock.now() < meeting.starts_at:
        raise MeetingError("not_started")
    content = content.strip() if content is not None else None
    decisions = clean_decisions(decisions) if decisions is not None else None
    _check_record(content, decisions)
    for name in (chair_name, recorder_name):
        if name is not None and len(clean_line(name)) > NAME_MAX:
            raise MeetingError("name_long", limit=NAME_MAX)
    if content is not None:
        meeting.content = content
    if decisions is not None:
        meeting.decisions.clear()
        await session.flush()
        for i, text in enumerate(decisions):
            meeting.decisions.append(MeetingDecision(meeting_id=meeting.id, position_no=i, text=text))
    if chair_name is not None:
        meeting.chair_name = clean_line(chair_name) or None
    if recorder_name is not None:
        meeting.recorder_name = clean_line(recorder_name) or None
    meeting.updated_at = clock.now()
    await session.flush()
    await audit.record(session, "meeting_recorded", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id,
                       detail={"meeting_id": meeting.id,
                               "fields": [k for k, v in (("content", content), ("decisions", decisions),
                                                          ("chair", chair_name), ("recorder", recorder_name))
                                          if v is not None]})
    return meeting


async def close_meeting(
    session: AsyncSession,
    actor: Actor,
    meeting_id: int,
    *,
    content: str,
    decisions: list[str],
) -> Meeting:
    """The meeting was held: content and decisions recorded, members not marked counted absent
    without a reason. Needs a roll-call (a meeting without one has no attendance to report)."""
    meeting = await managed_meeting(session, actor, meeting_id, full=True)
    now = clock.now()
    if meeting.state is MeetingState.cancelled:
        raise MeetingError("cancelled")
    if meeting.state is MeetingState.closed:
        raise MeetingError("already_closed")
    if now < meeting.starts_at:
        raise MeetingError("not_started")
    if meeting.roll_call_at is None:
        raise MeetingError("no_roll_call")
    content = (content or "").strip()
    if not content:
        raise MeetingError("content_empty")
    await record_content(session, actor, meeting.id, content=content, decisions=decisions)
    meeting.state = MeetingState.closed
    meeting.closed_at = now
    meeting.closed_by_member_id = actor.member_id
    if now - meeting.starts_at <= timedelta(hours=8):  # closed at the table: the end time is known
        meeting.ended_at = now
    await session.execute(
        update(Attendance)
        .where(Attendance.meeting_id == meeting.id, Attendance.status.is_(None))
        .values(status=Presence.unexcused, recorded_at=now, recorded_by_member_id=actor.member_id)
        .execution_options(synchronize_session=False)
    )
    await _cancel_pending_reminders(session, meeting.id, now)
    await chair_defaults(session, meeting)
    await session.flush()
    await audit.record(session, "meeting_closed", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, detail={"meeting_id": meeting.id})
    await recount(session, meeting)
    return meeting


async def chair_defaults(session: AsyncSession, meeting: Meeting) -> None:
    """The minutes name a chair and a recorder: the cell's secretary and deputy unless told otherwise."""
    if meeting.chair_name and meeting.recorder_name:
        return
    rows = (await session.execute(
        select(Role.kind, Member.full_name).join(Member, Member.id == Role.member_id)
        .where(Role.unit_id == meeting.cell_id, Role.kind.in_((RoleKind.secretary, RoleKind.deputy)))
        .order_by(Role.id)
    )).all()
    names: dict[RoleKind, str] = {}
    for kind, name in rows:
        names.setdefault(kind, name)
    if not meeting.chair_name:
        meeting.chair_name = names.get(RoleKind.secretary) or names.get(RoleKind.deputy)
    if not meeting.recorder_name:
        recorder = names.get(RoleKind.deputy) if names.get(RoleKind.secretary) else None
        if recorder is None and meeting.closed_by_member_id:
            recorder = await session.scalar(select(Member.full_name).where(Member.id == meeting.closed_by_member_id))
        if recorder != meeting.chair_name:
            meeting.recorder_name = recorder


# --- lists ----------------------------------------------------------------------------------------------
@dataclass
class MemberMeeting:
    meeting: Meeting
    answer: Answer | None
    presence: Presence | None


async def upcoming_for_member(session: AsyncSession, member_id: int, limit: int = 5,
                              now: datetime | None = None) -> list[MemberMeeting]:
    """The member's cell's meetings not begun yet (or begun less than 3 hours ago), soonest first."""
    now = now or clock.now()
    cell_id = await _member_cell(session, member_id)
    rows = await session.execute(
        select(Meeting, MeetingRsvp.answer)
        .outerjoin(MeetingRsvp, and_(MeetingRsvp.meeting_id == Meeting.id, MeetingRsvp.member_id == member_id))
        .where(Meeting.cell_id == cell_id, Meeting.state == MeetingState.scheduled,
               Meeting.starts_at > now - timedelta(hours=3))
        .options(selectinload(Meeting.cell))
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    return [MemberMeeting(m, a, None) for m, a in rows.all()]


async def past_for_member(session: AsyncSession, member_id: int, limit: int = 6) -> list[MemberMeeting]:
    """Meetings the member was on the roll of, latest first, with their attendance."""
    rows = await session.execute(
        select(Meeting, Attendance.status)
        .join(Attendance, and_(Attendance.meeting_id == Meeting.id, Attendance.member_id == member_id))
        .where(Meeting.state == MeetingState.closed)
        .options(selectinload(Meeting.cell))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(limit)
    )
    return [MemberMeeting(m, None, p or Presence.unexcused) for m, p in rows.all()]


async def managed_meetings(session: AsyncSession, actor: Actor, limit: int = 10,
                           now: datetime | None = None) -> list[Meeting]:
    """For the secretary's /meeting list: upcoming meetings and those held but not yet closed or approved."""
    now = now or clock.now()
    cells = await managed_cells(session, actor)
    if not cells:
        return []
    stmt = (
        select(Meeting)
        .where(Meeting.cell_id.in_([c.id for c in cells]),
               or_(Meeting.state == MeetingState.scheduled,
                   and_(Meeting.state == MeetingState.closed, Meeting.minutes_approved_at.is_(None)),
                   and_(Meeting.state == MeetingState.closed, Meeting.closed_at > now - timedelta(days=7))))
        .options(selectinload(Meeting.cell))
        .order_by(case((Meeting.state == MeetingState.scheduled, 0), else_=1), Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def cell_name(session: AsyncSession, cell_id: int) -> str | None:
    return await session.scalar(select(Unit.name).where(Unit.id == cell_id))


async def get_reminder(session: AsyncSession, reminder_id: int) -> MeetingReminder | None:
    """The reminder with this id (None once its meeting is gone)."""
    return await session.get(MeetingReminder, reminder_id)


async def recent_places(session: AsyncSession, cell_id: int | None, limit: int) -> list[str]:
    """The places of the cell's meetings, the most recently used first: offered as one-tap answers."""
    rows = (await session.execute(
        select(Meeting.place, func.max(Meeting.id)).where(Meeting.cell_id == cell_id)
        .group_by(Meeting.place).order_by(func.max(Meeting.id).desc()).limit(limit))).all()
    return [place for place, _ in rows]
