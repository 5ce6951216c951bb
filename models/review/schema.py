"""The review's tables: a round (a committee's unit, a year, two deadlines, its rules file) and an entry per
member in scope (the form, exempt or not, the self-review). The cell's appraisal (its comments, the vote on
the level and its counts: appraisal.py) fills `proposed_level`, the committee's decision (decision.py)
`decided_level` of the same entry; closing the round makes the levels final."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..base import Base
from ..text import CleanLine, CleanText
from .rules import Form, Level


class RoundState(str, enum.Enum):
    open = "open"
    closed = "closed"  # the committee decided: levels final, members told


class ReviewRound(Base):
    __tablename__ = "review_rounds"
    __table_args__ = (UniqueConstraint("unit_id", "year", name="uq_review_rounds_unit_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    self_deadline: Mapped[date] = mapped_column(Date)  # members send their self-review by this day (included)
    meeting_deadline: Mapped[date] = mapped_column(Date)  # the cells meet by this day
    rules_id: Mapped[str] = mapped_column(String(40))
    rules_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[RoundState] = mapped_column(Enum(RoundState, native_enum=False, length=10), default=RoundState.open)
    opened_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=clock.now)
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


TEXT_FIELDS = ("strengths", "shortcomings", "remedies")


class ReviewEntry(Base):
    __tablename__ = "review_entries"
    __table_args__ = (UniqueConstraint("round_id", "member_id", name="uq_review_entries_round_member"),
                      # a cell's entries in a round (its page, list, Mẫu 01, forms): not a scan of the city's round
                      Index("ix_review_entries_round_cell", "round_id", "cell_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)  # when opened
    form: Mapped[Form] = mapped_column(Enum(Form, native_enum=False, length=4,
                                            values_callable=lambda e: [f.value for f in e]))
    exempt_reason: Mapped[str | None] = mapped_column(String(20))  # excused, suspended, recent; None: reviewed
    points: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # group id → points
    conditions: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the extra conditions the member states
    strengths: Mapped[str | None] = mapped_column(CleanText)
    shortcomings: Mapped[str | None] = mapped_column(CleanText)
    remedies: Mapped[str | None] = mapped_column(CleanText)
    # The texts answered by a voice message instead: field → {"file_id": Telegram's, "duration": seconds}.
    voices: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    self_level: Mapped[Level | None] = mapped_column(Enum(Level, native_enum=False, length=12))  # when sent
    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    by_proxy: Mapped[bool] = mapped_column(Boolean, default=False)  # the secretary filled it in
    proxy_note: Mapped[str | None] = mapped_column(CleanLine(200))
    # The cell's appraisal: its comments, the vote on the level (its counts once closed), the proposal; the
    # secretary's reason when she picked the level after a vote without a majority.
    cell_comment: Mapped[str | None] = mapped_column(CleanText)
    proposal_vote_id: Mapped[int | None] = mapped_column(ForeignKey("votes.id", ondelete="SET NULL"), index=True)
    proposal_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # level → count, "base", "cast"
    proposed_level: Mapped[Level | None] = mapped_column(Enum(Level, native_enum=False, length=12))
    proposal_reason: Mapped[str | None] = mapped_column(CleanText)
    # The committee's decision (the proposal approved, or changed with a reason).
    decided_level: Mapped[Level | None] = mapped_column(Enum(Level, native_enum=False, length=12))
    decision_reason: Mapped[str | None] = mapped_column(CleanText)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)

    @property
    def exempt(self) -> bool:
        return self.exempt_reason is not None

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    def voice(self, field: str) -> tuple[str, int] | None:
        """The voice message that answers `field` (its file_id, its seconds), or None."""
        kept = (self.voices or {}).get(field)
        return (str(kept["file_id"]), int(kept["duration"])) if kept else None
