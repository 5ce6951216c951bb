"""The cell's officers' view of the round (the cell panel's 📝 Kiểm điểm, or /review): per cell, who has sent
their self-review, who not yet, who is exempt and why, and ✍️ Làm thay for each member without Telegram who
has not sent theirs (the same screens as the member's, marked as filled in by proxy); 📋 opens the cell's
appraisal once members have sent theirs (appraise.py)."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import review
from models.review import CellLine, Form, ReviewError

from ..buttons.common import NOOP
from ..i18n import fmt_date
from ..steps import refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .sheet import refused

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
        # The appraisal's page before anyone has sent theirs too: the review meeting is scheduled there.
        rows.insert(0, [InlineKeyboardButton(turn.t("review.button.appraise", cell=c.cell_name[:40]),
                                             callback_data=btn.APPRAISE.data(c.round.id, c.cell_id))])
    rows = rows[:MOST_BUTTONS]
    if any(not x.submitted and not x.exempt_reason for c in found for x in c.lines):
        rows.append([InlineKeyboardButton(turn.t("review.button.forms"), callback_data=btn.FORMS.data())])
    turn.reply("\n".join([turn.t("review.cells"), *lines]), InlineKeyboardMarkup(rows))


async def show_forms(turn: Turn, *, edit: bool) -> None:
    """Each member who has not sent theirs, with the form they have and the two others to give them."""
    waiting = [x for c in await review.cell_reviews(turn.session, turn.actor) for x in c.lines
               if not x.submitted and not x.exempt_reason][:MOST_BUTTONS]
    rows = []
    for x in waiting:
        rows.append([InlineKeyboardButton(turn.t("review.form_row", name=x.full_name[:40], form=x.form.value),
                                          callback_data=NOOP.data())])
        rows.append([InlineKeyboardButton(turn.t("review.button.form", form=f.value),
                                          callback_data=btn.FORM.data(x.entry_id, f.value))
                     for f in Form if f is not x.form])
    text = "\n".join([turn.t("review.forms"), *(turn.t(f"review.forms_help.{f.value}") for f in Form)])
    turn.edit(text, InlineKeyboardMarkup(rows)) if edit else turn.reply(text, InlineKeyboardMarkup(rows))


@member_handler
async def forms_pressed(turn: Turn):
    if btn.FORMS.parse(turn.update.callback_query.data) is None or not turn.actor.is_officer:
        await refuse(turn, "review_forms")
        return
    await show_forms(turn, edit=False)


@member_handler
async def form_pressed(turn: Turn):
    fields = btn.FORM.parse(turn.update.callback_query.data)
    try:
        if fields is None:
            raise ReviewError("not_allowed")
        s = await review.set_form(turn.session, turn.actor, fields[0], Form(fields[1]))
    except ReviewError as exc:
        await refused(turn, exc, "review_form")
        return
    turn.answer(turn.t("review.form_changed", name=s.full_name[:60], form=fields[1]))
    await show_forms(turn, edit=True)


@member_handler
async def cells_pressed(turn: Turn):
    if btn.CELLS.parse(turn.update.callback_query.data) is None or not turn.actor.is_officer:
        await refuse(turn, "review_cells")
        return
    await show_cells(turn)
