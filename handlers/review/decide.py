"""🏛 The committee's decision (issue 16), from the committee's panel: the open rounds over its cells; a round's
cells with their proposals and decisions; a cell's members — self-score and level, the cell's proposal with
the vote's counts, the decision — with ✅ approve all of the cell's proposals at one tap and ✏️ another level
for one member (its reason typed: typed.py); then 🔒 close the round: refused while proposals wait, and while
members have no proposal unless the officer confirms leaving them unrated (listed). Each member is then told
their level through the outbox (render.py). models/review decides who may and what."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import review
from models.review import ReviewError, Sheet, documents

from ..i18n import t
from ..keyboards import list_markup
from ..steps import page_of, paged, parse_or_refuse, show_page, shown_if
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .documents import summary_button
from .sheet import attempt, refused
from .views import acting, level_name, level_rows, member_lines, opens

MOST_BUTTONS = 30
CELLS_PER_PAGE = 15  # a cell takes two lines and a button
MOST_NAMES = 40


async def show_rounds(turn: Turn) -> None:
    rounds = await review.decision_rounds(turn.session, turn.actor)
    if not rounds:
        turn.reply(turn.t("review.decide_none"))
    elif len(rounds) == 1:
        await show_round(turn, rounds[0][0].id, edit=False)
    else:
        rows = [[InlineKeyboardButton(turn.t("review.button.round", unit=name[:40], year=rnd.year),
                                      callback_data=btn.ROUND.data(rnd.id))] for rnd, name in rounds]
        turn.reply(turn.t("review.decide_rounds"), InlineKeyboardMarkup(rows[:MOST_BUTTONS]))


async def show_round(turn: Turn, round_id: int, page: int = 0, *, edit: bool) -> None:
    """The round's cells a page of CELLS_PER_PAGE at a time (a city's round has thousands), the totals on each."""
    view = await attempt(turn, review.round_view(turn.session, turn.actor, round_id), "review_round")
    if view is None:
        return
    lines = [turn.t("review.decide_head", unit=esc(view.unit_name), year=view.round.year), ""]
    summary = await documents.summary(turn.session, turn.actor, round_id)
    progress = {c.cell_id: c for c in summary.cells}
    page, shown = page_of(view.cells, page, CELLS_PER_PAGE)
    for c in shown:
        lines.append(turn.t("review.decide_cell", cell=esc(c.cell_name), proposed=c.proposed, decided=c.decided,
                            count=c.reviewed))
        if c.cell_id in progress:
            lines.append(turn.t("review.progress_cell", sent=progress[c.cell_id].sent, count=c.reviewed))
    lines += ["", turn.t("review.progress_total", cells=len(summary.cells), reviewed=summary.total("reviewed"),
                         sent=summary.total("sent"), proposed=summary.total("proposed"),
                         decided=summary.total("decided"))]
    rows = [[InlineKeyboardButton(turn.t("review.button.cell", cell=c.cell_name[:40], proposed=c.proposed,
                                         count=c.reviewed), callback_data=btn.CELL.data(round_id, c.cell_id))]
            for c in shown]
    below = [summary_button(turn.lang, round_id)]
    if view.may_close:
        below.append([InlineKeyboardButton(turn.t("review.button.close"), callback_data=btn.CLOSE.data(round_id))])
    markup = list_markup(rows, btn.ROUND_PAGE, page, len(view.cells), CELLS_PER_PAGE, turn.lang, round_id,
                         below=below)
    show_page(turn, "\n".join(lines), markup, edit=edit)


async def show_cell(turn: Turn, round_id: int, cell_id: int, *, edit: bool) -> None:
    a = await attempt(turn, review.cell_proposals(turn.session, turn.actor, round_id, cell_id), "review_cell")
    if a is None:
        return
    lang = turn.lang
    lines = [t(lang, "review.decide_cell_head", cell=esc(a.cell_name), year=a.round.year), ""]
    for x in a.lines:
        lines += member_lines(lang, x)
    rows = []
    if any(x.proposed is not None and x.decided is None for x in a.lines):
        rows.append([InlineKeyboardButton(t(lang, "review.button.approve"),
                                          callback_data=btn.APPROVE.data(round_id, cell_id))])
    rows += [[InlineKeyboardButton(t(lang, "review.button.change", name=x.full_name[:40]),
                                   callback_data=btn.CHANGE.data(x.entry_id))] for x in a.lines][:MOST_BUTTONS]
    rows.append([InlineKeyboardButton(t(lang, "review.button.back_round"), callback_data=btn.ROUND.data(round_id))])
    text = "\n".join(lines)
    turn.edit(text, InlineKeyboardMarkup(rows)) if edit else turn.reply(text, InlineKeyboardMarkup(rows))


decide_pressed = shown_if("review_decide", btn.DECIDE, lambda turn: review.may_decide(turn.actor), show_rounds,
                          "review_decide")


round_pressed = opens(btn.ROUND, show_round, "review_round")
round_page_pressed = paged(btn.ROUND_PAGE, show_round, "review_round")
cell_pressed = opens(btn.CELL, show_cell, "review_cell")


async def _approved(turn: Turn, fields: tuple, count: int) -> None:
    turn.answer(turn.t("review.approved", count=count))
    await show_cell(turn, *fields, edit=True)


async def _ask_level(turn: Turn, fields: tuple, s: Sheet) -> None:
    """✏️ A member's level: the four levels (the one decided or proposed left out)."""
    now = s.entry.decided_level or s.entry.proposed_level
    turn.reply(turn.t("review.change_ask", name=esc(s.full_name), level=level_name(turn.lang, now)),
               InlineKeyboardMarkup(level_rows(turn.lang, btn.CHANGE_TO, s.entry.id, now)))


approve_pressed = acting(btn.APPROVE, "review_approve",
                         lambda turn, *ids: review.approve_cell(turn.session, turn.actor, *ids), _approved)
change_pressed = acting(btn.CHANGE, "review_change",
                        lambda turn, entry_id: review.entry_for_decision(turn.session, turn.actor, entry_id), _ask_level)


async def _close(turn: Turn, codec, *, anyway: bool) -> None:
    fields = await parse_or_refuse(turn, codec, "review_close")
    if fields is None:
        return
    round_id = fields[0]
    try:
        closed = await review.close_round(turn.session, turn.actor, round_id, leave_unrated=anyway)
    except ReviewError as exc:
        if exc.reason not in ("undecided", "unrated"):
            await refused(turn, exc, "review_close")
            return
        waiting = await review.pending(turn.session, turn.actor, round_id)
        if exc.reason == "undecided":
            turn.answer()
            turn.reply(turn.t("review.refused.undecided", cells=", ".join(esc(c) for c in waiting.undecided)))
            return
        names = [turn.t("review.unrated_line", name=esc(n), cell=esc(c)) for n, c in waiting.unrated[:MOST_NAMES]]
        if len(waiting.unrated) > MOST_NAMES:
            names.append(turn.t("review.unrated_more", count=len(waiting.unrated) - MOST_NAMES))
        turn.answer()
        turn.reply("\n".join([turn.t("review.unrated", count=len(waiting.unrated)), *names]), InlineKeyboardMarkup([
            [InlineKeyboardButton(turn.t("review.button.close_anyway"), callback_data=btn.CLOSE_ANYWAY.data(round_id))],
            [InlineKeyboardButton(turn.t("review.button.back_round"), callback_data=btn.ROUND.data(round_id))]]))
        return
    turn.answer()
    turn.reply(turn.t("review.closed", decided=closed.decided, told=closed.told, unrated=closed.unrated))


@member_handler
async def close_pressed(turn: Turn):
    await _close(turn, btn.CLOSE, anyway=False)


@member_handler
async def close_anyway_pressed(turn: Turn):
    await _close(turn, btn.CLOSE_ANYWAY, anyway=True)

