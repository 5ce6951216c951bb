"""The officer's weekly to-do ("Việc cần làm"): what waits for them, each line pointing at what it is about.

Every Monday at the officer's hour (in the bot's time zone; by default the setting `todo_hour`, 07:00; each
officer may choose another hour or turn it off) the tick marks the week done for that officer — a row of
todo_runs, unique per officer and ISO week, so a restart or a second instance never sends twice — and, when
something waits, queues one delivery of kind "todo" pointing at that row. The renderer builds the lines again
at send time: nothing left by then, nothing sent. The officer's panel shows the same lines at any time.

What an officer sees is scoped by models.permissions: the cells they manage, the units they hold a role on.
No Telegram here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import ColumnElement

from . import clock, deliveries
from .accounts import Account
from .anniversaries import Occasion
from .base import Base
from .conversion import Waiting as ConversionWaiting
from .dates import VIETNAM
from .meetings import Meeting, MeetingKind, MeetingState, answers
from .meetings.schema import MeetingDocument
from .members import Member
from .permissions import OFFICER_ROLES, Action, Actor, managed_cells, member_actor, scope_paths, within_clause
from .probation import Due as ProbationDue
from .roles import Role
from .transfers import Due as TransferDue
from .transfers import TransferLine
from .units import Unit, UnitKind

TODO_DELIVERY = "todo"  # ref_id: TodoRun.id — one officer's to-do of one week
DEFAULT_HOUR = 7
NAMES_SHOWN = 5  # names on a line, then "and N more"
LINES_MAX = 5  # meetings, notices, votes: at most this many lines each
MEETINGS_AHEAD = timedelta(days=14)
NOTICES_BACK = timedelta(days=30)
VOTES_AHEAD = timedelta(days=7)
BATCH = 50  # officers a tick handles; the rest at the next one
THEMATIC_FROM = 2  # the quarter's month (1-3) from which a quarter still without a thematic meeting is a line


class TodoChoice(Base):
    """An officer's own choice: the weekly to-do on or off, and its hour (None: the setting's)."""

    __tablename__ = "todo_choices"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    weekly: Mapped[bool] = mapped_column(Boolean, default=True)
    hour: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class TodoRun(Base):
    """The week's to-do of one officer was taken care of (sent, or found empty): never twice a week."""

    __tablename__ = "todo_runs"
    __table_args__ = (UniqueConstraint("member_id", "week", name="uq_todo_runs_member_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))  # ISO week, "2026-W50"
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


# --- the lines ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Names:
    shown: tuple[str, ...] = ()
    total: int = 0


@dataclass(frozen=True)
class MeetingLine:
    """A cell's next meeting and how ready it is; `silent`: who has not answered its notice."""

    meeting_id: int
    cell: str
    title: str
    kind: MeetingKind
    starts_at: datetime
    members: int
    answered: int
    documents: int
    silent: Names


@dataclass(frozen=True)
class NoticeLine:
    notice_id: int
    title: str
    unread: Names


@dataclass(frozen=True)
class VoteLine:
    vote_id: int
    question: str
    cell: str
    closes_at: datetime


@dataclass(frozen=True)
class Todo:
    meetings: tuple[MeetingLine, ...] = ()
    notices: tuple[NoticeLine, ...] = ()  # sent from the officer's units, not read by everyone
    feedback: int = 0  # items to answer
    corrections: int = 0  # profile corrections to decide
    votes: tuple[VoteLine, ...] = ()  # open, closing within a week
    blocked: Names = Names()  # members who blocked the bot
    no_thematic: Names = Names()  # cells whose quarter has no thematic meeting (HD 42: one a quarter at least)
    quarter: int = 0
    probation: tuple[ProbationDue, ...] = ()  # probationary members with a deadline within the rules' window
    anniversaries: tuple[Occasion, ...] = ()  # birthdays, mừng thọ, party-join anniversaries in the coming days
    transfers: tuple[TransferDue, ...] = ()  # open transfers whose next deadline is near or past
    arrivals: tuple[TransferLine, ...] = ()  # members coming to the officer's cells, not received yet
    conversions: tuple[ConversionWaiting, ...] = ()  # passed conversion votes waiting for the committee's decision

    @property
    def empty(self) -> bool:
        return not (self.meetings or self.notices or self.feedback or self.corrections or self.votes
                    or self.blocked.total or self.no_thematic.total or self.probation
                    or self.anniversaries or self.transfers or self.arrivals
                    or self.conversions)


def _names(names: list[str], total: int | None = None) -> Names:
    return Names(tuple(names[:NAMES_SHOWN]), len(names) if total is None else total)


async def todo_for(session: AsyncSession, actor: Actor, now: datetime | None = None, tz: tzinfo = VIETNAM) -> Todo:
    """What waits for this officer now, within what they may see; an empty Todo for anyone else."""
    if not actor.is_officer:
        return Todo()
    from . import anniversaries, conversion, corrections, feedback, probation, transfers

    now = now or clock.now()
    cells = await managed_cells(session, actor)
    today = now.astimezone(tz).date()
    # A party group holds no thematic meeting; early in a quarter there is time yet.
    late = (today.month - 1) % 3 + 1 >= THEMATIC_FROM
    cells_proper = [c for c in cells if c.kind is UnitKind.cell] if late else []
    missing = await cells_without_thematic(session, [c.id for c in cells_proper], today, tz)
    coming = tuple(await transfers.arrivals(session, actor))
    received_here = {a.transfer.id for a in coming}  # their line says when; not twice
    return Todo(
        meetings=await _next_meetings(session, [c.id for c in cells], now),
        notices=await _unread_notices(session, actor, now),
        feedback=await feedback.waiting_for(session, actor),
        corrections=(await corrections.pending_for(session, actor, 0, 1))[1],
        votes=await _closing_votes(session, [c.id for c in cells], now),
        blocked=await _blocked(session, actor),
        no_thematic=_names([c.name for c in cells_proper if c.id in missing]),
        quarter=(today.month - 1) // 3 + 1,
        probation=tuple(await probation.due(session, actor, today)),
        anniversaries=tuple(await anniversaries.upcoming(session, actor, today)),
        transfers=tuple(d for d in await transfers.due(session, actor, today) if d.line.transfer.id not in received_here),
        arrivals=coming,
        conversions=tuple(await conversion.awaiting_committee(session, actor, LINES_MAX)),
    )


async def _next_meetings(session: AsyncSession, cell_ids: list[int], now: datetime) -> tuple[MeetingLine, ...]:
    if not cell_ids:
        return ()
    rows = (await session.execute(
        select(Meeting, Unit.name).join(Unit, Unit.id == Meeting.cell_id)
        .where(Meeting.cell_id.in_(cell_ids), Meeting.state == MeetingState.scheduled,
               Meeting.starts_at > now, Meeting.starts_at <= now + MEETINGS_AHEAD)
        .order_by(Meeting.starts_at, Meeting.id))).all()
    firsts: dict[int, tuple[Meeting, str]] = {}
    for meeting, cell in rows:
        firsts.setdefault(meeting.cell_id, (meeting, cell))
    lines = []
    for meeting, cell in list(firsts.values())[:LINES_MAX]:
        said = await answers(session, meeting.id)
        documents = await session.scalar(
            select(func.count()).select_from(MeetingDocument).where(MeetingDocument.meeting_id == meeting.id))
        lines.append(MeetingLine(meeting.id, cell, meeting.title, meeting.kind, meeting.starts_at, said.members,
                                 len(said.attend) + len(said.absent), int(documents or 0),
                                 _names([a.name for a in said.silent])))
    return tuple(lines)


async def _unread_notices(session: AsyncSession, actor: Actor, now: datetime) -> tuple[NoticeLine, ...]:
    """Notices issued by the officer's units this last month that someone has not read (who, by name)."""
    from .notices import Notice, NoticeRecipient, unread

    paths = scope_paths(actor, Action.view_reports)
    if paths == []:
        return ()
    stmt = (select(Notice.id, Notice.title).join(Unit, Unit.id == Notice.unit_id)
            .where(Notice.dispatched_at.is_not(None), Notice.dispatched_at >= now - NOTICES_BACK,
                   exists().where(NoticeRecipient.notice_id == Notice.id, NoticeRecipient.read_at.is_(None))))
    if paths is not None:
        stmt = stmt.where(within_clause(paths))
    rows = (await session.execute(stmt.order_by(Notice.dispatched_at.desc(), Notice.id.desc()).limit(LINES_MAX))).all()
    lines = []
    for notice_id, title in rows:
        who, total = await unread(session, notice_id, limit=NAMES_SHOWN)
        lines.append(NoticeLine(notice_id, title, _names([u.name for u in who], total)))
    return tuple(lines)


async def _closing_votes(session: AsyncSession, cell_ids: list[int], now: datetime) -> tuple[VoteLine, ...]:
    if not cell_ids:
        return ()
    from .votes import Vote

    rows = (await session.execute(
        select(Vote.id, Vote.question, Unit.name, Vote.closes_at).join(Unit, Unit.id == Vote.cell_id)
        .where(Vote.cell_id.in_(cell_ids), Vote.closed_at.is_(None), Vote.closes_at > now,
               Vote.closes_at <= now + VOTES_AHEAD)
        .order_by(Vote.closes_at, Vote.id).limit(LINES_MAX))).all()
    return tuple(VoteLine(*row) for row in rows)


async def _blocked(session: AsyncSession, actor: Actor) -> Names:
    """Members under the officer's units whose Telegram refused our messages (they blocked the bot)."""
    paths = scope_paths(actor, Action.list_members)
    if paths == []:
        return Names()
    stmt = (select(Member.full_name).join(Account, Account.member_id == Member.id)
            .join(Unit, Unit.id == Member.cell_id).where(Account.unreachable_at.is_not(None)))
    if paths is not None:
        stmt = stmt.where(within_clause(paths))
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    names = (await session.scalars(stmt.order_by(Member.sort_name, Member.id).limit(NAMES_SHOWN))).all()
    return Names(tuple(names), total)


# --- a thematic meeting a quarter ---------------------------------------------------------------------------------------
def quarter_bounds(today: date, tz: tzinfo = VIETNAM) -> tuple[datetime, datetime]:
    """The quarter of `today`, from its first midnight to the next quarter's, local time."""
    first = (today.month - 1) // 3 * 3 + 1
    start = datetime(today.year, first, 1, tzinfo=tz)
    end = datetime(today.year + 1, 1, 1, tzinfo=tz) if first == 10 else datetime(today.year, first + 3, 1, tzinfo=tz)
    return start, end


async def cells_without_thematic(session: AsyncSession, cell_ids: list[int], today: date,
                                 tz: tzinfo = VIETNAM) -> set[int]:
    """Of these cells, those with no thematic meeting (held or scheduled) in the quarter of `today`."""
    if not cell_ids:
        return set()
    start, end = quarter_bounds(today, tz)
    held = set((await session.scalars(
        select(Meeting.cell_id).where(Meeting.cell_id.in_(cell_ids), Meeting.kind == MeetingKind.thematic,
                                      Meeting.state != MeetingState.cancelled,
                                      Meeting.starts_at >= start, Meeting.starts_at < end))).all())
    return set(cell_ids) - held


# --- the officer's choice ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Weekly:
    on: bool
    hour: int


async def weekly_of(session: AsyncSession, member_id: int, default_hour: int | None) -> Weekly:
    """The officer's weekly to-do as it stands: their own choice, else the setting (None: off by default)."""
    choice = await session.get(TodoChoice, member_id)
    if choice is None:
        return Weekly(default_hour is not None, default_hour if default_hour is not None else DEFAULT_HOUR)
    hour = choice.hour if choice.hour is not None else (default_hour if default_hour is not None else DEFAULT_HOUR)
    return Weekly(choice.weekly, hour)


async def choose(session: AsyncSession, member_id: int, *, weekly: bool | None = None, hour: int | None = None) -> None:
    """Turn the weekly to-do on or off, or set its hour (which turns it on). The caller commits."""
    if hour is not None and not 0 <= hour <= 23:
        raise ValueError(f"no such hour: {hour}")
    choice = await session.get(TodoChoice, member_id)
    if choice is None:
        choice = TodoChoice(member_id=member_id, weekly=True)
        session.add(choice)
    if weekly is not None:
        choice.weekly = weekly
    if hour is not None:
        choice.hour, choice.weekly = hour, True
    choice.updated_at = clock.now()
    await session.flush()


# --- the Monday tick ---------------------------------------------------------------------------------------------------
def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def _due_officers(session: AsyncSession, week: str, hour: int, default_hour: int | None) -> list[int]:
    """Officers on Telegram whose hour has come this Monday and whose week is not done yet."""
    own_hour = func.coalesce(TodoChoice.hour, default_hour if default_hour is not None else DEFAULT_HOUR)
    wanted: ColumnElement[bool] = TodoChoice.weekly.is_(True)
    if default_hour is not None:
        wanted = or_(TodoChoice.member_id.is_(None), wanted)
    rows = await session.scalars(
        select(Role.member_id).distinct()
        .join(Account, Account.member_id == Role.member_id)
        .outerjoin(TodoChoice, TodoChoice.member_id == Role.member_id)
        .where(Role.kind.in_(OFFICER_ROLES), Account.unreachable_at.is_(None), wanted, own_hour <= hour,
               ~exists().where(TodoRun.member_id == Role.member_id, TodoRun.week == week))
        .order_by(Role.member_id).limit(BATCH))
    return list(rows.all())


async def _take_week(session: AsyncSession, member_id: int, week: str) -> int | None:
    """The run of this officer's week, if this call made it (None: another tick, or instance, did)."""
    from .sql import upsert

    stmt = (upsert(session, TodoRun.__table__)
            .values(member_id=member_id, week=week, created_at=clock.now())
            .on_conflict_do_nothing(index_elements=["member_id", "week"])
            .returning(TodoRun.__table__.c.id))
    run_id: int | None = (await session.execute(stmt)).scalar_one_or_none()
    return run_id


async def weekly_tick(session: AsyncSession, tz: tzinfo = VIETNAM, default_hour: int | None = DEFAULT_HOUR,
                      now: datetime | None = None) -> list[tuple[str, int]]:
    """On Mondays: each officer whose hour has come gets the week's to-do queued, once a week, when it is not
    empty. Idempotent: a second call (a restart, another instance) finds the week taken. The caller commits."""
    now = now or clock.now()
    local = now.astimezone(tz)
    if local.weekday() != 0:
        return []
    week = week_of(local.date())
    queued = []
    for member_id in await _due_officers(session, week, local.hour, default_hour):
        run_id = await _take_week(session, member_id, week)
        if run_id is None:
            continue
        found = await todo_for(session, await member_actor(session, member_id), now, tz)
        if not found.empty and await deliveries.queue_to_members(session, TODO_DELIVERY, run_id, [member_id]):
            queued.append((TODO_DELIVERY, run_id))
    return queued


async def todo_of_run(session: AsyncSession, run_id: int, tz: tzinfo = VIETNAM,
                      now: datetime | None = None) -> Todo:
    """The to-do a run points at, as it stands now (the renderer's: empty when the run is gone)."""
    run = await session.get(TodoRun, run_id)
    if run is None:
        return Todo()
    return await todo_for(session, await member_actor(session, run.member_id), now, tz)
