"""🔁 Chuyển sinh hoạt, step by step from a member's card: the kind (official, or temporary for work or for
study), the cell it goes to (the cells the officer's committee sees, paged, or a unit outside the handbook
typed by name), the decision's date (today, or typed), a temporary transfer's end, then a confirmation.
Every question has ◀ Quay lại and ✖ Hủy (TRAIL, handlers.steps.Trail); a button of a conversation that is
over is told it has expired (stale_step). Once recorded, the member is told. The rules and refusals are
models/transfers.py's."""
from __future__ import annotations

import math
from datetime import date

from telegram import InlineKeyboardButton
from telegram.ext import ConversationHandler

from models import accounts, transfers, units
from models.dates import BadDate, local_today, parse_date
from models.party_age import add_months
from models.transfers import Direction, Purpose, Transfer, TransferError, TransferKind

from ..i18n import fmt_date, t
from ..keyboards import pager
from ..steps import Trail, asked, chose, confirmed_draft, paged, refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn

DRAFT = "transfer_draft"
KIND, DEST, NAME, DATE, UNTIL, CONFIRM = range(6)
NEEDS = ("member", "kind", "dest", "decided")  # a draft that can be recorded
PAGE_SIZE = 8
# A temporary transfer's end offered as buttons, months after the decision, by its purpose.
UNTIL_MONTHS = {"work": (3, 6, 12), "study": (3, 12, 24)}
KINDS = {"official": (TransferKind.official, None), "work": (TransferKind.temporary, Purpose.work),
         "study": (TransferKind.temporary, Purpose.study)}


def _draft(turn: Turn) -> dict:
    return turn.context.user_data.setdefault(DRAFT, {})


def _refusal(turn: Turn, exc: TransferError) -> str:
    return turn.t(f"transfer.refused.{exc.reason}")


def _kind_text(turn: Turn, kind: str) -> str:
    return turn.t(f"transfer.kind.{kind}")


# --- the member, and the kind ---------------------------------------------------------------------------------
@member_handler
async def start(turn: Turn):
    ids = btn.START.parse(turn.update.callback_query.data)
    try:
        member, cell = await transfers.transfer_subject(turn.session, turn.actor, ids[0] if ids else 0)
    except TransferError:
        await refuse(turn, "transfer_start")
        return ConversationHandler.END
    if await transfers.open_transfer_of(turn.session, member.id) is not None:
        turn.reply(turn.t("transfer.refused.already_open"))
        return ConversationHandler.END
    turn.context.user_data[DRAFT] = {"member": member.id, "name": member.full_name, "cell": cell.id}
    return _ask_kind(turn)


def _ask_kind(turn: Turn, *, edit: bool = False):
    draft = _draft(turn)
    kind = draft.get("kind")
    chosen = kind and turn.t("transfer.kind_chosen", kind=_kind_text(turn, kind))
    rows = [[InlineKeyboardButton(_kind_text(turn, k), callback_data=btn.KIND.data(k))] for k in KINDS]
    text = asked(turn, "transfer.ask_kind", chosen, name=esc(draft.get("name", "")))
    return TRAIL.ask(turn, KIND, text, rows, edit)


@member_handler
async def chose_kind(turn: Turn):
    said = lambda turn, k: turn.t("transfer.kind_chosen", kind=_kind_text(turn, k))  # noqa: E731
    if not chose(turn, btn.KIND, _draft(turn), "kind", said):
        return KIND
    return await _ask_dest(turn, 0)


# --- where to ---------------------------------------------------------------------------------------------------
async def _ask_dest(turn: Turn, page: int, *, edit: bool = False):
    draft = _draft(turn)
    cells, total = await transfers.destination_cells(turn.session, turn.actor, draft.get("cell", 0),
                                                      page * PAGE_SIZE, PAGE_SIZE)
    rows = [[InlineKeyboardButton(c.name[:60], callback_data=btn.DEST.data(c.id))] for c in cells]
    if nav := pager(btn.DEST_PAGE, page, max(1, math.ceil(total / PAGE_SIZE)), turn.lang):
        rows.append(nav)
    rows.append([InlineKeyboardButton(turn.t("transfer.button.outside"), callback_data=btn.OUTSIDE.data())])
    chosen = draft.get("dest") and turn.t("transfer.dest_chosen", dest=esc(draft["dest"]))
    return TRAIL.ask(turn, DEST, asked(turn, "transfer.ask_dest", chosen), rows, edit)


async def _ask_dest_again(turn: Turn, *, edit: bool = False):
    return await _ask_dest(turn, 0, edit=edit)


dest_page = paged(btn.DEST_PAGE, _ask_dest, "transfer_dest")


@member_handler
async def chose_dest(turn: Turn):
    draft = _draft(turn)
    ids = btn.DEST.parse(turn.update.callback_query.data)
    unit = await units.get_unit(turn.session, ids[0]) if ids else None
    if unit is None or not unit.is_cell:
        await refuse(turn, "transfer_dest")
        return DEST
    if unit.id == draft.get("cell"):
        turn.answer(turn.t("transfer.refused.same_cell"), alert=True)
        return DEST
    draft.update(unit=unit.id, unit_name=None, dest=unit.name)
    turn.edit(turn.t("transfer.dest_chosen", dest=esc(unit.name)))
    return _ask_date(turn)


def _ask_name(turn: Turn, *, edit: bool = False):
    return TRAIL.ask(turn, NAME, turn.t("transfer.ask_name", limit=transfers.NAME_MAX), [], edit)


@member_handler
async def outside(turn: Turn):
    return _ask_name(turn, edit=True)


@member_handler
async def got_name(turn: Turn):
    name = " ".join(turn.text.split())
    if not name or len(name) > transfers.NAME_MAX:
        turn.reply(turn.t("transfer.name_bad", limit=transfers.NAME_MAX))
        return NAME
    _draft(turn).update(unit=None, unit_name=name, dest=name)
    return _ask_date(turn)


# --- when ---------------------------------------------------------------------------------------------------------
def _ask_date(turn: Turn, *, edit: bool = False):
    decided = _draft(turn).get("decided")
    chosen = decided and turn.t("transfer.date_chosen", day=fmt_date(date.fromisoformat(decided)))
    rows = [[InlineKeyboardButton(turn.t("transfer.button.today", day=fmt_date(local_today())),
                                  callback_data=btn.TODAY.data())]]
    return TRAIL.ask(turn, DATE, asked(turn, "transfer.ask_date", chosen), rows, edit)


def _typed_date(turn: Turn) -> date | None:
    """The date typed (dd/mm/yyyy); None, the reason said (31/02 has no such day), when it is not one."""
    try:
        return parse_date(turn.text)
    except BadDate as exc:
        turn.reply(turn.t(f"transfer.bad_date.{exc.reason}", text=esc(turn.text.strip()[:40])))
        return None


async def _date_taken(turn: Turn, decided: date, pressed: bool):
    draft = _draft(turn)
    try:
        member, _cell = await transfers.transfer_subject(turn.session, turn.actor, draft.get("member", 0))
        transfers.check_decision_date(member.joined_on, decided)
    except TransferError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "transfer_date")
            return ConversationHandler.END
        turn.answer(_refusal(turn, exc), alert=True) if pressed else turn.reply(_refusal(turn, exc))
        return DATE
    draft["decided"] = decided.isoformat()
    if pressed:
        turn.edit(turn.t("transfer.date_chosen", day=fmt_date(decided)))
    if draft.get("kind") in UNTIL_MONTHS:
        return _ask_until(turn)
    draft.pop("until", None)
    return _show_confirm(turn)


@member_handler
async def today(turn: Turn):
    return await _date_taken(turn, local_today(), pressed=True)


@member_handler
async def got_date(turn: Turn):
    decided = _typed_date(turn)
    return DATE if decided is None else await _date_taken(turn, decided, pressed=False)


def _ask_until(turn: Turn, *, edit: bool = False):
    draft = _draft(turn)
    kind, decided = draft.get("kind", "work"), date.fromisoformat(draft["decided"])
    least, most = transfers.rules().months[Purpose(kind)]
    rows = [[InlineKeyboardButton(turn.t("transfer.button.months", count=n, day=fmt_date(add_months(decided, n))),
                                  callback_data=btn.UNTIL.data(n))] for n in UNTIL_MONTHS[kind]]
    until = draft.get("until")
    chosen = until and turn.t("transfer.until_chosen", day=fmt_date(date.fromisoformat(until)))
    return TRAIL.ask(turn, UNTIL, asked(turn, "transfer.ask_until", chosen, least=least, most=most), rows, edit)


def _until_taken(turn: Turn, until: date, pressed: bool):
    draft = _draft(turn)
    kind = draft.get("kind", "work")
    try:
        transfers.check_end(TransferKind.temporary, Purpose(kind), date.fromisoformat(draft["decided"]), until)
    except TransferError as exc:
        turn.answer(_refusal(turn, exc), alert=True) if pressed else turn.reply(_refusal(turn, exc))
        return UNTIL
    draft["until"] = until.isoformat()
    if pressed:
        turn.edit(turn.t("transfer.until_chosen", day=fmt_date(until)))
    return _show_confirm(turn)


@member_handler
async def chose_until(turn: Turn):
    draft = _draft(turn)
    ids = btn.UNTIL.parse(turn.update.callback_query.data)
    if not ids or "decided" not in draft or ids[0] not in UNTIL_MONTHS.get(draft.get("kind", ""), ()):
        await refuse(turn, "transfer_until")
        return UNTIL
    return _until_taken(turn, add_months(date.fromisoformat(draft["decided"]), ids[0]), pressed=True)


@member_handler
async def got_until(turn: Turn):
    until = _typed_date(turn)
    if until is None or "decided" not in _draft(turn):
        return UNTIL
    return _until_taken(turn, until, pressed=False)


# --- confirm and record -------------------------------------------------------------------------------------------
def _summary(turn: Turn, draft: dict) -> list[str]:
    lines = [turn.t("transfer.summary_member", name=esc(draft.get("name", ""))),
             turn.t("transfer.summary_kind", kind=_kind_text(turn, draft["kind"])),
             turn.t("transfer.summary_dest", dest=esc(draft["dest"])),
             turn.t("transfer.summary_date", day=fmt_date(date.fromisoformat(draft["decided"])))]
    if draft.get("until"):
        lines.append(turn.t("transfer.summary_until", day=fmt_date(date.fromisoformat(draft["until"]))))
    return lines


def _show_confirm(turn: Turn, *, edit: bool = False):
    draft = _draft(turn)
    if not all(k in draft for k in NEEDS):
        turn.reply(turn.t("transfer.expired"))
        return ConversationHandler.END
    text = "\n".join([turn.t("transfer.confirm"), *_summary(turn, draft)])
    rows = [[InlineKeyboardButton(turn.t("transfer.button.confirm"), callback_data=btn.CONFIRM.data("ok"))]]
    return TRAIL.ask(turn, CONFIRM, text, rows, edit)


def deadline_lines(lang: str, transfer: Transfer) -> list[str]:
    """What falls due: the official move and the letter (⚠ the rules' figures, named), or a temporary end."""
    due, rules = transfers.deadlines(transfer), transfers.rules()
    if due.move_by is not None and due.letter_by is not None:
        return [t(lang, "transfer.due_move", day=fmt_date(due.move_by), days=rules.working_days),
                t(lang, "transfer.due_letter", day=fmt_date(due.letter_by), days=rules.letter_days),
                t(lang, "transfer.due_rule", rule=esc(rules.short_name))]
    return [t(lang, "transfer.due_until", day=fmt_date(due.until))] if due.until else []


@member_handler
async def confirmed(turn: Turn):
    draft = confirmed_draft(turn, btn.CONFIRM, "ok", DRAFT, NEEDS, "transfer.expired")
    if draft is None:
        return ConversationHandler.END
    kind, purpose = KINDS.get(draft["kind"], KINDS["official"])
    try:
        transfer = await transfers.record_transfer(
            turn.session, turn.actor, draft["member"], kind=kind, direction=Direction.outgoing,
            decided_on=date.fromisoformat(draft["decided"]), unit_id=draft.get("unit"),
            unit_name=draft.get("unit_name"), purpose=purpose,
            until_on=date.fromisoformat(draft["until"]) if draft.get("until") else None)
    except TransferError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "transfer_record")
        else:
            turn.edit(_refusal(turn, exc))
        return ConversationHandler.END
    turn.edit("\n".join([turn.t("transfer.recorded"), *_summary(turn, draft), *deadline_lines(turn.lang, transfer)]))
    account = await accounts.account_of_member(turn.session, transfer.member_id)
    if account is not None and account.telegram_user_id != turn.user_id:
        lang = account.language or turn.services.default_language
        kind_text = t(lang, f"transfer.kind.{draft['kind']}")
        told = [t(lang, "transfer.told", kind=kind_text, dest=esc(draft["dest"]),
                  day=fmt_date(transfer.decided_on)), *deadline_lines(lang, transfer)]
        turn.send_to(account.telegram_user_id, "\n".join(told))
    return ConversationHandler.END


# ◀ asks the step before again (in place), what was chosen kept; ✖ ends as /cancel does.
TRAIL = Trail("transfer", DRAFT, btn.BACK, btn.QUIT, {
    KIND: _ask_kind, DEST: _ask_dest_again, NAME: _ask_name, DATE: _ask_date, UNTIL: _ask_until,
}, "transfer.expired")
stale_step = TRAIL.stale(btn.CONVERSATION)  # a button of the conversation once it is over
