"""Dates as the handbook's users write them (05/12/2026) and as spreadsheets store them."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from . import clock

# dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy (day first, as in Vietnam).
_DAY_FIRST = re.compile(r"(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d+)")
# yyyy-mm-dd, optionally with the midnight time a spreadsheet export appends.
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
# A date and a time of day, either first: "25/12/2026 19:30", "25/12/2026 lúc 19h30", "19 giờ 30 ngày 25/12/2026".
_DATE = r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})"
_TIME = r"(\d{1,2})\s*(?::|h|g|giờ)\s*(\d{1,2})?\s*(?:phút|p)?"
_DATE_TIME = re.compile(rf"{_DATE}\s*(?:,|lúc|at)?\s*{_TIME}", re.IGNORECASE)
_TIME_DATE = re.compile(rf"{_TIME}\s*(?:,|ngày|on)?\s*{_DATE}", re.IGNORECASE)

# Vietnam keeps one offset all year (no summer time).
VIETNAM = timezone(timedelta(hours=7))
MIN_YEAR = 1900
MAX_YEAR = 2100


class BadDate(ValueError):
    """Not a date; `reason` is "empty", "format", "two_digit_year", "no_such_day" or "out_of_range"."""

    def __init__(self, reason: str, value: object = None):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


def parse_date(value: str | date | datetime | None) -> date:
    """A calendar date from text or a spreadsheet cell; raises BadDate saying why not."""
    if isinstance(value, datetime):
        return _in_range(value.date(), value)
    if isinstance(value, date):
        return _in_range(value, value)
    if not isinstance(value, str):
        # Bare numbers are ambiguous (a year? an Excel serial?): refuse rather than guess.
        raise BadDate("empty" if value is None else "format", value)
    text = value.strip()
    if not text:
        raise BadDate("empty", value)
    if m := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in m.groups())
    elif m := _DAY_FIRST.fullmatch(text):
        day, month, year_text = int(m.group(1)), int(m.group(3)), m.group(4)
        if len(year_text) != 4:
            raise BadDate("two_digit_year" if len(year_text) <= 2 else "format", value)
        year = int(year_text)
    else:
        raise BadDate("format", value)
    try:
        result = date(year, month, day)
    except ValueError as exc:
        raise BadDate("no_such_day", value) from exc
    return _in_range(result, value)


def local_today() -> date:
    """Today in Huế, as the handbook's clock says."""
    return clock.now().astimezone(VIETNAM).date()


_OFFSET = re.compile(r"\s*(\d{1,4})\s*([mhd])\s*")


def parse_offset(text: str) -> timedelta:
    """"3d", "1d", "2h", "30m" → how long before the start (of a meeting, for its reminders); ValueError otherwise.

    Here rather than in models/meetings.py: the settings check the configured reminders with it, and every
    command loads them.
    """
    m = _OFFSET.fullmatch(str(text))
    if not m or int(m[1]) == 0:
        raise ValueError(f"a reminder must look like 3d, 2h or 30m: {text!r}")
    return {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}[m[2]] * int(m[1])


def parse_moment(text: str, tz: tzinfo) -> datetime:
    """"25/12/2026 19:30" (or "19h30 25/12/2026") on the clocks of `tz` → that moment, aware, in UTC.

    Raises BadDate "format" (not a date and a time of day, or the year not in four digits) or "no_such_day"
    (31/02/2026, 25:00). Whether the moment is too soon or too far is the caller's to say.
    """
    value = " ".join((text or "").split())
    if m := _DATE_TIME.fullmatch(value):
        day, month, year, hour, minute = m.groups()
    elif m := _TIME_DATE.fullmatch(value):
        hour, minute, day, month, year = m.groups()
    else:
        raise BadDate("format", text)
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute or 0), tzinfo=tz)
    except ValueError:
        raise BadDate("no_such_day", text) from None
    return as_utc(local)


def format_date(d: date | datetime) -> str:
    """The way every date is shown: 05/12/2026."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def as_utc(local: datetime) -> datetime:
    """An aware moment in UTC. At the calendar's ends (1 January of year 1 east of Greenwich, 31 December
    9999 west of it) UTC has no such moment: the nearest one it has, which no window of the handbook allows
    either, so the caller refuses it as past or too far instead of raising OverflowError."""
    try:
        return local.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if local.year == datetime.min.year else datetime.max
        return edge.replace(tzinfo=UTC)


def _in_range(d: date, original: object) -> date:
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise BadDate("out_of_range", original)
    return d
