"""Taking a study item's quiz: an attempt asks the questions one after another (the bot sends each as a Telegram
quiz poll and notes the poll's id here), records each answer that comes back for a poll it sent to that member,
and at the end keeps the member's best score. A retake starts a new attempt; only the latest takes answers."""
from __future__ import annotations

__all__ = ["Answer", "Answered", "Asked", "answer_poll", "next_question", "poll_sent", "start_attempt"]

import enum
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import clock
from .tables import QuizAttempt, QuizPoll, StudyError, StudyMember, StudyQuestion


@dataclass(frozen=True)
class Asked:
    """The question an attempt is at: what the bot sends as a quiz poll."""

    attempt_id: int
    question_id: int
    number: int  # 1-based
    total: int
    text: str
    options: list[str]
    correct: int
    explanation: str | None


async def _total(session: AsyncSession, study_id: int) -> int:
    return len((await session.scalars(select(StudyQuestion.id).where(StudyQuestion.study_id == study_id))).all())


async def next_question(session: AsyncSession, attempt: QuizAttempt) -> Asked | None:
    """The question the attempt is at; None when every one was answered."""
    questions = list((await session.scalars(select(StudyQuestion).where(StudyQuestion.study_id == attempt.study_id)
                                            .order_by(StudyQuestion.position))).all())
    if attempt.answered >= len(questions):
        return None
    q = questions[attempt.answered]
    return Asked(attempt.id, q.id, attempt.answered + 1, len(questions), q.question, q.options, q.correct,
                 q.explanation)


async def start_attempt(session: AsyncSession, study_id: int, member_id: int | None) -> Asked:
    """A new attempt at the quiz (a retake too: the attempts before stop taking answers); its first question.
    Raises StudyError: not_addressee, no_quiz."""
    if member_id is None or await session.get(StudyMember, (study_id, member_id)) is None:
        raise StudyError("not_addressee")
    if not await _total(session, study_id):
        raise StudyError("no_quiz")
    attempt = QuizAttempt(study_id=study_id, member_id=member_id, started_at=clock.now(), answered=0, score=0)
    session.add(attempt)
    await session.flush()
    asked = await next_question(session, attempt)
    assert asked is not None  # the quiz has questions
    return asked


async def poll_sent(session: AsyncSession, poll_id: str, asked: Asked) -> None:
    """The quiz poll of `asked` went out as Telegram's poll `poll_id`."""
    session.add(QuizPoll(poll_id=poll_id, attempt_id=asked.attempt_id, question_id=asked.question_id))
    await session.flush()


class Answered(str, enum.Enum):
    next = "next"  # recorded; `asked` is the next question
    finished = "finished"  # recorded, the last one: `score` of `total`, `best` kept
    ignored = "ignored"  # a poll we did not send, somebody else's, an old attempt's or answered already


@dataclass(frozen=True)
class Answer:
    outcome: Answered
    study_id: int = 0
    right: bool = False
    asked: Asked | None = None
    score: int = 0
    total: int = 0
    best: int = 0


async def answer_poll(session: AsyncSession, poll_id: str, member_id: int | None, option_ids: list[int]) -> Answer:
    """An answer to a quiz poll (Telegram's poll_answer): recorded once, for the member it was sent to, on their
    latest attempt; the attempt moves on. The caller commits."""
    row = await session.get(QuizPoll, poll_id)
    if row is None or member_id is None or row.chosen is not None or len(option_ids) != 1:
        return Answer(Answered.ignored)
    attempt = await session.get(QuizAttempt, row.attempt_id)
    if attempt is None or attempt.member_id != member_id or attempt.finished_at is not None:
        return Answer(Answered.ignored)
    latest = await session.scalar(select(QuizAttempt.id).where(
        QuizAttempt.study_id == attempt.study_id, QuizAttempt.member_id == member_id)
        .order_by(QuizAttempt.id.desc()).limit(1))
    question = await session.get(StudyQuestion, row.question_id)
    if latest != attempt.id or question is None:
        return Answer(Answered.ignored)
    now = clock.now()
    # Once, even when Telegram repeats the update: only the first update sets `chosen`.
    claimed = await session.execute(update(QuizPoll).where(QuizPoll.poll_id == poll_id, QuizPoll.chosen.is_(None))
                                    .values(chosen=option_ids[0], answered_at=now)
                                    .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return Answer(Answered.ignored)
    right = option_ids[0] == question.correct
    attempt.answered += 1
    attempt.score += int(right)
    asked = await next_question(session, attempt)
    if asked is not None:
        return Answer(Answered.next, attempt.study_id, right, asked)
    attempt.finished_at = now
    progress = await session.get(StudyMember, (attempt.study_id, member_id))
    assert progress is not None  # an attempt is only started for a member the item was given to
    progress.attempts += 1
    progress.best_score = max(progress.best_score or 0, attempt.score)
    total = await _total(session, attempt.study_id)
    return Answer(Answered.finished, attempt.study_id, right, None, attempt.score, total, progress.best_score)
