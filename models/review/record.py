"""The member's year as the handbook recorded it, shown beside the self-review's points for reference: the
meetings with a roll call they attended and the documents to study they marked studied. The points are not
changed from it (the member and then the cell judge); it only explains."""
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
