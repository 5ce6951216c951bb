"""Notices, documents, resolutions and reports a committee sends to the members below it.

A notice is issued by a unit (the sender's cell or committee) to an audience of units; at send
time (now, or at the time the sender scheduled) the audience is resolved from the unit tree into
recipients — every member of every cell under those units, the sender excepted — and one delivery
per recipient with a Telegram account goes into the outbox. Recipients confirm "read", and for a
resolution marked for study, "studied". No Telegram here.

tables.py: the tables; sending.py: making and sending; receipts.py: read and studied, the sender's
status, reminders; lists.py: what members and officers list. Every public name is here too.
"""
from __future__ import annotations

# Each part lists what it exports in its own __all__; the package exports all of them.
from . import lists, receipts, sending, tables
from .lists import *  # noqa: F403
from .receipts import *  # noqa: F403
from .sending import *  # noqa: F403
from .tables import *  # noqa: F403

__all__ = [*lists.__all__, *receipts.__all__, *sending.__all__, *tables.__all__]
