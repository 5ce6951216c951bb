"""Working days in Vietnam (ngày làm việc): Monday to Friday, less the public holidays.

The public holidays are the `holidays` package's Vietnamese calendar (Tết and Giỗ Tổ Hùng Vương by the
lunar calendar, the days the Labour Code adds when one falls on a weekend); days off the Government
announces that the package lacks, and Saturdays worked in exchange, are data (models/rules/workdays_vn.toml).
No Telegram, no database here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import holidays

from . import rulesfile

__all__ = ["Rules", "add_working_days", "is_working_day", "public_holidays", "rules", "working_days_between"]

RULES_FILE = Path(__file__).resolve().parent / "rules" / "workdays_vn.toml"


@dataclass(frozen=True)
class Rules:
    version: int
    name: str
    extra_days_off: frozenset[date]
    working_saturdays: frozenset[date]


def load_rules(path: Path) -> Rules:
    data = rulesfile.read(path)
    return Rules(
        **rulesfile.heading(data, short_name=False),
        extra_days_off=frozenset(date.fromisoformat(d) for d in data.get("extra_days_off", [])),
        working_saturdays=frozenset(date.fromisoformat(d) for d in data.get("working_saturdays", [])),
    )


@cache
def rules() -> Rules:
    return load_rules(RULES_FILE)


@cache
def public_holidays(year: int) -> frozenset[date]:
    """The days off of `year`: the package's Vietnamese public holidays and the rules' extra days off."""
    found = set(holidays.country_holidays("VN", years=year))
    found |= {d for d in rules().extra_days_off if d.year == year}
    return frozenset(found)


def is_working_day(d: date) -> bool:
    if d in rules().working_saturdays:
        return True
    return d.weekday() < 5 and d not in public_holidays(d.year)


def add_working_days(start: date, n: int) -> date:
    """The `n`th working day after `start` (`start` itself not counted): the last day of a deadline of
    `n` working days from `start`. n = 0: `start`. Negative n counts back."""
    step = 1 if n >= 0 else -1
    d, left = start, abs(n)
    while left:
        d += timedelta(days=step)
        if is_working_day(d):
            left -= 1
    return d


def working_days_between(a: date, b: date) -> int:
    """The working days after `a` up to `b` included (negative when `b` is before `a`):
    add_working_days(a, working_days_between(a, b)) is `b` when `b` is a working day."""
    if b < a:
        return -working_days_between(b, a)
    return sum(1 for i in range(1, (b - a).days + 1) if is_working_day(a + timedelta(days=i)))
