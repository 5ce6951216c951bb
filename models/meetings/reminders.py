"""Reminders: the scheduler's tick claims the due ones and queues their deliveries."""
from __future__ import annotations

__all__ = ["Released", "get_reminder", "meeting_of_reminder", "release_due_reminders", "reminder_tick", "reminders_of"]

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import clock, deliveries
from ..sql import claimable
from .rsvp import declined_ids
from .scheduling import cell_member_ids
from .schema import RELEASE_BATCH, REMINDER_DELIVERY, Meeting, MeetingReminder, MeetingState, ReminderState


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
    picked = claimable(MeetingReminder.id, MeetingReminder.state == ReminderState.pending, MeetingReminder.due_at <= now,
                       order_by=(MeetingReminder.due_at, MeetingReminder.id), limit=limit, name="due_reminders")
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



async def get_reminder(session: AsyncSession, reminder_id: int) -> MeetingReminder | None:
    """The reminder with this id (None once its meeting is gone)."""
    return await session.get(MeetingReminder, reminder_id)
