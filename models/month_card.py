"""A cell's month in figures, for its "bảng tin chi bộ" (the monthly bulletin image a secretary forwards).

Read from what the features keep, never written: meetings closed in the month and their counts
(models/meetings.recount keeps present and base on each meeting, as the committee's report reads
them); notices that reached the cell's members in the month and who of them read or studied them;
the cell's votes closed in the month and whether each passed (models/votes.tally); and the items
members wrote to the cell in the month and how many were answered (a reply, as models/feedback.digest
counts). Rates leave out the exempt members who did not take part where the cell says so
(Unit.exempt_counted), as each feature's own rates do. No Telegram here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from .feedback import FeedbackItem, FeedbackReply, FeedbackStatus
from .meetings import Meeting, MeetingState
from .members import Member
from .notices import Notice, NoticeRecipient
from .reports import month_window
from .units import Unit
from .votes import Vote, tally


def percent(count: int, base: int) -> int | None:
    """A whole percentage; None when there is nothing to take it of."""
    return round(100 * count / base) if base else None


@dataclass(frozen=True)
class VoteLine:
    question: str
    passed: bool


@dataclass(frozen=True)
class MonthFigures:
    cell_name: str
    year: int
    month: int
    meetings: int = 0  # meetings held (closed) in the month
    present: int = 0  # attendances at them …
    attendance_base: int = 0  # … over the members expected, summed over the meetings
    notices: int = 0  # notices, documents, resolutions that reached the cell's members in the month
    read: int = 0  # recipients of them in the cell who read …
    read_base: int = 0  # … over the recipients counted
    study_notices: int = 0  # of the notices, resolutions to study
    studied: int = 0
    study_base: int = 0
    votes: tuple[VoteLine, ...] = field(default_factory=tuple)  # closed in the month, in the order they closed
    feedback: int = 0  # items members wrote to the cell in the month
    answered: int = 0  # of them, answered

    @property
    def attendance_rate(self) -> int | None:
        return percent(self.present, self.attendance_base)

    @property
    def read_rate(self) -> int | None:
        return percent(self.read, self.read_base)

    @property
    def study_rate(self) -> int | None:
        return percent(self.studied, self.study_base)

    @property
    def votes_passed(self) -> int:
        return sum(1 for v in self.votes if v.passed)


async def month_figures(session: AsyncSession, cell_id: int, year: int, month: int, tz: tzinfo) -> MonthFigures:
    """The cell's figures for the calendar month in `tz`; raises LookupError for a cell that does not exist."""
    cell = await session.get(Unit, cell_id)
    if cell is None:
        raise LookupError(f"no unit {cell_id}")
    start, end = month_window(year, month, tz)
    held, present, base = await _meetings(session, cell, start, end)
    notices, read, read_base = await _notices(session, cell, start, end, study=False)
    study_notices, studied, study_base = await _notices(session, cell, start, end, study=True)
    votes = await _votes(session, cell.id, start, end)
    received, answered = await _feedback(session, cell.id, start, end)
    return MonthFigures(
        cell_name=cell.name, year=year, month=month, meetings=held, present=present, attendance_base=base,
        notices=notices, read=read, read_base=read_base, study_notices=study_notices, studied=studied,
        study_base=study_base, votes=votes, feedback=received, answered=answered,
    )


async def _meetings(session: AsyncSession, cell: Unit, start: datetime, end: datetime) -> tuple[int, int, int]:
    """(meetings closed, present, base) — the base as the committee's month report counts it."""
    base = Meeting.member_count - (0 if cell.exempt_counted else Meeting.exempt_count)
    row = (await session.execute(
        select(func.count(Meeting.id), func.coalesce(func.sum(Meeting.present_count), 0),
               func.coalesce(func.sum(base), 0))
        .where(Meeting.cell_id == cell.id, Meeting.state == MeetingState.closed,
               Meeting.starts_at >= start, Meeting.starts_at < end)
    )).one()
    return int(row[0]), int(row[1]), int(row[2])


async def _notices(session: AsyncSession, cell: Unit, start: datetime, end: datetime,
                   *, study: bool) -> tuple[int, int, int]:
    """(notices, done, base) over the cell's recipients of notices sent in the month: done is read, or
    studied when `study` (then only resolutions to study count)."""
    done = (NoticeRecipient.studied_at if study else NoticeRecipient.read_at).is_not(None)
    base = func.count() if cell.exempt_counted else func.count().filter(done | Member.exempt.is_(False))
    conditions = [Member.cell_id == cell.id, Notice.dispatched_at >= start, Notice.dispatched_at < end]
    if study:
        conditions.append(Notice.study_required.is_(True))
    row = (await session.execute(
        select(func.count(func.distinct(Notice.id)), func.count().filter(done), base)
        .select_from(NoticeRecipient)
        .join(Notice, Notice.id == NoticeRecipient.notice_id)
        .join(Member, Member.id == NoticeRecipient.member_id)
        .where(*conditions)
    )).one()
    return int(row[0]), int(row[1]), int(row[2])


async def _votes(session: AsyncSession, cell_id: int, start: datetime, end: datetime) -> tuple[VoteLine, ...]:
    votes = (await session.scalars(
        select(Vote).where(Vote.cell_id == cell_id, Vote.closed_at.is_not(None), Vote.closed_at >= start,
                           Vote.closed_at < end)
        .options(selectinload(Vote.options)).order_by(Vote.closed_at, Vote.id)
    )).all()
    return tuple([VoteLine(v.question, (await tally(session, v)).passed) for v in votes])


async def _feedback(session: AsyncSession, cell_id: int, start: datetime, end: datetime) -> tuple[int, int]:
    """(items received, of them answered): a reply written, or marked answered."""
    replied = select(FeedbackReply.id).where(FeedbackReply.item_id == FeedbackItem.id).exists()
    answered = replied | (FeedbackItem.status == FeedbackStatus.answered)
    row = (await session.execute(
        select(func.count(), func.count().filter(answered))
        .where(FeedbackItem.cell_id == cell_id, FeedbackItem.created_at >= start, FeedbackItem.created_at < end)
    )).one()
    return int(row[0]), int(row[1])
