"""The small rules of a vote: when it closes ("2h", a date and time), its options, "more than half"."""
from __future__ import annotations

__all__ = ["at_least_two_thirds", "check_closing", "clean_options", "clean_text", "more_than_half", "parse_closing", "parse_duration"]

import re
from datetime import datetime, timedelta, tzinfo

from .. import clock
from ..dates import BadDate, parse_moment
from ..text import clean_line
from .tables import DURATION_MAX, DURATION_MIN, OPTION_MAX, OPTIONS_MAX, OPTIONS_MIN, TEXT_MAX, VoteError

# --- small rules ----------------------------------------------------------------------------------------
_DURATION = re.compile(r"(\d{1,4})\s*(phút|min|m|p|giờ|tiếng|g|h|ngày|d)(?![^\W\d_])", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "p": "minutes", "phút": "minutes", "h": "hours", "g": "hours",
          "giờ": "hours", "tiếng": "hours", "d": "days", "ngày": "days"}


def parse_duration(text: str) -> timedelta | None:
    """"2h", "90m", "3d", "2 giờ", "30 phút", "1 ngày", "1h30" → a duration; None when it is not one."""
    value = " ".join((text or "").lower().split())
    if not value:
        return None
    total, pos = timedelta(0), 0
    for m in _DURATION.finditer(value):
        if value[pos:m.start()].strip():
            return None
        total += timedelta(**{_UNITS[m[2]]: int(m[1])})
        pos = m.end()
    rest = value[pos:].strip()
    if pos and re.fullmatch(r"\d{1,2}", rest):  # "1h30": minutes after hours
        total += timedelta(minutes=int(rest))
        rest = ""
    return total if pos and not rest else None


def parse_closing(text: str, tz: tzinfo, now: datetime | None = None) -> datetime:
    """When a vote closes: a duration from now ("2h") or a local date and time ("25/12/2026 19:30").

    Raises VoteError "when_format", "when_impossible", "when_soon" or "when_far".
    """
    now = now or clock.now()
    value = " ".join((text or "").split())
    duration = parse_duration(value)
    if duration is not None:
        if duration > DURATION_MAX:  # and before adding it: "9999d" pasted 400 times is past the calendar's end
            raise VoteError("when_far", days=DURATION_MAX.days)
        at = now + duration
    else:
        try:
            at = parse_moment(value, tz)
        except BadDate as exc:
            raise VoteError("when_impossible" if exc.reason == "no_such_day" else "when_format") from None
    check_closing(at, now)
    return at


def check_closing(at: datetime, now: datetime | None = None) -> None:
    now = now or clock.now()
    if at < now + DURATION_MIN:
        raise VoteError("when_soon", minutes=int(DURATION_MIN.total_seconds() // 60))
    if at > now + DURATION_MAX:
        raise VoteError("when_far", days=DURATION_MAX.days)


def clean_options(labels: list[str] | None) -> list[str]:
    """The secretary's options, tidied and checked; [] means the standard three."""
    if not labels:
        return []
    cleaned = [clean_line(label) for label in labels]
    cleaned = [label for label in cleaned if label]
    if len(cleaned) < OPTIONS_MIN:
        raise VoteError("options_few", minimum=OPTIONS_MIN)
    if len(cleaned) > OPTIONS_MAX:
        raise VoteError("options_many", maximum=OPTIONS_MAX)
    if any(len(label) > OPTION_MAX for label in cleaned):
        raise VoteError("option_long", limit=OPTION_MAX)
    if len({label.casefold() for label in cleaned}) != len(cleaned):
        raise VoteError("options_repeat")
    return cleaned


def clean_text(text: str | None) -> str:
    return clean_line(text)[:TEXT_MAX]


def more_than_half(count: int, base: int) -> bool:
    """Charter art. 10: MORE than half — 4 of 8 is not, 5 of 8 is."""
    return base > 0 and 2 * count > base


def at_least_two_thirds(count: int, base: int) -> bool:
    """AT LEAST two thirds, in whole members: 6 of 9 is, 5 of 9 is not (no rounding: 3 × count ≥ 2 × base)."""
    return base > 0 and 3 * count >= 2 * base
