"""Property-based tests of the date and time parsers: arbitrary text is refused with the documented
error, never a crash; every date and time in range survives format → parse; impossible days are refused."""
from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from models import meetings
from models.dates import MAX_YEAR, MIN_YEAR, BadDate, format_date, parse_date
from models.meetings import MeetingError

FAST = settings(max_examples=200, deadline=None)
REASONS = {"empty", "format", "two_digit_year", "no_such_day", "out_of_range"}
IN_RANGE = st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31))
# Text that looks like a date often enough to reach the checks behind the regular expressions.
DATE_ALPHABET = st.sampled_from("0123456789/.- :T")
DATEISH = st.text(DATE_ALPHABET, max_size=24) | st.text(max_size=40)
CELLS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.datetimes() | st.dates()
         | st.times() | DATEISH | st.text(max_size=40).map(lambda s: "=" + s))


@FAST
@given(DATEISH)
@example("31/02/2026")
@example("29/02/2025")
@example("00/00/0000")
@example("nay")
def test_any_text_is_a_date_in_range_or_refused_with_a_reason(text):
    try:
        d = parse_date(text)
    except BadDate as exc:
        assert exc.reason in REASONS
    else:
        assert MIN_YEAR <= d.year <= MAX_YEAR


@FAST
@given(CELLS)
def test_any_spreadsheet_cell_is_a_date_or_refused(value):
    try:
        d = parse_date(value)
    except BadDate as exc:
        assert exc.reason in REASONS
    else:
        assert isinstance(d, date) and MIN_YEAR <= d.year <= MAX_YEAR


@FAST
@given(IN_RANGE, st.sampled_from("/.-"))
def test_every_date_in_range_survives_format_and_parse(d, sep):
    shown = format_date(d)
    assert parse_date(shown) == d
    assert format_date(parse_date(shown)) == shown
    assert parse_date(d.isoformat()) == d
    assert parse_date(f" {d.day}{sep}{d.month}{sep}{d.year} ") == d
    assert parse_date(datetime.combine(d, time(0, 0))) == d


@FAST
@given(st.integers(1, 31), st.integers(1, 12), st.integers(MIN_YEAR, MAX_YEAR))
@example(31, 2, 2026)
@example(30, 2, 2024)
@example(29, 2, 2025)
@example(29, 2, 2100)
@example(29, 2, 2000)
@example(31, 4, 2026)
def test_a_day_is_accepted_exactly_when_the_calendar_has_it(day, month, year):
    exists = day <= calendar.monthrange(year, month)[1]
    try:
        d = parse_date(f"{day:02d}/{month:02d}/{year}")
    except BadDate as exc:
        assert not exists and exc.reason == "no_such_day"
    else:
        assert exists and d == date(year, month, day)


@FAST
@given(IN_RANGE, st.integers(0, 99))
def test_a_two_digit_year_is_refused_not_guessed(d, yy):
    try:
        parse_date(f"{d.day}/{d.month}/{yy:02d}")
    except BadDate as exc:
        assert exc.reason == "two_digit_year"
    else:
        raise AssertionError("a two-digit year was accepted")


@FAST
@given(st.dates().filter(lambda d: not MIN_YEAR <= d.year <= MAX_YEAR))
def test_dates_outside_the_handbooks_years_are_refused(d):
    try:
        parse_date(d)
    except BadDate as exc:
        assert exc.reason == "out_of_range"
    else:
        raise AssertionError(f"{d} accepted")


# --- times of day ------------------------------------------------------------------------------------------
@FAST
@given(st.times())
def test_every_time_of_day_is_accepted_in_every_written_form(t):
    expected = time(t.hour, t.minute)
    for text in (f"{t.hour:02d}:{t.minute:02d}", f"{t.hour}h{t.minute:02d}", f"{t.hour} giờ {t.minute} phút",
                 f"{t.hour}.{t.minute:02d}"):
        assert meetings.parse_time(text) == expected, text
    assert meetings.parse_time(expected.strftime("%H:%M")).strftime("%H:%M") == expected.strftime("%H:%M")


@FAST
@given(st.integers(0, 99), st.integers(0, 99))
@example(24, 0)
@example(12, 60)
@example(23, 59)
@example(0, 0)
def test_a_time_is_accepted_exactly_when_the_clock_has_it(hour, minute):
    try:
        t = meetings.parse_time(f"{hour}:{minute:02d}")
    except MeetingError as exc:
        assert (hour > 23 or minute > 59) and exc.reason == "time_impossible"
    else:
        assert hour <= 23 and minute <= 59 and t == time(hour, minute)


@FAST
@given(st.text(max_size=40) | st.text(st.sampled_from("0123456789:hg. giờphút"), max_size=16))
def test_any_text_is_a_time_or_refused(text):
    try:
        t = meetings.parse_time(text)
    except MeetingError as exc:
        assert exc.reason in {"time_format", "time_impossible"}
    else:
        assert isinstance(t, time)


@FAST
@given(st.text(max_size=60) | st.text(st.sampled_from("0123456789/.-: hglúcatngàyon,"), max_size=30))
def test_any_text_is_a_day_and_time_or_refused(text):
    try:
        day, at = meetings.parse_when(text)
    except MeetingError as exc:
        assert exc.reason in {"date_format", "date_impossible", "time_format", "time_impossible"}
    else:
        assert isinstance(day, date) and (at is None or isinstance(at, time))


@FAST
@given(IN_RANGE, st.times())
def test_a_written_meeting_time_round_trips(d, t):
    at = time(t.hour, t.minute)
    assert meetings.parse_when(f"{format_date(d)} {at:%H:%M}") == (d, at)
    assert meetings.parse_when(f"{at:%H:%M} {format_date(d)}") == (d, at)
    assert meetings.parse_when(f"{format_date(d)} lúc {at.hour}h{at.minute:02d}") == (d, at)
    assert meetings.parse_when(format_date(d)) == (d, None)


@FAST
@given(st.text(max_size=20))
def test_any_reminder_offset_is_a_positive_duration_or_refused(text):
    try:
        offset = meetings.parse_offset(text)
    except ValueError:
        pass
    else:
        assert offset > timedelta(0)


@FAST
@given(st.integers(1, 9999), st.sampled_from("mhd"))
def test_reminder_offsets_round_trip(n, unit):
    assert meetings.parse_offset(f"{n}{unit}") == {"m": timedelta(minutes=n), "h": timedelta(hours=n),
                                                    "d": timedelta(days=n)}[unit]
