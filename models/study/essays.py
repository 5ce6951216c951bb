"""Essays (bài thu hoạch): a member hands one in for a study item that asks for it — typed, a file, a photo of
handwriting or a voice message — and it goes (through the outbox) to the officer who gave the item, who marks it
received or asks for it again. A new essay after "revise" is a new row; the latest is the one that counts."""
from __future__ import annotations

__all__ = ["EssayView", "Reviewed", "essay_view", "review_essay", "submit_essay"]

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import clock, deliveries
from ..accounts import Account
from ..members import Member
from ..notices import Notice
from ..permissions import Action, Actor, may
from ..text import clean_text
from ..units import Unit
from .tables import (
    ESSAY_DELIVERY,
    ESSAY_KINDS,
    ESSAY_TEXT_MAX,
    EssayState,
    StudyError,
    StudyEssay,
    StudyItem,
    StudyMember,
)


async def _latest(session: AsyncSession, study_id: int, member_id: int) -> StudyEssay | None:
    return await session.scalar(select(StudyEssay).where(StudyEssay.study_id == study_id,
                                                         StudyEssay.member_id == member_id)
                                .order_by(StudyEssay.id.desc()).limit(1))


async def submit_essay(session: AsyncSession, study_id: int, member_id: int | None, *, kind: str,
                       text: str | None = None, file_id: str | None = None,
                       file_name: str | None = None) -> StudyEssay:
    """Hand in the member's essay; it is queued to the officer who gave the item. Raises StudyError: not_addressee,
    no_essay (the item asks for none), essay_received (the last one was received: nothing more is asked),
    essay_empty, essay_long. The caller commits."""
    if member_id is None or await session.get(StudyMember, (study_id, member_id)) is None:
        raise StudyError("not_addressee")
    item = await session.get(StudyItem, study_id)
    if item is None or not item.essay_required:
        raise StudyError("no_essay")
    latest = await _latest(session, study_id, member_id)
    if latest is not None and latest.state is EssayState.received:
        raise StudyError("essay_received")
    text = clean_text(text) or None
    if kind not in ESSAY_KINDS or (kind == "text" and not text) or (kind != "text" and not file_id):
        raise StudyError("essay_empty")
    if text and len(text) > ESSAY_TEXT_MAX:
        raise StudyError("essay_long")
    essay = StudyEssay(study_id=study_id, member_id=member_id, kind=kind, text=text, file_id=file_id,
                       file_name=file_name, submitted_at=clock.now(), state=EssayState.submitted)
    session.add(essay)
    await session.flush()
    if item.created_by_member_id is not None:
        await deliveries.queue_to_members(session, ESSAY_DELIVERY, essay.id, [item.created_by_member_id])
    return essay


@dataclass(frozen=True)
class EssayView:
    essay: StudyEssay
    member_name: str
    cell: str
    title: str  # the study item's document


async def essay_view(session: AsyncSession, essay_id: int) -> EssayView | None:
    row = (await session.execute(
        select(StudyEssay, Member.full_name, Unit.name, Notice.title)
        .join(Member, Member.id == StudyEssay.member_id).join(Unit, Unit.id == Member.cell_id)
        .join(StudyItem, StudyItem.id == StudyEssay.study_id).join(Notice, Notice.id == StudyItem.notice_id)
        .where(StudyEssay.id == essay_id))).first()
    return EssayView(*row) if row is not None else None


@dataclass(frozen=True)
class Reviewed:
    essay: StudyEssay
    title: str
    member_chat_id: int | None  # where to tell the member (None: not on Telegram)
    changed: bool  # False: it already was so


async def review_essay(session: AsyncSession, actor: Actor, essay_id: int, *, received: bool) -> Reviewed:
    """The officer marks the essay received, or asks for it again. Only an officer of the member's cell (or a
    committee above it), and only the member's latest essay. Raises StudyError: not_allowed, essay_old."""
    view = await essay_view(session, essay_id)
    if view is None:
        raise StudyError("not_allowed")
    essay = view.essay
    cell_path = await session.scalar(select(Unit.path).join(Member, Member.cell_id == Unit.id)
                                     .where(Member.id == essay.member_id))
    if cell_path is None or not may(actor, Action.manage_cell, cell_path):
        raise StudyError("not_allowed")
    latest = await _latest(session, essay.study_id, essay.member_id)
    if latest is None or latest.id != essay.id:
        raise StudyError("essay_old")
    state = EssayState.received if received else EssayState.revise
    changed = essay.state is not state
    if changed:
        essay.state, essay.reviewed_by_member_id, essay.reviewed_at = state, actor.member_id, clock.now()
    chat_id = await session.scalar(select(Account.telegram_user_id).where(Account.member_id == essay.member_id))
    return Reviewed(essay, view.title, chat_id, changed)
