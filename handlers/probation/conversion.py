"""The conversion to full membership, on the member's card (models/conversion.py): the cell's officer opens the
cell's vote (🗳 Biểu quyết chuyển chính thức, confirmed), the card follows it; once it passed, a committee above
the cell records the decision (🎓 Công nhận đảng viên chính thức, "Ngày chính thức" month 12 by default), from the
card or its panel's list, and the member is told in their language."""
from __future__ import annotations

from datetime import date, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import conversion
from models.dates import local_today

from ..calendar import dated, day_of, month_markup, month_of
from ..i18n import fmt_date, t
from ..keyboards import list_markup
from ..steps import page_of, paged, refuse, show_page
from ..turn import Turn, esc
from ..votes.render import verdict
from . import buttons as btn
from .card import _attempt, _Bound, on, show_card

PAGE_SIZE = 8


def _question(turn: Turn, name: str) -> str:
    return turn.t("conversion.question", name=name)


# --- the vote -------------------------------------------------------------------------------------------------------
@on(btn.CONVERT, "conversion_vote")
async def convert_button(turn: Turn, member_id: int) -> None:
    checked = await _attempt(turn, lambda: conversion.check_open(turn.session, turn.actor, member_id,
                                                                 local_today()), "conversion_vote")
    if checked is None:
        return
    member, cell, _latest = checked
    r = conversion.rules()
    rows = [[InlineKeyboardButton(turn.t("conversion.button.open"), callback_data=btn.CONVERT_OK.data(member_id))],
            [InlineKeyboardButton(turn.t("probation.button.back"), callback_data=btn.CARD.data(member_id))]]
    turn.edit(turn.t("conversion.ask", name=esc(member.full_name), cell=esc(cell.name), hours=r.vote_hours,
                     rule=turn.t(f"conversion.rule.{r.pass_rule.value}")), InlineKeyboardMarkup(rows))


@on(btn.CONVERT_OK, "conversion_vote")
async def convert_ok(turn: Turn, member_id: int) -> None:
    async def opened() -> conversion.Conversion:
        member, _cell, _latest = await conversion.check_open(turn.session, turn.actor, member_id,
                                                             local_today())
        return await conversion.open_conversion_vote(turn.session, turn.actor, member_id,
                                                     _question(turn, member.full_name))

    if await _attempt(turn, opened, "conversion_vote") is not None:
        await show_card(turn, member_id, turn.t("conversion.opened"))


# --- the committee's decision ---------------------------------------------------------------------------------------
@on(btn.DECIDE, "conversion_decide")
async def decide_button(turn: Turn, conversion_id: int) -> None:
    p = await _attempt(turn, lambda: conversion.pending(turn.session, turn.actor, conversion_id), "conversion_decide")
    if p is None:
        return
    rows = [[InlineKeyboardButton(turn.t("conversion.button.confirm", day=fmt_date(p.month12)),
                                  callback_data=btn.DECIDE_OK.data(conversion_id, f"{p.month12:%Y%m%d}"))],
            [InlineKeyboardButton(turn.t("conversion.button.other_day"),
                                  callback_data=btn.DECIDE_MONTH.data(conversion_id, f"{p.month12:%Y%m}"))],
            [InlineKeyboardButton(turn.t("probation.button.back"), callback_data=btn.WAITING_PAGE.data(0))]]
    turn.edit("\n".join([turn.t("conversion.ask_decision", name=esc(p.full_name), cell=esc(p.cell_name),
                                day=fmt_date(p.month12)), verdict(p.result, turn.lang)]), InlineKeyboardMarkup(rows))


@on(btn.DECIDE_MONTH, "conversion_decide", dated(month_of))
async def decide_month(turn: Turn, conversion_id: int, month: date) -> None:
    """Another "Ngày chính thức" on a calendar: from month 12 to today; a day tapped is the decision."""
    p = await _attempt(turn, lambda: conversion.pending(turn.session, turn.actor, conversion_id), "conversion_decide")
    if p is None:
        return
    today = local_today()
    back = [[InlineKeyboardButton(turn.t("probation.button.back"), callback_data=btn.DECIDE.data(conversion_id))]]
    markup = month_markup(turn.lang, min(max(month, p.month12), today), today=today,
                          day=_Bound(btn.DECIDE_OK, conversion_id), page=_Bound(btn.DECIDE_MONTH, conversion_id),
                          first=p.month12, last=today, suggested=[p.month12], extra_rows=back)
    turn.edit(turn.t("conversion.ask_day", name=esc(p.full_name), day=fmt_date(p.month12)), markup)


@on(btn.DECIDE_OK, "conversion_decide", dated(day_of))  # a day like 31/02 is forged: refused
async def decide_ok(turn: Turn, conversion_id: int, day: date) -> None:
    member = await _attempt(turn, lambda: conversion.decide(turn.session, turn.actor, conversion_id, day),
                            "conversion_decide")
    if member is None:
        return
    turn.answer(turn.t("probation.saved"))
    rows = [[InlineKeyboardButton(turn.t("probation.button.list"), callback_data=btn.WAITING_PAGE.data(0))]]
    turn.edit(turn.t("conversion.decided", name=esc(member.full_name), day=fmt_date(day)), InlineKeyboardMarkup(rows))


# --- the committee's list -------------------------------------------------------------------------------------------
async def show_waiting(turn: Turn, page: int, *, edit: bool = False) -> None:
    if not turn.actor.is_officer:
        await refuse(turn, "conversion_waiting")
        return
    found = await conversion.waiting(turn.session, turn.actor)
    if not found:
        show_page(turn, turn.t("conversion.waiting_empty"), None, edit=edit)
        return
    page, shown = page_of(found, page, PAGE_SIZE)
    lines = [turn.t("conversion.waiting", count=len(found))]
    lines += [turn.t("conversion.waiting_line", name=esc(w.full_name), cell=esc(w.cell_name),
                     count=w.result.agree.count if w.result.agree else 0, base=w.result.base) for w in shown]
    rows = [[InlineKeyboardButton(f"🎓 {w.full_name}"[:60], callback_data=btn.DECIDE.data(w.conversion_id))]
            for w in shown]
    show_page(turn, "\n".join(lines), list_markup(rows, btn.WAITING_PAGE, page, len(found), PAGE_SIZE, turn.lang),
              edit=edit)


async def _waiting_anew(turn: Turn, page: int, *, edit: bool = False) -> None:
    await show_waiting(turn, page)  # from the panel: a new message, the panel stays


waiting_button = paged(btn.WAITING, _waiting_anew, "conversion_waiting")
waiting_page = paged(btn.WAITING_PAGE, show_waiting, "conversion_waiting")


# --- the member told ------------------------------------------------------------------------------------------------
async def render_told(session: AsyncSession, conversion_id: int, lang: str, tz: tzinfo | None) -> list[tuple]:
    found = await conversion.told(session, conversion_id)
    if found is None:
        return []
    name, day = found
    return [("sendMessage", {"text": t(lang, "conversion.told", name=esc(name), day=fmt_date(day)),
                             "parse_mode": "HTML"})]
