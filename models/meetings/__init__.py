"""Cell meetings (sinh hoạt chi bộ): schedule, notice, answers, reminders, roll-call, record, close.

A secretary (or deputy, or a committee above the cell) schedules a meeting of one cell; every
member of the cell is sent the notice through the outbox and answers "I will attend" or "absent,
with a reason" until the meeting starts. Reminders are rows with due times: the scheduler's tick
claims the due ones atomically and queues their deliveries, so a restart loses none and repeats
none. At the meeting the roll-call is taken; afterwards the content and the decisions are recorded
and the meeting is closed; the minutes (models/minutes.py) are drafted from all of it. Every answer
and every attendance mark records who made it and when. No Telegram here.

The parts: schema (tables, states, limits), scheduling (schedule, move, cancel), rsvp (answers),
reminders (the tick), attendance (roll-call, record, close), lists, hd42 (the HD 42 rules: agenda
template, documents a day before, a thematic meeting a quarter, the length). Import from here.
"""
from ..dates import parse_offset
from ..text import fold

# Each part lists what it exports in its own __all__; the package exports all of them.
from . import attendance, hd42, lists, reminders, rsvp, scheduling, schema
from .attendance import *  # noqa: F403
from .hd42 import *  # noqa: F403
from .lists import *  # noqa: F403
from .reminders import *  # noqa: F403
from .rsvp import *  # noqa: F403
from .scheduling import *  # noqa: F403
from .schema import *  # noqa: F403

__all__ = [
    "fold", "parse_offset", *attendance.__all__, *hd42.__all__, *lists.__all__, *reminders.__all__, *rsvp.__all__, *scheduling.__all__,
    *schema.__all__,
]
