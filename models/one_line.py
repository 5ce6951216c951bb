"""The one-line forms of the officers' commands, split and checked without Telegram:

    /vote Question | Option A | Option B          (no options: the standard three)
    /meeting 05/12/2026 19:30 | Place | Title [| agenda]
    /notice Title | text [| 25/12/2026 19:30]
    /bulletin Title | text

Each returns the parts, or raises Usage (not the form at all: the handler shows how to write it) or
the domain's own error (VoteError, MeetingError, NoticeError) saying what is wrong with a part.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from . import meetings, notices, votes
from .meetings import MeetingError
from .notices import NoticeError
from .text import clean_line, clean_text
from .votes import VoteError

SEPARATOR = "|"


class Usage(ValueError):
    """The text is not the command's one-line form."""


@dataclass(frozen=True)
class VoteLine:
    question: str
    options: list[str]  # [] means the standard three


@dataclass(frozen=True)
class MeetingLine:
    day: date
    at: time
    place: str
    title: str
    agenda: str


@dataclass(frozen=True)
class NoticeLine:
    title: str
    body: str
    send_at: datetime | None  # None: at once


@dataclass(frozen=True)
class BulletinLine:
    title: str
    text: str


def check_question(text: str | None) -> str:
    """A vote's question on one line; VoteError "question_empty" or "question_long"."""
    question = clean_line(text)
    if not question:
        raise VoteError("question_empty")
    if len(question) > votes.QUESTION_MAX:
        raise VoteError("question_long", limit=votes.QUESTION_MAX)
    return question


def vote_line(args: str) -> VoteLine:
    parts = [p.strip() for p in args.split(SEPARATOR)]
    if not parts[0]:
        raise Usage(args)
    return VoteLine(check_question(parts[0]), votes.clean_options(parts[1:]))


def meeting_line(args: str, tz: tzinfo, now: datetime | None = None) -> MeetingLine:
    """Also checks the start (not past, not more than a year ahead) before the texts, as the steps do."""
    parts = [p.strip() for p in args.split(SEPARATOR, 3)]
    if len(parts) < 3 or not all(parts[:3]):
        raise Usage(args)
    when, place, title = parts[:3]
    agenda = clean_text(parts[3]) if len(parts) > 3 else ""
    day, at = meetings.parse_when(when)
    if at is None:
        raise MeetingError("time_missing")
    meetings.local_start(day, at, tz, now)
    title, place = clean_line(title), clean_line(place)
    meetings.check_texts(title, place, agenda)
    return MeetingLine(day, at, place, title, agenda)


def notice_line(args: str, tz: tzinfo, now: datetime | None = None) -> NoticeLine:
    """The last part is the sending time only when it reads as one; otherwise it belongs to the text."""
    title, sep, rest = args.partition(SEPARATOR)
    body, send_at = clean_text(rest), None
    if SEPARATOR in body:
        head, _, last = body.rpartition(SEPARATOR)
        try:
            send_at = notices.parse_send_at(last, tz, now)
            body = clean_text(head)
        except NoticeError as exc:
            if exc.reason != "when_format":
                raise
    title = clean_line(title)
    if not sep or not title or not body:
        raise Usage(args)
    if len(title) > notices.TITLE_MAX:
        raise NoticeError("title_long")
    if len(body) > notices.BODY_MAX:
        raise NoticeError("body_long")
    return NoticeLine(title, body, send_at)


def bulletin_line(args: str) -> BulletinLine:
    title, sep, text = args.partition(SEPARATOR)
    title, text = clean_line(title), clean_text(text)
    if not sep or not title or not text:
        raise Usage(args)
    return BulletinLine(title, text)
