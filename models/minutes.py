"""The minutes (biên bản) of a cell meeting, drafted from the data the meeting left behind.

The draft is facts, not prose: unit, date, time, place, chair, recorder, attendance with the
absent members' names and reasons, agenda, content, decisions and vote results. The handlers
phrase it in the catalog's words and render the Word file. Approving keeps a snapshot, so the
minutes stay what was approved even if members move cells later. No Telegram here.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import audit, clock
from .meetings import (
    Attendance,
    Length,
    Meeting,
    MeetingError,
    MeetingKind,
    MeetingState,
    Presence,
    get_meeting,
    managed_meeting,
    meeting_length,
    ratio,
)
from .members import Member
from .permissions import Actor
from .units import Unit

log = logging.getLogger(__name__)

PROSE_SECTIONS = ("agenda", "content", "decisions")


@dataclass
class Absent:
    name: str
    status: str  # Presence value: excused, unexcused, exempt
    reason: str | None = None


@dataclass
class VoteResult:
    """One vote of the meeting as the minutes show it (models/votes/ is the source).

    options: (label, count, kind) — a standard option ("agree", "disagree", "other") has an empty
    label and is named by the reader in its language. rule: whose "more than half" passes it
    ("members", "present", "cast"), of `base` people.
    """

    question: str
    options: list[tuple[str, int, str]] = field(default_factory=list)
    cast: int = 0
    eligible: int = 0
    passed: bool | None = None
    rule: str | None = None
    base: int | None = None


@dataclass
class Minutes:
    meeting_id: int
    unit_name: str
    parent_name: str | None  # the party organisation above the cell, for the header
    kind: str  # MeetingKind value
    title: str
    starts_at: datetime
    ended_at: datetime | None
    place: str
    chair: str | None
    recorder: str | None
    members: int
    present: int
    excused: int
    unexcused: int
    exempt: int
    base: int
    exempt_counted: bool
    absent: list[Absent]
    agenda: str
    content: str
    decisions: list[str]
    votes: list[VoteResult]
    votes_known: bool  # False when the votes feature is not installed: "no votes" is then a guess
    approved_at: datetime | None = None
    approved_by: str | None = None
    started_at: datetime | None = None  # from the roll-call (minutes approved before it was kept have none)
    # The narrative sections (PROSE_SECTIONS: agenda, content, decisions) as prose: the model's draft the
    # secretary chose (✅ Dùng); None: the template's lists. Written from facts_key()'s facts, kept only while
    # they stay those.
    prose: dict[str, str] | None = None

    def facts_key(self) -> str:
        """A digest of what a prose draft is written from (models.drafts.minutes_facts): dates, counts,
        the texts typed, the votes. Changed (the roll corrected, the content edited), the prose is dropped."""
        facts = [self.kind, self.starts_at.isoformat(), self.ended_at.isoformat() if self.ended_at else "",
                 self.members, self.present, self.excused, self.unexcused, self.exempt, self.base,
                 self.agenda, self.content, self.decisions, [asdict(v) for v in self.votes]]
        return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode()).hexdigest()[:16]

    @property
    def percent(self) -> int:
        return round(100 * self.present / self.base) if self.base else 0

    def to_json(self) -> str:
        data = asdict(self)
        for key in ("starts_at", "ended_at", "approved_at", "started_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Minutes:
        data = json.loads(text)
        for key in ("starts_at", "ended_at", "approved_at", "started_at"):
            data[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
        data["absent"] = [Absent(**a) for a in data["absent"]]
        data["votes"] = [VoteResult(**{**v, "options": [tuple(o) for o in v["options"]]}) for v in data["votes"]]
        return cls(**data)


# --- vote results: another feature's, read when it is there -----------------------------------------------
def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _options(raw: Any) -> list[tuple[str, int, str]]:
    """Per-option counts as a mapping, or a list of (label, count) pairs or objects."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        return [(str(k), int(v or 0), "") for k, v in raw.items()]
    out = []
    for item in raw:
        if isinstance(item, (tuple, list)) and len(item) >= 2:
            out.append((str(item[0]), int(item[1] or 0), ""))
        else:
            kind = _get(item, "kind")
            kind = str(getattr(kind, "value", kind) or "")
            label = _get(item, "label") or _get(item, "text") or ""
            out.append((str(label), int(_get(item, "count", 0) or 0), kind))
    return out


def _as_result(raw: Any) -> VoteResult:
    rule = _get(raw, "rule")
    rule = getattr(rule, "value", rule)
    passed = _get(raw, "passed")
    base = _get(raw, "base")
    return VoteResult(
        question=str(_get(raw, "question") or _get(raw, "title") or ""),
        options=_options(_get(raw, "options", None) if _get(raw, "options", None) is not None
                         else _get(raw, "counts", None)),
        cast=int(_get(raw, "cast", 0) or 0),
        eligible=int(_get(raw, "eligible", 0) or 0),
        passed=None if passed is None else bool(passed),
        rule=None if rule is None else str(rule),
        base=None if base is None else int(base),
    )


async def vote_results(session: AsyncSession, meeting_id: int) -> tuple[list[VoteResult], bool]:
    """The meeting's vote results and whether the votes feature answered at all."""
    try:
        from .votes import results_for_meeting  # built alongside; absent in older installs
    except ImportError:
        return [], False
    try:
        async with session.begin_nested():  # a failure must not spoil the caller's transaction
            raw = await results_for_meeting(session, meeting_id)
    except Exception:  # a report must not fail because another feature did
        log.exception("vote results of meeting %s could not be read", meeting_id)
        return [], False
    return [_as_result(r) for r in raw or []], True


# --- drafting and approving -------------------------------------------------------------------------------
async def draft_minutes(session: AsyncSession, meeting_id: int) -> Minutes:
    """The minutes as the data says now (the approved snapshot, once there is one)."""
    meeting = await get_meeting(session, meeting_id, full=True)
    if meeting is None:
        raise MeetingError("not_allowed")
    if meeting.minutes_json:
        return Minutes.from_json(meeting.minutes_json)
    parent = await session.scalar(select(Unit.name).where(Unit.id == meeting.cell.parent_id)) \
        if meeting.cell.parent_id else None
    rows = (await session.execute(
        select(Member.full_name, Attendance.status, Attendance.reason)
        .join(Member, Member.id == Attendance.member_id)
        .where(Attendance.meeting_id == meeting.id)
        .order_by(Member.sort_name, Member.id)
    )).all()
    absent = [Absent(name, (status or Presence.unexcused).value, reason)
              for name, status, reason in rows if status is not Presence.present]
    r = ratio(meeting, meeting.cell.exempt_counted)
    votes, known = await vote_results(session, meeting.id)
    drafted = Minutes(
        meeting_id=meeting.id,
        unit_name=meeting.cell.name,
        parent_name=parent,
        kind=meeting.kind.value,
        title=meeting.title,
        starts_at=meeting.starts_at,
        ended_at=meeting.ended_at,
        place=meeting.place,
        chair=meeting.chair_name,
        recorder=meeting.recorder_name,
        members=meeting.member_count,
        present=meeting.present_count,
        excused=meeting.excused_count,
        unexcused=meeting.unexcused_count,
        exempt=meeting.exempt_count,
        base=r.base,
        exempt_counted=r.exempt_counted,
        absent=absent,
        agenda=meeting.agenda or "",
        content=meeting.content or "",
        decisions=[d.text for d in meeting.decisions],
        votes=votes,
        votes_known=known,
        started_at=meeting.started_at,
    )
    drafted.prose = _chosen_prose(meeting.minutes_prose, drafted.facts_key())
    return drafted


def _chosen_prose(stored: str | None, key: str) -> dict[str, str] | None:
    """The prose the secretary chose, when it was written from these facts."""
    try:
        data = json.loads(stored) if stored else None
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    prose = {s: data[s] for s in PROSE_SECTIONS if isinstance(data.get(s), str) and data[s]}
    return prose if len(prose) == len(PROSE_SECTIONS) else None


async def choose_prose(session: AsyncSession, actor: Actor, meeting_id: int, prose: dict[str, str] | None,
                       key: str | None = None) -> bool:
    """The machine's prose for the minutes' narrative sections, reviewed and chosen by the secretary (✅ Dùng),
    written from the facts `key` names; None: the template again (↩ Bản mẫu). Until the minutes are approved."""
    meeting = await managed_meeting(session, actor, meeting_id)
    if meeting.state is not MeetingState.closed:
        raise MeetingError("not_closed")
    if meeting.minutes_approved_at is not None:
        raise MeetingError("minutes_approved")
    if prose is not None and (key is None or set(prose) != set(PROSE_SECTIONS)):
        raise ValueError("prose needs its facts' key and every section")
    meeting.minutes_prose = json.dumps({"key": key, **prose}, ensure_ascii=False) if prose else None
    await session.flush()
    await audit.record(session, "minutes_prose_chosen" if prose else "minutes_template_chosen",
                       actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
                       detail={"meeting_id": meeting.id})
    return prose is not None


async def approve_minutes(session: AsyncSession, actor: Actor, meeting_id: int) -> Minutes:
    """Approve the draft: kept as it is now; attendance and content are settled from here on."""
    meeting = await managed_meeting(session, actor, meeting_id)
    if meeting.state is not MeetingState.closed:
        raise MeetingError("not_closed")
    if meeting.minutes_approved_at is not None:
        raise MeetingError("minutes_approved")
    minutes = await draft_minutes(session, meeting.id)
    now = clock.now()
    minutes.approved_at = now
    minutes.approved_by = await session.scalar(select(Member.full_name).where(Member.id == actor.member_id)) \
        if actor.member_id else None
    meeting.minutes_json = minutes.to_json()
    meeting.minutes_approved_at = now
    meeting.minutes_approved_by_member_id = actor.member_id
    await session.flush()
    await audit.record(session, "minutes_approved", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, detail={"meeting_id": meeting.id})
    return minutes


async def set_minutes_file(session: AsyncSession, meeting_id: int, file_id: str) -> None:
    """The Word file as Telegram stores it: re-sent by file_id to whoever asks later."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is not None and meeting.minutes_approved_at is not None:
        meeting.minutes_file_id = file_id[:255]
        await session.flush()


def kind_of(minutes: Minutes) -> MeetingKind:
    return MeetingKind(minutes.kind)


def length_of(minutes: Minutes) -> Length | None:
    """How long the meeting lasted, beside HD 42's least (from the scheduled start when the roll kept none)."""
    return meeting_length(minutes.kind, minutes.started_at or minutes.starts_at, minutes.ended_at)
