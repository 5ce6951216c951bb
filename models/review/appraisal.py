"""The cell's appraisal (issue 16): the cell's officers (and the committees above it) read each member's sent
self-review, record the cell's comments on the member, and the cell votes the level it proposes — one vote
per member with the votes' engine, only called here: a secret ballot of the cell's full members (probationary
members get it to read, Charter art. 3), the base all the cell's full members (art. 10), its four options the
levels in order. When a vote closes (the clock, or the secretary ending the meeting's votes at once), `settle`
keeps its counts and the level more than half of the base chose becomes the entry's proposal, once; without
such a level the cell votes again, or the secretary picks the level with a reason (audited). No Telegram."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import audit, clock, deliveries, votes
from ..dates import VIETNAM
from ..meetings.schema import Meeting, MeetingKind, MeetingState
from ..members import Member
from ..permissions import Action, Actor, may
from ..sql import rowcount
from ..text import clean_text
from ..units import Unit
from .entries import Sheet, _found
from .errors import ReviewError
from .rules import Level, rules
from .schema import ReviewEntry, ReviewRound, RoundState

LEVELS = (Level.excellent, Level.good, Level.done, Level.failed)  # a vote's options, positions 1…4
REASON_MAX = 500  # the secretary's or the committee's reason for a level
MEETING_AFTER_DAYS = 60  # a review meeting this long after the cells' deadline still belongs to the round


@dataclass(frozen=True)
class Appraised:
    """A reviewed member's line in the cell's appraisal and in the committee's view of the cell."""

    entry_id: int
    member_id: int
    full_name: str
    submitted: bool
    by_proxy: bool
    total: int  # the self-score
    self_level: Level | None
    commented: bool
    vote_id: int | None
    counts: dict[str, Any] | None  # the closed vote's counts: level → count, "base", "cast"
    proposed: Level | None
    proposal_reason: str | None  # the secretary picked the level (no majority)
    decided: Level | None
    decision_reason: str | None

    @property
    def state(self) -> str:
        """waiting (not sent), sent (no vote yet), voting, no_majority, proposed."""
        if self.proposed is not None:
            return "proposed"
        if not self.submitted:
            return "waiting"
        if self.vote_id is None:
            return "sent"
        return "voting" if self.counts is None else "no_majority"


@dataclass(frozen=True)
class ReviewMeeting:
    """The cell's review meeting (a meeting of kind "kiểm điểm") where its comments and votes are made."""

    id: int
    starts_at: datetime
    state: MeetingState
    roll_called: bool  # the roll was called: the counts below are the meeting's
    present: int
    members: int


@dataclass(frozen=True)
class Appraisal:
    round: ReviewRound
    cell_id: int
    cell_name: str
    lines: list[Appraised]
    meeting: ReviewMeeting | None = None

    def count(self, state: str) -> int:
        return sum(1 for x in self.lines if x.state == state)


def total_of(rnd: ReviewRound, entry: ReviewEntry) -> int:
    points = entry.points or {}
    return sum(int(points.get(g.id, 0)) for g in rules(rnd.rules_id).groups(entry.form))


def clean_reason(text: str | None) -> str:
    """A reason typed for a level: it must say something and fit. Raises ReviewError reason_empty, reason_long."""
    reason = clean_text(text)
    if not reason:
        raise ReviewError("reason_empty")
    if len(reason) > REASON_MAX:
        raise ReviewError("reason_long")
    return reason


async def round_cell(session: AsyncSession, round_id: int, cell_id: int) -> tuple[ReviewRound, Unit] | None:
    """The round and the cell (ids from a button: not trusted) when the round has entries of that cell."""
    found = (await session.execute(
        select(ReviewRound, Unit).join(ReviewEntry, ReviewEntry.round_id == ReviewRound.id)
        .join(Unit, Unit.id == ReviewEntry.cell_id)
        .where(ReviewRound.id == round_id, ReviewEntry.cell_id == cell_id).limit(1))).first()
    return None if found is None else (found[0], found[1])


async def lines_of(session: AsyncSession, rnd: ReviewRound, cell_id: int) -> list[Appraised]:
    """The reviewed (not exempt) members of the cell in the round, by name."""
    rows = (await session.execute(
        select(ReviewEntry, Member.full_name).join(Member, Member.id == ReviewEntry.member_id)
        .where(ReviewEntry.round_id == rnd.id, ReviewEntry.cell_id == cell_id, ReviewEntry.exempt_reason.is_(None))
        .order_by(Member.sort_name, Member.id).execution_options(populate_existing=True))).all()
    return [line_of(rnd, e, name) for e, name in rows]


def line_of(rnd: ReviewRound, e: ReviewEntry, name: str) -> Appraised:
    return Appraised(e.id, e.member_id, name, e.submitted, e.by_proxy, total_of(rnd, e), e.self_level,
                     bool(e.cell_comment), e.proposal_vote_id, e.proposal_counts, e.proposed_level,
                     e.proposal_reason, e.decided_level, e.decision_reason)


async def appraisal(session: AsyncSession, actor: Actor, round_id: int, cell_id: int) -> Appraisal:
    """The cell's page for its officers (and the committees above): the closed votes settled first."""
    found = await round_cell(session, round_id, cell_id)
    if found is None or not may(actor, Action.appraise_review, found[1].path):
        raise ReviewError("not_allowed")
    rnd, cell = found
    await settle(session, round_id=rnd.id, cell_id=cell.id)
    return Appraisal(rnd, cell.id, cell.name, await lines_of(session, rnd, cell.id),
                     await review_meeting(session, rnd, cell.id))


async def review_meeting(session: AsyncSession, rnd: ReviewRound, cell_id: int) -> ReviewMeeting | None:
    """The cell's meeting of kind "kiểm điểm" for this round: the last one not cancelled from the round's year
    on, up to MEETING_AFTER_DAYS after the cells' deadline (a meeting held late still counts); None if none."""
    start = datetime.combine(date(rnd.year, 1, 1), time(0), tzinfo=VIETNAM)
    end = datetime.combine(rnd.meeting_deadline + timedelta(days=MEETING_AFTER_DAYS), time(23, 59), tzinfo=VIETNAM)
    m = await session.scalar(
        select(Meeting).where(Meeting.cell_id == cell_id, Meeting.kind == MeetingKind.review,
                              Meeting.state != MeetingState.cancelled, Meeting.starts_at >= start,
                              Meeting.starts_at <= end)
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(1))
    if m is None:
        return None
    return ReviewMeeting(m.id, m.starts_at, m.state, m.roll_call_at is not None, m.present_count, m.member_count)


async def member_sheet(session: AsyncSession, actor: Actor, entry_id: int) -> Sheet:
    """A member's sent self-review as the cell's officers read it (their own cell, or a committee above it):
    no one else, and nothing before it is sent. Raises ReviewError not_allowed, not_submitted."""
    found = await _found(session, entry_id)
    if found is None or not may(actor, Action.appraise_review, found[4]):
        raise ReviewError("not_allowed")
    entry, rnd, name, cell_name, _path = found
    if entry.exempt or not entry.submitted:
        raise ReviewError("not_submitted")
    return Sheet(entry, rnd, name, cell_name, proxy=entry.by_proxy)


async def _appraisable(session: AsyncSession, actor: Actor, entry_id: int) -> Sheet:
    """An entry the cell may still appraise: sent, its member still in the cell, the round open, not decided."""
    s = await member_sheet(session, actor, entry_id)
    if s.round.state is not RoundState.open:
        raise ReviewError("closed")
    if await session.scalar(select(Member.cell_id).where(Member.id == s.entry.member_id)) != s.entry.cell_id:
        raise ReviewError("not_in_cell")
    if s.entry.decided_level is not None:
        raise ReviewError("decided")
    return s


async def set_comment(session: AsyncSession, actor: Actor, entry_id: int, text: str | None) -> Sheet:
    """The cell's comments on a member (blank: none). Raises ReviewError text_long (whole text refused)."""
    s = await _appraisable(session, actor, entry_id)
    comment = clean_text(text)
    if len(comment) > s.rules.text_max:
        raise ReviewError("text_long")
    s.entry.cell_comment = comment or None
    await audit.record(session, "review_commented", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=s.entry.member_id,
                       detail={"entry": s.entry.id, "chars": len(comment)})
    await session.flush()
    return s


def _may_vote_on(s: Sheet) -> None:
    """A vote may be opened on this entry: no proposal yet, no vote under way (a vote without a majority may
    be held again). Raises ReviewError proposed, voting."""
    e = s.entry
    if e.proposed_level is not None:
        raise ReviewError("proposed")
    if e.proposal_vote_id is not None and e.proposal_counts is None:
        raise ReviewError("voting")


async def open_votes(session: AsyncSession, actor: Actor, round_id: int, cell_id: int, *,
                     question: Callable[[str, int], str], labels: Sequence[str], entry_id: int | None = None,
                     closes_at: datetime | None = None) -> list[int]:
    """Open the cell's vote on the level of one member (`entry_id`) or of every sent member without a
    proposal or a vote under way (one tap at the meeting). `question(name, year)` and `labels` (the four levels, in
    LEVELS' order) are the words of the opener's language. Returns the votes' ids. Raises ReviewError
    not_allowed, not_in_cell (a member of another cell, or moved away), nothing_to_vote (and _appraisable's)."""
    found = await round_cell(session, round_id, cell_id)
    if found is None or not may(actor, Action.appraise_review, found[1].path):
        raise ReviewError("not_allowed")
    if found[0].state is not RoundState.open:
        raise ReviewError("closed")
    if len(labels) != len(LEVELS):
        raise ValueError("one label per level")
    if entry_id is not None:
        if await session.scalar(select(ReviewEntry.cell_id).where(ReviewEntry.id == entry_id,
                                                                  ReviewEntry.round_id == round_id)) != cell_id:
            raise ReviewError("not_in_cell")
        s = await _appraisable(session, actor, entry_id)
        _may_vote_on(s)
        sheets = [s]
    else:
        sheets = []
        for x in await lines_of(session, found[0], cell_id):
            try:
                s = await _appraisable(session, actor, x.entry_id)
                _may_vote_on(s)
            except ReviewError:
                continue
            sheets.append(s)
    if not sheets:
        raise ReviewError("nothing_to_vote")
    opened = []
    closes_at = closes_at or clock.now() + votes.DEFAULT_DURATION  # one closing time: the batch's results go as one
    for s in sheets:
        try:
            vote = await votes.open_vote(
                session, actor, cell_id=cell_id, question=question(s.full_name, s.round.year), options=list(labels),
                ballot=votes.BallotKind.secret, electorate=votes.Electorate.members, rule=votes.PassRule.members,
                closes_at=closes_at, may_change=False)
        except votes.VoteError as exc:
            raise ReviewError("not_allowed" if exc.reason == "not_allowed" else "vote_failed") from exc
        s.entry.proposal_vote_id, s.entry.proposal_counts = vote.id, None
        opened.append(vote.id)
    await audit.record(session, "review_votes_opened", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id,
                       detail={"round": round_id, "cell": cell_id, "votes": opened,
                               "entries": [s.entry.id for s in sheets]})
    await session.flush()
    return opened


async def close_votes(session: AsyncSession, actor: Actor, round_id: int, cell_id: int) -> int:
    """End the cell's votes on levels still open (the meeting is over): closed by the votes' engine, settled.
    Returns how many were closed. Raises ReviewError not_allowed, closed."""
    found = await round_cell(session, round_id, cell_id)
    if found is None or not may(actor, Action.appraise_review, found[1].path):
        raise ReviewError("not_allowed")
    if found[0].state is not RoundState.open:
        raise ReviewError("closed")
    pending = (await session.scalars(
        select(ReviewEntry.proposal_vote_id).join(votes.Vote, votes.Vote.id == ReviewEntry.proposal_vote_id)
        .where(ReviewEntry.round_id == round_id, ReviewEntry.cell_id == cell_id,
               ReviewEntry.proposal_counts.is_(None), votes.Vote.closed_at.is_(None))
        .order_by(ReviewEntry.id))).all()
    closed = [v for v in pending if v is not None and await votes.close_vote(session, v, by=actor)]
    await settle(session, round_id=round_id, cell_id=cell_id)
    return len(closed)


async def _proposal_of(session: AsyncSession, vote: votes.Vote) -> tuple[dict[str, Any], Level | None]:
    """A closed vote's counts by level (with "base" and "cast") and the level more than half chose, if any."""
    result = await votes.tally(session, vote)
    counts: dict[str, Any] = {LEVELS[o.position - 1].value: o.count for o in result.options
                              if 1 <= o.position <= len(LEVELS)}
    counts.update(base=result.base, cast=result.cast)
    adopted = result.adopted
    level = LEVELS[adopted.position - 1] if adopted is not None and adopted.position <= len(LEVELS) else None
    return counts, level


# --- the results of a batch of votes, one message ----------------------------------------------------------------
VOTES_DELIVERY = "review_votes"  # ref_id: the first vote of a batch closing together — one summary per elector


async def _batch(session: AsyncSession, vote_id: int) -> list[int]:
    """The level votes opened together with this one (the cell's, the round's, the same closing time), by id;
    [] for a vote that is not a level vote."""
    e, v = ReviewEntry, votes.Vote
    row = (await session.execute(select(e.round_id, e.cell_id, v.closes_at).join(v, v.id == e.proposal_vote_id)
                                 .where(e.proposal_vote_id == vote_id))).first()
    if row is None:
        return []
    return list((await session.scalars(
        select(v.id).join(e, e.proposal_vote_id == v.id)
        .where(e.round_id == row.round_id, e.cell_id == row.cell_id, v.closes_at == row.closes_at).order_by(v.id)
    )).all())


async def _results_together(session: AsyncSession, vote: votes.Vote, now: datetime) -> bool:
    """The votes' engine's route (votes.RESULT_ROUTES): the levels voted in one batch are told in ONE message per
    elector once the last of them closes, not one result per member. A vote alone keeps the engine's result."""
    batch = await _batch(session, vote.id)
    if len(batch) < 2:
        return False
    still_open = await session.scalar(select(func.count()).select_from(votes.Vote)
                                      .where(votes.Vote.id.in_(batch), votes.Vote.closed_at.is_(None)))
    if not still_open:
        electors = (await session.scalars(select(votes.Elector.member_id).where(votes.Elector.vote_id.in_(batch))
                                          .distinct().order_by(votes.Elector.member_id))).all()
        await deliveries.queue_to_members(session, VOTES_DELIVERY, batch[0], electors, not_before=now)
    return True


votes.RESULT_ROUTES.append(_results_together)


@dataclass(frozen=True)
class BatchResult:
    """What one summary says: the round's year, the cell, and each member's level voted (None: no majority)."""
    year: int
    cell_name: str
    lines: list[tuple[str, Level | None, dict[str, Any]]]


async def batch_results(session: AsyncSession, vote_id: int) -> BatchResult | None:
    """The results of the batch `vote_id` opens, in the order the votes were opened; None when none is closed."""
    batch = await _batch(session, vote_id)
    e = ReviewEntry
    found = (await session.execute(
        select(ReviewRound.year, Unit.name).join(e, e.round_id == ReviewRound.id).join(Unit, Unit.id == e.cell_id)
        .where(e.proposal_vote_id == vote_id))).first()
    if not batch or found is None:
        return None
    names = dict((await session.execute(select(e.proposal_vote_id, Member.full_name)
                                        .join(Member, Member.id == e.member_id)
                                        .where(e.proposal_vote_id.in_(batch)))).all())
    lines = []
    for vid in batch:
        vote = await votes.get_vote(session, vid)
        if vote is None or vote.closed_at is None:
            continue
        counts, level = await _proposal_of(session, vote)
        lines.append((names[vid], level, counts))
    return BatchResult(found.year, found.name, lines) if lines else None


async def settle(session: AsyncSession, *, round_id: int | None = None, cell_id: int | None = None,
                 limit: int = 200) -> int:
    """Keep the counts of the closed votes on levels not settled yet; the level more than half of the base
    chose becomes the proposal. Each entry once, however many callers race (a conditional UPDATE)."""
    stmt = (select(ReviewEntry.id, ReviewEntry.member_id, ReviewEntry.proposal_vote_id)
            .join(votes.Vote, votes.Vote.id == ReviewEntry.proposal_vote_id)
            .where(ReviewEntry.proposal_vote_id.is_not(None), ReviewEntry.proposal_counts.is_(None),
                   votes.Vote.closed_at.is_not(None))  # the first condition: the index on the vote's id serves
            .order_by(ReviewEntry.id).limit(limit))
    if round_id is not None:
        stmt = stmt.where(ReviewEntry.round_id == round_id)
    if cell_id is not None:
        stmt = stmt.where(ReviewEntry.cell_id == cell_id)
    done = 0
    for entry_id, member_id, vote_id in (await session.execute(stmt)).all():
        vote = await votes.get_vote(session, vote_id) if vote_id is not None else None
        if vote is None:
            continue
        counts, level = await _proposal_of(session, vote)
        won = await session.execute(
            update(ReviewEntry).where(ReviewEntry.id == entry_id, ReviewEntry.proposal_vote_id == vote_id,
                                      ReviewEntry.proposal_counts.is_(None))
            .values(proposal_counts=counts, proposed_level=level).execution_options(synchronize_session=False))
        if rowcount(won) != 1:
            continue
        done += 1
        await audit.record(session, "review_proposed", subject_member_id=member_id,
                           detail={"entry": entry_id, "vote": vote_id, "level": level.value if level else None,
                                   "counts": counts})
    return done


async def settle_due(session: AsyncSession) -> list[tuple[str, int]]:
    """The clock's tick: votes closed by their time become proposals. Nothing is queued."""
    await settle(session)
    return []


async def pick_level(session: AsyncSession, actor: Actor, entry_id: int, level: Level, reason: str | None) -> Sheet:
    """The secretary's level for a member whose vote ended without a majority, with her reason (audited).
    Raises ReviewError proposed, no_vote (none held, or one under way), reason_empty, reason_long."""
    s = await _appraisable(session, actor, entry_id)
    e = s.entry
    if e.proposed_level is not None:
        raise ReviewError("proposed")
    if e.proposal_counts is None:
        raise ReviewError("no_vote")
    why = clean_reason(reason)
    e.proposed_level, e.proposal_reason = level, why
    await audit.record(session, "review_level_picked", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=e.member_id,
                       detail={"entry": e.id, "level": level.value, "counts": e.proposal_counts, "reason": why})
    await session.flush()
    return s
