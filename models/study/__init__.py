"""Study items: a committee officer or a secretary gives a document or resolution to their unit's members to study
by a deadline, with an optional quiz from an XLSX question bank, sent as Telegram quiz polls; the best score is
kept, and /report shows per cell who studied, took the quiz and how well. No Telegram here.

tables.py: the tables; bank.py: reading the question bank; items.py: making an item, the member's card, "Đã học";
quiz.py: attempts and answers; essays.py: essays handed in and reviewed;
excuses.py: who is excused from the essay (by age at the deadline, or exempt); progress.py: per cell, for /report;
reminders.py: the day before the deadline. Every public name is here too.
"""
from __future__ import annotations

from . import bank, essays, excuses, items, progress, quiz, reminders, tables
from .bank import *  # noqa: F403
from .essays import *  # noqa: F403
from .excuses import *  # noqa: F403
from .items import *  # noqa: F403
from .progress import *  # noqa: F403
from .quiz import *  # noqa: F403
from .reminders import *  # noqa: F403
from .tables import *  # noqa: F403

__all__ = [*bank.__all__, *essays.__all__, *excuses.__all__, *items.__all__, *progress.__all__, *quiz.__all__,
           *reminders.__all__, *tables.__all__]
