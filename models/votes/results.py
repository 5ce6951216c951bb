"""Counting a vote: its result under every base, the turnout, the roll of an open ballot."""
from __future__ import annotations

__all__ = ["OptionResult", "RollLine", "Turnout", "VoteResult", "results_for_meeting", "roll", "tally", "turnout"]

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ..members import Member
from .rules import at_least_two_thirds, more_than_half
from .tables import (
    Ballot,
    BallotKind,
    Elector,
    Electorate,
    OptionKind,
    PassRule,
    SecretTally,
    SecretVoter,
    Vote,
    VoteError,
)


# --- counting ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OptionResult:
    position: int
    kind: OptionKind
    label: str  # empty for the standard options: the reader translates them
    count: int
    texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class VoteResult:
    """A vote's counts and every base a percentage can be taken of; `passed` under the vote's rule."""

    vote_id: int
    question: str
    cell_id: int
    meeting_id: int | None
    ballot: BallotKind
    electorate: Electorate
    rule: PassRule
    options: tuple[OptionResult, ...]
    cast: int  # ballots cast
    eligible: int  # members entitled to vote
    present: int | None  # full members present at the meeting; None for a vote without one
    members: int  # the cell's full members in the base (exempt non-voters left out if the cell says so)
    members_total: int  # the cell's full members when the vote opened
    exempt_left_out: int
    closed: bool
    closes_at: datetime
    closed_at: datetime | None = None
    away_left_out: int = 0  # full members away (transferred out, excused) who did not vote: not in a two-thirds base

    def base_of(self, rule: PassRule) -> int | None:
        return {PassRule.members: self.members, PassRule.present: self.present, PassRule.cast: self.cast,
                PassRule.two_thirds: self.members - self.away_left_out}[rule]

    @property
    def base(self) -> int:
        return self.base_of(self.rule) or 0

    @property
    def standard(self) -> bool:
        return any(o.kind is OptionKind.agree for o in self.options)

    @property
    def agree(self) -> OptionResult | None:
        return next((o for o in self.options if o.kind is OptionKind.agree), None)

    @property
    def adopted(self) -> OptionResult | None:
        """The option more than half of the base chose (for a standard vote: "Đồng ý" or none); at least two
        thirds of it under the "two thirds" rule."""
        enough = at_least_two_thirds if self.rule is PassRule.two_thirds else more_than_half
        candidates = [self.agree] if self.standard else [o for o in self.options if o.kind is OptionKind.choice]
        return next((o for o in candidates if o is not None and enough(o.count, self.base)), None)

    @property
    def passed(self) -> bool:
        return self.adopted is not None

    def count(self, position: int) -> int:
        return next((o.count for o in self.options if o.position == position), 0)


async def tally(session: AsyncSession, vote: Vote) -> VoteResult:
    """Count a vote (open or closed). `vote` must have its options loaded."""
    if vote.is_secret:
        rows = (await session.execute(
            select(SecretTally.position, SecretTally.count, SecretTally.texts).where(SecretTally.vote_id == vote.id)
        )).all()
        counts = {p: c for p, c, _ in rows}
        texts: dict[int, tuple[str, ...]] = {p: tuple(sorted(json.loads(t))) if t else () for p, _, t in rows}
        voters = select(SecretVoter.member_id).where(SecretVoter.vote_id == vote.id)
    else:
        per_option = (await session.execute(
            select(Ballot.position, func.count()).where(Ballot.vote_id == vote.id).group_by(Ballot.position)
        )).all()
        counts = {p: c for p, c in per_option}
        text_rows = (await session.execute(
            select(Ballot.position, Ballot.text).where(Ballot.vote_id == vote.id, Ballot.text.is_not(None))
            .order_by(Ballot.text)
        )).all()
        texts = {}
        for position, value in text_rows:
            if value is not None:  # as the query says
                texts[position] = texts.get(position, ()) + (value,)
        voters = select(Ballot.member_id).where(Ballot.vote_id == vote.id)
    cast = await session.scalar(select(func.count()).select_from(voters.subquery()))
    e = Elector
    voted = e.member_id.in_(voters)
    row = (await session.execute(
        select(
            func.count().filter(e.can_vote.is_(True)),
            func.count().filter(e.full.is_(True)),
            func.count().filter(e.full.is_(True), e.present.is_(True)),
            func.count().filter(e.full.is_(True), e.exempt.is_(True), ~voted),
            # away and not voted, and not left out already as exempt
            func.count().filter(e.full.is_(True), e.away.is_(True), ~voted,
                                *(() if vote.exempt_counted else (e.exempt.is_(False),))),
        ).where(e.vote_id == vote.id)
    )).one()
    eligible, full, present, exempt_absent, away = (int(x or 0) for x in row)
    left_out = 0 if vote.exempt_counted else exempt_absent
    options = tuple(OptionResult(o.position, o.kind, o.label, int(counts.get(o.position, 0)),
                                 texts.get(o.position, ())) for o in vote.options)
    return VoteResult(
        vote_id=vote.id, question=vote.question, cell_id=vote.cell_id, meeting_id=vote.meeting_id,
        ballot=vote.ballot, electorate=vote.electorate, rule=vote.rule, options=options, cast=int(cast or 0),
        eligible=eligible, present=present if vote.meeting_id is not None else None, members=full - left_out,
        members_total=full, exempt_left_out=left_out, closed=vote.closed_at is not None, closes_at=vote.closes_at,
        closed_at=vote.closed_at, away_left_out=away,
    )


async def results_for_meeting(session: AsyncSession, meeting_id: int) -> list[VoteResult]:
    """The votes of a meeting and their results, in the order they were opened (for the minutes)."""
    votes = (await session.scalars(
        select(Vote).where(Vote.meeting_id == meeting_id).options(selectinload(Vote.options))
        .order_by(Vote.opened_at, Vote.id)
    )).all()
    return [await tally(session, v) for v in votes]


@dataclass(frozen=True)
class Turnout:
    voted: int
    eligible: int
    not_voted: tuple[str, ...]  # names, for the opener's status


async def turnout(session: AsyncSession, vote: Vote, names: int = 30) -> Turnout:
    model = SecretVoter if vote.is_secret else Ballot
    voters = select(model.member_id).where(model.vote_id == vote.id)
    voted = await session.scalar(select(func.count()).select_from(voters.subquery()))
    eligible = await session.scalar(
        select(func.count()).select_from(Elector).where(Elector.vote_id == vote.id, Elector.can_vote.is_(True))
    )
    missing = (await session.scalars(
        select(Member.full_name).join(Elector, Elector.member_id == Member.id)
        .where(Elector.vote_id == vote.id, Elector.can_vote.is_(True), Elector.member_id.not_in(voters))
        .order_by(Member.sort_name, Member.id).limit(names)
    )).all()
    return Turnout(int(voted or 0), int(eligible or 0), tuple(missing))


@dataclass(frozen=True)
class RollLine:
    name: str
    position: int | None  # None: did not vote
    text: str | None = None


async def roll(session: AsyncSession, vote: Vote) -> list[RollLine]:
    """Open ballots only: who chose what, and who did not vote. Never for a secret ballot."""
    if vote.is_secret:
        raise VoteError("secret")
    rows = (await session.execute(
        select(Member.full_name, Ballot.position, Ballot.text)
        .select_from(Elector)
        .join(Member, Member.id == Elector.member_id)
        .outerjoin(Ballot, (Ballot.vote_id == Elector.vote_id) & (Ballot.member_id == Elector.member_id))
        .where(Elector.vote_id == vote.id, Elector.can_vote.is_(True))
        .order_by(Member.sort_name, Member.id)
    )).all()
    return [RollLine(name, position, text) for name, position, text in rows]
