"""/meeting: a secretary schedules a cell meeting, step by step or on one line.

Each step keeps what was chosen in the draft (user_data); the last one asks to confirm and the
meeting is made, its notice queued (models.meetings.schedule_meeting) and the secretary's live card
posted. A button of a conversation that is over gets "expired" (stale_step).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import accounts, clock, meetings, one_line, units
from models.callback_data import Codec
from models.meetings import Document, Meeting, MeetingError, MeetingKind
from models.permissions import managed_cells, may_manage_cell
from models.units import Unit

from ..i18n import t
from ..live_status import tell_outbox
from ..steps import refuse, settle
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .common import (
    AGENDA,
    CELL,
    CONFIRM,
    DAY,
    DOCS,
    DRAFT,
    KIND,
    PENDING,
    PLACE,
    TIME,
    TITLE,
    agenda_text,
    error_text,
    kind_label,
    local,
    meeting_head,
    reminder_offsets,
    too_long,
    when_text,
)
from .render import STATUS

DAYS_OFFERED = 7
TIMES_OFFERED = ("07:30", "08:00", "14:00", "15:00", "19:00", "19:30", "20:00")
PLACES_OFFERED = 3


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
    return await _ask_agenda(turn)


@member_handler
async def typed_place(turn: Turn):
    place = " ".join(turn.text.split())
    if not place or len(place) > meetings.PLACE_MAX:
        turn.reply(turn.t("meeting.error.place_long", limit=meetings.PLACE_MAX))
        return PLACE
    _draft(turn)["place"] = place
    return await _ask_agenda(turn)


def _one_button(turn: Turn, key: str, codec: Codec) -> InlineKeyboardMarkup:
    """A step's single button ("no agenda", "no more documents"): its codec's one choice is "0"."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(turn.t(key), callback_data=codec.data("0"))]])


async def _ask_agenda(turn: Turn):
    """A regular meeting starts from the cell's agenda template (HD 42): shown, used with one tap, or typed over."""
    draft = _draft(turn)
    if draft.get("kind") == MeetingKind.regular.value and "cell" in draft:
        template = await meetings.agenda_template(turn.session, draft["cell"], turn.services.default_language)
        draft["template"] = template.agenda
        rows = [[InlineKeyboardButton(turn.t("meeting.button.use_template"), callback_data=btn.USE_TEMPLATE.data("0"))],
                [InlineKeyboardButton(turn.t("meeting.button.no_agenda"), callback_data=btn.NO_AGENDA.data("0"))]]
        turn.reply(turn.t("meeting.ask_agenda_template", agenda=esc(template.agenda), limit=meetings.AGENDA_MAX),
                   InlineKeyboardMarkup(rows))
        return AGENDA
    turn.reply(turn.t("meeting.ask_agenda", limit=meetings.AGENDA_MAX),
               _one_button(turn, "meeting.button.no_agenda", btn.NO_AGENDA))
    return AGENDA


@member_handler
async def used_template(turn: Turn):
    draft = _draft(turn)
    if not draft.get("template"):
        turn.answer(turn.t("meeting.expired"), alert=True)
        return ConversationHandler.END
    draft["agenda"] = draft["template"]
    turn.edit(turn.t("meeting.agenda_from_template", agenda=esc(draft["agenda"])))
    return _ask_docs(turn)


@member_handler
async def typed_agenda(turn: Turn):
    agenda = turn.text.strip()
    if too_long(turn, agenda, meetings.AGENDA_MAX, "meeting.error.agenda_long"):
        return AGENDA
    _draft(turn)["agenda"] = agenda
    return _ask_docs(turn)


@member_handler
async def skipped_agenda(turn: Turn):
    _draft(turn)["agenda"] = ""
    turn.edit(turn.t("meeting.agenda_skipped"))
    return _ask_docs(turn)


def _ask_docs(turn: Turn):
    turn.reply(turn.t("meeting.ask_docs", limit=meetings.DOCUMENTS_MAX),
               _one_button(turn, "meeting.button.docs_done", btn.DOCS_DONE))
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
    turn.reply(turn.t("meeting.doc_received", count=len(docs), name=esc(docs[-1]["name"] or "🖼")),
               _one_button(turn, "meeting.button.docs_done", btn.DOCS_DONE))
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
    turn.edit(text) if edit else turn.reply(text, turn.menu())
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
