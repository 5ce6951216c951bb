"""Property-based tests of the one-line command forms (/vote, /meeting, /notice, /bulletin): any text is
the parts or a refusal (Usage, or the domain's error naming what is wrong), never a crash; parts without
the separator split back exactly; too few or too many options and 10,000 characters are refused."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from models import meetings, notices, one_line, votes
from models.dates import format_date
from models.meetings import MeetingError
from models.notices import NoticeError
from models.one_line import Usage
from models.text import clean_line, clean_text
from models.votes import VoteError

FAST = settings(max_examples=200, deadline=None)
HUE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
ANY = st.text(max_size=200) | st.text(st.sampled_from("ab |:/0123456789\n\t"), max_size=60)
LONG = "x" * 10_000
# One part as a member types it: no separator, and something besides spaces.
PART = st.text(st.characters(blacklist_characters="|", blacklist_categories=["Cs"]), min_size=1, max_size=40).filter(
    lambda s: clean_line(s))
LABEL = st.text(st.characters(blacklist_characters="|", blacklist_categories=["Cs"]), min_size=1,
                max_size=votes.OPTION_MAX).filter(lambda s: clean_line(s))


def _tidy(s: str) -> str:
    """A one-line part as the model keeps it: the one normaliser (controls out, spaces collapsed)."""
    return clean_line(s)


@FAST
@given(ANY)
@example(LONG)
@example("|" * 10_000)
@example(" | A | B")
@example("Q |")
def test_any_vote_line_is_parts_or_refused(args):
    try:
        line = one_line.vote_line(args)
    except Usage:
        assert not args.split("|")[0].strip()
    except VoteError as exc:
        assert exc.reason in {"question_empty", "question_long", "options_few", "options_many", "option_long",
                              "options_repeat"}
    else:
        assert 0 < len(line.question) <= votes.QUESTION_MAX
        assert line.options == [] or votes.OPTIONS_MIN <= len(line.options) <= votes.OPTIONS_MAX


@FAST
@given(PART, st.lists(LABEL, min_size=votes.OPTIONS_MIN, max_size=votes.OPTIONS_MAX,
                      unique_by=lambda s: _tidy(s).casefold()))
def test_vote_options_split_back_exactly(question, labels):
    line = one_line.vote_line(" | ".join([question, *labels]))
    assert _tidy(line.question) == _tidy(question)  # the question is cleaned where it is stored
    assert line.options == [_tidy(s) for s in labels]


@FAST
@given(PART, st.one_of(st.lists(LABEL, min_size=1, max_size=1),
                       st.lists(LABEL, min_size=votes.OPTIONS_MAX + 1, max_size=votes.OPTIONS_MAX + 4,
                                unique_by=lambda s: _tidy(s).casefold())))
def test_too_few_or_too_many_options_are_refused(question, labels):
    try:
        one_line.vote_line(" | ".join([question, *labels]))
    except VoteError as exc:
        assert exc.reason in ({"options_few"} if len(labels) < votes.OPTIONS_MIN else {"options_many"})
    else:
        raise AssertionError(f"{len(labels)} options accepted")


MEETING_REASONS = {"date_format", "date_impossible", "time_format", "time_impossible", "time_missing", "when_past",
                   "when_too_far", "title_empty", "title_long", "place_empty", "place_long", "agenda_long"}


@FAST
@given(ANY)
@example(LONG)
@example("05/12/2026 19:30 | " + LONG + " | Họp")
@example("05/12/2026 19:30 | Nhà văn hóa | Họp | " + LONG)
def test_any_meeting_line_is_parts_or_refused(args):
    try:
        line = one_line.meeting_line(args, HUE, NOW)
    except Usage:
        pass
    except MeetingError as exc:
        assert exc.reason in MEETING_REASONS
    else:
        assert line.title and line.place and len(line.agenda) <= meetings.AGENDA_MAX


@FAST
@given(st.integers(2, 360 * 24), PART, PART, st.text(max_size=100))
def test_meeting_parts_split_back_exactly(hours_ahead, place, title, agenda):
    local = (NOW + timedelta(hours=hours_ahead)).astimezone(HUE)
    line = one_line.meeting_line(f"{format_date(local)} {local:%H:%M} | {place} | {title} | {agenda}", HUE, NOW)
    assert (line.day, line.at) == (local.date(), time(local.hour, local.minute))
    assert (_tidy(line.place), _tidy(line.title), clean_text(line.agenda)) == (
        _tidy(place), _tidy(title), clean_text(agenda))


NOTICE_REASONS = {"when_format", "when_impossible", "when_past", "when_too_far", "title_long", "body_long"}


@FAST
@given(ANY)
@example(LONG)
@example(LONG + " | nội dung")
@example("Tiêu đề | " + LONG * 2)
@example("T | nội dung | 01/01/0001 00:00")
def test_any_notice_line_is_parts_or_refused(args):
    try:
        line = one_line.notice_line(args, HUE, NOW)
    except Usage:
        pass
    except NoticeError as exc:
        assert exc.reason in NOTICE_REASONS
    else:
        assert 0 < len(line.title) <= notices.TITLE_MAX and 0 < len(line.body) <= notices.BODY_MAX
        assert line.send_at is None or line.send_at > NOW


@FAST
@given(PART, PART, st.none() | st.integers(2, 300 * 24))
def test_notice_parts_split_back_exactly(title, body, hours_ahead):
    when = ""
    if hours_ahead is not None:
        local = (NOW + timedelta(hours=hours_ahead)).astimezone(HUE)
        when = f" | {format_date(local)} {local:%H:%M}"
    line = one_line.notice_line(f"{title} | {body}{when}", HUE, NOW)
    assert (_tidy(line.title), clean_text(line.body)) == (_tidy(title), clean_text(body))
    assert (line.send_at is None) == (hours_ahead is None)


@FAST
@given(ANY)
@example(LONG)
def test_any_bulletin_line_is_parts_or_usage(args):
    try:
        line = one_line.bulletin_line(args)
    except Usage:
        pass
    else:
        assert line.title and line.text


@FAST
@given(PART, st.text(min_size=1, max_size=200).filter(clean_text))
def test_bulletin_parts_split_back_exactly(title, text):
    line = one_line.bulletin_line(f"{title} | {text}")
    assert (_tidy(line.title), clean_text(line.text)) == (_tidy(title), clean_text(text))
