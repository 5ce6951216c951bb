"""What the /meeting steps offer to tap: the calendar's days (tomorrow to about six months ahead, the cell's
usual day starred), the usual times, the suggested title, the kind a one-line title implies."""
from __future__ import annotations

from datetime import date, timedelta, tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import clock, meetings
from models.meetings import MeetingKind

from ..calendar import month_markup, usual_days
from ..i18n import t
from . import buttons as btn
from .common import local

DAYS_AHEAD = 183  # the calendar offers tomorrow to about six months ahead (a typed date reaches a year)
TIMES_OFFERED = (("07:30", "14:00", "19:30"), ("08:00", "15:00", "19:00", "20:00"))  # the usual three first


def days_offered(tz: tzinfo | None) -> tuple[date, date]:
    """The first and last day the calendar offers: tomorrow, and about six months ahead."""
    today = local(clock.now(), tz).date()
    return today + timedelta(days=1), today + timedelta(days=DAYS_AHEAD)


def out_of_range(lang: str, tz: tzinfo | None) -> str:
    first, last = days_offered(tz)
    return t(lang, "meeting.day_out_of_range", first=first.strftime("%d/%m/%Y"), last=last.strftime("%d/%m/%Y"))


def offered(day: date, tz: tzinfo | None) -> bool:
    first, last = days_offered(tz)
    return first <= day <= last


def month_offered(month: date, tz: tzinfo | None) -> bool:
    first, last = days_offered(tz)
    return first.replace(day=1) <= month <= last.replace(day=1)


def calendar(lang: str, tz: tzinfo | None, *, usual: list[int], chosen: date | None, month: date | None,
             last_row: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    """A month's page of days; without `month`, the month of the day chosen before (after ◀), else of the
    next usual day, else tomorrow's."""
    first, last = days_offered(tz)
    if month is None:
        upcoming = [d for m in (first, first.replace(day=28) + timedelta(days=4)) for d in usual_days(m, usual)
                    if first <= d <= last]
        month = chosen if chosen and first <= chosen <= last else min(upcoming, default=first)
    return month_markup(lang, month, today=first - timedelta(days=1), day=btn.DAY, page=btn.MONTH, first=first,
                        last=last, suggested=usual_days(month, usual), extra_rows=[last_row])


def time_rows() -> list[list[InlineKeyboardButton]]:
    return [[InlineKeyboardButton(v, callback_data=btn.TIME.data(v.replace(":", ""))) for v in row]
            for row in TIMES_OFFERED]


def default_title(lang: str, kind: MeetingKind, day: date | None) -> str:
    if kind is MeetingKind.regular and day is not None:
        return t(lang, "meeting.default_title.regular", month=day.month, year=day.year)
    return t(lang, f"meeting.kind.{kind.value}")


def guess_kind(title: str) -> MeetingKind:
    """The one-line form has no kind field: the title says it ("chuyên đề", "cấp ủy")."""
    folded = meetings.fold(title)
    if "chuyen de" in folded or "thematic" in folded:
        return MeetingKind.thematic
    if any(w in folded for w in ("cap uy", "chi uy", "committee")):
        return MeetingKind.committee
    if "kiem diem" in folded:
        return MeetingKind.review
    return MeetingKind.regular
