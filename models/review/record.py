"""The member's record: the year as the handbook recorded it, shown beside the self-review's points for
reference (the meetings with a roll call they attended, the documents to study they marked studied — the
points are not changed from it: the member and then the cell judge; it only explains), and the levels the
committee decided in the last years, which the file keeps (the profile shows the last three)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement

from ..dates import VIETNAM
from ..meetings.schema import Attendance, Meeting, Presence
from ..notices.tables import Notice, NoticeRecipient
from .rules import Level
from .schema import ReviewEntry, ReviewRound, RoundState

HISTORY_YEARS = 3  # the results the member's file keeps (DOMAIN.md: the last three)


@dataclass(frozen=True)
class YearRecord:
    attended: int
    meetings: int  # with the member marked present or absent (exempt left out)
    studied: int
    to_study: int


def _year(column: InstrumentedAttribute[datetime], year: int) -> ColumnElement[bool]:
    first, after = (datetime(y, 1, 1, tzinfo=VIETNAM) for y in (year, year + 1))
    return and_(column >= first, column < after)


async def year_record(session: AsyncSession, member_id: int, year: int) -> YearRecord:
    marked = (Presence.present, Presence.excused, Presence.unexcused)
    attended, meetings = (await session.execute(
        select(func.count().filter(Attendance.status == Presence.present), func.count())
        .select_from(Attendance).join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.member_id == member_id, Attendance.status.in_(marked),
               _year(Meeting.starts_at, year)))).one()
    studied, to_study = (await session.execute(
        select(func.count(NoticeRecipient.studied_at), func.count())
        .select_from(NoticeRecipient).join(Notice, Notice.id == NoticeRecipient.notice_id)
        .where(NoticeRecipient.member_id == member_id, Notice.study_required.is_(True),
               _year(Notice.created_at, year)))).one()
    return YearRecord(int(attended), int(meetings), int(studied), int(to_study))


async def level_history(session: AsyncSession, member_id: int, years: int = HISTORY_YEARS) -> list[tuple[int, Level]]:
    """The levels decided in closed rounds, newest year first, one per year (a later round of a year wins)."""
    rows = (await session.execute(
        select(ReviewRound.year, ReviewEntry.decided_level).join(ReviewRound, ReviewRound.id == ReviewEntry.round_id)
        .where(ReviewEntry.member_id == member_id, ReviewEntry.decided_level.is_not(None),
               ReviewRound.state == RoundState.closed)
        .order_by(ReviewRound.year.desc(), ReviewRound.closed_at.desc(), ReviewRound.id.desc()))).all()
    kept: dict[int, Level] = {}
    for year, level in rows:
        if level is not None:
            kept.setdefault(year, level)
    return list(kept.items())[:years]
