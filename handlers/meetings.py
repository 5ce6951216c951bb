"""/meeting, /meetings and the answers: scheduling a cell meeting, telling every member, following who comes.

Sending never happens here: a scheduled meeting queues its notice (models.meetings) and the
dispatcher sends it at Telegram's pace with the renderers below, in each member's language.
Reminders and moves go the same way. Callback data is short and opaque ("ga:42"); every press
is checked against the database (is the presser a member of that cell, may they manage it).
The roll-call, the record and the minutes are in handlers/attendance.py.
"""
from __future__ import annotations

import functools
import logging
import warnings
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from models import accounts, clock, meetings, one_line, units
from models.callback_data import Codec, any_of
from models.collation import name_key
from models.meetings import Answer, ChangeKind, Document, Meeting, MeetingError, MeetingKind, MeetingState
from models.permissions import managed_cells, may_manage_cell
from models.units import Unit

from .buttons import meetings as btn
from .cancel import cancel
from .feature import Command, Feature, MenuButton
from .i18n import t
from .keyboards import main_menu, menu_pattern, menu_texts
from .live_status import LiveStatus, tell_outbox
from .render import CAPTION_LIMIT, split_message, visible_length
from .steps import refuse
from .turn import Turn, esc, member_handler

log = logging.getLogger(__name__)

DRAFT = "meeting_draft"
PENDING = "meeting_pending"  # what the next typed text is for: {"what": ..., "meeting": id, ...}
(CELL, KIND, TITLE, DAY, TIME, PLACE, AGENDA, DOCS, CONFIRM, REASON, MOVE,
 CONTENT, DECISIONS, EDIT) = range(14)
NAMES_SHOWN = 40
DAYS_OFFERED = 7
TIMES_OFFERED = ("07:30", "08:00", "14:00", "15:00", "19:00", "19:30", "20:00")
PLACES_OFFERED = 3
KIND_EMOJI = {MeetingKind.regular: "📅", MeetingKind.thematic: "📘", MeetingKind.committee: "🏛"}
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


async def api_call(bot, method: str, params: dict):
    """A Bot API call as the renderers give it. Not PTB's typed methods: its Defaults would add a
    parse_mode to methods that have none (editMessageReplyMarkup)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)
        return await bot.do_api_request(method, api_kwargs=params)


def settle(turn: Turn, change) -> None:
    """Change the conversation's memory only once the turn has committed: a turn that meets a
    database lock is run again from the start (handlers/turn.py) and must find it as it was."""
    async def apply() -> None:
        change(turn.context.user_data)

    turn.later(apply)


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


def reminder_offsets(turn: Turn) -> tuple[str, ...]:
    return tuple(turn.services.meeting_reminders or meetings.DEFAULT_REMINDERS)


def meeting_head(meeting: Meeting, lang: str, tz: tzinfo | None) -> str:
    return "\n".join([
        f"{kind_label(lang, meeting.kind)} · {esc(meeting.cell.name)}",
        f"<b>{esc(meeting.title)}</b>",
        t(lang, "meeting.line.when", when=when_text(lang, meeting.starts_at, tz)),
        t(lang, "meeting.line.place", place=esc(meeting.place)),
    ])


def agenda_text(meeting: Meeting, lang: str) -> str:
    return t(lang, "meeting.line.agenda", agenda=esc(meeting.agenda)) if meeting.agenda else ""


def answer_buttons(meeting_id: int, lang: str, answer: Answer | None = None) -> InlineKeyboardMarkup:
    """Two big buttons, one a row; the chosen one carries a tick."""
    def label(key: str, mine: bool) -> str:
        return t(lang, key) + (" ✔" if mine else "")

    return InlineKeyboardMarkup([
        [InlineKeyboardButton(label("meeting.button.attend", answer is Answer.attend), callback_data=btn.ATTEND.data(meeting_id))],
        [InlineKeyboardButton(label("meeting.button.absent", answer is Answer.absent), callback_data=btn.ABSENT.data(meeting_id))],
    ])


# --- what the dispatcher sends (registered in bot/dispatcher.py) ------------------------------------------
def member_head(meeting: Meeting, lang: str, tz: tzinfo | None, first: str) -> str:
    """Three short lines before the buttons (DOMAIN.md): what, when, where."""
    return "\n".join([first, t(lang, "meeting.line.when", when=when_text(lang, meeting.starts_at, tz)),
                      t(lang, "meeting.line.place", place=esc(meeting.place))])


def notice_calls(meeting: Meeting, lang: str, tz: tzinfo | None, answer: Answer | None = None) -> list[Call]:
    """The documents first (by file_id), then the agenda, then the notice with the answer buttons."""
    calls: list[Call] = []
    for doc in meeting.documents:
        method, field_ = ("sendPhoto", "photo") if doc.file_kind == "photo" else ("sendDocument", "document")
        caption = esc(doc.file_name or meeting.title)
        if visible_length(caption) > CAPTION_LIMIT:
            caption = esc((doc.file_name or meeting.title)[:200])
        calls.append((method, {field_: doc.file_id, "caption": caption, "parse_mode": "HTML"}))
    if meeting.agenda:
        intro = t(lang, "meeting.notice.agenda", kind=kind_label(lang, meeting.kind), cell=esc(meeting.cell.name),
                  agenda=esc(meeting.agenda))
        for chunk in split_message(intro):
            calls.append(("sendMessage", {"text": chunk, "parse_mode": "HTML"}))
    first = t(lang, "meeting.notice.title", title=esc(meeting.title), cell=esc(meeting.cell.name))
    calls.append(("sendMessage", {"text": member_head(meeting, lang, tz, first), "parse_mode": "HTML",
                                  "reply_markup": answer_buttons(meeting.id, lang, answer).to_dict()}))
    return calls


def _open_for_answers(meeting: Meeting | None) -> bool:
    return meeting is not None and meeting.state is MeetingState.scheduled and meeting.starts_at > clock.now()


async def render_notice(session: AsyncSession, meeting_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    meeting = await meetings.get_meeting(session, meeting_id, full=True)
    return notice_calls(meeting, lang, tz) if _open_for_answers(meeting) else []


def _until(lang: str, label: str) -> str:
    """"3d" → "3 ngày nữa"; "2h" → "2 giờ nữa"."""
    unit = label.strip()[-1]
    count = int(label.strip()[:-1])
    return t(lang, {"d": "meeting.until.days", "h": "meeting.until.hours", "m": "meeting.until.minutes"}[unit],
             count=count)


async def render_reminder(session: AsyncSession, reminder_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    reminder = await meetings.get_reminder(session, reminder_id)
    meeting = await meetings.get_meeting(session, reminder.meeting_id) if reminder else None
    if not _open_for_answers(meeting):
        return []
    first = t(lang, "meeting.reminder", until=_until(lang, reminder.label), title=esc(meeting.title))
    text = member_head(meeting, lang, tz, first)
    return [("sendMessage", {"text": text, "parse_mode": "HTML",
                             "reply_markup": answer_buttons(meeting.id, lang).to_dict()})]


async def render_change(session: AsyncSession, change_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    change = await meetings.get_change(session, change_id)
    meeting = await meetings.get_meeting(session, change.meeting_id) if change else None
    if meeting is None:
        return []
    if change.kind is ChangeKind.cancelled:
        text = t(lang, "meeting.change.cancelled", title=esc(meeting.title), cell=esc(meeting.cell.name),
                 when=when_text(lang, change.old_starts_at, tz))
        return [("sendMessage", {"text": text, "parse_mode": "HTML"})]
    lines = [t(lang, "meeting.change.moved", title=esc(meeting.title), cell=esc(meeting.cell.name))]
    if change.new_starts_at != change.old_starts_at:
        lines.append(t(lang, "meeting.change.time", old=when_text(lang, change.old_starts_at, tz),
                       new=when_text(lang, change.new_starts_at, tz)))
    if change.new_place and change.new_place != change.old_place:
        lines.append(t(lang, "meeting.change.place", old=esc(change.old_place), new=esc(change.new_place)))
    markup = answer_buttons(meeting.id, lang).to_dict() if _open_for_answers(meeting) else None
    params = {"text": "\n".join(lines), "parse_mode": "HTML"}
    if markup:
        params["reply_markup"] = markup
    return [("sendMessage", params)]


# --- the secretary's view: answers live, and what can be done -----------------------------------------------
def _names(items: list[meetings.Answered], lang: str, *, reasons: bool = False) -> list[str]:
    lines = []
    for a in items[:NAMES_SHOWN]:
        line = f"• {esc(a.name)}"
        if reasons and a.reason:
            line += f" — {esc(a.reason)}"
        if a.by_proxy:
            line += " " + t(lang, "meeting.status.proxy")
        if not a.reachable:
            line += " 📵"
        lines.append(line)
    if len(items) > NAMES_SHOWN:
        lines.append(t(lang, "meeting.status.more", count=len(items) - NAMES_SHOWN))
    return lines


def manage_buttons(meeting: Meeting, lang: str, now: datetime) -> list[list[InlineKeyboardButton]]:
    rows = [[InlineKeyboardButton(t(lang, "meeting.button.refresh"), callback_data=btn.CARD.data(meeting.id))]]
    started = meeting.starts_at <= now
    if meeting.state is MeetingState.scheduled:
        if not started:
            rows.append([InlineKeyboardButton(t(lang, "meeting.button.proxy"), callback_data=btn.PROXY.data(meeting.id))])
            rows.append([InlineKeyboardButton(t(lang, "meeting.button.move"), callback_data=btn.MOVE.data(meeting.id)),
                         InlineKeyboardButton(t(lang, "meeting.button.cancel"), callback_data=btn.CANCEL.data(meeting.id))])
        if now >= meeting.starts_at - meetings.ROLL_CALL_OPENS:
            rows.append([InlineKeyboardButton(t(lang, "meeting.button.roll_call"), callback_data=btn.ROLL.data(meeting.id, 0))])
        if started:
            rows.append([InlineKeyboardButton(t(lang, "meeting.button.close"), callback_data=btn.CLOSE.data(meeting.id))])
    elif meeting.state is MeetingState.closed:
        rows.append([InlineKeyboardButton(t(lang, "meeting.button.minutes"), callback_data=btn.MINUTES.data(meeting.id))])
    return rows


async def status_view(session: AsyncSession, meeting: Meeting, lang: str,
                      tz: tzinfo | None) -> tuple[str, dict | None]:
    now = clock.now()
    lines = [meeting_head(meeting, lang, tz)]
    if meeting.state is MeetingState.cancelled:
        lines.append(t(lang, "meeting.status.cancelled"))
        return "\n".join(lines), None
    if meeting.state is MeetingState.closed:
        lines.append(t(lang, "meeting.status.closed", present=meeting.present_count, members=meeting.member_count))
        return "\n".join(lines), InlineKeyboardMarkup(manage_buttons(meeting, lang, now)).to_dict()
    a = await meetings.answers(session, meeting.id)
    lines.append("")
    lines.append(t(lang, "meeting.status.attend", count=len(a.attend), members=a.members))
    lines += _names(a.attend, lang)
    lines.append(t(lang, "meeting.status.absent", count=len(a.absent)))
    lines += _names(a.absent, lang, reasons=True)
    lines.append(t(lang, "meeting.status.silent", count=len(a.silent)))
    lines += _names(a.silent, lang)
    if any(not x.reachable for x in a.silent):
        lines.append(t(lang, "meeting.status.no_phone_hint"))
    if meeting.roll_call_at is not None:
        lines.append(t(lang, "meeting.status.roll", present=meeting.present_count, members=meeting.member_count))
    return "\n".join(lines), InlineKeyboardMarkup(manage_buttons(meeting, lang, now)).to_dict()


STATUS = LiveStatus(meetings.get_meeting, status_view, meetings.set_status_message)
status_edits = STATUS.edits  # the dispatcher's PROGRESS hook for meetings


async def show_card(turn: Turn, meeting: Meeting, *, edit: bool) -> None:
    text, markup = await status_view(turn.session, meeting, turn.lang, turn.services.timezone)
    keyboard = InlineKeyboardMarkup.de_json(markup, turn.context.bot) if markup else None
    turn.edit(text, keyboard) if edit else turn.reply(text, keyboard)
    query = turn.update.callback_query
    if edit and query is not None and query.message is not None:
        # The card the secretary is looking at is the one the dispatcher keeps up to date.
        await meetings.set_status_message(turn.session, meeting.id, turn.chat_id, query.message.message_id)


async def managed_or_refuse(turn: Turn, codec: Codec) -> tuple[Meeting | None, tuple | None]:
    """The meeting a secretary's button names, when they may manage it; refused and logged otherwise."""
    ids = codec.parse(turn.update.callback_query.data)
    prefix = codec.prefix
    meeting = await meetings.get_meeting(turn.session, ids[0]) if ids else None
    if meeting is None or not may_manage_cell(turn.actor, meeting.cell):
        await refuse(turn, f"meeting_{prefix}")
        return None, None
    return meeting, ids


@member_handler
async def card_pressed(turn: Turn):
    meeting, _ = await managed_or_refuse(turn, btn.CARD)
    if meeting is not None:
        await show_card(turn, meeting, edit=True)


# --- /meeting: schedule, step by step or on one line ----------------------------------------------------
def _draft(turn: Turn) -> dict:
    return turn.context.user_data.setdefault(DRAFT, {})


def default_title(lang: str, kind: MeetingKind, day: date | None) -> str:
    if kind is MeetingKind.regular and day is not None:
        return t(lang, "meeting.default_title.regular", month=day.month, year=day.year)
    return t(lang, f"meeting.kind.{kind.value}")


def guess_kind(title: str) -> MeetingKind:
    """The one-line form has no kind field: the title says it ("chuyên đề", "cấp ủy")."""
    folded = meetings.fold(title)
    if "chuyen de" in folded or "thematic" in folded:
        return MeetingKind.thematic
    if any(w in folded for w in ("cap uy", "chi uy", "committee")):
        return MeetingKind.committee
    return MeetingKind.regular


@member_handler
async def meeting_command(turn: Turn):
    cells = await managed_cells(turn.session, turn.actor)
    if not cells:
        await refuse(turn, "meeting")
        return ConversationHandler.END
    turn.context.user_data.pop(PENDING, None)
    if turn.args:
        return await _one_line(turn, cells)
    turn.context.user_data[DRAFT] = {}
    if len(cells) == 1:
        _draft(turn)["cell"] = cells[0].id
        return _ask_kind(turn)
    return _ask_cell(turn, cells)


def _ask_cell(turn: Turn, cells: list[Unit]):
    shown = cells[:30]
    _draft(turn)["offered"] = [c.id for c in shown]
    rows = [[InlineKeyboardButton(c.name[:60], callback_data=btn.CELL.data(c.id))] for c in shown]
    turn.reply(turn.t("meeting.ask_cell"), InlineKeyboardMarkup(rows))
    return CELL


@member_handler
async def chose_cell(turn: Turn):
    ids = btn.CELL.parse(turn.update.callback_query.data)
    draft = _draft(turn)
    cell = await units.get_unit(turn.session, ids[0]) if ids and ids[0] in draft.get("offered", []) else None
    if cell is None or not may_manage_cell(turn.actor, cell):
        await refuse(turn, "meeting_cell")
        return CELL
    draft["cell"] = cell.id
    turn.edit(turn.t("meeting.cell_chosen", cell=esc(cell.name)))
    if draft.get("one_line"):
        return await _create(turn, edit=False)
    return _ask_kind(turn)


def _ask_kind(turn: Turn):
    rows = [[InlineKeyboardButton(kind_label(turn.lang, k), callback_data=btn.KIND.data(k.value))] for k in MeetingKind]
    turn.reply(turn.t("meeting.ask_kind"), InlineKeyboardMarkup(rows))
    return KIND


@member_handler
async def chose_kind(turn: Turn):
    (value,) = btn.KIND.parse(turn.update.callback_query.data) or ("",)
    if value not in {k.value for k in MeetingKind}:
        turn.answer(turn.t("error.bad_button"))
        return KIND
    _draft(turn)["kind"] = value
    turn.edit(turn.t("meeting.kind_chosen", kind=kind_label(turn.lang, MeetingKind(value))))
    return _ask_day(turn)


def _ask_day(turn: Turn):
    tz = turn.services.timezone
    today = local(clock.now(), tz).date()
    rows, row = [], []
    for i in range(1, DAYS_OFFERED + 1):
        day = today + timedelta(days=i)
        label = f"{turn.t(f'meeting.weekday.short.{day.weekday()}')} {day.strftime('%d/%m')}"
        row.append(InlineKeyboardButton(label, callback_data=btn.DAY.data(day.strftime('%Y%m%d'))))
        if len(row) == 2:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    turn.reply(turn.t("meeting.ask_day"), InlineKeyboardMarkup(rows))
    return DAY


@member_handler
async def chose_day(turn: Turn):
    (raw,) = btn.DAY.parse(turn.update.callback_query.data) or ("",)
    try:
        day = datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        turn.answer(turn.t("error.bad_button"))
        return DAY
    _draft(turn)["day"] = day.isoformat()
    turn.edit(turn.t("meeting.day_chosen", date=day.strftime("%d/%m/%Y")))
    return _ask_time(turn)


@member_handler
async def typed_day(turn: Turn):
    try:
        day, at = meetings.parse_when(turn.text)
        if at is not None:
            meetings.local_start(day, at, turn.services.timezone)
        elif day < local(clock.now(), turn.services.timezone).date():
            raise MeetingError("when_past")
    except MeetingError as exc:
        turn.reply(error_text(turn.lang, exc) + "\n" + turn.t("meeting.try_again_day"))
        return DAY
    draft = _draft(turn)
    draft["day"] = day.isoformat()
    if at is not None:
        draft["time"] = at.strftime("%H:%M")
        return _ask_title(turn)
    return _ask_time(turn)


def _ask_time(turn: Turn):
    rows = [[InlineKeyboardButton(v, callback_data=btn.TIME.data(v.replace(':', ''))) for v in TIMES_OFFERED[i:i + 4]]
            for i in range(0, len(TIMES_OFFERED), 4)]
    turn.reply(turn.t("meeting.ask_time"), InlineKeyboardMarkup(rows))
    return TIME


async def _set_time(turn: Turn, at: time):
    draft = _draft(turn)
    try:
        meetings.local_start(date.fromisoformat(draft["day"]), at, turn.services.timezone)
    except MeetingError as exc:
        turn.reply(error_text(turn.lang, exc))
        return _ask_day(turn)
    draft["time"] = at.strftime("%H:%M")
    return _ask_title(turn)


@member_handler
async def chose_time(turn: Turn):
    (raw,) = btn.TIME.parse(turn.update.callback_query.data) or ("",)
    if "day" not in _draft(turn) or not (len(raw) == 4 and raw.isdigit()):
        turn.answer(turn.t("error.bad_button"))
        return TIME
    try:
        at = meetings.parse_time(f"{raw[:2]}:{raw[2:]}")
    except MeetingError:
        turn.answer(turn.t("error.bad_button"))
        return TIME
    turn.edit(turn.t("meeting.time_chosen", time=at.strftime("%H:%M")))
    return await _set_time(turn, at)


@member_handler
async def typed_time(turn: Turn):
    if "day" not in _draft(turn):
        return _ask_day(turn)
    try:
        at = meetings.parse_time(turn.text)
    except MeetingError as exc:
        turn.reply(error_text(turn.lang, exc) + "\n" + turn.t("meeting.try_again_time"))
        return TIME
    return await _set_time(turn, at)


def _ask_title(turn: Turn):
    draft = _draft(turn)
    suggested = default_title(turn.lang, MeetingKind(draft.get("kind", "regular")), date.fromisoformat(draft["day"]))
    draft["suggested"] = suggested
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(f"✔ {suggested}"[:64], callback_data=btn.TITLE.data("0"))]])
    turn.reply(turn.t("meeting.ask_title", limit=meetings.TITLE_MAX), markup)
    return TITLE


@member_handler
async def chose_title(turn: Turn):
    draft = _draft(turn)
    if "suggested" not in draft:
        turn.answer(turn.t("meeting.expired"), alert=True)
        return ConversationHandler.END
    draft["title"] = draft["suggested"]
    turn.edit(turn.t("meeting.title_chosen", title=esc(draft["title"])))
    return await _ask_place(turn)


@member_handler
async def typed_title(turn: Turn):
    title = " ".join(turn.text.split())
    if not title or len(title) > meetings.TITLE_MAX:
        turn.reply(turn.t("meeting.error.title_long", limit=meetings.TITLE_MAX))
        return TITLE
    _draft(turn)["title"] = title
    return await _ask_place(turn)


async def _ask_place(turn: Turn):
    draft = _draft(turn)
    draft["places"] = await meetings.recent_places(turn.session, draft.get("cell"), PLACES_OFFERED)
    rows = [[InlineKeyboardButton(f"📍 {p}"[:64], callback_data=btn.PLACE.data(i))] for i, p in enumerate(draft["places"])]
    turn.reply(turn.t("meeting.ask_place"), InlineKeyboardMarkup(rows) if rows else None)
    return PLACE


@member_handler
async def chose_place(turn: Turn):
    ids = btn.PLACE.parse(turn.update.callback_query.data)
    places = _draft(turn).get("places", [])
    if ids is None or ids[0] >= len(places):
        turn.answer(turn.t("error.bad_button"))
        return PLACE
    _draft(turn)["place"] = places[ids[0]]
    turn.edit(turn.t("meeting.place_chosen", place=esc(places[ids[0]])))
    return _ask_agenda(turn)


@member_handler
async def typed_place(turn: Turn):
    place = " ".join(turn.text.split())
    if not place or len(place) > meetings.PLACE_MAX:
        turn.reply(turn.t("meeting.error.place_long", limit=meetings.PLACE_MAX))
        return PLACE
    _draft(turn)["place"] = place
    return _ask_agenda(turn)


def _ask_agenda(turn: Turn):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("meeting.button.no_agenda"), callback_data=btn.NO_AGENDA.data("0"))]])
    turn.reply(turn.t("meeting.ask_agenda", limit=meetings.AGENDA_MAX), markup)
    return AGENDA


@member_handler
async def typed_agenda(turn: Turn):
    agenda = turn.text.strip()
    if paste_tail(turn, refused=False):
        return AGENDA
    if len(agenda) > meetings.AGENDA_MAX:
        paste_tail(turn, refused=True)
        turn.reply(turn.t("meeting.error.agenda_long", limit=meetings.AGENDA_MAX))
        return AGENDA
    _draft(turn)["agenda"] = agenda
    return _ask_docs(turn)


@member_handler
async def skipped_agenda(turn: Turn):
    _draft(turn)["agenda"] = ""
    turn.edit(turn.t("meeting.agenda_skipped"))
    return _ask_docs(turn)


def _ask_docs(turn: Turn):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("meeting.button.docs_done"), callback_data=btn.DOCS_DONE.data("0"))]])
    turn.reply(turn.t("meeting.ask_docs", limit=meetings.DOCUMENTS_MAX), markup)
    return DOCS


@member_handler
async def got_doc(turn: Turn):
    message = turn.update.effective_message
    docs = _draft(turn).setdefault("docs", [])
    if len(docs) >= meetings.DOCUMENTS_MAX:
        turn.reply(turn.t("meeting.error.too_many_documents", limit=meetings.DOCUMENTS_MAX))
        return DOCS
    if message.photo:
        docs.append({"file_id": message.photo[-1].file_id, "kind": "photo", "name": None})
    else:
        docs.append({"file_id": message.document.file_id, "kind": "document",
                     "name": (message.document.file_name or "")[:255] or None})
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("meeting.button.docs_done"), callback_data=btn.DOCS_DONE.data("0"))]])
    turn.reply(turn.t("meeting.doc_received", count=len(docs), name=esc(docs[-1]["name"] or "🖼")), markup)
    return DOCS


@member_handler
async def docs_done(turn: Turn):
    turn.edit(turn.t("meeting.docs_count", count=len(_draft(turn).get("docs", []))))
    return await _preview(turn)


def _draft_start(turn: Turn, draft: dict) -> datetime:
    return datetime.combine(date.fromisoformat(draft["day"]), time.fromisoformat(draft["time"]),
                            tzinfo=turn.services.timezone)


async def _preview(turn: Turn):
    draft = _draft(turn)
    if not all(k in draft for k in ("cell", "kind", "day", "time", "title", "place")):
        turn.reply(turn.t("meeting.expired"))
        return ConversationHandler.END
    cell = await units.get_unit(turn.session, draft["cell"])
    preview = Meeting(id=0, cell=cell, kind=MeetingKind(draft["kind"]), title=draft["title"], place=draft["place"],
                      agenda=draft.get("agenda", ""), starts_at=_draft_start(turn, draft))
    members = await meetings.cell_member_ids(turn.session, cell.id)
    linked = await accounts.count_linked(turn.session, members)
    text = "\n\n".join(p for p in [turn.t("meeting.preview_header"), meeting_head(preview, turn.lang, turn.services.timezone),
                                   agenda_text(preview, turn.lang)] if p)
    summary = turn.t("meeting.preview_audience", members=len(members), linked=linked,
                     docs=len(draft.get("docs", [])), reminders=", ".join(reminder_offsets(turn)))
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(turn.t("meeting.button.confirm"), callback_data=btn.CONFIRM.data("yes")),
        InlineKeyboardButton(turn.t("meeting.button.discard"), callback_data=btn.CONFIRM.data("no")),
    ]])
    turn.reply(text)
    turn.reply(summary, markup)
    return CONFIRM


@member_handler
async def confirmed(turn: Turn):
    if btn.CONFIRM.parse(turn.update.callback_query.data) != ("yes",):
        settle(turn, lambda data: data.pop(DRAFT, None))
        turn.edit(turn.t("cancel.done"))
        return ConversationHandler.END
    return await _create(turn, edit=True)


async def _create(turn: Turn, *, edit: bool):
    draft = turn.context.user_data.get(DRAFT) or {}
    settle(turn, lambda data: data.pop(DRAFT, None))
    if not all(k in draft for k in ("cell", "kind", "day", "time", "title", "place")):
        turn.reply(turn.t("meeting.expired"))
        return ConversationHandler.END
    docs = [Document(d["file_id"], d["kind"], d.get("name")) for d in draft.get("docs", [])]
    try:
        starts_at = meetings.local_start(date.fromisoformat(draft["day"]), time.fromisoformat(draft["time"]),
                                         turn.services.timezone)
        meeting = await meetings.schedule_meeting(
            turn.session, turn.actor, cell_id=draft["cell"], kind=MeetingKind(draft["kind"]), title=draft["title"],
            starts_at=starts_at, place=draft["place"], agenda=draft.get("agenda", ""), documents=docs,
            reminders=reminder_offsets(turn))
    except MeetingError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "meeting_schedule")
        else:
            turn.reply(error_text(turn.lang, exc))
        return ConversationHandler.END
    text = turn.t("meeting.scheduled", when=when_text(turn.lang, meeting.starts_at, turn.services.timezone))
    turn.edit(text) if edit else turn.reply(text, main_menu(turn.lang))
    STATUS.post(turn, meeting.id)
    tell_outbox(turn, meetings.MEETING_DELIVERY, wake=True)
    return ConversationHandler.END


async def _one_line(turn: Turn, cells: list[Unit]):
    """/meeting 05/12/2026 19:30 | Nhà văn hóa tổ 3 | Sinh hoạt thường kỳ tháng 12 [| agenda]."""
    try:
        line = one_line.meeting_line(turn.args, turn.services.timezone)
    except one_line.Usage:
        turn.reply(turn.t("meeting.one_line_usage"))
        return ConversationHandler.END
    except MeetingError as exc:
        turn.reply(error_text(turn.lang, exc) + "\n\n" + turn.t("meeting.one_line_usage"))
        return ConversationHandler.END
    turn.context.user_data[DRAFT] = {
        "kind": guess_kind(line.title).value, "day": line.day.isoformat(), "time": line.at.strftime("%H:%M"),
        "title": line.title, "place": line.place, "agenda": line.agenda, "one_line": True,
    }
    if len(cells) == 1:
        _draft(turn)["cell"] = cells[0].id
        return await _create(turn, edit=False)
    return _ask_cell(turn, cells)


@member_handler
async def stale_step(turn: Turn):
    """A button of a /meeting conversation that is over."""
    turn.answer(turn.t("meeting.expired"), alert=True)


# --- members answer ---------------------------------------------------------------------------------------
def _mark_buttons(turn: Turn, meeting_id: int, answer: Answer | None) -> None:
    """Tick the chosen answer on the message that was pressed."""
    query = turn.update.callback_query
    if query is None or query.message is None or query.message.reply_markup is None:
        return
    params = {"chat_id": query.message.chat.id, "message_id": query.message.message_id,
              "reply_markup": answer_buttons(meeting_id, turn.lang, answer).to_dict()}

    async def edit() -> None:
        try:
            await api_call(turn.context.bot, "editMessageReplyMarkup", params)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    turn.later(edit)


async def _answer_refused(turn: Turn, exc: MeetingError, what: str) -> None:
    if exc.reason == "not_allowed":
        await refuse(turn, what)
    else:
        turn.answer(error_text(turn.lang, exc), alert=True)


@member_handler
async def attend_pressed(turn: Turn):
    ids = btn.ATTEND.parse(turn.update.callback_query.data)
    if ids is None:
        await refuse(turn, "meeting_attend")
        return ConversationHandler.END
    try:
        await meetings.answer(turn.session, turn.actor, ids[0], Answer.attend)
    except MeetingError as exc:
        await _answer_refused(turn, exc, "meeting_attend")
        return ConversationHandler.END
    settle(turn, lambda data: data.pop(PENDING, None))
    turn.answer(turn.t("meeting.answered_attend"), alert=True)
    _mark_buttons(turn, ids[0], Answer.attend)
    tell_outbox(turn, meetings.MEETING_DELIVERY, touch=ids[0])
    return ConversationHandler.END


def reason_buttons(meeting_id: int, lang: str, member_id: int | None = None) -> InlineKeyboardMarkup:
    def data(i: int) -> str:
        return btn.REASON.data(meeting_id, i) if member_id is None else btn.PROXY_REASON.data(meeting_id, member_id, i)
    rows = [[InlineKeyboardButton(t(lang, f"meeting.reason.{code}"), callback_data=data(i))]
            for i, code in enumerate(REASONS)]
    return InlineKeyboardMarkup(rows)


@member_handler
async def absent_pressed(turn: Turn):
    ids = btn.ABSENT.parse(turn.update.callback_query.data)
    meeting = await meetings.get_meeting(turn.session, ids[0]) if ids else None
    if meeting is None or not await meetings.is_invited(turn.session, meeting, turn.actor.member_id):
        await refuse(turn, "meeting_absent")
        return ConversationHandler.END
    if not _open_for_answers(meeting):
        turn.answer(turn.t("meeting.error.answers_closed"), alert=True)
        return ConversationHandler.END
    turn.context.user_data[PENDING] = {"what": "reason", "meeting": meeting.id}
    turn.reply(turn.t("meeting.ask_reason", title=esc(meeting.title)), reason_buttons(meeting.id, turn.lang))
    return REASON


async def _record_absent(turn: Turn, meeting_id: int, reason: str, for_member_id: int | None = None) -> bool:
    try:
        await meetings.answer(turn.session, turn.actor, meeting_id, Answer.absent, reason=reason,
                              for_member_id=for_member_id)
    except MeetingError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "meeting_reason")
        elif turn.update.callback_query is not None:
            turn.answer(error_text(turn.lang, exc), alert=True)
        else:
            turn.reply(error_text(turn.lang, exc))
        return False
    tell_outbox(turn, meetings.MEETING_DELIVERY, touch=meeting_id)
    return True


@member_handler
async def reason_pressed(turn: Turn):
    ids = btn.REASON.parse(turn.update.callback_query.data)
    if ids is None or ids[1] >= len(REASONS):
        await refuse(turn, "meeting_reason")
        return ConversationHandler.END
    # Reasons are kept in the handbook's language: the minutes are written in it.
    reason = t(turn.services.default_language, f"meeting.reason.{REASONS[ids[1]]}")
    if await _record_absent(turn, ids[0], reason):
        settle(turn, lambda data: data.pop(PENDING, None))
        turn.edit(turn.t("meeting.answered_absent", reason=esc(reason)))
    return ConversationHandler.END


@member_handler
async def typed_reason(turn: Turn):
    pending = turn.context.user_data.get(PENDING) or {}
    if pending.get("what") != "reason":
        return ConversationHandler.END
    if turn.text.strip() in menu_texts():  # a big menu button, not a reason: let the member start over
        turn.context.user_data.pop(PENDING, None)
        turn.reply(turn.t("meeting.reason_dropped"), main_menu(turn.lang))
        return ConversationHandler.END
    reason = " ".join(turn.text.split())
    if not reason:
        return REASON
    if len(reason) > meetings.REASON_MAX:
        turn.reply(turn.t("meeting.error.reason_long", limit=meetings.REASON_MAX))
        return REASON
    if await _record_absent(turn, pending["meeting"], reason):
        settle(turn, lambda data: data.pop(PENDING, None))
        turn.reply(turn.t("meeting.answered_absent", reason=esc(reason)), main_menu(turn.lang))
    return ConversationHandler.END


@member_handler
async def open_pressed(turn: Turn):
    """A member opens a meeting from /meetings: the notice again, with their answer ticked."""
    ids = btn.OPEN.parse(turn.update.callback_query.data)
    meeting = await meetings.get_meeting(turn.session, ids[0], full=True) if ids else None
    if meeting is None or not (await meetings.is_invited(turn.session, meeting, turn.actor.member_id)
                               or may_manage_cell(turn.actor, meeting.cell)):
        await refuse(turn, "meeting_open")
        return
    row = await meetings.answer_of(turn.session, meeting.id, turn.actor.member_id)
    calls = notice_calls(meeting, turn.lang, turn.services.timezone, row.answer if row else None)
    if not _open_for_answers(meeting):
        calls[-1][1].pop("reply_markup", None)
    bot, chat_id = turn.context.bot, turn.chat_id
    for method, params in calls:
        turn.later(functools.partial(api_call, bot, method, {"chat_id": chat_id, **params}))


# --- the secretary: proxy answers, move, cancel ------------------------------------------------------------
@member_handler
async def proxy_pressed(turn: Turn):
    """Members who have not answered (those without Telegram first): the secretary answers for them."""
    meeting, _ = await managed_or_refuse(turn, btn.PROXY)
    if meeting is not None:
        await _proxy_list(turn, meeting)


@member_handler
async def proxy_answer_pressed(turn: Turn):
    meeting, ids = await managed_or_refuse(turn, btn.PROXY_ANSWER)
    if meeting is None:
        return
    _, member_id, attend = ids
    if not await meetings.is_invited(turn.session, meeting, member_id):
        await refuse(turn, "meeting_proxy")
        return
    if attend:
        try:
            await meetings.answer(turn.session, turn.actor, meeting.id, Answer.attend, for_member_id=member_id)
        except MeetingError as exc:
            await _answer_refused(turn, exc, "meeting_proxy")
            return
        turn.answer(turn.t("meeting.proxy_recorded"))
        tell_outbox(turn, meetings.MEETING_DELIVERY, touch=meeting.id)
        await _proxy_list(turn, meeting)
        return
    turn.edit(turn.t("meeting.proxy_reason"), reason_buttons(meeting.id, turn.lang, member_id))


async def _proxy_list(turn: Turn, meeting: Meeting) -> None:
    a = await meetings.answers(turn.session, meeting.id)
    waiting = sorted(a.silent, key=lambda x: (x.reachable, name_key(x.name)))[:30]
    rows = [[InlineKeyboardButton(f"✅ {'📵 ' if not m.reachable else ''}{m.name}"[:60],
                                  callback_data=btn.PROXY_ANSWER.data(meeting.id, m.member_id, 1)),
             InlineKeyboardButton("🙏", callback_data=btn.PROXY_ANSWER.data(meeting.id, m.member_id, 0))] for m in waiting]
    rows.append([InlineKeyboardButton(turn.t("meeting.button.back"), callback_data=btn.CARD.data(meeting.id))])
    key = "meeting.proxy_header" if waiting else "meeting.proxy_none"
    turn.edit(turn.t(key, title=esc(meeting.title)), InlineKeyboardMarkup(rows))


@member_handler
async def proxy_reason_pressed(turn: Turn):
    meeting, ids = await managed_or_refuse(turn, btn.PROXY_REASON)
    if meeting is None:
        return
    _, member_id, code = ids
    if code >= len(REASONS):
        await refuse(turn, "meeting_proxy")
        return
    reason = t(turn.services.default_language, f"meeting.reason.{REASONS[code]}")
    if await _record_absent(turn, meeting.id, reason, for_member_id=member_id):
        turn.answer(turn.t("meeting.proxy_recorded"))
        await _proxy_list(turn, meeting)


@member_handler
async def move_pressed(turn: Turn):
    meeting, _ = await managed_or_refuse(turn, btn.MOVE)
    if meeting is None:
        return ConversationHandler.END
    if not _open_for_answers(meeting):
        turn.answer(turn.t("meeting.error.already_started"), alert=True)
        return ConversationHandler.END
    turn.context.user_data[PENDING] = {"what": "move", "meeting": meeting.id}
    turn.reply(turn.t("meeting.ask_move", when=when_text(turn.lang, meeting.starts_at, turn.services.timezone),
                      place=esc(meeting.place)))
    return MOVE


@member_handler
async def typed_move(turn: Turn):
    pending = turn.context.user_data.get(PENDING) or {}
    if pending.get("what") != "move":
        return ConversationHandler.END
    when, _, place = turn.text.partition("|")
    try:
        day, at = meetings.parse_when(when)
        if at is None:
            raise MeetingError("time_missing")
        starts_at = meetings.local_start(day, at, turn.services.timezone)
        change = await meetings.move_meeting(turn.session, turn.actor, pending["meeting"], starts_at=starts_at,
                                             place=place.strip() or None, reminders=reminder_offsets(turn))
    except MeetingError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "meeting_move")
            return ConversationHandler.END
        turn.reply(error_text(turn.lang, exc) + "\n" + turn.t("meeting.try_again_move"))
        return MOVE
    settle(turn, lambda data: data.pop(PENDING, None))
    turn.reply(turn.t("meeting.moved", when=when_text(turn.lang, change.new_starts_at, turn.services.timezone)),
               main_menu(turn.lang))
    STATUS.post(turn, pending["meeting"])
    tell_outbox(turn, meetings.MEETING_DELIVERY, wake=True)
    return ConversationHandler.END


@member_handler
async def cancel_pressed(turn: Turn):
    meeting, _ = await managed_or_refuse(turn, btn.CANCEL)
    if meeting is None:
        return
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(turn.t("meeting.button.cancel_yes"), callback_data=btn.CANCEL_YES.data(meeting.id)),
        InlineKeyboardButton(turn.t("meeting.button.back"), callback_data=btn.CARD.data(meeting.id)),
    ]])
    turn.edit(turn.t("meeting.ask_cancel", title=esc(meeting.title),
                     when=when_text(turn.lang, meeting.starts_at, turn.services.timezone)), markup)


@member_handler
async def cancel_confirmed(turn: Turn):
    meeting, _ = await managed_or_refuse(turn, btn.CANCEL_YES)
    if meeting is None:
        return
    try:
        await meetings.cancel_meeting(turn.session, turn.actor, meeting.id)
    except MeetingError as exc:
        turn.answer(error_text(turn.lang, exc), alert=True)
        return
    turn.edit(turn.t("meeting.cancelled", title=esc(meeting.title)))
    tell_outbox(turn, meetings.MEETING_DELIVERY, wake=True)


# --- /meetings: a member's calendar ---------------------------------------------------------------------------
PRESENCE_MARK = {"present": "✅", "excused": "🙏", "unexcused": "❌", "exempt": "🕊"}


@member_handler
async def meetings_command(turn: Turn):
    tz = turn.services.timezone
    lines = [turn.t("meetings.header")]
    rows = []
    member_id = turn.actor.member_id
    upcoming = await meetings.upcoming_for_member(turn.session, member_id) if member_id else []
    lines.append("")
    lines.append(turn.t("meetings.upcoming" if upcoming else "meetings.none_upcoming"))
    for item in upcoming:
        m = item.meeting
        answer_key = {Answer.attend: "meetings.you_attend", Answer.absent: "meetings.you_absent",
                      None: "meetings.you_silent"}[item.answer]
        lines.append(f"• <b>{when_text(turn.lang, m.starts_at, tz)}</b> — {esc(m.title)}")
        lines.append(f"   📍 {esc(m.place)} · {turn.t(answer_key)}")
        rows.append([InlineKeyboardButton(turn.t("meetings.button.open", date=day_text(m.starts_at, tz)),
                                          callback_data=btn.OPEN.data(m.id))])
    past = await meetings.past_for_member(turn.session, member_id) if member_id else []
    if past:
        lines.append("")
        lines.append(turn.t("meetings.past"))
        for item in past:
            m = item.meeting
            status = item.presence.value
            lines.append(f"• {day_text(m.starts_at, tz)} — {esc(m.title)}: "
                         f"{PRESENCE_MARK[status]} {turn.t(f'attendance.status.{status}')}")
    managed = await meetings.managed_meetings(turn.session, turn.actor) if turn.actor.is_officer else []
    if managed:
        lines.append("")
        lines.append(turn.t("meetings.managed"))
        for m in managed:
            rows.append([InlineKeyboardButton(f"📋 {day_text(m.starts_at, tz)} · {m.cell.name} · {m.title}"[:64],
                                              callback_data=btn.CARD.data(m.id))])
    turn.reply("\n".join(lines), InlineKeyboardMarkup(rows) if rows else main_menu(turn.lang))


# --- wiring -----------------------------------------------------------------------------------------------------
def register(app) -> None:
    from . import attendance

    text = filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # Buttons of each step are answered by this user's conversation, whatever message they sit on.
        warnings.simplefilter("ignore", PTBUserWarning)
        conversation = ConversationHandler(
            entry_points=[
                CommandHandler("meeting", meeting_command),
                CallbackQueryHandler(absent_pressed, pattern=btn.ABSENT.pattern),
                CallbackQueryHandler(move_pressed, pattern=btn.MOVE.pattern),
                *attendance.entry_points(),
            ],
            states={
                CELL: [CallbackQueryHandler(chose_cell, pattern=btn.CELL.pattern)],
                KIND: [CallbackQueryHandler(chose_kind, pattern=btn.KIND.pattern)],
                DAY: [CallbackQueryHandler(chose_day, pattern=btn.DAY.pattern), MessageHandler(text, typed_day)],
                TIME: [CallbackQueryHandler(chose_time, pattern=btn.TIME.pattern), MessageHandler(text, typed_time)],
                TITLE: [CallbackQueryHandler(chose_title, pattern=btn.TITLE.exact), MessageHandler(text, typed_title)],
                PLACE: [CallbackQueryHandler(chose_place, pattern=btn.PLACE.pattern), MessageHandler(text, typed_place)],
                AGENDA: [CallbackQueryHandler(skipped_agenda, pattern=btn.NO_AGENDA.exact), MessageHandler(text, typed_agenda)],
                DOCS: [MessageHandler(filters.Document.ALL | filters.PHOTO, got_doc),
                       CallbackQueryHandler(docs_done, pattern=btn.DOCS_DONE.exact)],
                CONFIRM: [CallbackQueryHandler(confirmed, pattern=btn.CONFIRM.exact)],
                REASON: [CallbackQueryHandler(reason_pressed, pattern=btn.REASON.pattern), MessageHandler(text, typed_reason)],
                MOVE: [MessageHandler(text, typed_move)],
                **attendance.states(text),
            },
            fallbacks=[CommandHandler("cancel", cancel),
                       CallbackQueryHandler(attend_pressed, pattern=btn.ATTEND.pattern)],
            conversation_timeout=1800,
            allow_reentry=True,
            name="meeting",
        )
    app.add_handler(conversation)
    app.add_handler(CallbackQueryHandler(stale_step, pattern=any_of(*btn.CONVERSATION)))
    app.add_handler(CallbackQueryHandler(attend_pressed, pattern=btn.ATTEND.pattern))
    app.add_handler(CallbackQueryHandler(reason_pressed, pattern=btn.REASON.pattern))
    app.add_handler(CallbackQueryHandler(open_pressed, pattern=btn.OPEN.pattern))
    app.add_handler(CallbackQueryHandler(card_pressed, pattern=btn.CARD.pattern))
    app.add_handler(CallbackQueryHandler(proxy_pressed, pattern=btn.PROXY.pattern))
    app.add_handler(CallbackQueryHandler(proxy_answer_pressed, pattern=btn.PROXY_ANSWER.pattern))
    app.add_handler(CallbackQueryHandler(proxy_reason_pressed, pattern=btn.PROXY_REASON.pattern))
    app.add_handler(CallbackQueryHandler(cancel_pressed, pattern=btn.CANCEL.pattern))
    app.add_handler(CallbackQueryHandler(cancel_confirmed, pattern=btn.CANCEL_YES.pattern))
    attendance.register(app)
    app.add_handler(CommandHandler("meetings", meetings_command))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.meetings")), meetings_command))


FEATURE = Feature(
    "meetings",
    register=register,
    commands=(Command("meetings", 30), Command("meeting", 120, officer=True), Command("attendance", 160, officer=True)),
    menu=(MenuButton("menu.meetings", 20),),
    renderers=lambda services: {
        meetings.MEETING_DELIVERY: render_notice,
        meetings.REMINDER_DELIVERY: render_reminder,
        meetings.CHANGE_DELIVERY: render_change,
    },
    progress={meetings.MEETING_DELIVERY: status_edits},
    ticks=(meetings.reminder_tick,),
)
