"""The tables of study items (a document or resolution a unit's members must study by a deadline), their quiz
questions, each member's progress and quiz attempts, and what every part of the feature shares."""
from __future__ import annotations

__all__ = [
    "DEADLINE_MAX_DAYS", "ESSAY_DELIVERY", "ESSAY_EXCUSED_AGES", "ESSAY_KINDS", "ESSAY_TEXT_MAX", "EXPLANATION_MAX",
    "OPTIONS_MAX", "OPTIONS_MIN", "OPTION_MAX", "QUESTIONS_MAX", "QUESTION_MAX", "REMINDER_DELIVERY", "REMIND_HOUR",
    "STUDY_DELIVERY", "STUDY_EXCUSED_DELIVERY", "EssayState", "QuizAttempt", "QuizPoll", "StudyEssay", "StudyError",
    "StudyItem", "StudyMember", "StudyQuestion",
]

import enum
import json
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..base import Base
from ..notices import Notice
from ..text import CleanLineText
from ..units import Unit

STUDY_DELIVERY = "study"  # ref_id: StudyItem.id — "📖 Học tập: <title>, hạn <date>" to each member of the unit
# A question as Telegram's quiz polls take it (sendPoll): question 1-300, options 1-100 characters, explanation
# 0-200; 2-10 options, as the issue asks (Telegram allows 12).
QUESTION_MAX = 300
OPTION_MAX = 100
EXPLANATION_MAX = 200
OPTIONS_MIN, OPTIONS_MAX = 2, 10
QUESTIONS_MAX = 100  # a quiz longer than this is a burden, not a check
DEADLINE_MAX_DAYS = 366
REMINDER_DELIVERY = "study_reminder"  # ref_id: StudyItem.id — the day before the deadline, to who has not finished
REMIND_HOUR = 8  # local time, the day before the deadline
ESSAY_DELIVERY = "study_essay"  # ref_id: StudyEssay.id — a member's essay, to the officer who gave the item
ESSAY_KINDS = ("text", "document", "photo", "voice")
ESSAY_TEXT_MAX = 4000  # what one Telegram message holds, and then some room for the heading
ESSAY_EXCUSED_AGES = (70, 75, 80)  # the ages a cell may excuse from the essay (đảng viên cao tuổi)
STUDY_EXCUSED_DELIVERY = "study_excused"  # ref_id: StudyItem.id — the card, to members excused from its essay by age


class StudyItem(Base):
    """A document or resolution its unit's members study by `deadline`, with an optional quiz."""

    __tablename__ = "study_items"
    __table_args__ = (UniqueConstraint("notice_id", "unit_id", name="uq_study_items_notice_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    # Whose members study it: the cell or committee of the officer who made it.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    deadline: Mapped[date] = mapped_column(Date)
    essay_required: Mapped[bool] = mapped_column(Boolean, default=False)  # a "bài thu hoạch" is asked for
    # Members this old or older at the deadline are excused from the essay (the cell's decision; None: nobody by
    # age). One of ESSAY_EXCUSED_AGES; see excuses.py.
    essay_excused_age: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    reminded_at: Mapped[datetime | None] = mapped_column()  # the day-before reminder went out (once)

    notice: Mapped[Notice] = relationship(lazy="raise")
    unit: Mapped[Unit] = relationship(lazy="raise")


class StudyQuestion(Base):
    __tablename__ = "study_questions"
    __table_args__ = (UniqueConstraint("study_id", "position", name="uq_study_questions_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study_items.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # 0, 1, …: the order they are asked in
    question: Mapped[str] = mapped_column(CleanLineText)
    options_json: Mapped[str] = mapped_column(Text)  # a JSON list of the options' texts
    correct: Mapped[int] = mapped_column(Integer)  # 0-based index of the right option
    explanation: Mapped[str | None] = mapped_column(Text)

    @property
    def options(self) -> list[str]:
        return list(json.loads(self.options_json))


class StudyMember(Base):
    """A member a study item was given to (its unit's members when it was made), and how far they got."""

    __tablename__ = "study_members"
    __table_args__ = (Index("ix_study_members_member", "member_id"),)

    study_id: Mapped[int] = mapped_column(ForeignKey("study_items.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    studied_at: Mapped[datetime | None] = mapped_column()
    best_score: Mapped[int | None] = mapped_column(Integer)  # right answers of the best finished attempt
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # finished attempts


class QuizAttempt(Base):
    """One run through the quiz; only a member's latest attempt takes answers."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (Index("ix_quiz_attempts_member", "study_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study_items.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column()
    answered: Mapped[int] = mapped_column(Integer, default=0)  # questions answered so far, in order
    score: Mapped[int] = mapped_column(Integer, default=0)


class QuizPoll(Base):
    """A quiz poll sent for one question of an attempt: Telegram's poll id → what it asks."""

    __tablename__ = "quiz_polls"

    poll_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("study_questions.id", ondelete="CASCADE"))
    chosen: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column()


class EssayState(str, enum.Enum):
    submitted = "submitted"  # waiting for the officer
    received = "received"  # the officer marked it received
    revise = "revise"  # the officer asked for it again


class StudyEssay(Base):
    """One essay (bài thu hoạch) a member handed in for a study item: typed, a file, a photo of handwriting or a
    voice message. A new one after "revise" is a new row; the member's latest is the one that counts."""

    __tablename__ = "study_essays"
    __table_args__ = (Index("ix_study_essays_member", "study_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study_items.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # one of ESSAY_KINDS
    text: Mapped[str | None] = mapped_column(Text)  # typed, or the caption of a file
    file_id: Mapped[str | None] = mapped_column(String(255))  # sent on by file_id, never downloaded
    file_name: Mapped[str | None] = mapped_column(String(255))
    submitted_at: Mapped[datetime] = mapped_column(default=clock.now)
    state: Mapped[EssayState] = mapped_column(Enum(EssayState, native_enum=False, length=12),
                                              default=EssayState.submitted)
    reviewed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column()


class StudyError(ValueError):
    """A study item that cannot be made or a quiz that cannot start; `reason` names why (a catalog key suffix)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
