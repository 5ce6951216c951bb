"""➖ A period out of the party, recorded by a committee from a member's badge screen (card.py): the kind
(expulsion, lost contact, a gap in a transfer), then "from" and "until" (or not back yet) on calendars; the
screen then shows it with the party age recomputed. models/badge_awards.record_gap_of_kind checks it all again."""
from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import badge_awards
from models.badge_awards import GapKind

from ..calendar import Bound, day_of, month_of
from ..i18n import fmt_date
from ..steps import calendar_buttons, on_button
from ..turn import Turn, esc
from . import buttons as btn
from .card import FIRST_DAY, attempt, calendar, saved


def _with_day(fields: tuple) -> tuple | None:
    """(member, kind, from, …): the "from" day read (a day like 31/02 is forged: None)."""
    start = day_of(fields[2])
    return None if start is None else (fields[0], fields[1], start, *fields[3:])


@on_button(btn.GAP, "badge_gap")
async def gap_button(turn: Turn, member_id: int) -> None:
    c = await attempt(turn, lambda: badge_awards.badge_card(turn.session, turn.actor, member_id), "badge_gap")
    if c is None:
        return
    rows = [[InlineKeyboardButton(turn.t(f"badge.gap.{kind.value}"), callback_data=btn.GAP_KIND.data(member_id, kind.value))]
            for kind in GapKind]
    rows.append([InlineKeyboardButton(turn.t("badge.button.screen"), callback_data=btn.CARD.data(member_id))])
    turn.edit(turn.t("badge.ask_gap_kind", name=esc(c.full_name)), InlineKeyboardMarkup(rows))


async def _from_calendar(turn: Turn, member_id: int, kind: str, month: date | None) -> None:
    c = await attempt(turn, lambda: badge_awards.badge_card(turn.session, turn.actor, member_id), "badge_gap")
    if c is None:
        return
    first = c.facts.joined_on or FIRST_DAY
    markup = calendar(turn, month or first, first, Bound(btn.GAP_FROM, member_id, kind),
                      Bound(btn.GAP_FROM_MONTH, member_id, kind), btn.CARD.data(member_id))
    turn.edit(turn.t("badge.ask_gap_from", name=esc(c.full_name), kind=turn.t(f"badge.gap.{kind}")), markup)


kind_button, from_month = calendar_buttons(btn.GAP_KIND, btn.GAP_FROM_MONTH, "badge_gap", _from_calendar,
                                          ("kind_button", "from_month"))


async def _until_calendar(turn: Turn, member_id: int, kind: str, start: date, month: date | None) -> None:
    c = await attempt(turn, lambda: badge_awards.badge_card(turn.session, turn.actor, member_id), "badge_gap")
    if c is None:
        return
    ymd = start.strftime("%Y%m%d")
    markup = calendar(turn, month or start, start, Bound(btn.GAP_UNTIL, member_id, kind, ymd),
                      Bound(btn.GAP_UNTIL_MONTH, member_id, kind, ymd), btn.CARD.data(member_id))
    open_row = [InlineKeyboardButton(turn.t("badge.button.gap_open"), callback_data=btn.GAP_UNTIL.data(member_id, kind, ymd, "open"))]
    markup = InlineKeyboardMarkup([*markup.inline_keyboard[:-1], open_row, markup.inline_keyboard[-1]])
    turn.edit(turn.t("badge.ask_gap_until", name=esc(c.full_name), kind=turn.t(f"badge.gap.{kind}"),
                     day=fmt_date(start)), markup)


@on_button(btn.GAP_FROM, "badge_gap", _with_day)
async def from_day(turn: Turn, member_id: int, kind: str, start: date) -> None:
    await _until_calendar(turn, member_id, kind, start, None)


def _month_after(fields: tuple) -> tuple | None:
    found, month = _with_day(fields), month_of(fields[3])
    return None if found is None or month is None else (*found[:3], month)


@on_button(btn.GAP_UNTIL_MONTH, "badge_gap", _month_after)
async def until_month(turn: Turn, member_id: int, kind: str, start: date, month: date) -> None:
    await _until_calendar(turn, member_id, kind, start, month)


def _until(fields: tuple) -> tuple | None:
    found = _with_day(fields)
    if found is None:
        return None
    if fields[3] == "open":
        return (*found[:3], None)
    until = day_of(fields[3])
    return None if until is None else (*found[:3], until)


@on_button(btn.GAP_UNTIL, "badge_gap", _until)
async def until_day(turn: Turn, member_id: int, kind: str, start: date, until: date | None) -> None:
    await saved(turn, member_id, lambda: badge_awards.record_gap_of_kind(
        turn.session, turn.actor, member_id, GapKind(kind), start, until), "badge_gap")
