"""The roll-call at the meeting, the counts reports read, and the record after it (content, decisions, closing)."""
from __future__ import annotations

__all__ = [
    "Ratio", "RollEntry", "chair_defaults", "clean_decisions", "close_meeting", "mark", "mark_all_present",
    "open_roll_call", "present_member_ids", "ratio", "record_content", "recount", "roll",
]

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import audit, clock
from ..members import Member
from ..permissions import Actor
from ..roles import Role, RoleKind
from ..sql import rowcount
from ..text import clean_line
from .rsvp import is_invited
from .scheduling import _cancel_pending_reminders, managed_meeting
from .schema import (
    CONTENT_MAX,
    CYCLE,
    DECISION_MAX,
    DECISIONS_MAX,
    NAME_MAX,
    REASON_MAX,
    ROLL_CALL_OPENS,
    Answer,
    Attendance,
    Meeting,
    MeetingDecision,
    MeetingError,
    MeetingRsvp,
    MeetingState,
    Presence,
)


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
        .where(Member.cell_id == meeting.cell_id, Member.living)
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
        meeting.started_at = max(now, meeting.starts_at)  # opened early: it begins at the time set
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

