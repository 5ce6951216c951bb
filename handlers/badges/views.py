"""What a committee sees of the Party badges: who is due at the next award day, with a button each to
record the award (after a confirmation); and the lines /profile shows of a member's party age and badge."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from models import badge_awards, party_age
from models.callback_data import Codec
from models.dates import local_today
from models.party_age import Badge, BadgeError, PartyAge, Standing
from models.permissions import CELL_KINDS, Action

from ..i18n import fmt_date
from ..keyboards import list_markup
from ..steps import page_of, paged, refuse, show_page
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .declaration_docx import docx_name, render_docx

PAGE_SIZE = 10
T = TypeVar("T")


# --- the profile's lines -------------------------------------------------------------------------------------
def age_text(turn: Turn, age: PartyAge) -> str:
    if age.years and age.months:
        return turn.t("badge.years_months", years=age.years, months=age.months)
    if age.years:
        return turn.t("badge.years", years=age.years)
    return turn.t("badge.months", months=age.months) if age.months else turn.t("badge.under_a_month")


def badge_text(turn: Turn, badge: Badge, rule: str, *, day: bool = True) -> str:
    """"Huy hiệu 45 năm tuổi Đảng, dự kiến trao ngày 03/02/2027", with why it moved (the rules' name beside a
    discipline's delay, a figure not confirmed) and since when it is due when its own award day has passed."""
    title = turn.t("badge.title", years=badge.milestone)
    text = turn.t("badge.expected", badge=title, day=fmt_date(badge.award_day)) if day else title
    notes = []
    if badge.delay_months:
        notes.append(turn.t("badge.delayed", months=badge.delay_months, rule=esc(rule)))
    if badge.overdue:
        notes.append(turn.t("badge.since", day=fmt_date(badge.eligible_on)))
    return f"{text} ({'; '.join(notes)})" if notes else text


def standing_lines(turn: Turn, standing: Standing) -> list[str]:
    """"Tuổi Đảng: 42 năm 3 tháng" and "Huy hiệu tiếp theo: …", each when known."""
    lines = []
    if standing.age is not None:
        lines.append(f"{turn.t('badge.party_age')}: {age_text(turn, standing.age)}")
    if standing.badge is not None:
        lines.append(f"{turn.t('badge.next')}: {badge_text(turn, standing.badge, standing.rule)}")
    return lines


# --- the committee's list ------------------------------------------------------------------------------------
async def show_list(turn: Turn, page: int, *, edit: bool = False) -> None:
    if not party_age.may_award_anywhere(turn.actor):
        await refuse(turn, "badge_list")
        return
    day = party_age.next_award_day()
    found = await party_age.due_at(turn.session, turn.actor, day)
    rule = party_age.rules().short_name
    download = [InlineKeyboardButton(turn.t("badge.button.docx"), callback_data=btn.DOCX.data())]
    if not found:
        turn.reply(turn.t("badge.list_empty", day=fmt_date(day)), InlineKeyboardMarkup([download]))
        return
    page, shown = page_of(found, page, PAGE_SIZE)
    lines = [turn.t("badge.list", day=fmt_date(day), count=len(found))]
    lines += [turn.t("badge.list_line", name=esc(d.full_name), cell=esc(d.cell_name),
                     badge=badge_text(turn, d.badge, rule, day=False)) for d in shown]
    rows = [[InlineKeyboardButton(turn.t("badge.button", name=d.full_name, years=d.badge.milestone)[:60],
                                  callback_data=btn.ASK.data(d.member_id, d.badge.milestone)),
             InlineKeyboardButton(turn.t("badge.button.card"), callback_data=btn.CARD_NEW.data(d.member_id))]
            for d in shown]
    markup = list_markup(rows + [download], btn.PAGE, page, len(found), PAGE_SIZE, turn.lang)
    show_page(turn, "\n".join(lines), markup, edit=edit)


async def _show_anew(turn: Turn, page: int, *, edit: bool = False) -> None:
    await show_list(turn, page)  # from the panel or a card: a new message, the panel stays


list_button = paged(btn.LIST, _show_anew, "badge_list")
page_button = paged(btn.PAGE, show_list, "badge_list")


# --- recording an award --------------------------------------------------------------------------------------
async def _pressed(turn: Turn, codec: Codec, what: str, act: Callable[..., Awaitable[T]]) -> T | None:
    """`act` (proposal, record_award) on the award a button names, checked again in the model (forged data,
    another officer faster); None when refused."""
    fields = codec.parse(turn.update.callback_query.data)
    if fields is None:
        await refuse(turn, what)
        return None
    try:
        return await act(turn.session, turn.actor, *fields)
    except BadgeError as exc:
        await _refused(turn, exc, what)
        return None


async def _refused(turn: Turn, exc: BadgeError, what: str) -> None:
    if exc.reason in ("not_allowed", "bad_milestone"):  # only a forged button names these
        await refuse(turn, what)
    else:
        turn.answer(turn.t(f"badge.refused.{exc.reason}"), alert=True)


def _back(turn: Turn) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(turn.t("badge.button.back"), callback_data=btn.LIST.data(0))]


@member_handler
async def ask_button(turn: Turn):
    due = await _pressed(turn, btn.ASK, "badge_ask", party_age.proposal)
    if due is None:
        return
    title = turn.t("badge.title", years=due.badge.milestone)
    text = turn.t("badge.confirm", name=esc(due.full_name), cell=esc(due.cell_name), badge=title,
                  day=fmt_date(due.badge.award_day))
    yes = InlineKeyboardButton(turn.t("badge.button.yes"), callback_data=btn.YES.data(due.member_id, due.badge.milestone))
    turn.reply(text, InlineKeyboardMarkup([[yes], _back(turn)]))


@member_handler
async def yes_button(turn: Turn):
    recorded = await _pressed(turn, btn.YES, "badge_award", party_age.record_award)
    if recorded is None:
        return
    due, award = recorded
    text = turn.t("badge.recorded", name=esc(due.full_name), badge=esc(award.title), day=fmt_date(award.awarded_on))
    turn.edit(text, InlineKeyboardMarkup([_back(turn)]))


# --- the declaration list (.docx) ------------------------------------------------------------------------------------
@member_handler
async def docx_button(turn: Turn):
    """The next award day's declaration list as a Word file: the members due, and those proposed early or
    posthumously, within the committee's units."""
    if btn.DOCX.parse(turn.update.callback_query.data) is None or not party_age.may_award_anywhere(turn.actor):
        await refuse(turn, "badge_docx")
        return
    day = party_age.next_award_day()
    due = await party_age.due_at(turn.session, turn.actor, day)
    lines = await badge_awards.declaration(turn.session, due, turn.actor, day)
    units = [r.unit_name for r in turn.actor.officer_units(Action.award_badges) if r.unit_kind not in (None, *CELL_KINDS)]
    bot, chat_id, lang = turn.context.bot, turn.chat_id, turn.services.default_language  # a party paper: the handbook's language
    caption = turn.t("badge.doc.caption", day=fmt_date(day), count=len(lines))
    today = local_today()

    async def send() -> None:
        data = await asyncio.to_thread(render_docx, lines, lang, units[0] if units else "", day, today)
        await bot.send_document(chat_id, InputFile(data, filename=docx_name(day)), caption=caption)

    turn.answer(turn.t("badge.doc.sending"))
    turn.later(send)
