"""The conversion to full membership (chuyển đảng viên chính thức, issue 17): the cell's vote and the committee's
decision. No Telegram here.

    month 12 passed, the file in ──▶ open_conversion_vote (a cell's officer) ──▶ models.votes: a vote of the cell
    vote closed, passed ──▶ decide (a committee above the cell) ──▶ Member.official_on, audited, the member told

The vote is an ordinary vote of the cell (models/votes): full members vote, probationary ones read it. Its passing
rule and base are the rules file's ⚠ (models/rules/probation_2025.toml, [conversion]): at least two thirds of the
full members, the base leaving out members transferred out temporarily on the vote's day and those excused from
the meeting the vote is held at (a meeting of the cell today whose roll-call is open), unless they vote anyway.
A vote that did not pass may be followed by another (after the rules' waiting days, none by default, up to the
rules' number of votes, ⚠ three); one at a time, and none while a passed one waits for the committee. The decision's "Ngày chính thức" is month 12 by default (Charter art. 5: the day probation ends), or
a day the committee picks, never before month 12 nor in the future.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import Date, ForeignKey, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from . import audit, clock, deliveries, probation, probation_file, rulesfile, votes
from .base import Base
from .dates import VIETNAM, local_today
from .members import Member
from .permissions import Action, Actor, committee_paths, scope_paths, within_clause
from .probation_file import FileError, ProbationFileItem
from .transfers import Direction, Transfer, TransferKind, TransferState
from .units import Unit

__all__ = ["DECIDED_DELIVERY", "Conversion", "ConversionError", "Offer", "Pending", "Rules", "State", "Waiting",
           "awaiting_committee", "away_members", "check_open", "decide", "may_decide", "offer", "open_conversion_vote", "pending", "rules",
           "state", "told", "waiting", "waiting_count"]

DECIDED_DELIVERY = "conversion_decided"  # to the member, once the committee decided; ref_id: the Conversion's id
LEAVE_OUT = frozenset({"temporary_out", "excused"})


class Conversion(Base):
    """A conversion vote of a probationary member, and the committee's decision on it once it passed."""

    __tablename__ = "probation_conversions"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), unique=True)
    opened_at: Mapped[datetime] = mapped_column(default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    official_on: Mapped[date | None] = mapped_column(Date)


class ConversionError(FileError):
    """Refused; `reason` names the catalog message (probation.refused.<reason>, as the file's refusals)."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.details = details


@dataclass(frozen=True)
class Rules:
    pass_rule: votes.PassRule
    leave_out: frozenset[str]
    vote_needs: tuple[str, ...]  # the file's items in before the vote
    vote_hours: int
    revote_after_days: int = 0  # ⚠ a vote not passed may be held again this many days after it closed
    max_votes: int = 0  # ⚠ votes without two thirds after which the committee above decides (0: no limit)


@cache
def rules() -> Rules:
    data = rulesfile.read(probation.RULES_FILE)["conversion"]
    leave_out = frozenset(str(x) for x in data["leave_out"])
    needs = tuple(str(x) for x in data["vote_needs"])
    if not leave_out <= LEAVE_OUT or not set(needs) <= set(probation_file.items()):
        raise ValueError(f"{probation.RULES_FILE}: [conversion] leave_out or vote_needs names an unknown entry")
    return Rules(votes.PassRule(str(data["pass_rule"])), leave_out, needs, int(data["vote_hours"]),
                 int(data.get("revote_after_days", 0)), int(data.get("max_votes", 0)))


# --- the vote -------------------------------------------------------------------------------------------------------
async def _meeting_today(session: AsyncSession, cell_id: int, today: date) -> int | None:
    """The cell's meeting of today whose roll-call is open (the conversion is voted at it), if any."""
    from .meetings import Meeting

    rows = (await session.execute(
        select(Meeting.id, Meeting.starts_at).where(Meeting.cell_id == cell_id, Meeting.roll_call_at.is_not(None),
                                                    Meeting.cancelled_at.is_(None), Meeting.closed_at.is_(None))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()))).all()
    return next((i for i, starts in rows if starts.astimezone(VIETNAM).date() == today), None)


async def away_members(session: AsyncSession, cell_id: int, today: date, meeting_id: int | None) -> set[int]:
    """Who the rules leave out of the base: the cell's members transferred out temporarily on `today`, and those
    excused from the meeting (when the vote is held at one)."""
    from .meetings import Attendance, Presence

    away: set[int] = set()
    if "temporary_out" in rules().leave_out:
        away |= set((await session.scalars(
            select(Transfer.member_id).join(Member, Member.id == Transfer.member_id)
            .where(Member.cell_id == cell_id, Transfer.kind == TransferKind.temporary,
                   Transfer.direction == Direction.outgoing, Transfer.state == TransferState.open,
                   Transfer.decided_on <= today, or_(Transfer.until_on.is_(None), Transfer.until_on >= today)))).all())
    if "excused" in rules().leave_out and meeting_id is not None:
        away |= set((await session.scalars(
            select(Attendance.member_id).where(Attendance.meeting_id == meeting_id,
                                               Attendance.status == Presence.excused))).all())
    return away


async def _latest(session: AsyncSession, member_id: int) -> tuple[Conversion, votes.Vote] | None:
    found = (await session.execute(
        select(Conversion, votes.Vote).join(votes.Vote, votes.Vote.id == Conversion.vote_id)
        .where(Conversion.member_id == member_id).order_by(Conversion.opened_at.desc(), Conversion.id.desc())
        .limit(1))).first()
    return (found[0], found[1]) if found else None


async def _passed(session: AsyncSession, vote_id: int) -> votes.VoteResult:
    vote = await votes.get_vote(session, vote_id)
    assert vote is not None, "a conversion's vote is deleted with it"
    return await votes.tally(session, vote)


async def check_open(session: AsyncSession, actor: Actor, member_id: int, today: date,
                     *, lock: bool = False) -> tuple[Member, Unit, tuple[Conversion, votes.Vote] | None]:
    """Whether the conversion vote may open now (ConversionError says why not): a probationary member of a cell
    the actor manages, month 12 passed, the rules' items of the file in, no vote open, none passed waiting."""
    try:
        member, cell = await probation_file._subject(session, actor, member_id)
    except FileError as exc:
        raise ConversionError(exc.reason) from None
    if lock:  # one at a time: a second tap (or officer) waits here for the first one's transaction (PostgreSQL)
        await session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
    assert member.joined_on is not None  # _subject checked
    d = probation.deadlines(member.joined_on, today, member.ceremony_on)
    if d.status not in (probation.Status.conversion_due, probation.Status.lapsed):
        raise ConversionError("too_early", day=d.month12)
    done = set((await session.scalars(select(ProbationFileItem.item)
                                      .where(ProbationFileItem.member_id == member.id))).all())
    missing = [i for i in rules().vote_needs if i not in done]
    if missing:
        raise ConversionError("file_incomplete", missing=missing)
    latest = await _latest(session, member.id)
    if latest is not None:
        conversion, vote = latest
        if vote.closed_at is None:
            raise ConversionError("vote_open")
        if conversion.decided_at is None and (await _passed(session, vote.id)).passed:
            raise ConversionError("awaiting_decision")
        await _check_again(session, member.id, vote.closed_at, today)
    return member, cell, latest


async def _check_again(session: AsyncSession, member_id: int, closed_at: datetime, today: date) -> None:
    """Another vote after one that did not pass: not past the rules' number of votes (ConversionError
    votes_exhausted: the committee above decides), nor before the rules' days from the last one closed
    (revote_too_soon, with the day it may be held)."""
    r = rules()
    held = await session.scalar(select(func.count(Conversion.id)).where(Conversion.member_id == member_id)) or 0
    if r.max_votes and held >= r.max_votes:
        raise ConversionError("votes_exhausted", count=held)
    again = closed_at.astimezone(VIETNAM).date() + timedelta(days=r.revote_after_days)
    if today < again:
        raise ConversionError("revote_too_soon", day=again)


async def open_conversion_vote(session: AsyncSession, actor: Actor, member_id: int, question: str, *,
                               today: date | None = None) -> Conversion:
    """Open the cell's vote on a probationary member's conversion; refused as check_open says. The caller
    commits."""
    today = today or local_today()
    member, cell, latest = await check_open(session, actor, member_id, today, lock=True)
    meeting_id = await _meeting_today(session, cell.id, today)
    away = await away_members(session, cell.id, today, meeting_id)
    try:
        vote = await votes.open_vote(session, actor, cell_id=cell.id, question=question, rule=rules().pass_rule,
                                     closes_at=clock.now() + timedelta(hours=rules().vote_hours),
                                     meeting_id=meeting_id, away=away)
    except votes.VoteError as exc:
        raise ConversionError("not_allowed" if exc.reason == "not_allowed" else "vote", why=exc.reason) from None
    conversion = Conversion(member_id=member.id, vote_id=vote.id, opened_at=clock.now())
    session.add(conversion)
    await session.flush()
    await audit.record(session, "conversion_vote_opened", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member.id,
                       detail={"vote_id": vote.id, "conversion_id": conversion.id, "away": len(away),
                               "meeting_id": meeting_id, "again": latest is not None})
    return conversion


@dataclass(frozen=True)
class State:
    """What the member's card shows of the latest conversion vote."""

    conversion: Conversion
    vote: votes.Vote
    result: votes.VoteResult

    @property
    def open(self) -> bool:
        return self.vote.closed_at is None

    @property
    def passed(self) -> bool:
        return not self.open and self.result.passed


async def state(session: AsyncSession, member_id: int) -> State | None:
    latest = await _latest(session, member_id)
    if latest is None:
        return None
    vote = await votes.get_vote(session, latest[1].id)
    assert vote is not None
    return State(latest[0], vote, await votes.tally(session, vote))


@dataclass(frozen=True)
class Offer:
    """What the member's card offers of the conversion to the officer looking at it."""

    state: State | None
    may_open: bool  # 🗳: month 12 passed, no vote open, none passed waiting (the file is checked on the tap)
    may_decide: bool  # 🎓: a passed vote waits, and the officer is a committee above the cell


async def offer(session: AsyncSession, actor: Actor, card: probation_file.Card) -> Offer:
    found = await state(session, card.member_id)
    due = card.deadlines.status in (probation.Status.conversion_due, probation.Status.lapsed)
    waits = found is not None and found.passed and found.conversion.decided_at is None
    path = await session.scalar(select(Unit.path).where(Unit.id == card.cell_id))
    return Offer(found, due and not waits and (found is None or not found.open),
                 waits and path is not None and may_decide(actor, path))


# --- the committee's decision ---------------------------------------------------------------------------------------
def may_decide(actor: Actor, cell_path: str) -> bool:
    """A committee above the member's cell (a role on a cell gives none), or an administrator."""
    paths = committee_paths(actor, Action.decide_conversion)
    return paths is None or any(cell_path.startswith(p) for p in paths)


async def _deciding(session: AsyncSession, actor: Actor, conversion_id: int,
                    *, lock: bool = False) -> tuple[Conversion, Member, Unit]:
    """The conversion a committee above the member's cell may decide on, not decided yet."""
    stmt = (select(Conversion, Member, Unit).join(Member, Member.id == Conversion.member_id)
            .join(Unit, Unit.id == Member.cell_id).where(Conversion.id == conversion_id))
    found = (await session.execute(stmt.with_for_update(of=Conversion) if lock else stmt)).first()
    if found is None or not may_decide(actor, found[2].path):
        raise ConversionError("not_allowed")
    conversion, member, cell = found
    if conversion.decided_at is not None or member.official_on is not None:
        raise ConversionError("decided")
    return conversion, member, cell


async def decide(session: AsyncSession, actor: Actor, conversion_id: int, official_on: date | None = None, *,
                 today: date | None = None) -> Member:
    """The committee's decision on a passed conversion vote: "Ngày chính thức" set (month 12 unless a day is
    given: not before it, not in the future), the file's two resolutions ticked, audited, the member told once.
    Refused: not a committee above the cell, a vote still open or not passed, decided already."""
    today = today or local_today()
    conversion, member, _cell = await _deciding(session, actor, conversion_id, lock=True)
    vote = await votes.get_vote(session, conversion.vote_id)
    if vote is None or vote.closed_at is None:
        raise ConversionError("vote_not_closed")
    if not (await votes.tally(session, vote)).passed:
        raise ConversionError("not_passed")
    assert member.joined_on is not None  # a probationary member's vote was opened
    month12 = probation.deadlines(member.joined_on, today, member.ceremony_on).month12
    official_on = official_on or month12
    if official_on < month12:
        raise ConversionError("before_month12", day=month12)
    if official_on > today:
        raise ConversionError("future")
    now = clock.now()
    member.official_on = official_on
    conversion.official_on, conversion.decided_at, conversion.decided_by_member_id = official_on, now, actor.member_id
    for item in ("cell_resolution", "committee_resolution"):
        if item in probation_file.items() and await session.get(ProbationFileItem, (member.id, item)) is None:
            session.add(ProbationFileItem(member_id=member.id, item=item, done_on=today, by_member_id=actor.member_id))
    await session.flush()
    await audit.record(session, "conversion_decided", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member.id,
                       detail={"conversion_id": conversion.id, "vote_id": vote.id,
                               "official_on": official_on.isoformat()})
    await deliveries.queue_to_members(session, DECIDED_DELIVERY, conversion.id, [member.id], not_before=now)
    return member


@dataclass(frozen=True)
class Pending:
    """A passed vote the committee is asked to decide on: whom, and the default "Ngày chính thức"."""

    conversion_id: int
    member_id: int
    full_name: str
    cell_name: str
    month12: date
    result: votes.VoteResult


async def pending(session: AsyncSession, actor: Actor, conversion_id: int, today: date | None = None) -> Pending:
    """The decision's confirmation: refused as decide() would be (the day aside)."""
    today = today or local_today()
    conversion, member, cell = await _deciding(session, actor, conversion_id)
    result = await _passed(session, conversion.vote_id)
    if result.closed_at is None:
        raise ConversionError("vote_not_closed")
    if not result.passed:
        raise ConversionError("not_passed")
    assert member.joined_on is not None
    return Pending(conversion.id, member.id, member.full_name, cell.name,
                   probation.deadlines(member.joined_on, today, member.ceremony_on).month12, result)


@dataclass(frozen=True)
class Waiting:
    conversion_id: int
    member_id: int
    full_name: str
    cell_name: str
    result: votes.VoteResult
    decides: bool = True  # the actor is a committee above the cell (may_decide)


async def _waiting(session: AsyncSession, actor: Actor, paths: list[str] | None, limit: int) -> list[Waiting]:
    if paths == []:
        return []
    stmt = (select(Conversion.id, Conversion.vote_id, Member.id, Member.full_name, Unit.name, Unit.path)
            .join(Member, Member.id == Conversion.member_id).join(Unit, Unit.id == Member.cell_id)
            .join(votes.Vote, votes.Vote.id == Conversion.vote_id)
            .where(and_(Conversion.decided_at.is_(None), Member.official_on.is_(None),
                        votes.Vote.closed_at.is_not(None)))
            .order_by(votes.Vote.closed_at, Conversion.id).limit(limit))
    if paths is not None:
        stmt = stmt.where(within_clause(paths))
    found = []
    for conversion_id, vote_id, member_id, name, cell_name, path in (await session.execute(stmt)).all():
        result = await _passed(session, vote_id)
        if result.passed:
            found.append(Waiting(conversion_id, member_id, name, cell_name, result, may_decide(actor, path)))
    return found


async def waiting(session: AsyncSession, actor: Actor, limit: int = 100) -> list[Waiting]:
    """The passed conversion votes waiting for this committee's decision (cells below it), oldest first."""
    return await _waiting(session, actor, committee_paths(actor, Action.decide_conversion), limit)


async def awaiting_committee(session: AsyncSession, actor: Actor, limit: int = 100) -> list[Waiting]:
    """The to-do's: the passed conversion votes of the cells `actor` manages (a secretary's own cell, a
    committee's cells below it) not decided yet, oldest first; `decides` says whether the actor decides."""
    return await _waiting(session, actor, scope_paths(actor, Action.manage_cell), limit)


async def waiting_count(session: AsyncSession, actor: Actor) -> int:
    return len(await waiting(session, actor))


async def told(session: AsyncSession, conversion_id: int) -> tuple[str, date] | None:
    """What the member is told: their name and "Ngày chính thức" (None: no such decision)."""
    found = (await session.execute(
        select(Member.full_name, Conversion.official_on).join(Member, Member.id == Conversion.member_id)
        .where(Conversion.id == conversion_id, Conversion.decided_at.is_not(None)))).first()
    return (found[0], found[1]) if found and found[1] is not None else None
