"""The officer's weekly to-do ("Việc cần làm", issue 14): on Mondays at the officer's hour one message with
what waits — the next meeting and how ready it is, who has not answered it, notices unread (by name),
feedback and corrections waiting, votes closing this week, members who blocked the bot, a quarter without
a thematic meeting — each line a button that acts on it; nothing waits, nothing is sent.

The lines are models.todo's; render (text, buttons, the outbox renderer), views (the panel's page and the
settings), schedule (the Monday tick, bound to the settings' time zone and hour)."""
from __future__ import annotations

from models import todo

from ..feature import Feature, PanelItem
from ..steps import add_buttons
from ..turn import services_of
from . import buttons as btn
from . import views
from .render import render_todo
from .schedule import SCHEDULE, weekly_tick


def register(app) -> None:
    services = services_of(app)
    SCHEDULE.bind(services.timezone, services.todo_hour)
    add_buttons(app, [(views.todo_pressed, btn.OPEN.pattern), (views.weekly_pressed, btn.WEEKLY.pattern),
                      (views.hour_pressed, btn.HOUR.pattern)])


FEATURE = Feature(
    "todo",
    register=register,
    renderers=lambda services: {todo.TODO_DELIVERY: render_todo},
    ticks=(weekly_tick,),
    panel=(PanelItem("panel.todo", 5, btn.OPEN.data),),
)
