"""The votes' tables, their kinds and limits, and VoteError. No Telegram here."""
from __future__ import annotations

__all__ = [
    "ABSENT_DELIVERY", "BALLOT_DELIVERY", "CLOSE_BATCH", "DEFAULT_DURATION", "DEFAULT_REMINDER", "DURATION_MAX",
    "DURATION_MIN", "OPTION_MAX", "OPTIONS_MAX", "OPTIONS_MIN", "PROBATION_DELIVERY", "QUESTION_MAX",
    "REMINDER_CHOICES", "REMINDER_DELIVERY", "RESULT_DELIVERY", "ROLL_DELIVERY", "STANDARD_OPTIONS", "TEXT_MAX",
    "Ballot", "BallotKind", "Elector", "Electorate", "OptionKind", "PassRule", "SecretTally", "SecretVoter", "Vote",
    "VoteError", "VoteOption",
]

import enum
from datetime import datetime, timedelta
from typing import TypedDict

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..base import Base
from ..text import CleanLine
from ..units import Unit

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
    # AT LEAST two thirds of the full members agree, those away left out of the base (a probationary member's
    # conversion: the rules file models/rules/probation_2025.toml says so)
    two_thirds = "two_thirds"


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
    # Away when the vote opened (transferred out for a while, excused from its meeting): left out of the
    # base of a "two thirds" vote unless they voted all the same. The opener says who (open_vote's `away`).
    away: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


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
    away: bool


class VoteError(ValueError):
    """A vote that cannot be made; `reason` names why (a catalog key suffix)."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details
