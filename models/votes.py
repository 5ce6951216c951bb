"""Votes of a cell (biểu quyết): open (named) or secret ballots (bỏ phiếu kín), closed by the clock.

A secretary opens a vote of one cell. Who may vote is fixed when it opens (the electors): every
full member of the cell, or those of them marked present at a meeting; probationary members
receive it to read and cannot vote (Charter art. 3). Every elector gets the ballot through the
outbox; one ballot per member per vote is enforced by a unique key, so racing taps end in one
ballot. The scheduler's ticks remind those who have not voted and close due votes exactly once
(a conditional UPDATE: only the transaction that sets `closed_at` goes on to queue the results).

A resolution passes when MORE THAN HALF agree (Charter art. 10), counted by default on all the
cell's full members; or on those present; or on the votes cast. Whether exempt members who did
not vote stay in the base follows the cell's setting, copied when the vote opens.

Secret ballots keep two facts apart, in two tables with nothing in common but the vote:
`vote_secret_voters` says who has voted (so nobody votes twice, and reminders skip them), and
`vote_secret_tallies` holds only counts (and the free-text opinions, shuffled) per option. There
is no row per ballot at all: a row per ballot written by the voter's own transaction would carry
that transaction's id (PostgreSQL's xmin) and physical position, which a plain query can join to
the voter's row. Every secret ballot rewrites the tally rows of every option of the vote, so even
those system columns say only "someone voted last", never what. No Telegram here.
"""
from __future__ import annotations

import enum
import json
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TypedDict

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship, selectinload
from sqlalchemy.sql import ColumnElement

from . import audit, clock, deliveries
from .base import Base, UTCDateTime
from .dates import as_utc
from .members import Member
from .permissions import Actor, managed_cells, may_manage_cell
from .sql import dialect_name, rowcount, upsert
from .text import CleanLine, clean_line
from .units import Unit

# Delivery kinds (models/deliveries.py); ref_id is always the Vote's id.
BALLOT_DELIVERY = "vote"  # the ballot with one button per option, to the electors
PROBATION_DELIVERY = "vote_probation"  # to read: probationary members do not vote (Charter art. 3)
ABSENT_DELIVERY = "vote_absent"  # to read: full members not present at the meeting the vote belongs to
REMINDER_DELIVERY = "vote_reminder"  # to electors who have not voted, some time before the close
RESULT_DELIVERY = "vote_result"  # the result, to every member who received the vote
ROLL_DELIVERY = "vote_roll"  # open ballots: who chose what, to the one who opened the vote

QUESTION_MAX = 300
OPTION_MAX = 60  # a button's text
OPTIONS_MIN, OPTIONS_MAX = 2, 8
TEXT_MAX = 300  # a free-text opinion ("Ý kiến khác")
DURATION_MIN = timedelta(minutes=5)
DURATION_MAX = timedelta(days=31)
DEFAULT_DURATION = timedelta(hours=24)
DEFAULT_REMINDER = timedelta(hours=1)
REMINDER_CHOICES = (timedelta(minutes=30), timedelta(hours=1), timedelta(hours=3), timedelta(days=1), None)
CLOSE_BATCH = 20


class BallotKind(str, enum.Enum):
    open = "open"  # biểu quyết công khai: the secretary sees who chose what
    secret = "secret"  # bỏ phiếu kín


class Electorate(str, enum.Enum):
    members = "members"  # every full member of the cell
    present = "present"  # the full members marked present at the vote's meeting


class PassRule(str, enum.Enum):
    members = "members"  # more than half of all the cell's full members agree (Charter art. 10)
    present = "present"  # … of the full members present at the meeting
    cast = "cast"  # … of the votes cast


class OptionKind(str, enum.Enum):
    agree = "agree"  # Đồng ý
    disagree = "disagree"  # Không đồng ý
    other = "other"  # Ý kiến khác: asks for a short text
    choice = "choice"  # one of the options the secretary wrote


STANDARD_OPTIONS = (OptionKind.agree, OptionKind.disagree, OptionKind.other)


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (
        Index("ix_votes_open_closes", "closed_at", "closes_at"),
        Index("ix_votes_open_remind", "reminded_at", "remind_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    # The meeting the vote belongs to (its minutes list the result); "present" votes need one.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    opened_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(CleanLine(QUESTION_MAX))
    ballot: Mapped[BallotKind] = mapped_column(Enum(BallotKind, native_enum=False, length=10))
    electorate: Mapped[Electorate] = mapped_column(Enum(Electorate, native_enum=False, length=10))
    rule: Mapped[PassRule] = mapped_column(Enum(PassRule, native_enum=False, length=10))
    results_live: Mapped[bool] = mapped_column(Boolean, default=False)
    may_change: Mapped[bool] = mapped_column(Boolean, default=False)
    # The cell's setting when the vote opened: exempt members who did not vote stay in the base.
    exempt_counted: Mapped[bool] = mapped_column(Boolean, default=True)
    opened_at: Mapped[datetime] = mapped_column(default=clock.now)
    closes_at: Mapped[datetime] = mapped_column()
    remind_at: Mapped[datetime | None] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # The opener's live status message, edited as ballots come in.
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)

    cell: Mapped[Unit] = relationship(lazy="raise")
    options: Mapped[list[VoteOption]] = relationship(order_by="VoteOption.position", lazy="raise",
                                                     cascade="all, delete-orphan")

    @property
    def is_secret(self) -> bool:
        return self.ballot is BallotKind.secret

    def is_open(self, now: datetime | None = None) -> bool:
        """Open until closed, and not past its closing time even if the tick has not run yet."""
        return self.closed_at is None and (now or clock.now()) < self.closes_at

    def option(self, position: int) -> VoteOption | None:
        return next((o for o in self.options if o.position == position), None)


class VoteOption(Base):
    __tablename__ = "vote_options"

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 1, 2, 3 …
    kind: Mapped[OptionKind] = mapped_column(Enum(OptionKind, native_enum=False, length=10))
    label: Mapped[str] = mapped_column(CleanLine(OPTION_MAX), default="")  # empty for the standard options

    @property
    def asks_text(self) -> bool:
        return self.kind is OptionKind.other


class Elector(Base):
    """A member of the cell when the vote opened, and what they may do with it."""

    __tablename__ = "vote_electors"

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
    full: Mapped[bool] = mapped_column(Boolean)  # a full member (chính thức); else probationary
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)  # miễn sinh hoạt
    present: Mapped[bool | None] = mapped_column(Boolean)  # at the vote's meeting; None without one
    can_vote: Mapped[bool] = mapped_column(Boolean)


class Ballot(Base):
    """An open ballot: who chose what (and changed it when, if the vote allows it)."""

    __tablename__ = "vote_ballots"
    __table_args__ = (
        UniqueConstraint("vote_id", "member_id", name="uq_vote_ballots_vote_member"),
        ForeignKeyConstraint(["vote_id", "position"], ["vote_options.vote_id", "vote_options.position"],
                             name="fk_vote_ballots_option", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(CleanLine(TEXT_MAX))
    cast_at: Mapped[datetime] = mapped_column(default=clock.now)
    changed_at: Mapped[datetime | None] = mapped_column()
    changes: Mapped[int] = mapped_column(Integer, default=0)


class SecretVoter(Base):
    """A secret ballot was cast by this member: no choice, no time."""

    __tablename__ = "vote_secret_voters"

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)


class SecretTally(Base):
    """The secret ballots' choices: a count per option, and the opinions in no particular order."""

    __tablename__ = "vote_secret_tallies"
    __table_args__ = (
        ForeignKeyConstraint(["vote_id", "position"], ["vote_options.vote_id", "vote_options.position"],
                             name="fk_vote_secret_tallies_option", ondelete="CASCADE"),
    )

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)
    texts: Mapped[str | None] = mapped_column(Text)  # a JSON list, reshuffled on every addition


class _ElectorRow(TypedDict):
    """An Elector row as inserted in bulk when a vote opens."""

    vote_id: int
    member_id: int
    full: bool
    exempt: bool
    present: bool | None
    can_vote: bool


class VoteError(ValueError):
    """A vote that cannot be made; `reason` names why (a catalog key suffix)."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


# --- small rules ----------------------------------------------------------------------------------------
_DURATION = re.compile(r"(\d{1,4})\s*(phút|min|m|p|giờ|tiếng|g|h|ngày|d)(?![^\W\d_])", re.IGNORECASE)
_DATE = r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})"
_TIME = r"(\d{1,2})\s*(?::|h|g|giờ)\s*(\d{1,2})?\s*(?:phút|p)?"
_DATE_TIME = re.compile(rf"{_DATE}\s*(?:,|lúc|at)?\s*{_TIME}", re.IGNORECASE)
_TIME_DATE = re.compile(rf"{_TIME}\s*(?:,|ngày|on)?\s*{_DATE}", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "p": "minutes", "phút": "minutes", "h": "hours", "g": "hours",
          "giờ": "hours", "tiếng": "hours", "d": "days", "ngày": "days"}


def parse_duration(text: str) -> timedelta | None:
    """"2h", "90m", "3d", "2 giờ", "30 phút", "1 ngày", "1h30" → a duration; None when it is not one."""
    value = " ".join((text or "").lower().split())
    if not value:
        return None
    total, pos = timedelta(0), 0
    for m in _DURATION.finditer(value):
        if value[pos:m.start()].strip():
            return None
        total += timedelta(**{_UNITS[m[2]]: int(m[1])})
        pos = m.end()
    rest = value[pos:].strip()
    if pos and re.fullmatch(r"\d{1,2}", rest):  # "1h30": minutes after hours
        total += timedelta(minutes=int(rest))
        rest = ""
    return total if pos and not rest else None


def parse_closing(text: str, tz: tzinfo, now: datetime | None = None) -> datetime:
    """When a vote closes: a duration from now ("2h") or a local date and time ("25/12/2026 19:30").

    Raises VoteError "when_format", "when_impossible", "when_soon" or "when_far".
    """
    now = now or clock.now()
    value = " ".join((text or "").split())
    duration = parse_duration(value)
    if duration is not None:
        if duration > DURATION_MAX:  # and before adding it: "9999d" pasted 400 times is past the calendar's end
            raise VoteError("when_far", days=DURATION_MAX.days)
        at = now + duration
    else:
        if m := _DATE_TIME.fullmatch(value):
            day, month, year, hour, minute = m.groups()
        elif m := _TIME_DATE.fullmatch(value):
            hour, minute, day, month, year = m.groups()
        else:
            raise VoteError("when_format")
        try:
            at = as_utc(datetime(int(year), int(month), int(day), int(hour), int(minute or 0), tzinfo=tz))
        except ValueError:
            raise VoteError("when_impossible") from None
    check_closing(at, now)
    return at


def check_closing(at: datetime, now: datetime | None = None) -> None:
    now = now or clock.now()
    if at < now + DURATION_MIN:
        raise VoteError("when_soon", minutes=int(DURATION_MIN.total_seconds() // 60))
    if at > now + DURATION_MAX:
        raise VoteError("when_far", days=DURATION_MAX.days)


def clean_options(labels: list[str] | None) -> list[str]:
    """The secretary's options, tidied and checked; [] means the standard three."""
    if not labels:
        return []
    cleaned = [clean_line(label) for label in labels]
    cleaned = [label for label in cleaned if label]
    if len(cleaned) < OPTIONS_MIN:
        raise VoteError("options_few", minimum=OPTIONS_MIN)
    if len(cleaned) > OPTIONS_MAX:
        raise VoteError("options_many", maximum=OPTIONS_MAX)
    if any(len(label) > OPTION_MAX for label in cleaned):
        raise VoteError("option_long", limit=OPTION_MAX)
    if len({label.casefold() for label in cleaned}) != len(cleaned):
        raise VoteError("options_repeat")
    return cleaned


def clean_text(text: str | None) -> str:
    return clean_line(text)[:TEXT_MAX]


def more_than_half(count: int, base: int) -> bool:
    """Charter art. 10: MORE than half — 4 of 8 is not, 5 of 8 is."""
    return base > 0 and 2 * count > base


async def _present_ids(session: AsyncSession, meeting_id: int) -> set[int]:
    from .meetings import present_member_ids  # meetings is its own feature; only votes of a meeting need it

    return set(await present_member_ids(session, meeting_id))


async def _meeting_cell(session: AsyncSession, meeting_id: int) -> int | None:
    from .meetings import Meeting

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
) -> Vote:
    """Open a vote of one cell and queue its ballots; raises VoteError. The caller commits."""
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
        select(Member.id, Member.official_on, Member.exempt).where(Member.cell_id == cell.id).order_by(Member.id)
    )).all()
    electors: list[_ElectorRow] = []
    for member_id, official_on, exempt in members:
        full = official_on is not None
        here = None if present is None else member_id in present
        can_vote = full and (electorate is Electorate.members or bool(here))
        electors.append({"vote_id": vote.id, "member_id": member_id, "full": full, "exempt": bool(exempt),
                         "present": here, "can_vote": can_vote})
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


async def set_status_message(session: AsyncSession, vote_id: int, chat_id: int, message_id: int) -> None:
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
) -> CastResult:
    """Record a member's choice, once; every refusal records nothing. The caller commits (and audits refusals).

    The usual tap is one guarded write (INSERT … SELECT … WHERE the member may vote and the vote is
    open, ON CONFLICT DO NOTHING): on SQLite it comes first, so the transaction takes the write lock
    before it reads anything (a read-then-write transaction would lose its snapshot to any other
    writer and have to start again). Only when nothing was written does it read to say why.
    `vote`: the vote as the caller read it just before, in a transaction of its own (on SQLite the
    write lock is then held for the write alone); the guards re-check in SQL what may have changed.
    """
    now = now or clock.now()
    if member_id is None:
        return CastResult(Cast.not_elector, vote or await _load(session, vote_id))
    text = clean_text(text) or None
    postgres = dialect_name(session) == "postgresql"
    if postgres:
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
        return await cast_ballot(session, vote_id, member_id, position, None, now=now, vote=vote)
    return await _why_not(session, vote, member_id, option, text, now)


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

    def base_of(self, rule: PassRule) -> int | None:
        return {PassRule.members: self.members, PassRule.present: self.present, PassRule.cast: self.cast}[rule]

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
        """The option more than half of the base chose (for a standard vote: "Đồng ý" or none)."""
        candidates = [self.agree] if self.standard else [o for o in self.options if o.kind is OptionKind.choice]
        return next((o for o in candidates if o is not None and more_than_half(o.count, self.base)), None)

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
        ).where(e.vote_id == vote.id)
    )).one()
    eligible, full, present, exempt_absent = (int(x or 0) for x in row)
    left_out = 0 if vote.exempt_counted else exempt_absent
    options = tuple(OptionResult(o.position, o.kind, o.label, int(counts.get(o.position, 0)),
                                 texts.get(o.position, ())) for o in vote.options)
    return VoteResult(
        vote_id=vote.id, question=vote.question, cell_id=vote.cell_id, meeting_id=vote.meeting_id,
        ballot=vote.ballot, electorate=vote.electorate, rule=vote.rule, options=options, cast=int(cast or 0),
        eligible=eligible, present=present if vote.meeting_id is not None else None, members=full - left_out,
        members_total=full, exempt_left_out=left_out, closed=vote.closed_at is not None, closes_at=vote.closes_at,
        closed_at=vote.closed_at,
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


# --- closing and reminding (the scheduler's ticks) --------------------------------------------------------
async def close_vote(session: AsyncSession, vote_id: int, *, by: Actor | None = None,
                     now: datetime | None = None) -> bool:
    """Close a vote and queue its results, once: False when it was closed already (by the clock, the
    secretary, or another scheduler). `by` is an officer closing early; the caller checked may_manage_cell."""
    now = now or clock.now()
    won = await session.execute(
        update(Vote).where(Vote.id == vote_id, Vote.closed_at.is_(None))
        .values(closed_at=now, closed_by_member_id=by.member_id if by else None)
        .execution_options(synchronize_session=False)
    )
    if rowcount(won) != 1:
        return False
    vote = (await session.execute(
        select(Vote).where(Vote.id == vote_id).execution_options(populate_existing=True)
    )).scalar_one()  # the row this transaction just updated
    if vote.meeting_id is not None and vote.electorate is Electorate.members:
        await _refresh_presence(session, vote, vote.meeting_id)
    everyone = (await session.scalars(
        select(Elector.member_id).where(Elector.vote_id == vote.id).order_by(Elector.member_id)
    )).all()
    await deliveries.queue_to_members(session, RESULT_DELIVERY, vote.id, everyone, not_before=now)
    if not vote.is_secret and vote.opened_by_member_id is not None:
        await deliveries.queue_to_members(session, ROLL_DELIVERY, vote.id, [vote.opened_by_member_id],
                                          not_before=now)
    await audit.record(session, "vote_closed", actor_telegram_id=by.telegram_user_id if by else None,
                       actor_member_id=by.member_id if by else None,
                       detail={"vote_id": vote.id, "early": by is not None})
    return True


async def _refresh_presence(session: AsyncSession, vote: Vote, meeting_id: int) -> None:
    """The roll-call may have gone on after the vote opened: "of those present" counts the final roll."""
    present = await _present_ids(session, meeting_id)
    await session.execute(
        update(Elector).where(Elector.vote_id == vote.id)
        .values(present=Elector.member_id.in_(sorted(present)) if present else False)
        .execution_options(synchronize_session=False)
    )


async def close_due(session: AsyncSession, now: datetime | None = None) -> list[int]:
    """Close the votes whose time has come; idempotent across processes. Returns the ids this call closed."""
    now = now or clock.now()
    ids = (await session.scalars(
        select(Vote.id).where(Vote.closed_at.is_(None), Vote.closes_at <= now)
        .order_by(Vote.closes_at, Vote.id).limit(CLOSE_BATCH)
    )).all()
    return [vote_id for vote_id in ids if await close_vote(session, vote_id, now=now)]


async def remind_due(session: AsyncSession, now: datetime | None = None) -> list[int]:
    """Remind the electors who have not voted, once per vote. Returns the ids reminded by this call."""
    now = now or clock.now()
    ids = (await session.scalars(
        select(Vote.id).where(Vote.reminded_at.is_(None), Vote.remind_at <= now, Vote.closed_at.is_(None),
                              Vote.closes_at > now)
        .order_by(Vote.remind_at, Vote.id).limit(CLOSE_BATCH)
    )).all()
    done = []
    for vote_id in ids:
        won = await session.execute(
            update(Vote).where(Vote.id == vote_id, Vote.reminded_at.is_(None)).values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(won) != 1:
            continue
        secret = await session.scalar(select(Vote.ballot).where(Vote.id == vote_id)) is BallotKind.secret
        model = SecretVoter if secret else Ballot
        missing = (await session.scalars(
            select(Elector.member_id)
            .where(Elector.vote_id == vote_id, Elector.can_vote.is_(True),
                   Elector.member_id.not_in(select(model.member_id).where(model.vote_id == vote_id)))
            .order_by(Elector.member_id)
        )).all()
        await deliveries.queue_to_members(session, REMINDER_DELIVERY, vote_id, missing, not_before=now)
        done.append(vote_id)
    return done


# --- lists ------------------------------------------------------------------------------------------------
@dataclass
class MemberVote:
    vote: Vote
    can_vote: bool
    voted: bool


async def for_member(session: AsyncSession, member_id: int, *, closed_limit: int = 5,
                     now: datetime | None = None) -> tuple[list[MemberVote], list[MemberVote]]:
    """The member's open votes (soonest to close first) and the latest closed ones."""
    now = now or clock.now()
    base = (
        select(Vote, Elector.can_vote)
        .join(Elector, (Elector.vote_id == Vote.id) & (Elector.member_id == member_id))
        .options(selectinload(Vote.options), selectinload(Vote.cell))
    )
    open_rows = (await session.execute(
        base.where(Vote.closed_at.is_(None), Vote.closes_at > now).order_by(Vote.closes_at, Vote.id).limit(10)
    )).all()
    closed_rows = (await session.execute(
        base.where(or_(Vote.closed_at.is_not(None), Vote.closes_at <= now))
        .order_by(Vote.closes_at.desc(), Vote.id.desc()).limit(closed_limit)
    )).all()
    out = []
    for rows in (open_rows, closed_rows):
        out.append([MemberVote(v, bool(c), await has_voted(session, v, member_id)) for v, c in rows])
    return out[0], out[1]


async def managed_votes(session: AsyncSession, actor: Actor, limit: int = 8) -> list[Vote]:
    """Votes in the cells the actor manages: open ones first, then the latest closed."""
    cells = await managed_cells(session, actor)
    if not cells:
        return []
    return list((await session.scalars(
        select(Vote).where(Vote.cell_id.in_([c.id for c in cells]))
        .options(selectinload(Vote.options), selectinload(Vote.cell))
        .order_by(case((Vote.closed_at.is_(None), 0), else_=1), Vote.closes_at.desc(), Vote.id.desc())
        .limit(limit)
    )).all())


@dataclass
class MeetingChoice:
    id: int
    title: str
    starts_at: datetime


async def meetings_for_votes(session: AsyncSession, cell_id: int, now: datetime | None = None,
                             limit: int = 5) -> list[MeetingChoice]:
    """The cell's meetings a vote may belong to: held or starting within a day, not cancelled."""
    try:
        from .meetings import Meeting, MeetingState
    except ImportError:
        return []
    now = now or clock.now()
    rows = (await session.execute(
        select(Meeting.id, Meeting.title, Meeting.starts_at)
        .where(Meeting.cell_id == cell_id, Meeting.state != MeetingState.cancelled,
               Meeting.starts_at <= now + timedelta(days=1), Meeting.starts_at >= now - timedelta(days=7))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(limit)
    )).all()
    return [MeetingChoice(i, t, s) for i, t, s in rows]
