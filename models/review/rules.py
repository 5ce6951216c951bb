"""The review's rules file (models/rules/review_<year>.toml, ⚠ figures as data): the forms and their criterion
groups, the levels' thresholds and the extra conditions of "xuất sắc", the exemptions, which form a position
gives, the reminders. No Telegram, no database."""
from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import rulesfile
from ..text import fold

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
DEFAULT_RULES = "review_2025"


class Form(str, enum.Enum):
    a = "2A"  # no leadership post
    b = "2B"  # leaders and managers
    c = "2C"  # outside the political system (retired members of residential cells)


class Level(str, enum.Enum):
    excellent = "excellent"  # Hoàn thành xuất sắc nhiệm vụ
    good = "good"  # Hoàn thành tốt nhiệm vụ
    done = "done"  # Hoàn thành nhiệm vụ
    failed = "failed"  # Không hoàn thành nhiệm vụ


@dataclass(frozen=True)
class Group:
    id: str  # catalog: review.group.<id>
    max: int
    default: int


@dataclass(frozen=True)
class Rules:
    id: str  # the file's stem: a round keeps it
    version: int
    name: str
    short_name: str
    forms: Mapping[Form, tuple[Group, ...]]
    thresholds: Mapping[Level, int]  # points at least, failed excepted
    excellent_conditions: tuple[str, ...]
    exempt_excused: bool
    exempt_suspended: bool  # members.suspended_on (models/suspension.py)
    admitted_months: int
    leader_words: tuple[str, ...]
    outside_words: tuple[str, ...]
    no_position: Form
    text_max: int
    reminder_days: tuple[int, ...]  # largest first

    def groups(self, form: Form) -> tuple[Group, ...]:
        return self.forms[form]

    def level(self, total: int, conditions: Sequence[str] = ()) -> Level:
        """The level `total` points give; "xuất sắc" also needs every extra condition (else "tốt")."""
        if total >= self.thresholds[Level.excellent] and set(self.excellent_conditions) <= set(conditions):
            return Level.excellent
        for level in (Level.good, Level.done):
            if total >= self.thresholds[level]:
                return level
        return Level.failed

    def form_for(self, position: str | None) -> Form:
        """2B for a leadership post, 2C outside the political system (or no position), else 2A."""
        words = fold(position)
        if not words:
            return self.no_position
        if any(w in words for w in self.leader_words):
            return Form.b
        if any(w in words for w in self.outside_words):
            return Form.c
        return Form.a


def load_rules(path: Path) -> Rules:
    data = rulesfile.read(path)
    forms = data["forms"]
    parsed = {form: tuple(Group(str(g["id"]), int(g["max"]), int(g["default"])) for g in forms[form.value])
              for form in Form}
    for form, groups in parsed.items():
        if sum(g.max for g in groups) != 100 or any(not 0 <= g.default <= g.max for g in groups):
            raise ValueError(f"{path}: form {form.value}'s groups do not make 100 points")
    levels = data["levels"]
    return Rules(
        id=path.stem, **rulesfile.heading(data), forms=parsed,
        thresholds={lv: int(levels[lv.value]) for lv in (Level.excellent, Level.good, Level.done)},
        excellent_conditions=tuple(str(c) for c in levels["excellent_conditions"]),
        exempt_excused=bool(data["exempt"]["excused"]), exempt_suspended=bool(data["exempt"]["suspended"]),
        admitted_months=int(data["exempt"]["admitted_months"]),
        leader_words=tuple(fold(w) for w in forms["leader_words"]),
        outside_words=tuple(fold(w) for w in forms["outside_words"]),
        no_position=Form(forms["no_position"]), text_max=int(data["text"]["max_chars"]),
        reminder_days=tuple(sorted((int(d) for d in data["reminders"]["days"]), reverse=True)),
    )


@cache
def rules(rules_id: str = DEFAULT_RULES) -> Rules:
    """A rules file by its id (a round's); only the files of models/rules/review_*.toml."""
    if not rules_id.startswith("review_") or not rules_id.replace("_", "").isalnum():
        raise ValueError(f"no such review rules: {rules_id!r}")
    return load_rules(RULES_DIR / f"{rules_id}.toml")


def available() -> list[str]:
    return sorted(p.stem for p in RULES_DIR.glob("review_*.toml"))
