"""What an officer and /profile show of probation: the profile's line of a probationary member, one line per
member due soon (the officer's list and the weekly to-do), and the list itself, opened from the panel."""
from __future__ import annotations

from telegram import InlineKeyboardButton

from models import probation
from models.probation import Deadlines, Due, Status

from ..i18n import fmt_date, t
from ..keyboards import list_markup
from ..steps import page_of, paged, refuse, show_page
from ..turn import Turn, esc
from . import buttons as btn

PAGE_SIZE = 10


def profile_line(lang: str, d: Deadlines) -> str:
    """"Đảng viên dự bị — hạn xét chuyển chính thức: 15/03/2027" (the ceremony's while it is due; since when
    once lapsed)."""
    return t(lang, f"probation.profile.{d.status.value}", day=fmt_date(d.next_deadline))


def _left(lang: str, days: int) -> str:
    return t(lang, "probation.left.today") if days == 0 else t(lang, "probation.left", days=days)


def _icon(due: Due) -> str:
    """⛔ lapsed; at the rules' thresholds (30, 7, 1 days): • within the first, ⏰ the middle ones, ❗ the last."""
    days = probation.rules().reminder_days
    if due.deadlines.status is Status.lapsed:
        return "⛔"
    return "•" if due.threshold is None else ("❗" if due.threshold == days[-1] else "•" if due.threshold == days[0] else "⏰")


def due_line(lang: str, due: Due) -> str:
    """One member due soon: who, their cell, the deadline and how close it is (an icon at each reminder
    threshold: 30, 7, 1 days by the rules file)."""
    d = due.deadlines
    what = t(lang, f"probation.due.{d.status.value}", day=fmt_date(d.next_deadline))
    if d.status is not Status.lapsed:
        what = f"{what}, {_left(lang, due.days_left)}"
    return t(lang, "probation.line", icon=_icon(due), name=esc(due.full_name), cell=esc(due.cell_name), what=what)


async def show_list(turn: Turn, page: int, *, edit: bool = False) -> None:
    if not turn.actor.is_officer:
        await refuse(turn, "probation_list")
        return
    window = probation.rules().window_days
    found = await probation.due(turn.session, turn.actor)
    if not found:
        turn.reply(turn.t("probation.list_empty", days=window))
        return
    page, shown = page_of(found, page, PAGE_SIZE)
    lines = [turn.t("probation.list", days=window, count=len(found))]
    lines += [due_line(turn.lang, d) for d in shown]
    rows = [[InlineKeyboardButton(f"🌱 {d.full_name}"[:60], callback_data=btn.CARD.data(d.member_id))]
            for d in shown]
    markup = list_markup(rows, btn.PAGE, page, len(found), PAGE_SIZE, turn.lang)
    show_page(turn, "\n".join(lines), markup, edit=edit)


async def _show_anew(turn: Turn, page: int, *, edit: bool = False) -> None:
    await show_list(turn, page)  # from the panel or the to-do: a new message, the panel stays


list_button = paged(btn.LIST, _show_anew, "probation_list")
page_button = paged(btn.PAGE, show_list, "probation_list")
