"""What a profile shows of a member's transfers (models.transfers.history): the cells they left, and the
transfer under way with its end or deadlines; the officer's list of open transfers (from the panel), each
completed (an official one to a cell of the handbook moves the member) or cancelled with a tap; a member coming
to the officer's cell by an official transfer is received with ✅ Tiếp nhận, both cells' officers and the member
told, an invitation offered when the member is not on Telegram yet."""
from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import accounts, transfers
from models.callback_data import Codec
from models.dates import local_today
from models.transfers import History, Purpose, TransferError

from ..i18n import fmt_date, t
from ..keyboards import list_markup
from ..members import buttons as members_btn
from ..steps import paged, refuse, tell_refusal
from ..turn import Turn, esc, member_handler
from . import buttons as btn

T = TypeVar("T")


def kind_key(t: transfers.Transfer) -> str:
    """The catalog's word for a transfer's kind: official, or temporary for work or for study."""
    return "official" if t.purpose is None else Purpose(t.purpose).value


def profile_lines(turn: Turn, found: History) -> list[str]:
    lines = []
    if found.past:
        cells = "; ".join(turn.t("transfer.profile_cell", cell=esc(name), until=fmt_date(until))
                          for name, _since, until in found.past)
        lines.append(turn.t("transfer.profile_past", cells=cells))
    if (t := found.open) is not None:
        lines.append(turn.t("transfer.profile_open", kind=turn.t(f"transfer.kind.{kind_key(t)}"),
                            dest=esc(found.other), day=fmt_date(t.decided_on)))
        due = transfers.deadlines(t)
        if due.until is not None:
            lines.append(turn.t("transfer.due_until", day=fmt_date(due.until)))
        elif due.move_by is not None:
            lines.append(turn.t("transfer.due_move", day=fmt_date(due.move_by), days=transfers.rules().working_days))
    return lines


def due_line(lang: str, due: transfers.Due) -> str:
    """The to-do's line of a transfer whose next deadline is near: who, their cell, what by when, how close."""
    if due.days_left < 0:
        left = t(lang, "transfer.left.late", days=-due.days_left)
    else:
        left = t(lang, "transfer.left.today") if due.days_left == 0 else t(lang, "transfer.left", days=due.days_left)
    return t(lang, "transfer.todo_line", name=esc(due.line.full_name), cell=esc(due.line.cell_name),
             what=t(lang, f"transfer.next.{due.step.value}", day=fmt_date(due.day)), left=left)


# --- the officer's list of open transfers, each completed or cancelled ------------------------------------------
PAGE_SIZE = 8


def line_text(turn: Turn, line: transfers.TransferLine) -> str:
    return list_line(turn.lang, line)


def list_line(lang: str, line: transfers.TransferLine) -> str:
    """A transfer as the list (and, for a member coming, the to-do) shows it."""
    t_ = line.transfer
    due = line.due
    if due.move_by is not None:
        when = t(lang, "transfer.list_move_by", day=fmt_date(due.move_by))
    else:
        when = t(lang, "transfer.list_until", day=fmt_date(due.until)) if due.until else ""
    if line.arrival:
        return t(lang, "transfer.arrival_line", name=esc(line.full_name), cell=esc(line.cell_name),
                 day=fmt_date(t_.decided_on), when=when)
    return t(lang, "transfer.list_line", name=esc(line.full_name), cell=esc(line.cell_name),
             kind=t(lang, f"transfer.kind.{kind_key(t_)}"), dest=esc(line.other), day=fmt_date(t_.decided_on),
             when=when)


def line_button(lang: str, line: transfers.TransferLine) -> InlineKeyboardButton:
    """The list's button of a transfer: 🔁 its member, or ✅ Tiếp nhận for a member coming."""
    label = t(lang, "transfer.button.receive_of", name=line.full_name) if line.arrival else f"🔁 {line.full_name}"
    return InlineKeyboardButton(label[:60], callback_data=btn.ASK.data(line.transfer.id))


async def show_list(turn: Turn, page: int, *, edit: bool = False) -> None:
    if not transfers.may_record_anywhere(turn.actor):
        await refuse(turn, "transfer_list")
        return
    found = await transfers.open_transfers(turn.session, turn.actor)
    if not found:
        turn.reply(turn.t("transfer.list_empty"))
        return
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    page = min(page, pages - 1)
    shown = found[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    text = "\n".join([turn.t("transfer.list", count=len(found)), *(line_text(turn, x) for x in shown)])
    rows = [[line_button(turn.lang, x)] for x in shown]
    markup = list_markup(rows, btn.PAGE, page, len(found), PAGE_SIZE, turn.lang)
    turn.edit(text, markup) if edit else turn.reply(text, markup)


async def _show_anew(turn: Turn, page: int, *, edit: bool = False) -> None:
    await show_list(turn, page)  # from the panel: a new message, the panel stays


list_button = paged(btn.LIST, _show_anew, "transfer_list")
page_button = paged(btn.PAGE, show_list, "transfer_list")


async def _pressed(turn: Turn, codec: Codec, what: str, act: Callable[..., Awaitable[T]]) -> T | None:
    """`act` on the transfer a button names, checked in the model (forged data, another officer faster)."""
    fields = codec.parse(turn.update.callback_query.data)
    try:
        if fields is None:
            raise TransferError("not_allowed")
        return await act(turn.session, turn.actor, *fields)
    except TransferError as exc:
        await tell_refusal(turn, exc.reason, what, "transfer.refused")
        return None


@member_handler
async def ask_button(turn: Turn):
    line = await _pressed(turn, btn.ASK, "transfer_ask", transfers.open_line)
    if line is None:
        return
    tid = line.transfer.id
    if line.arrival:
        first = InlineKeyboardButton(turn.t("transfer.button.receive"), callback_data=btn.RECEIVE.data(tid))
        ask = turn.t("transfer.ask_receive", dest=esc(line.other), day=fmt_date(local_today()))
    else:
        first = InlineKeyboardButton(turn.t("transfer.button.done"), callback_data=btn.DONE.data(tid))
        ask = turn.t("transfer.ask_done", day=fmt_date(local_today()))
    rows = [[first], [InlineKeyboardButton(turn.t("transfer.button.drop"), callback_data=btn.DROP.data(tid))]]
    turn.reply("\n".join([line_text(turn, line), ask]), InlineKeyboardMarkup(rows))


@member_handler
async def done_button(turn: Turn):
    t = await _pressed(turn, btn.DONE, "transfer_done", transfers.complete_transfer)
    if t is not None:
        turn.edit(turn.t("transfer.done", day=fmt_date(t.closed_on)))


@member_handler
async def drop_button(turn: Turn):
    t = await _pressed(turn, btn.DROP, "transfer_drop", transfers.cancel_transfer)
    if t is not None:
        turn.edit(turn.t("transfer.dropped"))


@member_handler
async def receive_button(turn: Turn):
    arrival = await _pressed(turn, btn.RECEIVE, "transfer_receive", transfers.receive_transfer)
    if arrival is None:
        return
    member, day = arrival.member, fmt_date(arrival.transfer.closed_on)
    said = dict(name=esc(member.full_name), src=esc(arrival.from_cell.name), dest=esc(arrival.to_cell.name), day=day)
    account = await accounts.account_of_member(turn.session, member.id)
    if account is None:  # an invitation, made with a tap (the members' own button)
        turn.edit("\n".join([turn.t("transfer.received", **said), turn.t("transfer.received_invite", **said)]),
                  InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("invite.button"),
                                                              callback_data=members_btn.INVITE.data(member.id))]]))
    else:
        turn.edit("\n".join([turn.t("transfer.received", **said), turn.t("transfer.received_linked", **said)]))
        if account.telegram_user_id != turn.user_id:
            turn.send_to(account.telegram_user_id,
                         t(account.language or turn.services.default_language, "transfer.received_told_member", **said))
    for chat_id, lang in await transfers.to_tell_of_arrival(turn.session, arrival, turn.actor):
        if account is None or chat_id != account.telegram_user_id:
            turn.send_to(chat_id, t(lang or turn.services.default_language, "transfer.received_told", **said))
