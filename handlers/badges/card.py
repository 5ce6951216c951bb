"""A member's badge screen, for a committee above the cell (models/badge_awards.py): party age (to the date of
death, when recorded), the periods out of the party, the next badge, the proposals made; buttons to propose the
badge early (serious illness) or posthumously, to record the date of death on a calendar and a period out of the
party (gaps.py). Each button names the member; every press is checked again by the model."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import badge_awards
from models.badge_awards import BadgeCard
from models.dates import local_today
from models.party_age import BadgeError, PartyAge, next_badge, rules

from ..calendar import Bound, dated, day_of, month_markup
from ..i18n import fmt_date
from ..steps import calendar_buttons, on_button, refuse
from ..turn import Turn, esc
from . import buttons as btn
from .views import age_text, badge_text

T = TypeVar("T")
FIRST_DAY = date(1930, 1, 1)  # the earliest day the calendars offer


async def attempt(turn: Turn, act: Callable[[], Awaitable[T]], what: str) -> T | None:
    """What the model gives, or None once its refusal is said (not_allowed, bad_milestone: refused, recorded)."""
    try:
        return await act()
    except BadgeError as exc:
        if exc.reason in ("not_allowed", "bad_milestone"):  # only a forged button names these
            await refuse(turn, what)
        else:
            turn.answer(turn.t(f"badge.refused.{exc.reason}"), alert=True)
        return None


def year_rows(month: date, page: Bound, first: date, last: date) -> list[list[InlineKeyboardButton]]:
    """Jumps of one and ten years for a calendar far in the past (a gap in 1990, a death years ago)."""
    row = []
    for years, label in ((-10, "«« {}"), (-1, "« {}"), (1, "{} »"), (10, "{} »»")):
        to = month.replace(year=month.year + years, day=1)
        if first.replace(day=1) <= to <= last:
            row.append(InlineKeyboardButton(label.format(to.year), callback_data=page.data(to.strftime("%Y%m"))))
    return [row] if row else []


def calendar(turn: Turn, month: date, first: date, day: Bound, page: Bound, back: str,
             chosen: date | None = None) -> InlineKeyboardMarkup:
    """A calendar from `first` to today, with year jumps and a back button to the member's screen."""
    today = local_today()
    shown = min(max(month, first), today)
    extra = year_rows(shown, page, first, today) + [[InlineKeyboardButton(turn.t("badge.button.screen"),
                                                                           callback_data=back)]]
    return month_markup(turn.lang, shown, today=today, day=day, page=page, first=first, last=today,
                        suggested=[chosen] if chosen else (), extra_rows=extra)


def card_text(turn: Turn, c: BadgeCard, gaps: list[tuple[date, date | None, str | None]]) -> str:
    lines = [turn.t("badge.card.head", name=esc(c.full_name), cell=esc(c.cell_name))]
    months = c.months
    if c.deceased_on is not None:
        lines.append(turn.t("badge.card.deceased", day=fmt_date(c.deceased_on)))
    if months is not None:
        lines.append(f"{turn.t('badge.party_age')}: {age_text(turn, PartyAge(months))}")
    if gaps:
        lines.append(turn.t("badge.card.gaps"))
        for start, until, kind in gaps:
            what = turn.t(f"badge.gap.{kind}") if kind in btn.KIND.values else esc(kind or "—")
            end = fmt_date(until) if until else turn.t("badge.gap.open")
            lines.append(f"• {fmt_date(start)} – {end}: {what}")
    badge = next_badge(c.facts, c.today)
    if badge is not None and c.deceased_on is None:
        lines.append(f"{turn.t('badge.next')}: {badge_text(turn, badge, rules().short_name)}")
    for milestone, kind in sorted(c.proposals.items()):
        lines.append(turn.t(f"badge.card.proposed.{kind.value}", badge=turn.t("badge.title", years=milestone)))
    return "\n".join(lines)


def card_markup(turn: Turn, c: BadgeCard) -> InlineKeyboardMarkup:
    m, rows = c.member_id, []
    if (early := badge_awards.early_milestone(c)) is not None:
        rows.append([InlineKeyboardButton(turn.t("badge.button.early", years=early), callback_data=btn.EARLY.data(m, early))])
    if (late := badge_awards.posthumous_milestone(c)) is not None and late not in c.proposals:
        rows.append([InlineKeyboardButton(turn.t("badge.button.posthumous", years=late),
                                          callback_data=btn.POSTHUMOUS.data(m, late))])
    top = max(c.facts.awarded, default=0)
    rows += [[InlineKeyboardButton(turn.t("badge.button.given", years=milestone), callback_data=btn.GIVEN.data(m, milestone))]
             for milestone in sorted(c.proposals) if milestone > top]
    rows.append([InlineKeyboardButton(turn.t("badge.button.gap"), callback_data=btn.GAP.data(m)),
                 InlineKeyboardButton(turn.t("badge.button.death"), callback_data=btn.DEATH.data(m))])
    rows.append([InlineKeyboardButton(turn.t("badge.button.back"), callback_data=btn.LIST.data(0))])
    return InlineKeyboardMarkup(rows)


async def show_card(turn: Turn, member_id: int, said: str | None = None, *, new: bool = False) -> None:
    c = await attempt(turn, lambda: badge_awards.badge_card(turn.session, turn.actor, member_id), "badge_card")
    if c is None:
        return
    text = card_text(turn, c, await badge_awards.gap_notes(turn.session, member_id))
    if said:
        turn.answer(said)
    (turn.reply if new else turn.edit)(text, card_markup(turn, c))


async def saved(turn: Turn, member_id: int, change: Callable[[], Awaitable[object]], what: str) -> None:
    """The model's change made and the screen shown again ("Đã ghi"), or its refusal said."""
    if await attempt(turn, change, what) is not None:
        await show_card(turn, member_id, turn.t("badge.saved"))


@on_button(btn.CARD, "badge_card")
async def card_button(turn: Turn, member_id: int) -> None:
    await show_card(turn, member_id)


@on_button(btn.CARD_NEW, "badge_card")
async def card_new_button(turn: Turn, member_id: int) -> None:
    await show_card(turn, member_id, new=True)


@on_button(btn.EARLY, "badge_early")
async def early_button(turn: Turn, member_id: int, milestone: int) -> None:
    await saved(turn, member_id, lambda: badge_awards.propose_early(turn.session, turn.actor, member_id, milestone),
                "badge_early")


@on_button(btn.POSTHUMOUS, "badge_posthumous")
async def posthumous_button(turn: Turn, member_id: int, milestone: int) -> None:
    await saved(turn, member_id, lambda: badge_awards.propose_posthumous(turn.session, turn.actor, member_id,
                                                                         milestone), "badge_posthumous")


@on_button(btn.GIVEN, "badge_given")
async def given_button(turn: Turn, member_id: int, milestone: int) -> None:
    await saved(turn, member_id, lambda: badge_awards.record_proposed_award(turn.session, turn.actor, member_id,
                                                                            milestone), "badge_given")


# --- the date of death -----------------------------------------------------------------------------------------------
async def _death_calendar(turn: Turn, member_id: int, month: date | None) -> None:
    c = await attempt(turn, lambda: badge_awards.badge_card(turn.session, turn.actor, member_id), "badge_death")
    if c is None:
        return
    first = c.facts.joined_on or FIRST_DAY
    markup = calendar(turn, month or c.deceased_on or c.today, first, Bound(btn.DEATH_DAY, member_id),
                      Bound(btn.DEATH_MONTH, member_id), btn.CARD.data(member_id), c.deceased_on)
    turn.edit(turn.t("badge.ask_death", name=esc(c.full_name)), markup)


death_button, death_month = calendar_buttons(btn.DEATH, btn.DEATH_MONTH, "badge_death", _death_calendar,
                                             ("death_button", "death_month"))


@on_button(btn.DEATH_DAY, "badge_death", dated(day_of))
async def death_day(turn: Turn, member_id: int, day: date) -> None:
    async def change() -> bool:
        await badge_awards.set_deceased(turn.session, turn.actor, member_id, day)
        return True
    await saved(turn, member_id, change, "badge_death")

