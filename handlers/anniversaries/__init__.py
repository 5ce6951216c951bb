"""🎂 Anniversaries (issue 17): birthdays, longevity celebrations (mừng thọ) and party-join anniversaries of the
coming week in the officer's weekly to-do (views.occasions_section); on the day, when the cell turned them
on (🎂 Lời chúc mừng on the cell panel), a greeting in the cell's name (render), which the member may turn
off under it. The dates are models/anniversaries.py's, the ages and years its rules file's
(models/rules/anniversaries.toml); the daily tick queues each occasion once (schedule)."""
from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackQueryHandler

from models import anniversaries
from models.dates import VIETNAM

from ..feature import Feature, PanelItem
from ..turn import services_of
from . import buttons as btn
from .render import render_greeting

_TZ: list[tzinfo] = [VIETNAM]  # the bot's time zone, bound when the bot is built


def register(app: Application) -> None:
    from .views import cells_pressed, greets_pressed, mine_pressed

    _TZ[0] = services_of(app).timezone or VIETNAM
    app.add_handler(CallbackQueryHandler(cells_pressed, pattern=btn.CELLS.pattern))
    app.add_handler(CallbackQueryHandler(greets_pressed, pattern=btn.GREETS.pattern))
    app.add_handler(CallbackQueryHandler(mine_pressed, pattern=btn.MINE.pattern))


async def daily_tick(session: AsyncSession) -> list[tuple[str, int]]:
    return await anniversaries.daily_tick(session, _TZ[0])


FEATURE = Feature(
    "anniversaries",
    register=register,
    renderers=lambda services: {anniversaries.GREETING_DELIVERY: render_greeting},
    ticks=(daily_tick,),
    panel=(PanelItem("panel.anniversaries", 70, btn.CELLS.data, count=anniversaries.upcoming_count,
                     panels=frozenset({"cell"})),),
)
