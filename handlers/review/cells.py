"""The cell's officers' view of the round (the cell panel's 📝 Kiểm điểm, or /review): per cell, who has sent
their self-review, who not yet, who is exempt and why, and ✍️ Làm thay for each member without Telegram who
has not sent theirs (the same screens as the member's, marked as filled in by proxy)."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import review
from models.review import CellLine

from ..i18n import fmt_date
from ..steps import refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn

MOST_BUTTONS = 30


def _line(turn: Turn, x: CellLine) -> str:
    if x.exempt_reason:
        key = "review.cell_line.exempt"
    elif x.submitted:
        key = "review.cell_line.proxy" if x.by_proxy else "review.cell_line.sent"
    else:
        key = "review.cell_line.waiting" if x.on_telegram else "review.cell_line.offline"
    reason = turn.t(f"review.exempt.{x.exempt_reason}") if x.exempt_reason else ""
    return turn.t(key, name=esc(x.full_name), reason=reason)


async def show_cells(turn: Turn) -> None:
    found = await review.cell_reviews(turn.session, turn.actor)
    if not found:
        turn.reply(turn.t("review.cells_none"))
        return
    lines, rows = [], []
    for c in found:
        sent = sum(1 for x in c.lines if x.submitted)
        due = sum(1 for x in c.lines if not x.exempt_reason)
        lines += ["", turn.t("review.cell_head", cell=esc(c.cell_name), year=c.round.year, sent=sent, count=due,
                             day=fmt_date(c.round.self_deadline)), *(_line(turn, x) for x in c.lines)]
        rows += [[InlineKeyboardButton(turn.t("review.button.proxy", name=x.full_name[:40]),
                                       callback_data=btn.PROXY.data(x.entry_id))]
                 for x in c.lines if not x.submitted and not x.exempt_reason and not x.on_telegram]
    turn.reply("\n".join([turn.t("review.cells"), *lines]), InlineKeyboardMarkup(rows[:MOST_BUTTONS]))


@member_handler
async def cells_pressed(turn: Turn):
    if btn.CELLS.parse(turn.update.callback_query.data) is None or not turn.actor.is_officer:
        await refuse(turn, "review_cells")
        return
    await show_cells(turn)
