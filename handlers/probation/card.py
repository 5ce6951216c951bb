"""A probationary member's file, as the secretary keeps it with taps (models/probation_file.py): the admission
ceremony's date picked on a calendar, the helper chosen among the cell's full members, the course and the
conversion file's items ticked. Each button names the member; every press is checked again by the model."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import conversion, probation_file
from models.conversion import Offer
from models.dates import VIETNAM, local_today
from models.probation_file import Card, FileError

from ..calendar import Bound as _Bound
from ..calendar import dated, day_of, month_markup
from ..i18n import fmt_date
from ..members import buttons as members_btn
from ..steps import calendar_buttons, refuse
from ..steps import on_button as on
from ..turn import Turn, esc
from ..votes.ballot import when
from ..votes.render import verdict
from . import buttons as btn

MARK = {True: "✅", False: "⬜"}
T = TypeVar("T")


def card_text(turn: Turn, c: Card, offer: Offer) -> str:
    d = c.deadlines
    items = probation_file.items()
    lines = [turn.t("probation.card.head", name=esc(c.full_name), cell=esc(c.cell_name)),
             turn.t("probation.card.decided", day=fmt_date(d.decided_on)),
             turn.t("probation.card.ceremony", day=fmt_date(c.ceremony_on)) if c.ceremony_on
             else turn.t("probation.card.ceremony_none", day=fmt_date(d.ceremony_by)),
             turn.t("probation.card.month12", day=fmt_date(d.month12), by=fmt_date(d.conversion_by)),
             turn.t(f"probation.profile.{d.status.value}", day=fmt_date(d.next_deadline)),
             "",
             turn.t("probation.card.helper", name=esc(c.helper_name)) if c.helper_name
             else turn.t("probation.card.helper_none"),
             turn.t("probation.card.course", day=fmt_date(c.course_done_on)) if c.course_done_on
             else turn.t("probation.card.course_none"),
             "",
             turn.t("probation.card.file", done=len(c.done), total=len(items))]
    for item in items:
        when = f" ({fmt_date(c.done[item])})" if item in c.done else ""
        lines.append(f"{MARK[item in c.done]} {turn.t(f'probation.item.{item}')}{when}")
    return "\n".join(lines + conversion_lines(turn, offer))


def conversion_lines(turn: Turn, offer: Offer) -> list[str]:
    """The latest conversion vote (handlers/probation/conversion.py): open (closes when, how many voted), or its
    verdict and what comes next."""
    s = offer.state
    if s is None:
        return []
    if s.open:
        return ["", turn.t("conversion.card.open", closes=when(s.vote.closes_at, turn.services.timezone or VIETNAM), cast=s.result.cast,
                           eligible=s.result.eligible)]
    return ["", turn.t("conversion.card.closed"), verdict(s.result, turn.lang),
            turn.t("conversion.card.waiting" if s.passed else "conversion.card.again")]


def conversion_rows(turn: Turn, member_id: int, offer: Offer) -> list[list[InlineKeyboardButton]]:
    """🗳 for the cell's officer when the vote may open; 🎓 for a committee above the cell once it passed."""
    rows = []
    if offer.may_open:
        rows.append([InlineKeyboardButton(turn.t("conversion.button.vote"), callback_data=btn.CONVERT.data(member_id))])
    if offer.may_decide and offer.state is not None:
        rows.append([InlineKeyboardButton(turn.t("conversion.button.decide"),
                                          callback_data=btn.DECIDE.data(offer.state.conversion.id))])
    return rows


def card_markup(turn: Turn, c: Card, offer: Offer) -> InlineKeyboardMarkup:
    m = c.member_id
    rows = [[InlineKeyboardButton(turn.t("probation.button.ceremony"), callback_data=btn.CEREMONY.data(m)),
             InlineKeyboardButton(turn.t("probation.button.helper"), callback_data=btn.HELPERS.data(m))],
            [InlineKeyboardButton(f"{MARK[c.course_done_on is not None]} {turn.t('probation.button.course')}",
                                  callback_data=btn.COURSE.data(m, "off" if c.course_done_on else "on"))]]
    for i, item in enumerate(probation_file.items()):
        done = item in c.done
        rows.append([InlineKeyboardButton(f"{MARK[done]} {turn.t(f'probation.item.{item}')}"[:60],
                                          callback_data=btn.ITEM.data(m, i, "off" if done else "on"))])
    rows += conversion_rows(turn, m, offer)
    rows.append([InlineKeyboardButton(turn.t("probation.button.profile"), callback_data=members_btn.PROFILE.data(m)),
                 InlineKeyboardButton(turn.t("probation.button.list"), callback_data=btn.PAGE.data(0))])
    return InlineKeyboardMarkup(rows)


async def _attempt(turn: Turn, act: Callable[[], Awaitable[T]], what: str) -> T | None:
    """What the model gives, or None once its refusal is said (not_allowed: refused and recorded as `what`)."""
    try:
        return await act()
    except FileError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, what)
        else:
            said = {k: fmt_date(v) if isinstance(v, date) else len(v) if isinstance(v, list) else v
                    for k, v in getattr(exc, "details", {}).items()}  # a conversion's: the day, the items missing
            turn.answer(turn.t(f"probation.refused.{exc.reason}", **said), alert=True)
        return None


async def _changed(turn: Turn, change: Awaitable[None], what: str) -> bool:
    """The model's change made (True), or refused and said."""
    async def made() -> bool:
        await change
        return True

    return await _attempt(turn, made, what) is True


def _card(turn: Turn, member_id: int) -> Callable[[], Awaitable[Card]]:
    return lambda: probation_file.card(turn.session, turn.actor, member_id)


async def show_card(turn: Turn, member_id: int, said: str | None = None) -> None:
    c = await _attempt(turn, _card(turn, member_id), "probation_card")
    if c is None:
        return
    offer = await conversion.offer(turn.session, turn.actor, c)
    if said:
        turn.answer(said)
    turn.edit(card_text(turn, c, offer), card_markup(turn, c, offer))


async def _saved(turn: Turn, member_id: int, change: Awaitable[None], what: str) -> None:
    """The change made and the card shown again, said "Đã ghi"; or the refusal said."""
    if await _changed(turn, change, what):
        await show_card(turn, member_id, turn.t("probation.saved"))


@on(btn.CARD, "probation_card")
async def card_button(turn: Turn, member_id: int) -> None:
    await show_card(turn, member_id)


# --- the ceremony's date ------------------------------------------------------------------------------------------
async def _calendar(turn: Turn, member_id: int, month: date | None) -> None:
    c = await _attempt(turn, _card(turn, member_id), "probation_ceremony")
    if c is None:
        return
    today, first = local_today(), c.deadlines.decided_on
    shown = min(max(month or c.ceremony_on or first, first), today)  # first the month of the decision
    day = _Bound(btn.CEREMONY_DAY, member_id)
    page = _Bound(btn.CEREMONY_MONTH, member_id)
    back = [[InlineKeyboardButton(turn.t("probation.button.back"), callback_data=btn.CARD.data(member_id))]]
    markup = month_markup(turn.lang, shown, today=today, day=day, page=page, first=first, last=today,
                          suggested=[c.ceremony_on] if c.ceremony_on else (), extra_rows=back)
    turn.edit(turn.t("probation.ask_ceremony", name=esc(c.full_name), day=fmt_date(first)), markup)


ceremony_button, ceremony_month = calendar_buttons(btn.CEREMONY, btn.CEREMONY_MONTH, "probation_ceremony", _calendar,
                                                  ("ceremony_button", "ceremony_month"))


@on(btn.CEREMONY_DAY, "probation_ceremony", dated(day_of))  # a day like 31/02 is forged: refused
async def ceremony_day(turn: Turn, member_id: int, day: date) -> None:
    await _saved(turn, member_id, probation_file.set_ceremony(turn.session, turn.actor, member_id, day),
                 "probation_ceremony")


# --- the helper -----------------------------------------------------------------------------------------------------
@on(btn.HELPERS, "probation_helper")
async def helpers_button(turn: Turn, member_id: int) -> None:
    found = await _attempt(turn, lambda: probation_file.helper_candidates(turn.session, turn.actor, member_id),
                           "probation_helper")
    if found is None:
        return
    names = [InlineKeyboardButton(f"🤝 {name}"[:60], callback_data=btn.HELPER.data(member_id, i))
             for i, name in found[:40]]
    rows = [names[i:i + 2] for i in range(0, len(names), 2)]
    rows.append([InlineKeyboardButton(turn.t("probation.button.no_helper"), callback_data=btn.HELPER.data(member_id, 0)),
                 InlineKeyboardButton(turn.t("probation.button.back"), callback_data=btn.CARD.data(member_id))])
    turn.edit(turn.t("probation.ask_helper" if found else "probation.no_candidates"), InlineKeyboardMarkup(rows))


@on(btn.HELPER, "probation_helper")
async def helper_button(turn: Turn, member_id: int, helper: int) -> None:
    await _saved(turn, member_id, probation_file.set_helper(turn.session, turn.actor, member_id, helper or None),
                 "probation_helper")


# --- the course and the file's items --------------------------------------------------------------------------------
@on(btn.COURSE, "probation_course")
async def course_button(turn: Turn, member_id: int, choice: str) -> None:
    await _saved(turn, member_id, probation_file.set_course(turn.session, turn.actor, member_id, choice == "on"),
                 "probation_course")


def _item(fields: tuple) -> tuple | None:
    items = probation_file.items()
    return (fields[0], items[fields[1]], fields[2]) if fields[1] < len(items) else None


@on(btn.ITEM, "probation_item", _item)
async def item_button(turn: Turn, member_id: int, item: str, choice: str) -> None:
    await _saved(turn, member_id, probation_file.set_item(turn.session, turn.actor, member_id, item, choice == "on"),
                 "probation_item")
