"""The officer's page of the to-do (🗓 Việc cần làm on the panel): this week's lines now, and the Monday
message's settings — on or off, and its hour."""
from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import clock, todo
from models.callback_data import Codec
from models.dates import VIETNAM

from ..panel import buttons as panel_btn
from ..steps import refuse
from ..turn import Turn, member_handler
from . import buttons as btn
from .render import todo_text


async def show(turn: Turn) -> None:
    tz = turn.services.timezone or VIETNAM
    now = clock.now()
    found = await todo.todo_for(turn.session, turn.actor, now, tz)
    text, rows = todo_text(found, turn.lang, tz, now)
    weekly = await todo.weekly_of(turn.session, turn.actor.member_id, turn.services.todo_hour)
    hour = f"{weekly.hour:02d}:00"
    text += "\n\n" + (turn.t("todo.weekly_on", hour=hour) if weekly.on else turn.t("todo.weekly_off"))
    if weekly.on:
        rows.append([InlineKeyboardButton(turn.t("todo.button.off"), callback_data=btn.WEEKLY.data("off"))])
    else:
        rows.append([InlineKeyboardButton(turn.t("todo.button.on"), callback_data=btn.WEEKLY.data("on"))])
    hours = [InlineKeyboardButton(("✓ " if weekly.on and h == weekly.hour else "") + f"{h:02d}:00",
                                  callback_data=btn.HOUR.data(str(h))) for h in btn.HOURS]
    rows += [hours[i:i + 3] for i in range(0, len(hours), 3)]  # three a row: a phone's width
    rows.append([InlineKeyboardButton(turn.t("todo.button.back"), callback_data=panel_btn.OPEN.data())])
    if turn.update.callback_query is not None:
        turn.edit(text, InlineKeyboardMarkup(rows))
    else:
        turn.reply(text, InlineKeyboardMarkup(rows))


async def _officer_pressed(turn: Turn, codec: Codec, what: str) -> tuple | None:
    """The fields of an officer's button; None once refused, recorded as `what` (not an officer, or forged)."""
    fields = codec.parse(turn.update.callback_query.data)
    if turn.actor.panel is None or turn.actor.member_id is None or fields is None:
        await refuse(turn, what)
        return None
    return fields


@member_handler
async def todo_pressed(turn: Turn):
    if await _officer_pressed(turn, btn.OPEN, "todo") is not None:
        await show(turn)


async def _choose(turn: Turn, said: str, **choice: Any) -> None:
    """A choice made: kept, said in the button's answer, and the page shown again with it."""
    await todo.choose(turn.session, turn.actor.member_id, **choice)
    turn.answer(said)
    await show(turn)


@member_handler
async def weekly_pressed(turn: Turn):
    choice = await _officer_pressed(turn, btn.WEEKLY, "todo_weekly")
    if choice is not None:
        weekly = choice[0] == "on"
        await _choose(turn, turn.t("todo.saved_on" if weekly else "todo.saved_off"), weekly=weekly)


@member_handler
async def hour_pressed(turn: Turn):
    choice = await _officer_pressed(turn, btn.HOUR, "todo_hour")
    if choice is not None:
        hour = int(choice[0])
        await _choose(turn, turn.t("todo.saved_hour", hour=f"{hour:02d}:00"), hour=hour)
