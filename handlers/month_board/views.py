"""📰 Bảng tin tháng: an officer picks the cell (a committee has several), then this month or the last, and
gets the cell's month card (handlers/month_card.py) as a photo to forward to the cell's other groups; when
the picture cannot be drawn, the same figures as a text."""
from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from models import clock, units
from models.month_card import MonthFigures, month_figures
from models.permissions import managed_cells, may_manage_cell
from models.units import Unit

from ..calendar import month_of
from ..i18n import fmt_number, t
from ..month_card import month_card_png
from ..render import picture, split_message
from ..steps import refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn

CELLS_SHOWN = 60  # a committee's cells, two a row (Telegram takes 100 buttons)
EARLIEST = date(2000, 1, 1)


def _months(turn: Turn) -> tuple[date, date]:
    """The first days of this month and the last, in the bot's time zone."""
    today = clock.now().astimezone(turn.services.timezone).date()
    this = today.replace(day=1)
    last = date(this.year - 1, 12, 1) if this.month == 1 else this.replace(month=this.month - 1)
    return this, last


def _ask_month(turn: Turn, cell: Unit, *, edit: bool) -> None:
    this, last = _months(turn)
    row = [InlineKeyboardButton(turn.t(key, month=f"{m.month:02d}/{m.year}"),
                                callback_data=btn.MONTH.data(cell.id, f"{m.year}{m.month:02d}"))
           for key, m in (("month_board.this_month", this), ("month_board.last_month", last))]
    text, markup = turn.t("month_board.ask_month", cell=esc(cell.name)), InlineKeyboardMarkup([row])
    turn.edit(text, markup) if edit else turn.reply(text, markup)


@member_handler
async def month_board(turn: Turn):
    """The panel's button: the cell's months, or first the cells a committee covers."""
    exact = btn.PANEL.parse(turn.update.callback_query.data) is not None  # "mbn:1" is not our button
    cells = await managed_cells(turn.session, turn.actor, limit=CELLS_SHOWN) if exact else []
    if not cells:
        await refuse(turn, "month_board")
        return
    if len(cells) == 1:
        _ask_month(turn, cells[0], edit=False)
        return
    buttons = [InlineKeyboardButton(c.name[:60], callback_data=btn.CELL.data(c.id)) for c in cells]
    turn.reply(turn.t("month_board.ask_cell"), InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)]))


async def _cell(turn: Turn, cell_id: int) -> Unit | None:
    """The cell a button names if this officer may see its month (None: forged, gone, or not theirs)."""
    cell = await units.get_unit(turn.session, cell_id)
    return cell if cell is not None and may_manage_cell(turn.actor, cell) else None


@member_handler
async def chose_cell(turn: Turn):
    fields = btn.CELL.parse(turn.update.callback_query.data)
    cell = await _cell(turn, fields[0]) if fields else None
    if cell is None:
        await refuse(turn, "month_board_cell")
        return
    _ask_month(turn, cell, edit=True)


@member_handler
async def chose_month(turn: Turn):
    """The month's card, drawn after the turn (the transaction is not held meanwhile); the question stays,
    so the other month is one tap away."""
    fields = btn.MONTH.parse(turn.update.callback_query.data)
    month = month_of(fields[1]) if fields else None
    cell = await _cell(turn, fields[0]) if fields else None
    if cell is None or month is None or not EARLIEST <= month <= _months(turn)[0]:
        await refuse(turn, "month_board_month")
        return
    figures = await month_figures(turn.session, cell.id, month.year, month.month, turn.services.timezone)
    lang, bot, chat_id = turn.lang, turn.context.bot, turn.chat_id
    caption = turn.t("month_board.caption", cell=esc(cell.name), month=f"{month.month:02d}", year=month.year)
    turn.answer(turn.t("month_board.drawing"))

    async def send() -> None:
        png = await picture("month_card", month_card_png, figures, lang)
        if png is not None:
            name = f"bang-tin-{month.year}-{month.month:02d}-{cell.id}.png"
            await bot.send_photo(chat_id, InputFile(png, filename=name), caption=caption)
            return
        await bot.send_message(chat_id, t(lang, "month_board.picture_failed"))
        for chunk in split_message(figures_text(figures, lang)):
            await bot.send_message(chat_id, chunk)

    turn.later(send)


def figures_text(f: MonthFigures, lang: str) -> str:
    """The card's figures as a message (the picture could not be drawn), section by section as drawn."""
    def n(value: int) -> str:
        return fmt_number(lang, value)

    def rate(value: int | None) -> str:
        return "—" if value is None else f"{n(value)}%"

    def section(heading: str, figure: str, detail: str, *lines: str) -> str:
        return "\n".join([f"<b>{t(lang, heading)}</b>", f"<b>{figure}</b> {detail}", *lines])

    def none(heading: str, empty: str) -> str:
        return f"<b>{t(lang, heading)}</b>\n{t(lang, empty)}"

    parts = [f"📰 <b>{t(lang, 'month_card.title')}</b>\n<b>{esc(f.cell_name)}</b> — "
             + t(lang, "month_card.month", month=f"{f.month:02d}", year=f.year)]
    if f.meetings:
        parts.append(section("month_card.meetings", rate(f.attendance_rate), "· " + t(
            lang, "month_card.meetings_detail", held=n(f.meetings), present=n(f.present), base=n(f.attendance_base))))
    else:
        parts.append(none("month_card.meetings", "month_card.meetings_none"))
    if f.notices:
        study = [t(lang, "month_card.study", studied=n(f.studied), base=n(f.study_base),
                   percent=rate(f.study_rate).rstrip("%"))] if f.study_notices else []
        parts.append(section("month_card.notices", rate(f.read_rate), "· " + t(
            lang, "month_card.notices_detail", count=n(f.notices), read=n(f.read), base=n(f.read_base)), *study))
    else:
        parts.append(none("month_card.notices", "month_card.notices_none"))
    if f.votes:
        lines = [t(lang, "month_card.vote_passed" if v.passed else "month_card.vote_not_passed",
                   question=esc(v.question)) for v in f.votes]
        parts.append(section("month_card.votes", n(len(f.votes)), t(
            lang, "month_card.votes_detail", passed=n(f.votes_passed), failed=n(len(f.votes) - f.votes_passed)),
            *lines))
    else:
        parts.append(none("month_card.votes", "month_card.votes_none"))
    if f.feedback:
        parts.append(section("month_card.feedback", n(f.feedback), t(
            lang, "month_card.feedback_detail", answered=n(f.answered), received=n(f.feedback))))
    else:
        parts.append(none("month_card.feedback", "month_card.feedback_none"))
    return "\n\n".join(parts)
