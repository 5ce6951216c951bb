"""/bulletins: hear past bulletins again (or the 🔊 Bản tin âm thanh button); what is scheduled, and
withdrawing it."""
from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import bulletins
from models.bulletins import Bulletin
from models.permissions import Action, scope_paths

from ..i18n import fmt_date
from ..keyboards import list_markup
from ..listen import part_captions, speak_to, speech_of, spoken_text
from ..notices.render import BUTTON_TITLE, button_title, local_day
from ..steps import answers, named_item, paged, refuse, shown_if
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .render import bulletin_head

PAGE_SIZE = 8


def _item_button(turn: Turn, bulletin: Bulletin, data: str, when: datetime) -> InlineKeyboardButton:
    title = button_title(bulletin.title)
    return InlineKeyboardButton(f"🔊 {local_day(when, turn.services.timezone)} · {title}", callback_data=data)


async def show_list(turn: Turn, page: int, *, edit: bool) -> None:
    result = await bulletins.heard_by(turn.session, turn.actor.member_id, page * PAGE_SIZE, PAGE_SIZE)
    rows = [[_item_button(turn, b, btn.PLAY.data(b.id), b.dispatched_at)] for b in result.items]
    scheduled = [[InlineKeyboardButton(turn.t("bulletin.button.scheduled_list"), callback_data=btn.SCHEDULED.data(0))]]
    markup = list_markup(rows, btn.LIST_PAGE, page, result.total, PAGE_SIZE, turn.lang,
                         below=scheduled if turn.actor.is_officer else ())
    text = turn.t("bulletin.list_header", total=result.total) if result.total else turn.t("bulletin.list_empty")
    turn.edit(text, markup) if edit else turn.reply(text, markup)


@member_handler
async def list_command(turn: Turn):
    await show_list(turn, 0, edit=False)


list_page = paged(btn.LIST_PAGE, show_list, "bulletin_list")


@answers(btn.PLAY)
@member_handler
async def play_pressed(turn: Turn):
    bulletin = await named_item(turn, btn.PLAY, bulletins.get_bulletin)
    if bulletin is None or not await bulletins.may_hear(turn.session, turn.actor, bulletin):
        await refuse(turn, "bulletin_play")
        return
    tz = turn.services.timezone
    head = bulletin_head(turn.lang, bulletin.title, bulletin.unit.name,
                         local_day(bulletin.dispatched_at or bulletin.send_at, tz))
    if await speak_to(turn, speech_of(turn.context), spoken_text(bulletin.title, bulletin.text), bulletin.lang,
                      lambda total: part_captions(turn.lang, head, total)[0]):
        turn.answer(turn.t("listen.preparing"))


async def _show_scheduled(turn: Turn) -> None:
    paths = scope_paths(turn.actor, Action.view_reports)
    waiting = await bulletins.scheduled(turn.session, paths)
    tz = turn.services.timezone
    if not waiting:
        turn.edit(turn.t("bulletin.scheduled_empty"))
        return
    lines = [turn.t("bulletin.scheduled_header", count=len(waiting))]
    rows = []
    for b in waiting:
        lines.append(turn.t("bulletin.scheduled_line", when=fmt_date(b.send_at, tz), unit=esc(b.unit.name),
                            title=esc(b.title)))
        rows.append([InlineKeyboardButton(turn.t("bulletin.button.withdraw", title=b.title[:BUTTON_TITLE]),
                                          callback_data=btn.WITHDRAW.data(b.id))])
    turn.edit("\n".join(lines), InlineKeyboardMarkup(rows))


scheduled_pressed = shown_if("scheduled_pressed", btn.SCHEDULED, lambda turn: turn.actor.is_officer, _show_scheduled,
                             "bulletin_scheduled")


@answers(btn.WITHDRAW)
@member_handler
async def withdraw_pressed(turn: Turn):
    ids = btn.WITHDRAW.parse(turn.update.callback_query.data)
    if ids is None or not await bulletins.cancel(turn.session, turn.actor, ids[0]):
        turn.answer(turn.t("bulletin.withdraw_failed"), alert=True)
        return
    turn.answer(turn.t("bulletin.withdrawn"))
    await _show_scheduled(turn)

