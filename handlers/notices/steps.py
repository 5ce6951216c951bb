"""/notice step by step: kind, title, text, a file, study, audience, when, preview, confirm; and the
one-line /notice Title | text for a quick notice to everyone the sender covers.

With a language model configured (HANDBOOK_LLM_URL), the text typed is followed by ✨ Nhờ máy soạn: her lines
and the notice's kind go to the model (models.drafts), and its draft is shown to her as the machine's —
✅ Dùng bản nháp / ✏️ Sửa (she types her own) / ↩ Giữ lời của tôi. Whatever she takes goes on through the
same steps to the same preview and ✅ Gửi: nothing reaches a member before that.

Every question has ◀ Quay lại (the step before, asked again in place, what was chosen shown and one tap
away: "✔ Giữ …") and ✖ Hủy (TRAIL, handlers.steps.Trail). A button of a conversation that is over gets
"expired" (stale_step)."""
from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton
from telegram.ext import ConversationHandler

from models import clock, notices, one_line
from models import units as units_model
from models.drafts import check_draft, notice_prompt
from models.notices import Attachment, Notice, NoticeError, NoticeKind
from models.permissions import sending_units
from models.units import Unit

from ..drafting import ask_for_draft, has_model, refused
from ..library.indexing import index_after_commit
from ..live_status import tell_outbox
from ..steps import (
    Kept,
    Trail,
    any_or_refuse,
    chose,
    confirmed_draft,
    keep_row,
    refuse,
    take_kept,
    tell_refusal,
    typed_moment,
    typed_title,
)
from ..steps import asked as _asked
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .render import CELLS_SHOWN, STATUS, kind_label, notice_body, notice_head, when_text

DRAFT = "notice_draft"
KIND, TITLE, BODY, FILE, STUDY, AUDIENCE, WHEN, AT, CONFIRM, DRAFTING = range(10)
NEEDS = ("kind", "title", "body", "units")  # what a draft holds by its preview
FILE_TYPES = (".pdf", ".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".jpg", ".jpeg", ".png")
BODY_SHOWN = 300  # characters of the text typed before, shown above its question again after ◀
DRAFT_MAX = 3500  # the machine's draft and its header in one message; a notice's text may be longer when typed
DRAFT_TOKENS = 1500


async def _scopes(turn: Turn) -> list[Unit]:
    """The topmost units this officer may send to (an administrator: the roots)."""
    return await sending_units(turn.session, turn.actor)


def _draft(turn: Turn) -> dict:
    return turn.context.user_data.setdefault(DRAFT, {})


def _keep(label: str, what: str) -> list[InlineKeyboardButton]:
    return keep_row(btn.KEEP, label, what)


@member_handler
async def notice_command(turn: Turn):
    scopes = await any_or_refuse(turn, _scopes(turn), "notice")
    if not scopes:
        return ConversationHandler.END
    if turn.args:
        await _one_line(turn, scopes)
        return ConversationHandler.END
    turn.context.user_data[DRAFT] = {}
    return _ask_kind(turn)


def _kind_chosen(turn: Turn, kind: str) -> str:
    return turn.t("notice.kind_chosen", kind=kind_label(turn.lang, NoticeKind(kind)))


def _ask_kind(turn: Turn, *, edit: bool = False):
    kinds, kind = list(NoticeKind), _draft(turn).get("kind")
    rows = [
        [InlineKeyboardButton(kind_label(turn.lang, k), callback_data=btn.KIND.data(k.value)) for k in kinds[:2]],
        [InlineKeyboardButton(kind_label(turn.lang, k), callback_data=btn.KIND.data(k.value)) for k in kinds[2:]],
    ]
    chosen = kind and _kind_chosen(turn, kind)
    return TRAIL.ask(turn, KIND, _asked(turn, "notice.ask_kind", chosen), rows, edit)


@member_handler
async def chose_kind(turn: Turn):
    if not chose(turn, btn.KIND, _draft(turn), "kind", _kind_chosen):
        return KIND
    return _ask_title(turn)


def _ask_title(turn: Turn, *, edit: bool = False):
    kept = _draft(turn).get("title")
    rows = [_keep(f"✔ {kept}", "title")] if kept else []
    text = _asked(turn, "notice.ask_title", kept and turn.t("notice.title_chosen", title=esc(kept)),
                  limit=notices.TITLE_MAX)
    return TRAIL.ask(turn, TITLE, text, rows, edit)


@member_handler
async def got_title(turn: Turn):
    if not typed_title(turn, _draft(turn), notices.TITLE_MAX, "notice.error.title_long"):
        return TITLE
    return _ask_body(turn)


def _body_line(turn: Turn, body: str) -> str:
    shown = body if len(body) <= BODY_SHOWN else body[:BODY_SHOWN] + "…"
    return turn.t("notice.body_chosen", body=esc(shown))


def _ask_body(turn: Turn, *, edit: bool = False):
    kept = _draft(turn).get("body")
    rows = [_keep(turn.t("notice.button.keep_body"), "body")] if kept else []
    text = _asked(turn, "notice.ask_body", kept and _body_line(turn, kept))
    return TRAIL.ask(turn, BODY, text, rows, edit)


@member_handler
async def got_body(turn: Turn):
    body = turn.text.strip()
    if not body:
        turn.reply(turn.t("notice.ask_body"))
        return BODY
    draft = _draft(turn)
    draft["body"] = body
    if draft.pop("own", False):  # her own version, typed after ✏️ Sửa: taken as it is
        return _ask_file(turn)
    return _after_body(turn)


def _after_body(turn: Turn):
    return _offer_draft(turn) if has_model(turn) else _ask_file(turn)


def _offer_draft(turn: Turn, *, edit: bool = False):
    """With a model: ✨ Nhờ máy soạn from the lines typed, or ▶ Tiếp tục with them as they are."""
    rows = [[InlineKeyboardButton(turn.t("notice.draft.button.ask"), callback_data=btn.DRAFTING.data("ask")),
             InlineKeyboardButton(turn.t("notice.draft.button.go_on"), callback_data=btn.DRAFTING.data("mine"))]]
    text = _asked(turn, "notice.draft.offer", _body_line(turn, _draft(turn)["body"]))
    return TRAIL.ask(turn, DRAFTING, text, rows, edit)


@member_handler
async def drafting(turn: Turn):
    """✨ Nhờ máy soạn, then under the machine's draft ✅ Dùng bản nháp, ✏️ Sửa, ↩ Giữ lời của tôi."""
    draft = _draft(turn)
    choice = (btn.DRAFTING.parse(turn.update.callback_query.data) or ("",))[0]
    if "body" not in draft or (choice == "use" and "machine" not in draft):
        turn.answer(turn.t("notice.expired"), alert=True)
        return DRAFTING
    turn.edit_buttons(None)
    if choice == "ask":
        return await _machine_draft(turn, draft)
    machine = draft.pop("machine", None)
    if choice == "use":
        draft["body"] = machine
    elif choice == "edit":
        draft["own"] = True
        return TRAIL.ask(turn, BODY, turn.t("notice.draft.type_own"), [], edit=False)
    turn.reply(turn.t("notice.draft.used" if choice == "use" else "notice.draft.kept_own"))
    return _ask_file(turn)


async def _machine_draft(turn: Turn, draft: dict):
    reply = await ask_for_draft(turn, notice_prompt(draft["kind"], draft["body"]), DRAFT_TOKENS)
    text = check_draft(reply, DRAFT_MAX) if reply is not None else None
    if text is None:  # failed, too slow, too big, garbage: her lines stay
        if reply is not None:
            refused(turn)
        turn.reply(turn.t("notice.draft.failed"))
        return _ask_file(turn)
    draft["machine"] = text
    rows = [[InlineKeyboardButton(turn.t("notice.draft.button.use"), callback_data=btn.DRAFTING.data("use"))],
            [InlineKeyboardButton(turn.t("notice.draft.button.edit"), callback_data=btn.DRAFTING.data("edit")),
             InlineKeyboardButton(turn.t("notice.draft.button.mine"), callback_data=btn.DRAFTING.data("mine"))]]
    return TRAIL.ask(turn, DRAFTING, turn.t("notice.draft.shown", draft=esc(text)), rows, edit=False)


def _ask_file(turn: Turn, *, edit: bool = False):
    draft = _draft(turn)
    kept = draft.get("file")
    rows = [[InlineKeyboardButton(turn.t("notice.button.no_file"), callback_data=btn.NO_FILE.data("skip"))]]
    if kept:
        rows.insert(0, _keep(turn.t("notice.button.keep_file"), "file"))
    chosen = None
    if "file" in draft:
        chosen = (turn.t("notice.file_received", name=esc(kept["name"] or "🖼")) if kept
                  else turn.t("notice.file_skipped"))
    return TRAIL.ask(turn, FILE, _asked(turn, "notice.ask_file", chosen), rows, edit)


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
        return _ask_study(turn)
    _draft(turn).pop("study", None)  # asked for a resolution only (the kind may have changed after ◀)
    return await _ask_audience(turn)


def _ask_study(turn: Turn, *, edit: bool = False):
    study = _draft(turn).get("study")
    rows = [[
        InlineKeyboardButton(turn.t("notice.button.study_yes"), callback_data=btn.STUDY.data("1")),
        InlineKeyboardButton(turn.t("notice.button.study_no"), callback_data=btn.STUDY.data("0")),
    ]]
    chosen = None if study is None else turn.t("notice.study_on" if study else "notice.study_off")
    return TRAIL.ask(turn, STUDY, _asked(turn, "notice.ask_study", chosen), rows, edit)


@member_handler
async def chose_study(turn: Turn):
    _draft(turn)["study"] = btn.STUDY.parse(turn.update.callback_query.data) == ("1",)
    turn.edit(turn.t("notice.study_on" if _draft(turn)["study"] else "notice.study_off"))
    return await _ask_audience(turn)


async def _audience_rows(turn: Turn, scopes: list[Unit], chosen: set[int]) -> tuple[list[list[InlineKeyboardButton]], list[int]]:
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
    return rows, offered


async def _ask_audience(turn: Turn, *, edit: bool = False):
    """The units to send to; a cell's secretary is not asked (their cell). Asked again after ◀, what was
    chosen stays chosen."""
    draft = _draft(turn)
    scopes = await any_or_refuse(turn, _scopes(turn), "notice_audience")
    if not scopes:
        return ConversationHandler.END
    if len(scopes) == 1 and scopes[0].is_cell:  # a cell secretary: their cell
        draft["units"] = [scopes[0].id]
        return _ask_when(turn, edit=edit)
    kept = draft.setdefault("units", [])
    rows, draft["offered"] = await _audience_rows(turn, scopes, set(kept))
    chosen = kept and turn.t("notice.audience.chosen", units=esc(await _unit_names(turn, kept)))
    return TRAIL.ask(turn, AUDIENCE, _asked(turn, "notice.ask_audience", chosen), rows, edit)


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
    rows, draft["offered"] = await _audience_rows(turn, await _scopes(turn), chosen)
    turn.edit(turn.t("notice.ask_audience"), TRAIL.markup(turn, AUDIENCE, rows))
    return AUDIENCE


async def _unit_names(turn: Turn, unit_ids: list[int]) -> str:
    names = await units_model.names_in_tree_order(turn.session, unit_ids)
    shown = ", ".join(names[:5])
    return shown + (" " + turn.t("notice.and_more", count=len(names) - 5) if len(names) > 5 else "")


def _chosen_when(turn: Turn, draft: dict) -> str | None:
    if "send_at" not in draft:
        return None
    at = _send_at(draft)
    return turn.t("notice.preview_at", when=when_text(at, turn.services.timezone)) if at else turn.t("notice.when_now")


def _ask_when(turn: Turn, *, edit: bool = False):
    rows = [[
        InlineKeyboardButton(turn.t("notice.button.send_now"), callback_data=btn.WHEN.data("now")),
        InlineKeyboardButton(turn.t("notice.button.schedule"), callback_data=btn.WHEN.data("at")),
    ]]
    text = _asked(turn, "notice.ask_when", _chosen_when(turn, _draft(turn)))
    return TRAIL.ask(turn, WHEN, text, rows, edit)


@member_handler
async def chose_when(turn: Turn):
    if btn.WHEN.parse(turn.update.callback_query.data) == ("at",):
        return _ask_at(turn, edit=True)
    _draft(turn)["send_at"] = None
    turn.edit(turn.t("notice.when_now"))
    return await _preview(turn)


def _ask_at(turn: Turn, *, edit: bool = False):
    """The sending time, typed (in place of the "now or later?" question); the one typed before, a tap."""
    at = _send_at(_draft(turn))
    rows = [_keep(f"✔ {when_text(at, turn.services.timezone)}", "at")] if at else []
    text = _asked(turn, "notice.ask_at", at and turn.t("notice.preview_at", when=when_text(at, turn.services.timezone)))
    return TRAIL.ask(turn, AT, text, rows, edit)


@member_handler
async def got_at(turn: Turn):
    at = typed_moment(turn, notices.parse_send_at, NoticeError, "notice.error")
    if at is None:
        return AT
    _draft(turn)["send_at"] = at.isoformat()
    return await _preview(turn)


KEPT = {  # a step → what the draft keeps of it, the line saying so, the step asked next
    "title": Kept("title", lambda turn, draft: turn.t("notice.title_chosen", title=esc(draft["title"])), _ask_body),
    "body": Kept("body", lambda turn, draft: _body_line(turn, draft["body"]), _after_body),
    "file": Kept("file", lambda turn, draft: turn.t("notice.file_received", name=esc(draft["file"]["name"] or "🖼")),
                 _after_file),
    "at": Kept("send_at", lambda turn, draft: turn.t("notice.preview_at", when=when_text(
        _send_at(draft), turn.services.timezone)), lambda turn: _preview(turn)),
}


@member_handler
async def kept(turn: Turn):
    """✔ Giữ …: what was typed or sent for this step before ◀, taken again; the next step asked."""
    return await take_kept(turn, btn.KEEP, _draft(turn), KEPT, "notice.expired")


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
    markup = TRAIL.markup(turn, CONFIRM, [[
        InlineKeyboardButton(turn.t("notice.button.confirm"), callback_data=btn.CONFIRM.data("yes"))]])
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
        await tell_refusal(turn, exc.reason, "notice_audience", "notice.error", edit=True)
        return ConversationHandler.END
    _sent(turn, notice, scheduled=_send_at(draft) is not None, edit=True)
    index_after_commit(turn, notice)  # a document's text and attachment into the library
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


# ◀ asks the step before again (in place), what was chosen kept; ✖ ends as /cancel does.
TRAIL = Trail("notice", DRAFT, btn.BACK, btn.QUIT, {
    KIND: _ask_kind, TITLE: _ask_title, BODY: _ask_body, DRAFTING: _offer_draft, FILE: _ask_file, STUDY: _ask_study,
    AUDIENCE: _ask_audience, WHEN: _ask_when, AT: _ask_at,
}, "notice.expired")
stale_step = TRAIL.stale(btn.CONVERSATION)  # a button of the conversation once it is over
