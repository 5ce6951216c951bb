"""What every part of the meetings feature shares: the conversation's states and memory, words and times,
the meeting's head lines and answer buttons, the secretary's check, and how a refused rule is told."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import clock, meetings
from models.callback_data import Codec
from models.meetings import Answer, Meeting, MeetingError, MeetingKind, MeetingState
from models.permissions import may_manage_cell

from ..i18n import t
from ..steps import answers, named_handler, refuse
from ..turn import Turn, esc
from . import buttons as btn

T = TypeVar("T")
DRAFT = "meeting_draft"
PENDING = "meeting_pending"  # what the next typed text is for: {"what": ..., "meeting": id, ...}
(CELL, KIND, TITLE, DAY, TIME, PLACE, AGENDA, DOCS, CONFIRM, REASON, MOVE,
 CONTENT, DECISIONS, EDIT) = range(14)
TEMPLATE = 14  # the cell's agenda template being typed (prepare.py)
KIND_EMOJI = {MeetingKind.regular: "📅", MeetingKind.thematic: "📘", MeetingKind.committee: "🏛", MeetingKind.review: "📝"}
# Quick reasons an elderly member taps instead of typing (stored in the catalog's words).
REASONS = ("sick", "work", "family", "travel")
Call = tuple[str, dict]


# --- words and times ------------------------------------------------------------------------------------
def kind_label(lang: str, kind: MeetingKind) -> str:
    return f"{KIND_EMOJI[kind]} {t(lang, f'meeting.kind.{kind.value}')}"


def local(value: datetime, tz: tzinfo | None) -> datetime:
    return value.astimezone(tz) if tz else value


def when_text(lang: str, value: datetime, tz: tzinfo | None) -> str:
    """"Thứ Bảy, 05/12/2026 lúc 19:30": the weekday helps members who do not count dates."""
    at = local(value, tz)
    return t(lang, "meeting.when", weekday=t(lang, f"meeting.weekday.{at.weekday()}"), date=at.strftime("%d/%m/%Y"),
             time=at.strftime("%H:%M"))


def day_text(value: datetime, tz: tzinfo | None) -> str:
    return local(value, tz).strftime("%d/%m/%Y")


def error_text(lang: str, exc: MeetingError) -> str:
    limits = {"title_long": meetings.TITLE_MAX, "place_long": meetings.PLACE_MAX, "agenda_long": meetings.AGENDA_MAX,
              "content_long": meetings.CONTENT_MAX, "decision_long": meetings.DECISION_MAX,
              "decisions_many": meetings.DECISIONS_MAX, "name_long": meetings.NAME_MAX,
              "too_many_documents": meetings.DOCUMENTS_MAX}
    return t(lang, f"meeting.error.{exc.reason}", limit=exc.details.get("limit", limits.get(exc.reason, "")),
             hours=exc.details.get("hours", ""))


PASTE_PART = 4000  # a message this long is likely one part of a longer text the client split
PASTE_GAP_S = 2  # seconds: the parts of one paste arrive together


def paste_tail(turn: Turn, *, refused: bool) -> bool:
    """True for the rest of a long text whose first part was just refused as too long.

    A Telegram client sends a pasted 10,000-character text as three messages, at once (and we may
    handle them at the same time); without this, the short last part would be taken for the whole
    answer. Call with refused=True after refusing a part.
    """
    memory = turn.context.user_data
    at = turn.update.effective_message.date.timestamp()
    last = memory.get("meeting_refused_at")
    if refused:
        if len(turn.text) >= PASTE_PART:
            memory["meeting_refused_at"] = max(at, last or 0)
        return False
    if last is not None and abs(at - last) <= PASTE_GAP_S:
        return True
    memory.pop("meeting_refused_at", None)
    return False


def too_long(turn: Turn, text: str, limit: int, key: str) -> bool:
    """True when a long typed text is not taken: over `limit` (said with the catalog's `key`), or the
    rest of a paste whose first part was just refused (nothing said)."""
    if paste_tail(turn, refused=False):
        return True
    if len(text) > limit:
        paste_tail(turn, refused=True)
        turn.reply(turn.t(key, limit=limit))
        return True
    return False


def reminder_offsets(turn: Turn) -> tuple[str, ...]:
    return tuple(turn.services.meeting_reminders or meetings.DEFAULT_REMINDERS)


def meeting_head(meeting: Meeting, lang: str, tz: tzinfo | None) -> str:
    return "\n".join([
        f"{kind_label(lang, meeting.kind)} · {esc(meeting.cell.name)}",
        f"<b>{esc(meeting.title)}</b>",
        t(lang, "meeting.line.when", when=when_text(lang, meeting.starts_at, tz)),
        t(lang, "meeting.line.place", place=esc(meeting.place)),
    ])


def agenda_line(lang: str, agenda: str) -> str:
    return t(lang, "meeting.line.agenda", agenda=esc(agenda)) if agenda else ""


def agenda_text(meeting: Meeting, lang: str) -> str:
    return agenda_line(lang, meeting.agenda)


def answer_buttons(meeting_id: int, lang: str, answer: Answer | None = None) -> InlineKeyboardMarkup:
    """Two big buttons, one a row; the chosen one carries a tick."""
    def label(key: str, mine: bool) -> str:
        return t(lang, key) + (" ✔" if mine else "")

    return InlineKeyboardMarkup([
        [InlineKeyboardButton(label("meeting.button.attend", answer is Answer.attend), callback_data=btn.ATTEND.data(meeting_id))],
        [InlineKeyboardButton(label("meeting.button.absent", answer is Answer.absent), callback_data=btn.ABSENT.data(meeting_id))],
    ])



def open_for_answers(meeting: Meeting | None) -> bool:
    return meeting is not None and meeting.state is MeetingState.scheduled and meeting.starts_at > clock.now()


async def managed_or_refuse(turn: Turn, codec: Codec) -> tuple[Meeting | None, tuple | None]:
    """The meeting a secretary's button names, when they may manage it; refused and logged otherwise."""
    ids = codec.parse(turn.update.callback_query.data)
    prefix = codec.prefix
    meeting = await meetings.get_meeting(turn.session, ids[0]) if ids else None
    if meeting is None or not may_manage_cell(turn.actor, meeting.cell):
        await refuse(turn, f"meeting_{prefix}")
        return None, None
    return meeting, ids


def managed(codec: Codec, *, refused: Any = None) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """A secretary's button on a meeting: the handler is called as `fn(turn, meeting, fields)` once
    managed_or_refuse has found the meeting theirs; refused, the turn gives `refused` back."""
    def wrap(fn: Callable[..., Awaitable[Any]]):
        async def pressed(turn: Turn):
            meeting, fields = await managed_or_refuse(turn, codec)
            return refused if meeting is None else await fn(turn, meeting, fields)

        return answers(codec)(named_handler(fn.__name__, pressed))
    return wrap


async def tell_error(turn: Turn, exc: MeetingError, what: str | None = None) -> None:
    """A rule said no: "not_allowed" is refused and recorded as `what` (when given); anything else is
    said, in an alert on a button, in a reply to typing."""
    if what is not None and exc.reason == "not_allowed":
        await refuse(turn, what)
    elif turn.update.callback_query is not None:
        turn.answer(error_text(turn.lang, exc), alert=True)
    else:
        turn.reply(error_text(turn.lang, exc))


async def attempt(turn: Turn, action: Awaitable[T], what: str | None = None) -> T | None:
    """`action`'s result, or None once its MeetingError has been told (see tell_error)."""
    try:
        return await action
    except MeetingError as exc:
        await tell_error(turn, exc, what)
        return None


def pending_for(turn: Turn, what: str) -> dict | None:
    """What the next typed text is for (PENDING), when it is `what` ("reason", "content", ...)."""
    pending = turn.context.user_data.get(PENDING) or {}
    return pending if pending.get("what") == what else None


def typed_for(what: str) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """The handler of text typed for what is pending (pending_for): called as `fn(turn, pending)`; with
    nothing of `what` pending, the conversation ends."""
    def wrap(fn: Callable[..., Awaitable[Any]]):
        async def typed(turn: Turn):
            pending = pending_for(turn, what)
            return ConversationHandler.END if pending is None else await fn(turn, pending)

        return named_handler(fn.__name__, typed)
    return wrap


async def record(turn: Turn, meeting_id: int, **fields) -> Meeting | None:
    """The record after the meeting (models.meetings.record_content); a refusal is said in a reply, the
    answer to what was typed, even when a button ("no decisions") asked for it."""
    try:
        return await meetings.record_content(turn.session, turn.actor, meeting_id, **fields)
    except MeetingError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "meeting_record")
        else:
            turn.reply(error_text(turn.lang, exc))
        return None
