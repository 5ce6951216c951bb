"""The one-line forms /help shows (Command.usage): each example, in every language, is the command itself and
is taken by the command's real parser — a form that drifted from its parser fails here."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.features import commands
from handlers.i18n import LANGUAGES, t
from models import one_line

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # the examples' dates are in December 2026
PARSERS = {
    "meeting": lambda args: one_line.meeting_line(args, TZ, NOW),
    "notice": lambda args: one_line.notice_line(args, TZ, NOW),
    "vote": one_line.vote_line,
    "bulletin": one_line.bulletin_line,
}
REPORT = re.compile(r"(?:\d{2}/\d{2}/\d{4}|\d{1,2}/\d{4})")  # handlers/reports/views.py: a day or a month


def examples(text: str, name: str) -> list[str]:
    """What follows "/name " on the usage text's lines (every example of it)."""
    return [m[1].strip() for m in re.finditer(rf"(?<![\w/])/{name} ([^\n(]+)", text)]


def usages() -> list[tuple[str, str]]:
    return [(c.name, c.usage) for c in commands(officer=True) if c.usage]


def test_the_officers_commands_that_take_words_declare_their_form():
    assert {"meeting", "notice", "vote", "bulletin", "invite", "report"} <= {name for name, _ in usages()}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("name", "usage"), usages())
def test_every_example_is_taken_by_the_parser(lang, name, usage):
    found = examples(t(lang, usage), name)
    assert found, (lang, name)
    for args in found:
        if name in PARSERS:
            PARSERS[name](args)  # raises Usage or the feature's error when the example is not the form
        elif name == "report":
            assert REPORT.fullmatch(args), args


def test_the_meeting_example_is_the_one_in_the_issue():
    [args] = examples(t("vi", "meeting.usage"), "meeting")
    line = one_line.meeting_line(args, TZ, NOW)
    assert (line.place, line.title) == ("Nhà văn hóa tổ 3", "Sinh hoạt tháng 12")
    assert line.day.isoformat() == "2026-12-05" and line.at.isoformat() == "19:30:00"
