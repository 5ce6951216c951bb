"""🎂 Anniversaries (issue 17): birthdays, longevity celebrations (mừng thọ) and party-join anniversaries of the
coming week in the officer's weekly to-do (views.occasions_section). The dates are models/anniversaries.py's,
the ages and years its rules file's (models/rules/anniversaries.toml)."""
from __future__ import annotations

from telegram.ext import Application

from ..feature import Feature


def register(app: Application) -> None:
    """No handlers of its own yet: the section's buttons open members' profiles (the members feature's)."""


FEATURE = Feature("anniversaries", register=register)
