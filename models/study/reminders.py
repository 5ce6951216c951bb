"""The day before a study item's deadline, from REMIND_HOUR (local time): one reminder to each member who has not
finished it — not marked studied, the quiz never finished, or the essay asked for not handed in (unless excused
from it: excuses.py). Once per item, whichever process gets there first; an item given less than 12 hours before is
not reminded (its card is fresh)."""
from __future__ import annotations

__all__ = ["remind_due", "unfinished"]

from datetime import datetime, timedelta, tzinfo

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import clock, deliveries
from ..dates import VIETNAM
from .excuses import excused_members
from .tables import REMIND_HOUR, REMINDER_DELIVERY, EssayState, StudyEssay, StudyItem, StudyMember, StudyQuestion

FRESH = timedelta(hours=12)


async def unfinished(session: AsyncSession, study_id: int) -> list[int]:
    """The members of the item who have not finished it."""
    item = await session.get(StudyItem, study_id)
    if item is None:
        return []
    has_quiz = bool(await session.scalar(select(func.count()).select_from(StudyQuestion)
                                         .where(StudyQuestion.study_id == study_id)))
    latest = select(func.max(StudyEssay.id)).where(StudyEssay.study_id == study_id).group_by(StudyEssay.member_id)
    handed_in = set((await session.scalars(select(StudyEssay.member_id).where(
        StudyEssay.id.in_(latest), StudyEssay.state.in_([EssayState.submitted, EssayState.received])))).all())
    excused = await excused_members(session, item)
    rows = await session.execute(select(StudyMember.member_id, StudyMember.studied_at, StudyMember.best_score)
                                 .where(StudyMember.study_id == study_id).order_by(StudyMember.member_id))
    return [member_id for member_id, studied_at, best in rows.all()
            if studied_at is None or (has_quiz and best is None)
            or (item.essay_required and member_id not in handed_in and member_id not in excused)]


async def remind_due(session: AsyncSession, tz: tzinfo = VIETNAM, now: datetime | None = None) -> list[tuple[str, int]]:
    """The clock's tick: the reminders that fell due, queued. Idempotent. The caller commits."""
    now = now or clock.now()
    local = now.astimezone(tz)
    if local.hour < REMIND_HOUR:
        return []
    due = list((await session.scalars(select(StudyItem.id).where(
        StudyItem.reminded_at.is_(None), StudyItem.deadline == local.date() + timedelta(days=1),
        StudyItem.created_at <= now - FRESH))).all())
    queued = []
    for study_id in due:
        claimed = await session.execute(update(StudyItem).where(and_(StudyItem.id == study_id,
                                                                     StudyItem.reminded_at.is_(None)))
                                        .values(reminded_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        if await deliveries.queue_to_members(session, REMINDER_DELIVERY, study_id, await unfinished(session, study_id)):
            queued.append((REMINDER_DELIVERY, study_id))
    return queued
