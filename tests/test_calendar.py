"""The inline month calendar (handlers/calendar.py)."""
from __future__ import annotations

from datetime import date

from handlers.buttons.common import NOOP
from handlers.calendar import day_of, month_markup, month_of, usual_days
from models.callback_data import Codec, Token

DAY = Codec("tcd", Token(r"[0-9]{8}"))
PAGE = Codec("tcp", Token(r"[0-9]{6}"))


def _markup(**kw):
    options = dict(today=date(2026, 12, 4), day=DAY, page=PAGE, first=date(2026, 12, 5), last=date(2027, 3, 31))
    options.update(kw)
    return month_markup("vi", date(2026, 12, 1), **options).inline_keyboard


def test_a_month_page_in_vietnamese_with_today_marked_and_past_days_inert():
    rows = _markup(suggested=[date(2026, 12, 9)])
    assert rows[0][0].text == "Tháng 12/2026"
    assert [b.text for b in rows[1]] == ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]
    week1 = rows[2]  # 1/12/2026 is a Tuesday; today (the 4th) is marked, and before `first`: inert
    assert [b.text for b in week1] == [" ", "·", "·", "·", "•4•", "5", "6"]
    assert [b.callback_data for b in week1[:5]] == [NOOP.data()] * 5
    chosen = {b.text: b.callback_data for row in rows[2:] for b in row}
    assert chosen["5"] == DAY.data("20261205") and chosen["9★"] == DAY.data("20261209")
    assert all(len(row) == 7 for row in rows[2:-1])
    assert [b.callback_data for b in rows[-1]] == [PAGE.data("202701")]  # no earlier month to go back to


def test_pages_go_back_and_forth_within_the_range():
    rows = month_markup("vi", date(2027, 2, 1), today=date(2026, 12, 4), day=DAY, page=PAGE,
                        first=date(2026, 12, 5), last=date(2027, 3, 31)).inline_keyboard
    assert [b.callback_data for b in rows[-1]] == [PAGE.data("202701"), PAGE.data("202703")]
    days = [b.text for row in rows[2:-1] for b in row if b.text.strip()]
    assert days[-1] == "28"  # February 2027 has 28 days


def test_forged_or_impossible_dates_are_none():
    assert day_of("20270231") is None and day_of("2027023") is None and day_of("abcdefgh") is None
    assert day_of("20270228") == date(2027, 2, 28)
    assert month_of("202713") is None and month_of("202702") == date(2027, 2, 1)


def test_the_usual_day_falls_back_to_the_month_end():
    assert usual_days(date(2027, 2, 10), [31, 5]) == [date(2027, 2, 5), date(2027, 2, 28)]
