"""Making a study item and what its members see: the documents an officer may give to study, the item given
(its questions stored, one StudyMember per member of the unit, a delivery queued to each), "Đã học"."""
from __future__ import annotations

__all__ = [
    "Card", "Studied", "check_deadline", "create_study", "eligible_documents", "get_study", "member_ids_of", "mark_studied", "member_card",
    "question_count", "study_unit",
]

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import ColumnElement

from .. import audit, clock, deliveries
from ..dates import local_today
from ..members import Member
from ..notices import DOCUMENT_KINDS, Notice, NoticeAudience, covers
from ..permissions import Action, Actor, may, units_for
from ..units import Unit
from .bank import Question
from .excuses import excused_members
from .tables import (
    DEADLINE_MAX_DAYS,
    ESSAY_EXCUSED_AGES,
    QUESTIONS_MAX,
    STUDY_DELIVERY,
    STUDY_EXCUSED_DELIVERY,
    EssayState,
    StudyError,
    StudyEssay,
    StudyItem,
    StudyMember,
    StudyQuestion,
)

DOCUMENTS_OFFERED = 10


async def study_unit(session: AsyncSession, actor: Actor) -> Unit | None:
    """The unit whose members an officer gives documents to study: their topmost cell or committee (an
    administrator: the first root). None: not an officer."""
    units = await units_for(session, actor, Action.manage_cell)
    return units[0] if units else None


def _eligible(actor: Actor, unit: Unit) -> list[ColumnElement[bool]]:
    """SQL: a sent document or resolution the officer sent, or one sent to `unit` or a committee above it."""
    received = exists(select(NoticeAudience.notice_id).join(Unit, Unit.id == NoticeAudience.unit_id)
                      .where(NoticeAudience.notice_id == Notice.id, covers(unit.path)))
    mine = Notice.sender_member_id == actor.member_id if actor.member_id is not None else received
    return [Notice.kind.in_(DOCUMENT_KINDS), Notice.dispatched_at.is_not(None), or_(received, mine)]


async def eligible_documents(session: AsyncSession, actor: Actor, unit: Unit,
                             limit: int = DOCUMENTS_OFFERED) -> list[Notice]:
    """The newest documents and resolutions the officer may give `unit` to study."""
    return list((await session.scalars(
        select(Notice).where(*_eligible(actor, unit)).options(selectinload(Notice.unit))
        .order_by(Notice.dispatched_at.desc(), Notice.id.desc()).limit(limit))).all())


async def member_ids_of(session: AsyncSession, unit: Unit) -> list[int]:
    """Who studies what is given to `unit`: the living members of every cell under it."""
    return list((await session.scalars(
        select(Member.id).join(Unit, Unit.id == Member.cell_id)
        .where(Unit.path.startswith(unit.path, autoescape=True), Member.living)
        .order_by(Member.id))).all())


def check_deadline(deadline: date, today: date | None = None) -> None:
    today = today or local_today()
    if deadline < today:
        raise StudyError("deadline_past")
    if deadline > today + timedelta(days=DEADLINE_MAX_DAYS):
        raise StudyError("deadline_far")


async def create_study(session: AsyncSession, actor: Actor, *, notice_id: int, unit_id: int, deadline: date,
                       questions: Sequence[Question] = (), essay: bool = False,
                       essay_excused_age: int | None = None) -> tuple[StudyItem, int]:
    """Give a document to study to the members of the unit, with these quiz questions (none: no quiz) and, when
    `essay`, an essay (bài thu hoạch) to hand in — members `essay_excused_age` or older at the deadline excused
    from it (one of ESSAY_EXCUSED_AGES; None: nobody by age), who get the card saying so.
    Returns the item and how many members it went to. Raises StudyError; the caller commits."""
    unit = await session.get(Unit, unit_id)
    if unit is None or not may(actor, Action.manage_cell, unit.path):
        raise StudyError("not_allowed")
    notice = await session.scalar(select(Notice).where(Notice.id == notice_id, *_eligible(actor, unit)))
    if notice is None:
        raise StudyError("not_allowed")
    check_deadline(deadline)
    if len(questions) > QUESTIONS_MAX:
        raise StudyError("too_many")
    if essay_excused_age is not None and (not essay or essay_excused_age not in ESSAY_EXCUSED_AGES):
        raise StudyError("not_allowed")
    if await session.scalar(select(StudyItem.id).where(StudyItem.notice_id == notice_id,
                                                       StudyItem.unit_id == unit_id)):
        raise StudyError("exists")
    item = StudyItem(notice_id=notice_id, unit_id=unit_id, created_by_member_id=actor.member_id, deadline=deadline,
                     essay_required=essay, essay_excused_age=essay_excused_age, created_at=clock.now())
    session.add(item)
    await session.flush()
    session.add_all(StudyQuestion(study_id=item.id, position=i, question=q.text, options_json=json.dumps(
        list(q.options), ensure_ascii=False), correct=q.correct, explanation=q.explanation)
        for i, q in enumerate(questions))
    member_ids = await member_ids_of(session, unit)
    table = StudyMember.__table__
    for start in range(0, len(member_ids), 1000):
        await session.execute(table.insert(), [{"study_id": item.id, "member_id": m, "attempts": 0}
                                               for m in member_ids[start:start + 1000]])
    old = await excused_members(session, item, by_age_only=True)
    await deliveries.queue_to_members(session, STUDY_DELIVERY, item.id, [m for m in member_ids if m not in old])
    if old:
        await deliveries.queue_to_members(session, STUDY_EXCUSED_DELIVERY, item.id, sorted(old))
    await audit.record(session, "study_created", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id,
                       detail={"study_id": item.id, "notice_id": notice_id, "unit_id": unit_id,
                               "questions": len(questions), "essay": essay, "essay_excused_age": essay_excused_age,
                               "members": len(member_ids)})
    return item, len(member_ids)


async def get_study(session: AsyncSession, study_id: int) -> StudyItem | None:
    return await session.scalar(select(StudyItem).where(StudyItem.id == study_id).options(
        selectinload(StudyItem.notice).selectinload(Notice.unit), selectinload(StudyItem.unit)))


async def question_count(session: AsyncSession, study_id: int) -> int:
    return (await session.execute(select(func.count()).select_from(StudyQuestion)
                                  .where(StudyQuestion.study_id == study_id))).scalar_one()


@dataclass
class Card:
    """What a member's study card shows."""

    item: StudyItem
    questions: int
    studied: bool
    best_score: int | None
    attempts: int
    essay: EssayState | None = None  # the state of the member's latest essay (None: none handed in)


async def member_card(session: AsyncSession, study_id: int, member_id: int | None) -> Card | None:
    """The member's card of the study item; None when it was not given to them."""
    item = await get_study(session, study_id)
    row = await session.get(StudyMember, (study_id, member_id)) if item and member_id is not None else None
    if item is None or row is None:
        return None
    essay = await session.scalar(select(StudyEssay.state).where(StudyEssay.study_id == study_id,
                                                                StudyEssay.member_id == member_id)
                                 .order_by(StudyEssay.id.desc()).limit(1))
    return Card(item, await question_count(session, study_id), row.studied_at is not None, row.best_score,
                row.attempts, essay)


class Studied(str, enum.Enum):
    recorded = "recorded"
    already = "already"
    not_addressee = "not_addressee"


async def mark_studied(session: AsyncSession, study_id: int, member_id: int | None) -> Studied:
    row = await session.get(StudyMember, (study_id, member_id)) if member_id is not None else None
    if row is None:
        return Studied.not_addressee
    if row.studied_at is not None:
        return Studied.already
    row.studied_at = clock.now()
    return Studied.recorded
