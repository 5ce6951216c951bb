"""The year-end review of members (issue 16: kiểm điểm, đánh giá, xếp loại chất lượng đảng viên). No Telegram.

rules.py reads the rules file (models/rules/review_2025.toml: forms, criterion groups, thresholds, exemptions,
reminders); schema.py holds the round and its entries; rounds.py opens a round over a committee's unit and
reminds; entries.py is a member's self-review (their own, or by proxy for a member without Telegram);
appraisal.py the cell's comments and its votes on the levels (the proposals); decision.py the committee's
decision and the round's closing; record.py the member's year and the levels of the last years.
"""
from __future__ import annotations

from .appraisal import (
    LEVELS,
    REASON_MAX,
    VOTES_DELIVERY,
    Appraisal,
    Appraised,
    BatchResult,
    ReviewMeeting,
    appraisal,
    batch_results,
    close_votes,
    line_of,
    member_sheet,
    open_votes,
    pick_level,
    round_cell,
    set_comment,
    settle,
    settle_due,
)
from .decision import (
    RESULT_DELIVERY,
    CellSummary,
    Closed,
    Pending,
    RoundView,
    approve_cell,
    cell_proposals,
    change_level,
    close_round,
    covers,
    decision_rounds,
    entry_for_decision,
    may_decide,
    pending,
    proposals_waiting,
    round_view,
)
from .entries import (
    VOICE_MAX_SECONDS,
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
    set_voice,
    sheet,
    submit,
    voice_answer,
    waiting_count,
)
from .errors import ReviewError
from .record import HISTORY_YEARS, YearRecord, level_history, year_record
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
    "HISTORY_YEARS", "LEVELS", "ReviewMeeting", "REASON_MAX", "RESULT_DELIVERY", "VOTES_DELIVERY", "Appraisal", "BatchResult", "batch_results", "Appraised", "CellSummary", "Closed",
    "Pending", "RoundView", "appraisal", "approve_cell", "cell_proposals", "change_level", "close_round",
    "close_votes", "covers", "decision_rounds", "entry_for_decision", "level_history", "line_of", "may_decide", "member_sheet", "open_votes", "pending", "proposals_waiting",
    "pick_level", "round_cell", "round_view", "set_comment", "settle", "settle_due",
    "OPEN_DELIVERY", "REMINDER_DELIVERY", "TEXT_FIELDS", "CellLine", "CellReview", "Form", "Group", "Level",
    "Opened", "ReviewEntry", "YearRecord", "ReviewError", "ReviewReminder", "ReviewRound", "RoundState", "Rules", "Sheet",
    "available", "cell_reviews", "check_open", "daily_tick", "editable", "entry_of", "exempt_reason", "open_round",
    "open_rounds", "reminder_due", "reminder_entry", "rules", "set_condition", "set_form", "set_points", "set_text",
    "sheet", "submit", "suggested_points", "VOICE_MAX_SECONDS", "set_voice", "voice_answer", "units_to_open", "waiting_count", "year_record",
]
