"""Dates and moments as members read them: a moment the database keeps in UTC is shown in Vietnam's time."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from handlers.i18n import fmt_date


def test_a_moment_is_shown_in_vietnam_time_unless_another_zone_is_given():
    sent = datetime(2026, 12, 5, 0, 34, tzinfo=UTC)  # 07:34 in Huế
    assert fmt_date(sent) == "05/12/2026 07:34"
    assert fmt_date(sent, timezone(timedelta(hours=1))) == "05/12/2026 01:34"
    assert fmt_date(datetime(2026, 12, 4, 20, 0, tzinfo=UTC)) == "05/12/2026 03:00"  # the next day there


def test_a_day_and_nothing():
    assert fmt_date(date(2027, 2, 28)) == "28/02/2027"
    assert fmt_date(None) == "—"
