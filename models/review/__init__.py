"""The year-end review of members (issue 16: kiểm điểm, đánh giá, xếp loại chất lượng đảng viên). No Telegram.

rules.py reads the rules file (models/rules/review_2025.toml: forms, criterion groups, thresholds, exemptions,
reminders); schema.py holds the round and its entries; rounds.py opens a round over a committee's unit and
reminds; entries.py is a member's self-review (their own, or by proxy for a member without Telegram).
"""
from __future__ import annotations

from .entries import (
    CellLine,
    CellReview,
    Sheet,
    cell_reviews,
    check_open,
    editable,
    entry_of,
    set_condition,
    set_form,
    set_points,
    set_text,
    sheet,
    submit,
    waiting_count,
)
from .errors import ReviewError
from .record import YearRecord, year_record
from .rounds import (
    OPEN_DELIVERY,
    REMINDER_DELIVERY,
    Opened,
    ReviewReminder,
    daily_tick,
    exempt_reason,
    open_round,
    open_rounds,
    reminder_due,
    reminder_entry,
    suggested_points,
    units_to_open,
)
from .rules import Form, Group, Level, Rules, available, rules
from .schema import TEXT_FIELDS, ReviewEntry, ReviewRound, RoundState

__all__ = [
    "OPEN_DELIVERY", "REMINDER_DELIVERY", "TEXT_FIELDS", "CellLine", "CellReview", "Form", "Group", "Level",
    "Opened", "ReviewEntry", "YearRecord", "ReviewError", "ReviewReminder", "ReviewRound", "RoundState", "Rules", "Sheet",
    "available", "cell_reviews", "check_open", "daily_tick", "editable", "entry_of", "exempt_reason", "open_round",
    "open_rounds", "reminder_due", "reminder_entry", "rules", "set_condition", "set_form", "set_points", "set_text",
    "sheet", "submit", "suggested_points", "units_to_open", "waiting_count", "year_record",
]
