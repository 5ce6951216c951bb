"""/notice, /notices, /documents: notices, documents and resolutions to every member below.

Sending never happens here: a confirmed notice queues its deliveries (models.notices) and the
dispatcher (bot/dispatcher.py) sends them at Telegram's pace, rendering each with the renderers
below in the member's language. Callback data is short and opaque ("nr:42"); every press is
checked against the database (is the presser an addressee, may they see this status).
"""
from __future__ import annotations

import functools
import logging
import math
import warnings
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from models import audit, clock, deliveries, notices, one_line
from models import units as units_model
from models.callback_data import any_of
from models.notices import Attachment, Confirmed, Notice, NoticeError, NoticeKind
from models.permissions import Action, may, scope_paths, sending_units
from models.units import Unit

from .buttons import notices as btn
from .feature import Command, Feature, MenuButton
from .i18n import fmt_date, t
from .keyboards import main_menu, menu_pattern, pager
from .listen import listen_button_data
from .live_status import LiveStatus, tell_outbox
from .render import CAPTION_LIMIT, split_message, visible_length
from .steps import conversation, paged, refuse
from .turn import Turn, esc, member_handler

log = logging.getLogger(__name__)

# bot/app.py puts the dispatcher here: handlers wake it after a commit and tell it what changed.
DRAFT = "notice_draft"
DOC_QUERY = "documents_query"
KIND, TITLE, BODY, FILE, STUDY, AUDIENCE, WHEN, AT, CONFIRM = range(9)
PAGE_SIZE = 8
NAMES_SHOWN = 30
CELLS_SHOWN = 30
BUTTON_TITLE = 48
EMOJI = {NoticeKind.notice: "📢", NoticeKind.document: "📄", NoticeKind.resolution: "📜", NoticeKind.report: "📊"}
FILE_TYPES = (".pdf", ".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".jpg", ".jpeg", ".png")
Call = tuple[str, dict]


# --- how a notice looks on a member's phone ---------------------------------------------------------------
def _kind_label(lang: str, kind: NoticeKind) -> str:
    return f"{EMOJI[kind]} {t(lang, f'notice.kind.{kind.value}')}"


def _when(value: datetime | None, tz: tzinfo | None) -> str:
    return fmt_date(value, tz) if value else "—"


def _day(value: datetime, tz: tzinfo | None) -> str:
    return fmt_date((value.astimezone(tz) if tz else value).date())


def notice_head(notice: Notice, lang: str, tz: tzinfo | None) -> str:
    day = _day(notice.dispatched_at or notice.send_at, tz)
    return (f"{_kind_label(lang, notice.kind)} · {esc(notice.unit.name)} · {day}\n"
            f"<b>{esc(notice.title)}</b>")


def notice_body(notice: Notice, lang: str) -> str:
    parts = [esc(notice.body)] if notice.body else []
    if notice.study_required:
        parts.append(t(lang, "notice.study_request"))
    return "\n\n".join(parts)


def member_buttons(notice: Notice, lang: str, *, read: bool = False, studied: bool = False) -> dict | None:
    rows = []
    if not read:
        rows.append([InlineKeyboardButton(t(lang, "notice.button.read"), callback_data=btn.READ.data(notice.id))])
    if notice.study_required and not studied:
        rows.append([InlineKeyboardButton(t(lang, "notice.button.studied"), callback_data=btn.STUDIED.data(notice.id))])
    # Members who listen rather than read: the text as a voice note (handlers/listen.py).
    rows.append([InlineKeyboardButton(t(lang, "listen.button"), callback_data=listen_button_data(notice.id))])
    return InlineKeyboardMarkup(rows).to_dict()


def notice_calls(notice: Notice, lang: str, tz: tzinfo | None, *, read: bool = False,
                 studied: bool = False) -> list[Call]:
    """The Bot API calls that show a notice: the file (by file_id) with as much as fits in its
    caption, then the text split at paragraphs; the buttons go on the last message."""
    head, body = notice_head(notice, lang, tz), notice_body(notice, lang)
    markup = member_buttons(notice, lang, read=read, studied=studied)
    whole = f"{head}\n\n{body}" if body else head
    calls: list[Call] = []
    rest = whole
    if notice.file_id:
        method, field_ = ("sendPhoto", "photo") if notice.file_kind == "photo" else ("sendDocument", "document")
        caption = whole if visible_length(whole) <= CAPTION_LIMIT else head
        if visible_length(caption) > CAPTION_LIMIT:
            caption = esc(notice.title[:200])
        calls.append((method, {field_: notice.file_id, "caption": caption, "parse_mode": "HTML"}))
        rest = "" if caption == whole else body
    chunks = split_message(rest) if rest else []
    for chunk in chunks:
        calls.append(("sendMessage", {"text": chunk, "parse_mode": "HTML",
                                      "link_preview_options": {"is_disabled": True}}))
    if markup:
        calls[-1][1]["reply_markup"] = markup
    return calls


# --- renderers the dispatcher calls (registered in bot/dispatcher.py) -----------------------------------------
async def render_notice(session: AsyncSession, notice_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    notice = await notices.get_notice(session, notice_id)
    return notice_calls(notice, lang, tz) if notice is not None else []


async def render_reminder(session: AsyncSession, reminder_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    notice_id = await notices.notice_of_reminder(session, reminder_id)
    notice = await notices.get_notice(session, notice_id) if notice_id else None
    if notice is None:
        return []
    text = t(lang, "notice.reminder", kind=_kind_label(lang, notice.kind), title=esc(notice.title),
             unit=esc(notice.unit.name))
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(t(lang, "notice.button.open"), callback_data=btn.OPEN.data(notice.id))],
        [InlineKeyboardButton(t(lang, "notice.button.read"), callback_data=btn.READ.data(notice.id))],
    ]).to_dict()
    return [("sendMessage", {"text": text, "parse_mode": "HTML", "reply_markup": markup})]


async def render_unreachable(session: AsyncSession, delivery_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """To a secretary: a member of theirs can no longer be reached through the bot."""
    row = await notices.unreachable_member(session, delivery_id)
    if row is None:
        return []
    name, phone, cell = row
    from .profile import display_phone

    phone_text = display_phone(phone) or t(lang, "delivery.no_phone")
    text = t(lang, "delivery.unreachable_report", name=esc(name), cell=esc(cell), phone=esc(phone_text))
    return [("sendMessage", {"text": text, "parse_mode": "HTML"})]


# --- the sender's status -----------------------------------------------------------------------------------------------
async def status_view(session: AsyncSession, notice: Notice, lang: str, tz: tzinfo | None) -> tuple[str, dict]:
    s = await notices.status(session, notice.id)
    lines = [f"📊 <b>{esc(notice.title)}</b>", f"{_kind_label(lang, notice.kind)} · {esc(notice.unit.name)}"]
    buttons = [[InlineKeyboardButton(t(lang, "notice.button.refresh"), callback_data=btn.STATUS.data(notice.id))]]
    if s.scheduled_for is not None:
        lines.append(t(lang, "notice.status.scheduled", when=_when(s.scheduled_for, tz)))
        return "\n".join(lines), InlineKeyboardMarkup(buttons).to_dict()
    lines.append(t(lang, "notice.status.recipients", count=s.recipients, not_linked=s.not_linked))
    lines.append(t(lang, "notice.status.counts", queued=s.queued, delivered=s.delivered, read=s.read,
                   unreachable=s.unreachable, failed=s.failed))
    if notice.study_required:
        lines.append(t(lang, "notice.status.studied", studied=s.studied, base=s.recipients))
    unread_total = s.recipients - s.read
    if unread_total and notice.unit.is_cell:
        names, total = await notices.unread(session, notice.id, limit=NAMES_SHOWN)
        lines.append("")
        lines.append(t(lang, "notice.status.unread_header", count=total))
        for u in names:
            mark = "" if u.reachable else " " + t(lang, "notice.status.not_reached")
            lines.append(f"• {esc(u.name)}{mark}")
        if total > len(names):
            lines.append(t(lang, "notice.status.more", count=total - len(names)))
    elif unread_total:
        rates = await notices.rates_by_cell(session, notice.id, studied=False)
        lines.append("")
        lines.append(t(lang, "notice.status.by_cell_header"))
        for r in rates[:CELLS_SHOWN]:
            lines.append(t(lang, "notice.status.cell_line", cell=esc(r.cell), count=r.count, base=r.base,
                           percent=r.percent))
    if unread_total and s.delivered:
        buttons.append([InlineKeyboardButton(t(lang, "notice.button.remind"), callback_data=btn.REMIND.data(notice.id))])
    if notice.study_required:
        buttons.append([InlineKeyboardButton(t(lang, "notice.button.study_rates"), callback_data=btn.STUDY_RATES.data(notice.id))])
    return "\n".join(lines), InlineKeyboardMarkup(buttons).to_dict()


STATUS = LiveStatus(notices.get_notice, status_view, notices.set_status_message)
status_edits = STATUS.edits  # the dispatcher's PROGRESS hook for notices


async def _api(bot, method: str, params: dict) -> Any:
    """A Bot API call given as the renderers give it (method, JSON parameters).

    Not PTB's typed methods: its Defaults would add a parse_mode to methods that lack one
    (editMessageReplyMarkup), and the calls are already what the dispatcher sends.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)  # "use Bot.sendMessage instead"
        return await bot.do_api_request(method, api_kwargs=params)


def _send_calls(turn: Turn, calls: list[Call]) -> None:
    bot, chat_id = turn.context.bot, turn.chat_id
    for method, params in calls:
        turn.later(functools.partial(_api, bot, method, {"chat_id": chat_id, **params}))


# --- who may send where -----------------------------------------------------------------------------------------------
async def _scopes(turn: Turn) -> list[Unit]:
    """The topmost units this officer may send to (an administrator: the roots)."""
    return await sending_units(turn.session, turn.actor)


async def _may_follow(turn: Turn, notice: Notice) -> bool:
    return notice.sender_member_id == turn.actor.member_id or may(turn.actor, Action.view_reports, notice.unit.path)


# --- /notice step by step ---------------------------------------------------------------------------------------------
def _draft(turn: Turn) -> dict:
    return turn.context.user_data.setdefault(DRAFT, {})


def _kind_keyboard(lang: str) -> InlineKeyboardMarkup:
    kinds = list(NoticeKind)
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(_kind_label(lang, k), callback_data=btn.KIND.data(k.value)) for k in kinds[:2]],
        [InlineKeyboardButton(_kind_label(lang, k), callback_data=btn.KIND.data(k.value)) for k in kinds[2:]],
    ])


@member_handler
async def notice_command(turn: Turn):
    scopes = await _scopes(turn)
    if not scopes:
        await refuse(turn, "notice")
        return ConversationHandler.END
    if turn.args:
        await _one_line(turn, scopes)
        return ConversationHandler.END
    turn.context.user_data[DRAFT] = {}
    turn.reply(turn.t("notice.ask_kind"), _kind_keyboard(turn.lang))
    return KIND


@member_handler
async def chose_kind(turn: Turn):
    (value,) = btn.KIND.parse(turn.update.callback_query.data) or ("",)
    if value not in {k.value for k in NoticeKind}:
        turn.answer(turn.t("error.bad_button"))
        return KIND
    _draft(turn)["kind"] = value
    turn.edit(turn.t("notice.kind_chosen", kind=_kind_label(turn.lang, NoticeKind(value))))
    turn.reply(turn.t("notice.ask_title", limit=notices.TITLE_MAX))
    return TITLE


@member_handler
async def got_title(turn: Turn):
    title = " ".join(turn.text.split())
    if not title or len(title) > notices.TITLE_MAX:
        turn.reply(turn.t("notice.error.title_long", limit=notices.TITLE_MAX))
        return TITLE
    _draft(turn)["title"] = title
    turn.reply(turn.t("notice.ask_body"))
    return BODY


@member_handler
async def got_body(turn: Turn):
    body = turn.text.strip()
    if not body:
        turn.reply(turn.t("notice.ask_body"))
        return BODY
    _draft(turn)["body"] = body
    skip = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("notice.button.no_file"), callback_data=btn.NO_FILE.data("skip"))]])
    turn.reply(turn.t("notice.ask_file"), skip)
    return FILE


@member_handler
async def got_file(turn: Turn):
    message = turn.update.effective_message
    if message.photo:
        attachment = {"file_id": message.photo[-1].file_id, "kind": "photo", "name": None}
    else:
        doc = message.document
        name = doc.file_name or ""
        is_image = (doc.mime_type or "").startswith("image/")
        if not (is_image or name.lower().endswith(FILE_TYPES)):
            turn.reply(turn.t("notice.error.file_type"))
            return FILE
        attachment = {"file_id": doc.file_id, "kind": "document", "name": name[:255] or None}
    _draft(turn)["file"] = attachment
    turn.reply(turn.t("notice.file_received", name=esc(attachment["name"] or "🖼")))
    return await _after_file(turn)


@member_handler
async def skip_file(turn: Turn):
    _draft(turn)["file"] = None
    turn.edit(turn.t("notice.file_skipped"))
    return await _after_file(turn)


@member_handler
async def file_expected(turn: Turn):
    turn.reply(turn.t("notice.error.file_expected"))
    return FILE


async def _after_file(turn: Turn):
    if _draft(turn).get("kind") == NoticeKind.resolution.value:
        markup = InlineKeyboardMarkup([[
            InlineKeyboardButton(turn.t("notice.button.study_yes"), callback_data=btn.STUDY.data("1")),
            InlineKeyboardButton(turn.t("notice.button.study_no"), callback_data=btn.STUDY.data("0")),
        ]])
        turn.reply(turn.t("notice.ask_study"), markup)
        return STUDY
    return await _ask_audience(turn)


@member_handler
async def chose_study(turn: Turn):
    _draft(turn)["study"] = btn.STUDY.parse(turn.update.callback_query.data) == ("1",)
    turn.edit(turn.t("notice.study_on" if _draft(turn)["study"] else "notice.study_off"))
    return await _ask_audience(turn)


async def _audience_keyboard(turn: Turn, scopes: list[Unit], chosen: set[int]) -> tuple[InlineKeyboardMarkup, list[int]]:
    rows, offered = [], []
    for scope in scopes:
        if scope.is_cell:
            cells = [scope]
        else:
            rows.append([InlineKeyboardButton(turn.t("notice.audience.whole", unit=scope.name)[:64],
                                              callback_data=btn.AUDIENCE.data("u", scope.id))])
            offered.append(scope.id)
            cells = await units_model.cells_under(turn.session, scope.path, CELLS_SHOWN)
        for cell in cells:
            mark = "✅" if cell.id in chosen else "▫️"
            rows.append([InlineKeyboardButton(f"{mark} {cell.name}"[:64], callback_data=btn.AUDIENCE.data("c", cell.id))])
            offered.append(cell.id)
    rows.append([InlineKeyboardButton(turn.t("notice.button.continue"), callback_data=btn.AUDIENCE_DONE.data("ok"))])
    return InlineKeyboardMarkup(rows), offered


async def _ask_audience(turn: Turn):
    draft = _draft(turn)
    scopes = await _scopes(turn)
    if not scopes:
        await refuse(turn, "notice_audience")
        return ConversationHandler.END
    if len(scopes) == 1 and scopes[0].is_cell:  # a cell secretary: their cell
        draft["units"] = [scopes[0].id]
        return _ask_when(turn)
    draft["units"] = []
    markup, draft["offered"] = await _audience_keyboard(turn, scopes, set())
    turn.reply(turn.t("notice.ask_audience"), markup)
    return AUDIENCE


@member_handler
async def chose_audience(turn: Turn):
    draft = _draft(turn)
    data = turn.update.callback_query.data
    if btn.AUDIENCE_DONE.parse(data) is not None:
        if not draft.get("units"):
            turn.answer(turn.t("notice.audience.none"), alert=True)
            return AUDIENCE
        turn.edit(turn.t("notice.audience.chosen", units=esc(await _unit_names(turn, draft["units"]))))
        return _ask_when(turn)
    what, *ids = btn.AUDIENCE.parse(data) or (None,)  # ("u", 5) or ("c", 5)
    if not ids or ids[0] not in draft.get("offered", []):
        await refuse(turn, "notice_audience")
        return AUDIENCE
    unit_id = ids[0]
    if what == "u":
        draft["units"] = [unit_id]
        turn.edit(turn.t("notice.audience.chosen", units=esc(await _unit_names(turn, draft["units"]))))
        return _ask_when(turn)
    chosen = set(draft.get("units", []))
    chosen.symmetric_difference_update({unit_id})
    draft["units"] = sorted(chosen)
    markup, draft["offered"] = await _audience_keyboard(turn, await _scopes(turn), chosen)
    turn.edit(turn.t("notice.ask_audience"), markup)
    return AUDIENCE


async def _unit_names(turn: Turn, unit_ids: list[int]) -> str:
    names = await units_model.names_in_tree_order(turn.session, unit_ids)
    shown = ", ".join(names[:5])
    return shown + (" " + turn.t("notice.and_more", count=len(names) - 5) if len(names) > 5 else "")


def _ask_when(turn: Turn):
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(turn.t("notice.button.send_now"), callback_data=btn.WHEN.data("now")),
        InlineKeyboardButton(turn.t("notice.button.schedule"), callback_data=btn.WHEN.data("at")),
    ]])
    turn.reply(turn.t("notice.ask_when"), markup)
    return WHEN


@member_handler
async def chose_when(turn: Turn):
    if btn.WHEN.parse(turn.update.callback_query.data) == ("at",):
        turn.edit(turn.t("notice.ask_at"))
        return AT
    _draft(turn)["send_at"] = None
    turn.edit(turn.t("notice.when_now"))
    return await _preview(turn)


@member_handler
async def got_at(turn: Turn):
    try:
        at = notices.parse_send_at(turn.text, turn.services.timezone)
    except NoticeError as exc:
        turn.reply(turn.t(f"notice.error.{exc.reason}"))
        return AT
    _draft(turn)["send_at"] = at.isoformat()
    return await _preview(turn)


def _draft_notice(turn: Turn, draft: dict, unit: Unit) -> Notice:
    """An unsaved Notice, to preview exactly what members will receive."""
    file = draft.get("file") or {}
    return Notice(id=0, kind=NoticeKind(draft["kind"]), title=draft["title"], body=draft["body"], unit=unit,
                  file_id=file.get("file_id"), file_kind=file.get("kind"), file_name=file.get("name"),
                  study_required=bool(draft.get("study")), send_at=_send_at(draft) or clock.now())


def _send_at(draft: dict) -> datetime | None:
    return datetime.fromisoformat(draft["send_at"]) if draft.get("send_at") else None


async def _preview(turn: Turn):
    draft = _draft(turn)
    if not all(k in draft for k in ("kind", "title", "body", "units")):
        turn.reply(turn.t("notice.expired"))
        return ConversationHandler.END
    units = await units_model.get_units(turn.session, draft["units"])
    if not units:
        turn.reply(turn.t("notice.expired"))
        return ConversationHandler.END
    issuer = await units_model.get_unit(turn.session, notices.issuing_unit_id(turn.actor, units))
    preview = _draft_notice(turn, draft, issuer)
    members, linked = await notices.audience_size(turn.session, draft["units"], turn.actor.member_id)
    when = _send_at(draft)
    text = "\n\n".join([
        turn.t("notice.preview_header"),
        notice_head(preview, turn.lang, turn.services.timezone) + "\n\n" + notice_body(preview, turn.lang),
    ])
    summary = [turn.t("notice.preview_audience", units=esc(await _unit_names(turn, draft["units"])),
                      members=members, linked=linked)]
    if preview.file_id:
        summary.append(turn.t("notice.preview_file", name=esc(preview.file_name or "🖼")))
    summary.append(turn.t("notice.preview_at", when=_when(when, turn.services.timezone)) if when
                   else turn.t("notice.preview_now"))
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(turn.t("notice.button.confirm"), callback_data=btn.CONFIRM.data("yes")),
        InlineKeyboardButton(turn.t("notice.button.cancel"), callback_data=btn.CONFIRM.data("no")),
    ]])
    turn.reply(text)
    turn.reply("\n".join(summary), markup)
    return CONFIRM


@member_handler
async def confirmed(turn: Turn):
    draft = turn.context.user_data.pop(DRAFT, None) or {}
    if btn.CONFIRM.parse(turn.update.callback_query.data) != ("yes",):
        turn.edit(turn.t("cancel.done"))
        return ConversationHandler.END
    if not all(k in draft for k in ("kind", "title", "body", "units")):
        turn.edit(turn.t("notice.expired"))
        return ConversationHandler.END
    file = draft.get("file")
    attachment = Attachment(file["file_id"], file["kind"], file.get("name")) if file else None
    try:
        notice = await notices.create_notice(
            turn.session, turn.actor, kind=NoticeKind(draft["kind"]), title=draft["title"], body=draft["body"],
            audience_unit_ids=draft["units"], attachment=attachment, study=bool(draft.get("study")),
            send_at=_send_at(draft),
        )
    except NoticeError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "notice_audience")
        else:
            turn.edit(turn.t(f"notice.error.{exc.reason}"))
        return ConversationHandler.END
    _sent(turn, notice, scheduled=_send_at(draft) is not None, edit=True)
    return ConversationHandler.END


def _sent(turn: Turn, notice: Notice, *, scheduled: bool, edit: bool) -> None:
    key = "notice.scheduled" if scheduled else "notice.queued"
    text = turn.t(key, when=_when(notice.send_at, turn.services.timezone))
    turn.edit(text) if edit else turn.reply(text, main_menu(turn.lang))
    STATUS.post(turn, notice.id)
    tell_outbox(turn, notices.NOTICE_DELIVERY, wake=True)


async def _one_line(turn: Turn, scopes: list[Unit]) -> None:
    """/notice Title | text [| 25/12/2026 19:30]: to every member the sender covers, at once."""
    try:
        line = one_line.notice_line(turn.args, turn.services.timezone)
    except one_line.Usage:
        turn.reply(turn.t("notice.one_line_usage"))
        return
    except NoticeError as exc:
        turn.reply(turn.t(f"notice.error.{exc.reason}", limit=notices.TITLE_MAX))
        return
    send_at = line.send_at
    try:
        notice = await notices.create_notice(
            turn.session, turn.actor, kind=NoticeKind.notice, title=line.title, body=line.body,
            audience_unit_ids=[u.id for u in scopes], send_at=send_at,
        )
    except NoticeError as exc:
        turn.reply(turn.t(f"notice.error.{exc.reason}", limit=notices.TITLE_MAX))
        return
    _sent(turn, notice, scheduled=send_at is not None, edit=False)


@member_handler
async def stale_step(turn: Turn):
    """A button of a /notice conversation that is over."""
    turn.answer(turn.t("notice.expired"), alert=True)


# --- members: read, study, open ----------------------------------------------------------------------------------------
def _without(markup: InlineKeyboardMarkup | None, *data: str) -> InlineKeyboardMarkup | None:
    rows = [[b for b in row if b.callback_data not in data] for row in (markup.inline_keyboard if markup else ())]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def _drop_buttons(turn: Turn, *data: str) -> None:
    query = turn.update.callback_query
    if query.message is None:
        return
    markup = _without(query.message.reply_markup, *data)
    params = {"chat_id": query.message.chat.id, "message_id": query.message.message_id}
    if markup is not None:
        params["reply_markup"] = markup.to_dict()

    async def edit() -> None:
        try:
            await _api(turn.context.bot, "editMessageReplyMarkup", params)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    turn.later(edit)


@member_handler
async def read_pressed(turn: Turn):
    ids = btn.READ.parse(turn.update.callback_query.data)
    result = await notices.mark_read(turn.session, ids[0], turn.actor.member_id) if ids else None
    if result in (None, Confirmed.not_addressee):
        await refuse(turn, "notice_read")
        return
    turn.answer(turn.t("notice.read_thanks" if result is Confirmed.recorded else "notice.read_already"))
    _drop_buttons(turn, btn.READ.data(ids[0]))
    tell_outbox(turn, notices.NOTICE_DELIVERY, touch=ids[0])


@member_handler
async def studied_pressed(turn: Turn):
    ids = btn.STUDIED.parse(turn.update.callback_query.data)
    result = await notices.mark_studied(turn.session, ids[0], turn.actor.member_id) if ids else None
    if result in (None, Confirmed.not_addressee):
        await refuse(turn, "notice_studied")
        return
    if result is Confirmed.not_for_study:
        turn.answer(turn.t("error.bad_button"))
        return
    turn.answer(turn.t("notice.studied_thanks" if result is Confirmed.recorded else "notice.studied_already"))
    _drop_buttons(turn, btn.STUDIED.data(ids[0]), btn.READ.data(ids[0]))
    tell_outbox(turn, notices.NOTICE_DELIVERY, touch=ids[0])


@member_handler
async def open_pressed(turn: Turn):
    ids = btn.OPEN.parse(turn.update.callback_query.data)
    notice = await notices.get_notice(turn.session, ids[0]) if ids else None
    row = await notices.addressee(turn.session, notice.id, turn.actor.member_id) if notice else None
    if notice is None or (row is None and not await _may_follow(turn, notice)):
        await refuse(turn, "notice_open")
        return
    _send_calls(turn, notice_calls(notice, turn.lang, turn.services.timezone,
                                   read=row is None or row.read_at is not None,
                                   studied=row is None or row.studied_at is not None))


# --- /notices: the inbox; what an officer sent ------------------------------------------------------------------------------
def _item_button(turn: Turn, item: notices.Listed, data: str, *, unread_mark: bool) -> InlineKeyboardButton:
    n = item.notice
    day = _day(n.dispatched_at or n.send_at, turn.services.timezone)
    title = n.title if len(n.title) <= BUTTON_TITLE else n.title[:BUTTON_TITLE - 1] + "…"
    mark = "🆕 " if unread_mark and item.read_at is None else ""
    return InlineKeyboardButton(f"{mark}{EMOJI[n.kind]} {day} · {title}", callback_data=data)


async def show_inbox(turn: Turn, page: int, *, edit: bool) -> None:
    result = await notices.inbox(turn.session, turn.actor.member_id, page * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, math.ceil(result.total / PAGE_SIZE))
    rows = [[_item_button(turn, item, btn.OPEN.data(item.notice.id), unread_mark=True)] for item in result.items]
    nav = pager(btn.INBOX_PAGE, page, pages, turn.lang)
    if nav:
        rows.append(nav)
    if turn.actor.is_officer:
        rows.append([InlineKeyboardButton(turn.t("notice.button.sent_list"), callback_data=btn.SENT_PAGE.data(0))])
    if result.total:
        text = turn.t("notice.inbox_header", total=result.total, unread=result.unread)
    else:
        text = turn.t("notice.inbox_empty")
    markup = InlineKeyboardMarkup(rows) if rows else None
    turn.edit(text, markup) if edit else turn.reply(text, markup)


@member_handler
async def inbox_command(turn: Turn):
    await show_inbox(turn, 0, edit=False)


inbox_page = paged(btn.INBOX_PAGE, show_inbox, "notice_inbox")


@member_handler
async def sent_page(turn: Turn):
    ids = btn.SENT_PAGE.parse(turn.update.callback_query.data)
    if ids is None or not turn.actor.is_officer:
        await refuse(turn, "notice_sent")
        return
    paths = scope_paths(turn.actor, Action.view_reports)
    page = ids[0]
    result = await notices.sent_from(turn.session, paths, page * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, math.ceil(result.total / PAGE_SIZE))
    rows = [[_item_button(turn, item, btn.STATUS.data(item.notice.id), unread_mark=False)] for item in result.items]
    nav = pager(btn.SENT_PAGE, page, pages, turn.lang)
    if nav:
        rows.append(nav)
    text = turn.t("notice.sent_header", total=result.total) if result.total else turn.t("notice.sent_empty")
    turn.edit(text, InlineKeyboardMarkup(rows) if rows else None)


@member_handler
async def status_pressed(turn: Turn):
    ids = btn.STATUS.parse(turn.update.callback_query.data)
    notice = await notices.get_notice(turn.session, ids[0]) if ids else None
    if notice is None or not await _may_follow(turn, notice):
        await refuse(turn, "notice_status")
        return
    text, markup = await status_view(turn.session, notice, turn.lang, turn.services.timezone)
    turn.edit(text, InlineKeyboardMarkup.de_json(markup, turn.context.bot))
    if notice.status_message_id is None:
        query = turn.update.callback_query
        if query.message is not None:
            await notices.set_status_message(turn.session, notice.id, turn.chat_id, query.message.message_id)


@member_handler
async def remind_pressed(turn: Turn):
    ids = btn.REMIND.parse(turn.update.callback_query.data)
    notice = await notices.get_notice(turn.session, ids[0]) if ids else None
    if notice is None or not (notice.sender_member_id == turn.actor.member_id
                              or may(turn.actor, Action.manage_cell, notice.unit.path)):
        await refuse(turn, "notice_remind")
        return
    result = await notices.remind_unread(turn.session, notice.id, turn.actor.member_id)
    if result.wait is not None:
        minutes = max(1, math.ceil(result.wait.total_seconds() / 60))
        turn.answer(turn.t("notice.remind_wait", minutes=minutes), alert=True)
        return
    await audit.record(turn.session, "notice_reminded", actor_telegram_id=turn.user_id,
                       actor_member_id=turn.actor.member_id, detail={"notice_id": notice.id, "count": result.queued})
    turn.answer(turn.t("notice.reminded", count=result.queued), alert=True)
    tell_outbox(turn, notices.NOTICE_DELIVERY, wake=True)


@member_handler
async def study_rates_pressed(turn: Turn):
    ids = btn.STUDY_RATES.parse(turn.update.callback_query.data)
    notice = await notices.get_notice(turn.session, ids[0]) if ids else None
    if notice is None or not await _may_follow(turn, notice):
        await refuse(turn, "notice_study_rates")
        return
    within = (None if notice.sender_member_id == turn.actor.member_id
              else scope_paths(turn.actor, Action.view_reports))
    rates = await notices.rates_by_cell(turn.session, notice.id, studied=True, within=within)
    lines = [turn.t("notice.study_rates_header", title=esc(notice.title))]
    for r in rates:
        lines.append(turn.t("notice.study_rate_line", cell=esc(r.cell), count=r.count, base=r.base,
                            percent=r.percent))
        if r.exempt_left_out:
            lines.append(turn.t("notice.study_rate_exempt", count=r.exempt_left_out))
    if not rates:
        lines.append(turn.t("notice.study_rates_none"))
    turn.reply("\n".join(lines))


# --- /documents ----------------------------------------------------------------------------------------------------------
async def show_documents(turn: Turn, page: int, *, edit: bool) -> None:
    query = turn.context.user_data.get(DOC_QUERY) or ""
    result = await notices.documents(turn.session, turn.actor.member_id, query, page * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, math.ceil(result.total / PAGE_SIZE))
    rows = [[_item_button(turn, item, btn.OPEN.data(item.notice.id), unread_mark=False)] for item in result.items]
    nav = pager(btn.DOCUMENTS_PAGE, page, pages, turn.lang)
    if nav:
        rows.append(nav)
    if result.total:
        key = "documents.found" if query else "documents.header"
    else:
        key = "documents.not_found" if query else "documents.empty"
    text = turn.t(key, total=result.total, query=esc(query))
    markup = InlineKeyboardMarkup(rows) if rows else None
    turn.edit(text, markup) if edit else turn.reply(text, markup)


@member_handler
async def documents_command(turn: Turn):
    turn.context.user_data[DOC_QUERY] = turn.args[: notices.QUERY_MAX]
    await show_documents(turn, 0, edit=False)


@member_handler
async def documents_page(turn: Turn):
    ids = btn.DOCUMENTS_PAGE.parse(turn.update.callback_query.data)
    if ids is None:
        await refuse(turn, "documents_page")
        return
    await show_documents(turn, ids[0], edit=True)


# --- wiring ---------------------------------------------------------------------------------------------------------------
def register(app) -> None:
    text = filters.TEXT & ~filters.COMMAND
    app.add_handler(conversation(
        "notice",
        [CommandHandler("notice", notice_command)],
        {
            KIND: [CallbackQueryHandler(chose_kind, pattern=btn.KIND.pattern)],
            TITLE: [MessageHandler(text, got_title)],
            BODY: [MessageHandler(text, got_body)],
            FILE: [
                MessageHandler(filters.Document.ALL | filters.PHOTO, got_file),
                CallbackQueryHandler(skip_file, pattern=btn.NO_FILE.exact),
                MessageHandler(text, file_expected),
            ],
            STUDY: [CallbackQueryHandler(chose_study, pattern=btn.STUDY.exact)],
            AUDIENCE: [CallbackQueryHandler(chose_audience, pattern=any_of(btn.AUDIENCE, btn.AUDIENCE_DONE))],
            WHEN: [CallbackQueryHandler(chose_when, pattern=btn.WHEN.exact)],
            AT: [MessageHandler(text, got_at)],
            CONFIRM: [CallbackQueryHandler(confirmed, pattern=btn.CONFIRM.exact)],
        },
    ))
    app.add_handler(CallbackQueryHandler(stale_step, pattern=any_of(*btn.CONVERSATION)))
    app.add_handler(CommandHandler("notices", inbox_command))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.notices")), inbox_command))
    app.add_handler(CommandHandler("documents", documents_command))
    app.add_handler(CallbackQueryHandler(read_pressed, pattern=btn.READ.pattern))
    app.add_handler(CallbackQueryHandler(studied_pressed, pattern=btn.STUDIED.pattern))
    app.add_handler(CallbackQueryHandler(open_pressed, pattern=btn.OPEN.pattern))
    app.add_handler(CallbackQueryHandler(inbox_page, pattern=btn.INBOX_PAGE.pattern))
    app.add_handler(CallbackQueryHandler(sent_page, pattern=btn.SENT_PAGE.pattern))
    app.add_handler(CallbackQueryHandler(status_pressed, pattern=btn.STATUS.pattern))
    app.add_handler(CallbackQueryHandler(remind_pressed, pattern=btn.REMIND.pattern))
    app.add_handler(CallbackQueryHandler(study_rates_pressed, pattern=btn.STUDY_RATES.pattern))
    app.add_handler(CallbackQueryHandler(documents_page, pattern=btn.DOCUMENTS_PAGE.pattern))


async def release_scheduled(session) -> list[tuple[str, int]]:
    """The clock's tick: scheduled notices whose time has come go into the outbox."""
    return [(notices.NOTICE_DELIVERY, d.notice_id) for d in await notices.release_due(session)]


FEATURE = Feature(
    "notices",
    register=register,
    commands=(Command("notices", 40), Command("documents", 41), Command("notice", 130, officer=True)),
    menu=(MenuButton("menu.notices", 30),),
    renderers=lambda services: {
        notices.NOTICE_DELIVERY: render_notice,
        notices.REMINDER_DELIVERY: render_reminder,
        deliveries.UNREACHABLE_REPORT: render_unreachable,
    },
    progress={notices.NOTICE_DELIVERY: status_edits},
    ticks=(release_scheduled,),
)
