"""What an officer sees of anniversaries: the weekly to-do's section, one line per occasion, and a button to
the profile of each member shown."""
from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton

from models.anniversaries import Occasion

from ..i18n import t
from ..members import buttons as members_btn
from ..turn import esc


def occasion_line(lang: str, o: Occasion) -> str:
    """"• 10/12: đồng chí Lê Văn Bảy (Chi bộ 1) — mừng thọ 80 tuổi"."""
    return t(lang, f"anniversaries.line.{o.kind.value}", day=o.day.strftime("%d/%m"), name=esc(o.full_name),
             cell=esc(o.cell_name), years=o.years)


def occasions_section(lang: str, found: Sequence[Occasion],
                      most: int) -> tuple[str, list[list[InlineKeyboardButton]]]:
    """The section's text (its heading, at most `most` lines, "and N more") and a button per member shown."""
    shown = found[:most]
    lines = [t(lang, "anniversaries.todo", count=len(found)), *(occasion_line(lang, o) for o in shown)]
    if len(found) > most:
        lines.append(t(lang, "anniversaries.more", count=len(found) - most))
    rows: list[list[InlineKeyboardButton]] = []
    seen: set[int] = set()
    for o in shown:
        if o.member_id not in seen:
            seen.add(o.member_id)
            rows.append([InlineKeyboardButton(t(lang, "anniversaries.todo_button", name=o.full_name[:60]),
                                              callback_data=members_btn.PROFILE.data(o.member_id))])
    return "\n".join(lines), rows
