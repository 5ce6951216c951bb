"""/notice step by step: kind, title, text, a file, study, audience, when, preview, confirm; and the
one-line /notice Title | text for a quick notice to everyone the sender covers."""
from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import clock, notices, one_line
from models import units as units_model
from models.notices import Attachment, Notice, NoticeError, NoticeKind
from models.permissions import sending_units
from models.units import Unit

from ..live_status import tell_outbox
from ..steps import confirmed_draft, refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .render import CELLS_SHOWN, STATUS, kind_label, notice_body, notice_head, when_text

DRAFT = "notice_draft"
KIND, TITLE, BODY, FILE, STUDY, AUDIENCE, WHEN, AT, CONFIRM = range(9)
NEEDS = ("kind", "title", "body", "units")  # what a draft holds by its preview
FILE_TYPES = (".pdf", ".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".jpg", ".jpeg", ".png")


async def _scopes(turn: Turn) -> list[Unit]:
    """The topmost units this officer may send to (an administrator: the roots)."""
    return await sending_units(turn.session, turn.actor)


def _draft(turn: Turn) -> dict:
    return turn.context.user_data.setdefault(DRAFT, {})


def _kind_keyboard(lang: str) -> InlineKeyboardMarkup:
    kinds = list(NoticeKind)
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(kind_label(lang, k), callback_data=btn.KIND.data(k.value)) for k in kinds[:2]],
        [InlineKeyboardButton(kind_label(lang, k), callback_data=btn.KIND.data(k.value)) for k in kinds[2:]],
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
    turn.edit(turn.t("notice.kind_chosen", kind=kind_label(turn.lang, NoticeKind(value))))
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
    if not all(k in draft for k in NEEDS):
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
    summary.append(turn.t("notice.preview_at", when=when_text(when, turn.services.timezone)) if when
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
    draft = confirmed_draft(turn, btn.CONFIRM, "yes", DRAFT, NEEDS, "notice.expired")
    if draft is None:
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
    text = turn.t(key, when=when_text(notice.send_at, turn.services.timezone))
    turn.edit(text) if edit else turn.reply(text, turn.menu())
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

