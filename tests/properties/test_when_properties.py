"""Property-based tests of "when" for votes (a close: "2h" or a date and time), notices and bulletins
(a sending time): any text, in any time zone, is a moment within the allowed window or a refusal
that names its reason, never an exception from the datetime arithmetic."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from models import bulletins, notices, votes
from models.bulletins import BulletinError
from models.dates import format_date
from models.notices import NoticeError
from models.votes import VoteError
from models.votes.rules import _UNITS as UNITS

FAST = settings(max_examples=200, deadline=None)
HUE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
ZONES = st.sampled_from([HUE, UTC]) | st.integers(-12 * 60, 14 * 60).map(
    lambda m: timezone(timedelta(minutes=m)))
NOWS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC))
WHEN_ALPHABET = st.sampled_from("0123456789/.-: hgdmpHlúcatngàyon,iếtmin")
# Written moments with every field free: days, months and hours past their ends, any four-digit year.
WRITTEN = st.builds(
    lambda day, month, year, hour, minute, time_first: (
        f"{hour}:{minute:02d} {day:02d}/{month:02d}/{year:04d}" if time_first
        else f"{day:02d}/{month:02d}/{year:04d} {hour}h{minute:02d}"),
    st.integers(0, 99), st.integers(0, 99), st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99),
    st.booleans())
# Every moment a calendar can hold, written as members write it, in either order.
MOMENTS = st.builds(lambda at, time_first: f"{at:%H:%M} {format_date(at)}" if time_first
                    else f"{format_date(at)} {at:%H:%M}", st.datetimes(), st.booleans())
# Durations, one part or many ("2h 30m"), or one part pasted again and again.
UNIT = st.sampled_from(["m", "h", "d", " giờ", " phút", " ngày"])
DURATIONS = (st.lists(st.tuples(st.integers(0, 9999), UNIT), min_size=1, max_size=8)
             .map(lambda parts: " ".join(f"{n}{u}" for n, u in parts))
             | st.builds(lambda n, u, times: " ".join([f"{n}{u}"] * times), st.integers(0, 9999), UNIT,
                         st.integers(1, 2000)))
WHENISH = st.text(WHEN_ALPHABET, max_size=40) | st.text(max_size=60) | WRITTEN | MOMENTS | DURATIONS
EDGES = ["01/01/0001 00:00", "31/12/9999 23:59", "00:00 01/01/0001", "9999d " * 400, "9999d9999d9999d" * 200,
         "31/02/2026 10:00", "25/12/2026 24:00", "x" * 10_000]

VOTE_REASONS = {"when_format", "when_impossible", "when_soon", "when_far"}
NOTICE_REASONS = {"when_format", "when_impossible", "when_past", "when_too_far"}


def _examples(test):
    for text in EDGES:
        test = example(text, HUE, NOW)(test)
        test = example(text, timezone(timedelta(hours=-12)), NOW)(test)
    return test


@FAST
@given(WHENISH, ZONES, NOWS)
@_examples
def test_a_vote_closes_within_its_window_or_is_refused(text, tz, now):
    try:
        at = votes.parse_closing(text, tz, now)
    except VoteError as exc:
        assert exc.reason in VOTE_REASONS
    else:
        assert at.utcoffset() == timedelta(0)
        assert now + votes.DURATION_MIN <= at <= now + votes.DURATION_MAX


@FAST
@given(WHENISH, ZONES, NOWS)
@_examples
def test_a_notice_is_sent_within_its_window_or_refused(text, tz, now):
    try:
        at = notices.parse_send_at(text, tz, now)
    except NoticeError as exc:
        assert exc.reason in NOTICE_REASONS
    else:
        assert at.utcoffset() == timedelta(0)
        assert now + notices.SCHEDULE_MIN <= at <= now + notices.SCHEDULE_MAX


@FAST
@given(WHENISH, ZONES, NOWS)
@_examples
def test_a_bulletin_is_sent_within_its_window_or_refused(text, tz, now):
    try:
        bulletins.parse_when(text, tz, now)
    except BulletinError as exc:
        assert exc.reason in NOTICE_REASONS


@FAST
@given(st.text(max_size=60) | st.text(WHEN_ALPHABET, max_size=40))
def test_any_text_is_a_duration_or_none(text):
    duration = votes.parse_duration(text)
    assert duration is None or duration >= timedelta(0)


@FAST
@given(st.integers(1, 9999), st.sampled_from(sorted(UNITS)), st.sampled_from(["", " "]))
def test_durations_round_trip(n, unit, space):
    expected = timedelta(**{UNITS[unit]: n})
    assert votes.parse_duration(f"{n}{space}{unit}") == expected
    assert votes.parse_duration(f"{n}{space}{unit.upper()}") == expected


@FAST
@given(st.integers(5, 31 * 24 * 60 - 1), ZONES)
def test_a_written_local_time_round_trips(minutes_ahead, tz):
    """Whatever a member writes in the handbook's time zone is the moment meant (to the minute)."""
    local = (NOW + timedelta(minutes=minutes_ahead + 1)).astimezone(tz).replace(second=0, microsecond=0)
    for text in (f"{format_date(local)} {local:%H:%M}", f"{local:%H:%M} {format_date(local)}",
                 f"{local.hour}h{local.minute:02d} ngày {format_date(local)}"):
        assert votes.parse_closing(text, tz, NOW) == local
        assert notices.parse_send_at(text, tz, NOW) == local


@FAST
@given(st.lists(st.tuples(st.integers(0, 9999), st.sampled_from(sorted(UNITS))), min_size=1, max_size=8),
       st.integers(1, 2000), NOWS)
def test_a_duration_closes_that_long_after_now_or_is_refused(parts, times, now):
    """A close written as a duration, however long (a paste repeated `times` times), is that long after now."""
    text = " ".join(f"{n}{unit}" for n, unit in parts * times)
    total = sum((timedelta(**{UNITS[unit]: n}) for n, unit in parts), timedelta(0)) * times
    try:
        at = votes.parse_closing(text, HUE, now)
    except VoteError as exc:
        assert exc.reason == ("when_soon" if total < votes.DURATION_MIN else "when_far")
    else:
        assert at == now + total


@FAST
@given(st.datetimes(), ZONES, NOWS)
@example(datetime(1, 1, 1, 0, 0), HUE, NOW)
@example(datetime(9999, 12, 31, 23, 59), timezone(timedelta(hours=-12)), NOW)
def test_any_calendar_moment_in_any_zone_is_meant_or_refused(local, tz, now):
    """Every moment the calendar holds, years 1 to 9999, written in full: the moment, or a refusal."""
    for text in (f"{format_date(local)} {local:%H:%M}", f"{local:%H:%M} {format_date(local)}"):
        for parse, error in ((votes.parse_closing, VoteError), (notices.parse_send_at, NoticeError),
                             (bulletins.parse_when, BulletinError)):
            try:
                at = parse(text, tz, now)
            except error as exc:
                assert exc.reason in VOTE_REASONS | NOTICE_REASONS
            else:
                assert at == local.replace(second=0, microsecond=0, tzinfo=tz)
