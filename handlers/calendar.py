"""An inline month calendar for picking a date: a month a page, Vietnamese weekday names, today marked,
suggested days (the cell's usual meeting day) starred, days that cannot be chosen shown but inert.

The caller owns the two codecs, so the conversation step that shows it also takes its buttons:
`day` with one field of yyyymmdd, `page` with one field of yyyymm (the month to show).
"""
from __future__ import annotations

import calendar as _calendar
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from .buttons.common import NOOP
from .i18n import t


class Writes(Protocol):
    """What writes a day's or a page's data: a codec of one field, or one with its other fields bound."""

    def data(self, *values: object) -> str: ...


class Bound:
    """A codec with its first fields given (the member …): what the calendar writes its days and pages with."""

    def __init__(self, codec: Writes, *given: object) -> None:
        self.codec, self.given = codec, given

    def data(self, *values: object) -> str:
        return self.codec.data(*self.given, *values)


TODAY_MARK = "•"
SUGGESTED_MARK = "★"


def month_of(value: str) -> date | None:
    """The first day of the month a page button names (yyyymm), or None for anything else."""
    try:
        return datetime.strptime(value, "%Y%m").date() if len(value) == 6 else None
    except ValueError:
        return None


def day_of(value: str) -> date | None:
    """The date a day button names (yyyymmdd), or None (forged, or a day like 31/02)."""
    try:
        return datetime.strptime(value, "%Y%m%d").date() if len(value) == 8 else None
    except ValueError:
        return None


def dated(read: Callable[[str], date | None]) -> Callable[[tuple], tuple | None]:
    """A button's last field read as a day or a month (`read`: day_of, month_of); a day like 31/02 is forged: None."""
    def check(fields: tuple) -> tuple | None:
        when = read(fields[-1])
        return None if when is None else (*fields[:-1], when)
    return check


def _shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_markup(lang: str, month: date, *, today: date, day: Writes, page: Writes, first: date, last: date,
                 suggested: Iterable[date] = (), extra_rows: Iterable[list[InlineKeyboardButton]] = ()
                 ) -> InlineKeyboardMarkup:
    """The page of `month`: days from `first` to `last` can be chosen, others show as "·"."""
    month = month.replace(day=1)
    inert = NOOP.data()
    starred = set(suggested)
    rows = [[InlineKeyboardButton(t(lang, "calendar.month", month=month.month, year=month.year), callback_data=inert)],
            [InlineKeyboardButton(t(lang, f"calendar.weekday.{i}"), callback_data=inert) for i in range(7)]]
    for week in _calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        row = []
        for d in week:
            if d.month != month.month:
                row.append(InlineKeyboardButton(" ", callback_data=inert))
            elif not first <= d <= last:  # today stays marked even when it cannot be chosen
                row.append(InlineKeyboardButton(f"{TODAY_MARK}{d.day}{TODAY_MARK}" if d == today else "·",
                                                callback_data=inert))
            else:
                label = str(d.day)
                if d == today:
                    label = f"{TODAY_MARK}{label}{TODAY_MARK}"
                if d in starred:
                    label += SUGGESTED_MARK
                row.append(InlineKeyboardButton(label, callback_data=day.data(d.strftime("%Y%m%d"))))
        rows.append(row)
    nav = []
    previous, following = _shift(month, -1), _shift(month, 1)
    if previous >= first.replace(day=1):
        nav.append(InlineKeyboardButton(t(lang, "calendar.prev", month=previous.month), callback_data=page.data(previous.strftime("%Y%m"))))
    if following <= last.replace(day=1):
        nav.append(InlineKeyboardButton(t(lang, "calendar.next", month=following.month), callback_data=page.data(following.strftime("%Y%m"))))
    if nav:
        rows.append(nav)
    rows.extend(extra_rows)
    return InlineKeyboardMarkup(rows)


def usual_days(month: date, days_of_month: Iterable[int]) -> list[date]:
    """The dates of `month` falling on the usual days of the month (e.g. the 5th), the last day standing in
    for a day the month lacks (a cell meeting on the 31st meets on 30/11)."""
    month = month.replace(day=1)
    length = _calendar.monthrange(month.year, month.month)[1]
    return sorted({month.replace(day=min(d, length)) for d in days_of_month if 1 <= d <= 31})
