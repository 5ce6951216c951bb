"""Opening a vote (its electors fixed, its ballots queued) and casting a ballot, open or secret."""
from __future__ import annotations

__all__ = [
    "REFUSED", "Cast", "CastResult", "cast_ballot", "choice_of", "elector", "get_vote", "has_voted", "open_vote",
    "record_new", "set_status_message",
]

import enum
import json
import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, case, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import ColumnElement

from .. import audit, clock, deliveries
from ..base import UTCDateTime
from ..members import Member
from ..permissions import Actor, may_manage_cell
from ..sql import dialect_name, upsert
from ..text import clean_line
from ..units import Unit
from .rules import check_closing, clean_options, clean_text
from .tables import (
    ABSENT_DELIVERY,
    BALLOT_DELIVERY,
    DEFAULT_DURATION,
    DEFAULT_REMINDER,
    PROBATION_DELIVERY,
    QUESTION_MAX,
    STANDARD_OPTIONS,
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
    VoteOption,
    _ElectorRow,
)


async def _present_ids(session: AsyncSession, meeting_id: int) -> set[int]:
    from ..meetings import present_member_ids  # meetings is its own feature; only votes of a meeting need it

    return set(await present_member_ids(session, meeting_id))


async def _meeting_cell(session: AsyncSession, meeting_id: int) -> int | None:
    from ..meetings import Meeting

    return await session.scalar(select(Meeting.cell_id).where(Meeting.id == meeting_id))

# --- opening ---------------------------------------------------------------------------------------------
async def open_vote(
    session: AsyncSession,
    actor: Actor,
    *,
    cell_id: int,
    question: str,
    options: list[str] | None = None,
    ballot: BallotKind = BallotKind.open,
    electorate: Electorate = Electorate.members,
    rule: PassRule = PassRule.members,
    closes_at: datetime | None = None,
    results_live: bool = False,
    may_change: bool = True,
    meeting_id: int | None = None,
    remind_before: timedelta | None = DEFAULT_REMINDER,
    away: Collection[int] = (),
) -> Vote:
    """Open a vote of one cell and queue its ballots; raises VoteError. The caller commits.

    `away`: members of the cell the opener knows to be away (transferred out for a while, excused from the
    meeting); they still get the ballot, and a "two thirds" vote leaves them out of its base unless they vote."""
    question = clean_line(question)
    if not question:
        raise VoteError("question_empty")
    if len(question) > QUESTION_MAX:
        raise VoteError("question_long", limit=QUESTION_MAX)
    labels = clean_options(options)
    cell = await session.get(Unit, cell_id)
    if cell is None or not may_manage_cell(actor, cell):
        raise VoteError("not_allowed")
    now = clock.now()
    closes_at = closes_at or now + DEFAULT_DURATION
    check_closing(closes_at, now)
    if meeting_id is not None and await _meeting_cell(session, meeting_id) != cell.id:
        raise VoteError("meeting_other_cell")
    if meeting_id is None and (electorate is Electorate.present or rule is PassRule.present):
        raise VoteError("meeting_needed")
    if ballot is BallotKind.secret:
        # Live counts of a secret ballot, watched as members tap, would give their choices away.
        results_live, may_change = False, False
    remind_at = closes_at - remind_before if remind_before else None
    if remind_at is not None and remind_at < now + timedelta(minutes=10):
        remind_at = None
    vote = Vote(cell_id=cell.id, meeting_id=meeting_id, opened_by_member_id=actor.member_id, question=question,
                ballot=ballot, electorate=electorate, rule=rule, results_live=results_live,
                may_change=may_change, exempt_counted=cell.exempt_counted, opened_at=now, closes_at=closes_at,
                remind_at=remind_at)
    session.add(vote)
    await session.flush()
    if labels:
        rows = [VoteOption(vote_id=vote.id, position=i, kind=OptionKind.choice, label=label)
                for i, label in enumerate(labels, 1)]
    else:
        rows = [VoteOption(vote_id=vote.id, position=i, kind=kind, label="")
                for i, kind in enumerate(STANDARD_OPTIONS, 1)]
    session.add_all(rows)
    await session.flush()  # the tallies refer to the options
    if vote.is_secret:
        session.add_all(SecretTally(vote_id=vote.id, position=o.position, count=0) for o in rows)
    present = await _present_ids(session, meeting_id) if meeting_id is not None else None
    members = (await session.execute(
        select(Member.id, Member.official_on, Member.exempt)
        .where(Member.cell_id == cell.id, Member.living)  # a member who died is in no base
        .order_by(Member.id)
    )).all()
    electors: list[_ElectorRow] = []
    for member_id, official_on, exempt in members:
        full = official_on is not None
        here = None if present is None else member_id in present
        can_vote = full and (electorate is Electorate.members or bool(here))
        electors.append({"vote_id": vote.id, "member_id": member_id, "full": full, "exempt": bool(exempt),
                         "present": here, "can_vote": can_vote, "away": member_id in away})
    if electors:
        await session.execute(Elector.__table__.insert(), electors)
    await session.flush()
    await audit.record(session, "vote_opened", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id,
                       detail={"vote_id": vote.id, "cell_id": cell.id, "ballot": ballot.value,
                               "electorate": electorate.value, "rule": rule.value, "meeting_id": meeting_id,
                               "closes_at": closes_at.isoformat()})
    voters = [e["member_id"] for e in electors if e["can_vote"]]
    probation = [e["member_id"] for e in electors if not e["full"]]
    absent = [e["member_id"] for e in electors if e["full"] and not e["can_vote"]]
    await deliveries.queue_to_members(session, BALLOT_DELIVERY, vote.id, voters, not_before=now)
    await deliveries.queue_to_members(session, PROBATION_DELIVERY, vote.id, probation, not_before=now)
    await deliveries.queue_to_members(session, ABSENT_DELIVERY, vote.id, absent, not_before=now)
    return vote


async def get_vote(session: AsyncSession, vote_id: int) -> Vote | None:
    """The vote with its cell and options (one query)."""
    return await _load(session, vote_id)


async def set_status_message(session: AsyncSession, vote_id: int, chat_id: int, message_id: int | None) -> None:
    await session.execute(
        update(Vote).where(Vote.id == vote_id).values(status_chat_id=chat_id, status_message_id=message_id)
        .execution_options(synchronize_session=False)
    )


# --- casting ---------------------------------------------------------------------------------------------
class Cast(str, enum.Enum):
    recorded = "recorded"  # a new ballot
    changed = "changed"  # an open ballot changed to another option (the vote allows it)
    same = "same"  # the ballot already holds this choice: nothing to do
    locked = "locked"  # already voted, and this vote does not allow changing
    text_needed = "text_needed"  # "Ý kiến khác": ask for the text, nothing recorded yet
    closed = "closed"
    no_vote = "no_vote"
    no_option = "no_option"
    not_elector = "not_elector"  # not a member of the cell when it opened (another cell, a stranger)
    probationary = "probationary"  # Charter art. 3
    not_present = "not_present"  # a vote of those present at the meeting


REFUSED = frozenset({Cast.closed, Cast.no_vote, Cast.no_option, Cast.not_elector, Cast.probationary,
                     Cast.not_present})


@dataclass
class CastResult:
    outcome: Cast
    vote: Vote | None = None
    option: VoteOption | None = None  # the chosen option (for `locked`: the member's earlier one, if open)
    text: str | None = None

    @property
    def counted(self) -> bool:
        return self.outcome in (Cast.recorded, Cast.changed, Cast.same)


async def _load(session: AsyncSession, vote_id: int, *, share: bool = False) -> Vote | None:
    """The vote with its cell and options in one query; `share` locks it (PostgreSQL) so that a
    close waits for the ballots in flight, and a ballot after the close sees it closed."""
    stmt = (select(Vote).where(Vote.id == vote_id)
            .options(joinedload(Vote.cell, innerjoin=True), joinedload(Vote.options))
            .execution_options(populate_existing=True))
    if share:
        stmt = stmt.with_for_update(read=True, of=Vote)
    return (await session.scalars(stmt)).unique().one_or_none()


def _guards(vote_id: int, member_id: int, position: int, text: str | None, now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions under which a ballot may be written: the member may vote in it, it is open,
    the option exists (and "Ý kiến khác" comes with its text)."""
    option = [VoteOption.vote_id == vote_id, VoteOption.position == position,
              VoteOption.kind == OptionKind.other if text else VoteOption.kind != OptionKind.other]
    return [
        exists().where(Elector.vote_id == vote_id, Elector.member_id == member_id, Elector.can_vote.is_(True)),
        exists().where(Vote.id == vote_id, Vote.closed_at.is_(None), Vote.closes_at > now),
        exists().where(*option),
    ]


async def cast_ballot(
    session: AsyncSession,
    vote_id: int,
    member_id: int | None,
    position: int,
    text: str | None = None,
    *,
    now: datetime | None = None,
    vote: Vote | None = None,
    held: bool = False,
) -> CastResult:
    """Record a member's choice, once; every refusal records nothing. The caller commits (and audits refusals).

    The usual tap is one guarded write (INSERT … SELECT … WHERE the member may vote and the vote is
    open, ON CONFLICT DO NOTHING): on SQLite it comes first, so the transaction takes the write lock
    before it reads anything (a read-then-write transaction would lose its snapshot to any other
    writer and have to start again). Only when nothing was written does it read to say why.
    `vote`: the vote as the caller read it just before, in a transaction of its own (on SQLite the
    write lock is then held for the write alone); the guards re-check in SQL what may have changed.
    `held`: `vote` was read in this transaction, share-locked on PostgreSQL (together.py's batches).
    """
    now = now or clock.now()
    if member_id is None:
        return CastResult(Cast.not_elector, vote or await _load(session, vote_id))
    text = clean_text(text) or None
    postgres = dialect_name(session) == "postgresql"
    if postgres and not (held and vote is not None):
        vote = await _load(session, vote_id, share=True)
    if postgres and vote is None:
        return CastResult(Cast.no_vote)
    guards = _guards(vote_id, member_id, position, text, now)
    written = None
    if vote is None or not vote.is_secret:  # on SQLite the kind is not known yet: the guard tells
        values = (select(literal(vote_id), literal(member_id), literal(position), literal(text, String),
                         literal(now, UTCDateTime()), literal(0))
                  .where(*guards, exists().where(Vote.id == vote_id, Vote.ballot == BallotKind.open)))
        written = await session.scalar(
            upsert(session, Ballot.__table__)
            .from_select(["vote_id", "member_id", "position", "text", "cast_at", "changes"], values)
            .on_conflict_do_nothing(index_elements=["vote_id", "member_id"])
            .returning(Ballot.__table__.c.id)
        )
    vote = vote or await _load(session, vote_id)
    if vote is None:
        return CastResult(Cast.no_vote)
    if vote.is_secret:
        written = await session.scalar(
            upsert(session, SecretVoter.__table__)
            .from_select(["vote_id", "member_id"], select(literal(vote_id), literal(member_id)).where(*guards))
            .on_conflict_do_nothing(index_elements=["vote_id", "member_id"])
            .returning(SecretVoter.__table__.c.member_id)
        )
    option = vote.option(position)
    if written is not None:
        if vote.is_secret:
            assert option is not None, "the guards let a ballot through only for an option of the vote"
            await _add_to_tally(session, vote, option, text)
        return CastResult(Cast.recorded, vote, option, text)
    if text and option is not None and not option.asks_text:  # a text only goes with "Ý kiến khác"
        return await cast_ballot(session, vote_id, member_id, position, None, now=now, vote=vote, held=held)
    return await _why_not(session, vote, member_id, option, text, now)


async def record_new(session: AsyncSession, vote: Vote, choices: dict[int, int], *,
                     now: datetime | None = None) -> set[int]:
    """The first ballots of many members of an open vote in one guarded statement (member id → position):
    written only for members who may vote, have no ballot yet, and chose an option that asks no text, while
    the vote is open. Returns the members whose ballot was written; the others are for cast_ballot to tell."""
    if not choices or vote.is_secret:
        return set()
    now = now or clock.now()
    position = case(choices, value=Elector.member_id)
    values = (select(literal(vote.id), Elector.member_id, position, literal(None, String), literal(now, UTCDateTime()),
                     literal(0))
              .where(Elector.vote_id == vote.id, Elector.member_id.in_(choices), Elector.can_vote.is_(True),
                     exists().where(VoteOption.vote_id == vote.id, VoteOption.position == position,
                                    VoteOption.kind != OptionKind.other),
                     exists().where(Vote.id == vote.id, Vote.closed_at.is_(None), Vote.closes_at > now,
                                    Vote.ballot == BallotKind.open)))
    written = await session.scalars(
        upsert(session, Ballot.__table__)
        .from_select(["vote_id", "member_id", "position", "text", "cast_at", "changes"], values)
        .on_conflict_do_nothing(index_elements=["vote_id", "member_id"])
        .returning(Ballot.__table__.c.member_id)
    )
    return set(written)


async def _why_not(session: AsyncSession, vote: Vote, member_id: int, option: VoteOption | None,
                   text: str | None, now: datetime) -> CastResult:
    """Nothing new was written: a refusal, a ballot already cast (the same, or locked), or a change."""
    elector = await session.get(Elector, (vote.id, member_id), populate_existing=True)
    if elector is None:
        return CastResult(Cast.not_elector, vote)
    if not elector.full:
        return CastResult(Cast.probationary, vote)
    if not elector.can_vote:
        return CastResult(Cast.not_present, vote)
    if not vote.is_open(now):
        return CastResult(Cast.closed, vote)
    if option is None:
        return CastResult(Cast.no_option, vote)
    if vote.is_secret:
        if option.asks_text and not text and not await has_voted(session, vote, member_id):
            return CastResult(Cast.text_needed, vote, option)
        return CastResult(Cast.locked, vote)
    existing = await session.scalar(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.member_id == member_id)
        .execution_options(populate_existing=True)
    )
    if existing is None:  # only "Ý kiến khác" without its text is left
        return CastResult(Cast.text_needed, vote, option)
    earlier = vote.option(existing.position)
    if existing.position == option.position and (not text or text == existing.text):
        return CastResult(Cast.same, vote, earlier, existing.text)
    if not vote.may_change:
        return CastResult(Cast.locked, vote, earlier, existing.text)
    if option.asks_text and not text:
        return CastResult(Cast.text_needed, vote, option)
    await session.execute(
        update(Ballot).where(Ballot.id == existing.id)
        .values(position=option.position, text=text, changed_at=now, changes=Ballot.changes + 1)
        .execution_options(synchronize_session=False)
    )
    return CastResult(Cast.changed, vote, option, text)


async def _add_to_tally(session: AsyncSession, vote: Vote, option: VoteOption, text: str | None) -> None:
    """Count a secret ballot: every option's row is rewritten (so none tells which one changed)."""
    # Lock every option's row in one order (no deadlock between ballots), then touch them all.
    rows = (await session.execute(
        select(SecretTally.position, SecretTally.texts).where(SecretTally.vote_id == vote.id)
        .order_by(SecretTally.position).with_for_update()
    )).all()
    texts = {position: value for position, value in rows}
    new_texts = None
    if text:
        kept = json.loads(texts.get(option.position) or "[]")
        kept.append(text)
        random.SystemRandom().shuffle(kept)
        new_texts = json.dumps(kept, ensure_ascii=False)
    table = SecretTally.__table__
    await session.execute(
        update(table).where(table.c.vote_id == vote.id)
        .values(count=table.c.count + case((table.c.position == option.position, 1), else_=0),
                texts=case((table.c.position == option.position, new_texts), else_=table.c.texts)
                if new_texts is not None else table.c.texts)
    )


async def has_voted(session: AsyncSession, vote: Vote, member_id: int) -> bool:
    model = SecretVoter if vote.is_secret else Ballot
    return (await session.execute(
        select(func.count()).select_from(model).where(model.vote_id == vote.id, model.member_id == member_id)
    )).scalar_one() > 0


async def choice_of(session: AsyncSession, vote: Vote, member_id: int) -> tuple[VoteOption | None, str | None]:
    """A member's own choice in an open ballot (a secret ballot keeps none: (None, None))."""
    if vote.is_secret:
        return None, None
    row = (await session.execute(
        select(Ballot.position, Ballot.text).where(Ballot.vote_id == vote.id, Ballot.member_id == member_id)
    )).first()
    return (vote.option(row[0]), row[1]) if row else (None, None)


async def elector(session: AsyncSession, vote_id: int, member_id: int | None) -> Elector | None:
    return await session.get(Elector, (vote_id, member_id)) if member_id is not None else None
