"""When the Monday message goes: the bot's time zone and the default hour, from the settings.

The dispatcher calls ticks with a session alone; register() binds these from the bot's Services when the bot
is built. Unbound (a tool, a test that builds a dispatcher without the bot) nobody gets the message unless
they turned it on themselves."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from models import todo
from models.dates import VIETNAM


@dataclass
class Schedule:
    tz: tzinfo = VIETNAM
    default_hour: int | None = None

    def bind(self, timezone: tzinfo | None, default_hour: int | None) -> None:
        self.tz, self.default_hour = timezone or VIETNAM, default_hour


SCHEDULE = Schedule()


async def weekly_tick(session: AsyncSession) -> list[tuple[str, int]]:
    return await todo.weekly_tick(session, SCHEDULE.tz, SCHEDULE.default_hour)
