"""Scheduling a meeting, moving and cancelling it: the notice, the change and the reminders they queue."""
from __future__ import annotations

__all__ = [
    "Document", "cancel_meeting", "cell_member_ids", "check_texts", "get_change", "get_meeting", "local_start",
    "managed_meeting", "move_meeting", "parse_day", "parse_time", "parse_when", "schedule_meeting", "set_status_message",
]

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from .. import audit, clock, deliveries
from ..dates import BadDate, parse_date, parse_offset
from ..members import Member
from ..permissions import Actor, may_manage_cell
from ..text import clean_line, clean_text
from ..units import Unit
from .schema import (
    AGENDA_MAX,
    CHANGE_DELIVERY,
    DEFAULT_REMINDERS,
    DOCUMENTS_MAX,
    MEETING_DELIVERY,
    PLACE_MAX,
    SCHEDULE_MAX,
    SCHEDULE_MIN,
    TITLE_MAX,
    Answer,
    ChangeKind,
    Meeting,
    MeetingChange,
    MeetingDocument,
    MeetingError,
    MeetingKind,
    MeetingReminder,
    MeetingRsvp,
    MeetingState,
    ReminderState,
)

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
    """The cell's members a meeting invites (one who died is no longer invited)."""
    found = select(Member.id).where(Member.cell_id == cell_id, Member.living).order_by(Member.id)
    return list((await session.scalars(found)).all())



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


async def set_status_message(session: AsyncSession, meeting_id: int, chat_id: int, message_id: int | None) -> None:
    await session.execute(
        update(Meeting).where(Meeting.id == meeting_id)
        .values(status_chat_id=chat_id, status_message_id=message_id)
        .execution_options(synchronize_session=False)
    )

