"""/meeting: a secretary schedules a cell meeting, step by step or on one line.

Each step keeps what was chosen in the draft (user_data) and can be answered by a tap (offers.py: the
calendar, the usual times, the last places) or by typing; every question has ◀ Quay lại (the step before,
asked again in place, what was chosen shown and one tap away) and ✖ Hủy (TRAIL, handlers.steps.Trail).
The last one asks to confirm and the meeting is made, its notice queued (models.meetings.schedule_meeting)
and the secretary's live card posted. A button of a conversation that is over gets "expired" (stale_step).
"""
from __future__ import annotations

from datetime import date, datetime, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import accounts, clock, meetings, one_line, units
from models.meetings import Document, Meeting, MeetingError, MeetingKind
from models.permissions import managed_cells, may_manage_cell
from models.text import clean_line
from models.units import Unit

from ..calendar import day_of, month_of
from ..live_status import tell_outbox
from ..steps import Ask, Trail, any_or_refuse, chose, keep_row, paged, refuse, settle
from ..steps import asked as _asked
from ..steps import show_step as _show
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from . import offers
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
    agenda_line,
    agenda_text,
    error_text,
    kind_label,
    local,
    meeting_head,
    paste_tail,
    reminder_offsets,
    too_long,
    when_text,
)
from .render import STATUS

PLACES_OFFERED = 3


def _draft(turn: Turn) -> dict:
    return turn.context.user_data.setdefault(DRAFT, {})


@member_handler
async def meeting_command(turn: Turn):
    cells = await any_or_refuse(turn, managed_cells(turn.session, turn.actor), "meeting")
    if not cells:
        return ConversationHandler.END
    turn.context.user_data.pop(PENDING, None)
    if turn.args:
        return await _one_line(turn, cells)
    turn.context.user_data[DRAFT] = {}
    if len(cells) == 1:
        _draft(turn)["cell"] = cells[0].id
        return await _ask_kind(turn)
    return await _ask_cell(turn)


@member_handler
async def review_meeting_pressed(turn: Turn):
    """📅 Đặt lịch họp kiểm điểm under the review's appraisal: this cell, the kind "Họp kiểm điểm cuối năm"
    chosen; the day asked next (◀ goes back to the kind)."""
    ids = btn.REVIEW_NEW.parse(turn.update.callback_query.data)
    cell = await units.get_unit(turn.session, ids[0]) if ids else None
    if cell is None or not may_manage_cell(turn.actor, cell):
        await refuse(turn, "meeting_cell")
        return ConversationHandler.END
    turn.context.user_data.pop(PENDING, None)
    turn.context.user_data[DRAFT] = {"cell": cell.id, "kind": MeetingKind.review.value, "trail": [KIND]}
    turn.answer()
    turn.reply(_kind_chosen(turn, MeetingKind.review.value))  # as if chosen on the kind's question
    return await _ask_day(turn)


async def _ask_cell(turn: Turn, *, edit: bool = False):
    """Asked once, when the officer manages several cells: the usual one first."""
    cells = await meetings.usual_first(turn.session, turn.actor, await managed_cells(turn.session, turn.actor))
    shown = cells[:30]
    draft = _draft(turn)
    draft["offered"] = [c.id for c in shown]
    chosen = next((turn.t("meeting.cell_chosen", cell=esc(c.name)) for c in shown if c.id == draft.get("cell")), None)
    rows = [[InlineKeyboardButton(c.name[:60], callback_data=btn.CELL.data(c.id))] for c in shown]
    return TRAIL.ask(turn, CELL, _asked(turn, "meeting.ask_cell", chosen), rows, edit)


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
    return await _ask_kind(turn)


def _kind_chosen(turn: Turn, kind: str) -> str:
    return turn.t("meeting.kind_chosen", kind=kind_label(turn.lang, MeetingKind(kind)))


async def _ask_kind(turn: Turn, *, edit: bool = False):
    kind = _draft(turn).get("kind")
    chosen = _kind_chosen(turn, kind) if kind else None
    rows = [[InlineKeyboardButton(kind_label(turn.lang, k), callback_data=btn.KIND.data(k.value))] for k in MeetingKind]
    return TRAIL.ask(turn, KIND, _asked(turn, "meeting.ask_kind", chosen), rows, edit)


@member_handler
async def chose_kind(turn: Turn):
    if not chose(turn, btn.KIND, _draft(turn), "kind", _kind_chosen):
        return KIND
    return await _ask_day(turn)


async def _ask_day(turn: Turn, *, edit: bool = False, month: date | None = None):
    """The calendar, a month a page (offers.calendar); the cell's usual day(s) starred."""
    draft, tz = _draft(turn), turn.services.timezone
    usual = await meetings.usual_days(turn.session, draft.get("cell", 0), tz)
    chosen = date.fromisoformat(draft["day"]) if "day" in draft else None
    markup = offers.calendar(turn.lang, tz, usual=usual, chosen=chosen, month=month, last_row=TRAIL.row(turn, DAY))
    text = _asked(turn, "meeting.ask_day", chosen and turn.t("meeting.day_chosen", date=chosen.strftime("%d/%m/%Y")))
    if usual:
        text += "\n" + turn.t("meeting.usual_day_hint")
    _show(turn, text, markup, edit)
    return DAY


async def _show_month(turn: Turn, raw: str, *, edit: bool = True):
    """A page button of the calendar: forged or out of range, said and the page stays."""
    month = month_of(raw)
    if month is None or not offers.month_offered(month, turn.services.timezone):
        turn.answer(offers.out_of_range(turn.lang, turn.services.timezone), alert=True)
        return DAY
    return await _ask_day(turn, edit=edit, month=month)


month_pressed = paged(btn.MONTH, _show_month, "meeting_month")


@member_handler
async def chose_day(turn: Turn):
    fields = btn.DAY.parse(turn.update.callback_query.data)
    day = day_of(fields[0]) if fields else None
    if day is None:  # forged, or a day like 31/02
        turn.answer(turn.t("meeting.error.date_impossible" if fields else "error.bad_button"), alert=True)
        return DAY
    if not offers.offered(day, turn.services.timezone):
        turn.answer(offers.out_of_range(turn.lang, turn.services.timezone), alert=True)
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


def _ask_time(turn: Turn, *, edit: bool = False):
    chosen = _draft(turn).get("time")
    text = _asked(turn, "meeting.ask_time", chosen and turn.t("meeting.time_chosen", time=chosen))
    return TRAIL.ask(turn, TIME, text, offers.time_rows(), edit)


async def _set_time(turn: Turn, at: time):
    draft = _draft(turn)
    try:
        meetings.local_start(date.fromisoformat(draft["day"]), at, turn.services.timezone)
    except MeetingError as exc:
        turn.reply(error_text(turn.lang, exc))
        return await _ask_day(turn)
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
        return await _ask_day(turn)
    try:
        at = meetings.parse_time(turn.text)
    except MeetingError as exc:
        turn.reply(error_text(turn.lang, exc) + "\n" + turn.t("meeting.try_again_time"))
        return TIME
    return await _set_time(turn, at)


def _ask_title(turn: Turn, *, edit: bool = False):
    draft = _draft(turn)
    suggested = offers.default_title(turn.lang, MeetingKind(draft.get("kind", "regular")), date.fromisoformat(draft["day"]))
    draft["suggested"] = suggested
    rows = [[InlineKeyboardButton(f"✔ {suggested}"[:64], callback_data=btn.TITLE.data("0"))]]
    kept = draft.get("title")
    if kept and kept != suggested:
        rows.insert(0, keep_row(btn.TITLE, f"✔ {kept}", "1"))
    text = _asked(turn, "meeting.ask_title", kept and turn.t("meeting.title_chosen", title=esc(kept)),
                  limit=meetings.TITLE_MAX)
    return TRAIL.ask(turn, TITLE, text, rows, edit)


@member_handler
async def chose_title(turn: Turn):
    draft = _draft(turn)
    key = "title" if btn.TITLE.parse(turn.update.callback_query.data) == ("1",) else "suggested"
    if key not in draft:
        turn.answer(turn.t("meeting.expired"), alert=True)
        return ConversationHandler.END
    draft["title"] = draft[key]
    turn.edit(turn.t("meeting.title_chosen", title=esc(draft["title"])))
    return await _ask_place(turn)


def _typed(what: str, limit: int, state: int, then: Ask):
    """The handler of a typed title or place (`what`): kept as it will be stored (models.text.clean_line: invisible
    and bidi characters gone, spaces tidied) and the next step (`then`) asked; nothing left, or over `limit`: said,
    and the step stays."""

    async def typed(turn: Turn):
        line = clean_line(turn.text)
        if paste_tail(turn, refused=False):  # the rest of a long paste whose first part was refused
            return state
        if not line or len(line) > limit:
            paste_tail(turn, refused=True)
            turn.reply(error_text(turn.lang, MeetingError(f"{what}_long" if line else f"{what}_empty")))
            return state
        _draft(turn)[what] = line
        return await then(turn)

    # Named before it is wrapped: the turn's metrics and logs know a handler by the name it had then.
    typed.__name__ = typed.__qualname__ = f"typed_{what}"
    return member_handler(typed)


async def _ask_place(turn: Turn, *, edit: bool = False):
    """The places the cell used last, and the one typed before (after ◀), a tap each."""
    draft = _draft(turn)
    places = await meetings.recent_places(turn.session, draft.get("cell"), PLACES_OFFERED)
    kept = draft.get("place")
    draft["places"] = places = [kept, *(p for p in places if p != kept)] if kept else places
    rows = [[InlineKeyboardButton(f"📍 {p}"[:64], callback_data=btn.PLACE.data(i))] for i, p in enumerate(places)]
    text = _asked(turn, "meeting.ask_place", kept and turn.t("meeting.place_chosen", place=esc(kept)))
    return TRAIL.ask(turn, PLACE, text, rows, edit)


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


async def _ask_agenda(turn: Turn, *, edit: bool = False):
    """A regular meeting starts from the cell's agenda template (HD 42): shown, used with one tap, or typed over.
    Asked again after ◀, what was typed before is offered too."""
    draft = _draft(turn)
    kept = draft.get("agenda")
    rows = [[InlineKeyboardButton(turn.t("meeting.button.no_agenda"), callback_data=btn.NO_AGENDA.data("0"))]]
    if kept:
        rows.insert(0, keep_row(btn.NO_AGENDA, turn.t("meeting.button.keep_agenda"), "1"))
    if draft.get("kind") == MeetingKind.regular.value and "cell" in draft:
        template = await meetings.agenda_template(turn.session, draft["cell"], turn.services.default_language)
        draft["template"] = template.agenda
        rows.insert(0, [InlineKeyboardButton(turn.t("meeting.button.use_template"), callback_data=btn.USE_TEMPLATE.data("0"))])
        text = _asked(turn, "meeting.ask_agenda_template", kept and agenda_line(turn.lang, kept),
                      agenda=esc(template.agenda), limit=meetings.AGENDA_MAX)
    else:  # no template: a 'use the template' button of a regular meeting, before ◀ changed the kind, is stale
        draft.pop("template", None)
        text = _asked(turn, "meeting.ask_agenda", kept and agenda_line(turn.lang, kept), limit=meetings.AGENDA_MAX)
    return TRAIL.ask(turn, AGENDA, text, rows, edit)


@member_handler
async def used_template(turn: Turn):
    draft = _draft(turn)
    if not draft.get("template"):  # a button of an earlier question: this one is still asked
        turn.answer(turn.t("meeting.expired"), alert=True)
        return None
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
    """➡️ No agenda yet, or ✔ keep the one typed before ◀ was pressed."""
    draft = _draft(turn)
    kept = btn.NO_AGENDA.parse(turn.update.callback_query.data) == ("1",) and draft.get("agenda")
    draft["agenda"] = kept or ""
    turn.edit(agenda_line(turn.lang, kept) if kept else turn.t("meeting.agenda_skipped"))
    return _ask_docs(turn)


def _docs_markup(turn: Turn) -> InlineKeyboardMarkup:
    done = InlineKeyboardButton(turn.t("meeting.button.docs_done"), callback_data=btn.DOCS_DONE.data("0"))
    return TRAIL.markup(turn, DOCS, [[done]])


def _ask_docs(turn: Turn, *, edit: bool = False):
    count = len(_draft(turn).get("docs", []))
    text = _asked(turn, "meeting.ask_docs", count and turn.t("meeting.docs_count", count=count) or None,
                  limit=meetings.DOCUMENTS_MAX)
    _show(turn, text, _docs_markup(turn), edit)
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
               _docs_markup(turn))
    return DOCS


@member_handler
async def docs_done(turn: Turn):
    turn.edit(turn.t("meeting.docs_count", count=len(_draft(turn).get("docs", []))))
    return await _preview(turn)


def _draft_start(turn: Turn, draft: dict) -> datetime:
    return datetime.combine(date.fromisoformat(draft["day"]), time.fromisoformat(draft["time"]),
                            tzinfo=turn.services.timezone)


async def _preview(turn: Turn):
    """The notice as members will get it, then who gets it and ✅ send (◀ / ✖ under it)."""
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
    markup = TRAIL.markup(turn, CONFIRM, [[
        InlineKeyboardButton(turn.t("meeting.button.confirm"), callback_data=btn.CONFIRM.data("yes"))]])
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
        "kind": offers.guess_kind(line.title).value, "day": line.day.isoformat(), "time": line.at.strftime("%H:%M"),
        "title": line.title, "place": line.place, "agenda": line.agenda, "one_line": True,
    }
    if len(cells) == 1:
        _draft(turn)["cell"] = cells[0].id
        return await _create(turn, edit=False)
    return await _ask_cell(turn)


# The typed title and place (_typed), made below the steps they go on to.
typed_title = _typed("title", meetings.TITLE_MAX, TITLE, _ask_place)
typed_place = _typed("place", meetings.PLACE_MAX, PLACE, _ask_agenda)


# ◀ asks the step before again (in place), what was chosen kept; ✖ ends as /cancel does.
TRAIL = Trail("meeting", DRAFT, btn.BACK, btn.QUIT, {
    CELL: _ask_cell, KIND: _ask_kind, DAY: _ask_day, TIME: _ask_time, TITLE: _ask_title, PLACE: _ask_place,
    AGENDA: _ask_agenda, DOCS: _ask_docs,
}, "meeting.expired")
stale_step = TRAIL.stale(btn.CONVERSATION)  # a button of the conversation once it is over
STEPS = (*TRAIL.asks, CONFIRM)  # the states that take ◀ and ✖
