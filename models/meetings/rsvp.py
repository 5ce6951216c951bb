"""Members' answers to the notice (RSVP): who will come, who will be absent and why, who is silent."""
from __future__ import annotations

__all__ = ["Answered", "Answers", "answer", "answer_of", "answers", "check_answerable", "declined_ids", "is_invited"]

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import audit, clock
from ..members import Member
from ..permissions import Actor, may_manage_cell
from ..text import clean_line
from .scheduling import get_meeting
from .schema import REASON_MAX, Answer, Meeting, MeetingError, MeetingRsvp, MeetingState


# --- answers (RSVP) -------------------------------------------------------------------------------------
async def _member_cell(session: AsyncSession, member_id: int | None) -> int | None:
    if member_id is None:
        return None
    return await session.scalar(select(Member.cell_id).where(Member.id == member_id))


async def is_invited(session: AsyncSession, meeting: Meeting, member_id: int | None, *, on_paper: bool = False) -> bool:
    """Members of the meeting's cell are invited; nobody else — forged buttons end here. `on_paper`: invited on
    the printed sheet, which lists only the members no Telegram account is linked to."""
    if member_id is None or await _member_cell(session, member_id) != meeting.cell_id:
        return False
    if on_paper:
        from ..accounts import Account

        return await session.scalar(select(Account.telegram_user_id).where(Account.member_id == member_id)) is None
    return True


def check_answerable(meeting: Meeting, now: datetime | None = None) -> None:
    """Answers are taken until the meeting starts, never once it is cancelled or held. Raises MeetingError."""
    if meeting.state is not MeetingState.scheduled:
        raise MeetingError("cancelled" if meeting.state is MeetingState.cancelled else "answers_closed")
    if meeting.starts_at <= (now or clock.now()):
        raise MeetingError("answers_closed")


async def answer(
    session: AsyncSession,
    actor: Actor,
    meeting_id: int,
    reply: Answer,
    *,
    reason: str | None = None,
    for_member_id: int | None = None,
    on_paper: bool = False,
) -> MeetingRsvp:
    """A member's answer, changeable until the meeting starts. With `for_member_id` the secretary
    records it for a member without a phone (a proxy answer, marked as such); `on_paper` when the
    member gave it on the printed invitation (only a proxy answer can be: the member's own is not)."""
    meeting = await get_meeting(session, meeting_id)
    if meeting is None:
        raise MeetingError("not_allowed")
    member_id = actor.member_id if for_member_id is None else for_member_id
    proxy = member_id != actor.member_id
    if proxy and not may_manage_cell(actor, meeting.cell):
        raise MeetingError("not_allowed")
    if not await is_invited(session, meeting, member_id, on_paper=proxy and on_paper):
        raise MeetingError("not_allowed")
    now = clock.now()
    check_answerable(meeting, now)
    reason = clean_line(reason)[:REASON_MAX] or None
    if reply is Answer.absent and not reason:
        raise MeetingError("reason_empty")
    row = await session.get(MeetingRsvp, (meeting.id, member_id))
    if row is None:
        row = MeetingRsvp(meeting_id=meeting.id, member_id=member_id)
        session.add(row)
    row.answer, row.reason = reply, (reason if reply is Answer.absent else None)
    row.answered_at, row.recorded_by_member_id, row.by_proxy = now, actor.member_id, proxy
    row.on_paper = proxy and on_paper
    await session.flush()
    detail: dict[str, object] = {"meeting_id": meeting.id, "answer": reply.value, "proxy": proxy}
    if row.on_paper:
        detail["paper"] = True
    await audit.record(session, "meeting_answer", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member_id, detail=detail)
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
    on_paper: bool = False  # a proxy answer given on the printed invitation


@dataclass
class Answers:
    members: int
    attend: list[Answered] = field(default_factory=list)
    absent: list[Answered] = field(default_factory=list)
    silent: list[Answered] = field(default_factory=list)


async def answers(session: AsyncSession, meeting_id: int) -> Answers:
    """Who said they will come, who will be absent and why, who has not answered (the secretary's view)."""
    from ..accounts import Account

    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        return Answers(members=0)
    rows = await session.execute(
        select(Member.id, Member.full_name, MeetingRsvp.answer, MeetingRsvp.reason, MeetingRsvp.by_proxy,
               Account.telegram_user_id, MeetingRsvp.on_paper)
        .outerjoin(MeetingRsvp, and_(MeetingRsvp.member_id == Member.id, MeetingRsvp.meeting_id == meeting_id))
        .outerjoin(Account, Account.member_id == Member.id)
        .where(Member.cell_id == meeting.cell_id, Member.living)
        .order_by(Member.sort_name, Member.id)
    )
    out = Answers(members=0)
    for member_id, name, reply, reason, proxy, chat, paper in rows.all():
        out.members += 1
        item = Answered(member_id, name, reply, reason, bool(proxy), chat is not None, bool(paper))
        {Answer.attend: out.attend, Answer.absent: out.absent, None: out.silent}[reply].append(item)
    return out


async def declined_ids(session: AsyncSession, meeting_id: int) -> set[int]:
    return set((await session.scalars(
        select(MeetingRsvp.member_id).where(MeetingRsvp.meeting_id == meeting_id, MeetingRsvp.answer == Answer.absent)
    )).all())

