"""A cell's "bảng tin chi bộ": its month on one portrait image a secretary can forward to the cell's other
groups — meetings and attendance, notices and who read (and studied) them, votes and how they went,
members' feedback and how much was answered.

A pure function of the figures (models/month_card.month_figures) and the language; run it off the event
loop (handlers.render.picture). Every word comes from locales/<lang>/LC_MESSAGES/month_card.po; numbers,
questions and the cell's name are drawn as written (handlers/charts.py).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from models.month_card import MonthFigures

from . import charts
from .charts import BIG_PX, GREEN, GREY, MARGIN_PX, MIN_TEXT_PX, RED, TEXT_PX, TITLE_PX, Page
from .i18n import fmt_number, t

HEADER = "#b71c1c"
INK = "#212121"
VOTES_LISTED = 3
SECTION_GAP_PX = 40


class Line(NamedTuple):
    text: str
    px: float
    colour: str


def month_card_png(figures: MonthFigures, lang: str) -> bytes:
    """The bulletin as one portrait PNG, WIDTH_PX wide (taller than PAGE_PX only for long questions)."""
    def n(value: int) -> str:
        return fmt_number(lang, value)

    def rate(value: int | None) -> str:
        return "—" if value is None else f"{n(value)}%"

    f = figures
    with charts.pages() as new_page:
        page = new_page()
        _header(page, f, lang)
        if f.meetings:
            detail = t(lang, "month_card.meetings_detail", held=n(f.meetings), present=n(f.present),
                       base=n(f.attendance_base))
            _section(page, t(lang, "month_card.meetings"), rate(f.attendance_rate), detail)
        else:
            _section(page, t(lang, "month_card.meetings"), n(0), t(lang, "month_card.meetings_none"))
        if f.notices:
            detail = t(lang, "month_card.notices_detail", count=n(f.notices), read=n(f.read), base=n(f.read_base))
            study = [Line(t(lang, "month_card.study", studied=n(f.studied), base=n(f.study_base),
                            percent=rate(f.study_rate).rstrip("%")), TEXT_PX, INK)] if f.study_notices else []
            _section(page, t(lang, "month_card.notices"), rate(f.read_rate), detail, study)
        else:
            _section(page, t(lang, "month_card.notices"), n(0), t(lang, "month_card.notices_none"))
        if f.votes:
            detail = t(lang, "month_card.votes_detail", passed=n(f.votes_passed),
                       failed=n(len(f.votes) - f.votes_passed))
            lines = [Line(t(lang, "month_card.vote_passed" if v.passed else "month_card.vote_not_passed",
                            question=v.question), MIN_TEXT_PX, GREEN if v.passed else RED)
                     for v in f.votes[:VOTES_LISTED]]
            if len(f.votes) > VOTES_LISTED:
                lines.append(Line(t(lang, "month_card.votes_more", count=n(len(f.votes) - VOTES_LISTED)),
                                  MIN_TEXT_PX, GREY))
            _section(page, t(lang, "month_card.votes"), n(len(f.votes)), detail, lines)
        else:
            _section(page, t(lang, "month_card.votes"), n(0), t(lang, "month_card.votes_none"))
        if f.feedback:
            detail = t(lang, "month_card.feedback_detail", answered=n(f.answered), received=n(f.feedback))
            _section(page, t(lang, "month_card.feedback"), n(f.feedback), detail)
        else:
            _section(page, t(lang, "month_card.feedback"), n(0), t(lang, "month_card.feedback_none"))
        page.gap(SECTION_GAP_PX / 2)
        page.text(t(lang, "month_card.footer"), MIN_TEXT_PX, x=charts.WIDTH_PX / 2, ha="center", colour=GREY)
        return page.finish()


def _header(page: Page, f: MonthFigures, lang: str) -> None:
    """A red band: the bulletin's name, the cell, the month."""
    page.y = MARGIN_PX * 0.75
    page.paragraph(t(lang, "month_card.title"), TEXT_PX, bold=True, colour="#ffcdd2")
    page.gap(8)
    page.paragraph(f.cell_name, TITLE_PX, bold=True, colour="white", max_lines=3)
    page.gap(8)
    page.paragraph(t(lang, "month_card.month", month=f"{f.month:02d}", year=f.year), TEXT_PX, colour="white")
    page.box(0, 0, charts.WIDTH_PX, page.y + MARGIN_PX * 0.6, HEADER, zorder=0)
    page.y += MARGIN_PX * 0.6 + SECTION_GAP_PX


def _section(page: Page, heading: str, big: str, detail: str, lines: Sequence[Line] = ()) -> None:
    """A heading, the month's figure large with what it counts beside it, then any lines below (two at most
    each), marked down their left side."""
    top = page.y
    page.paragraph(heading, TEXT_PX, bold=True, colour=HEADER)
    page.gap(4)
    row = page.y
    page.text(big, BIG_PX, bold=True, colour=INK)
    below_figure = page.y
    left = MARGIN_PX + page.measure(big, BIG_PX, bold=True) + 28
    page.y = row + BIG_PX * 0.3
    page.paragraph(detail, TEXT_PX, x=left, width=MARGIN_PX + page.width - left, colour=INK)
    page.y = max(page.y, below_figure)
    for line in lines:
        page.gap(6)
        page.paragraph(line.text, line.px, max_lines=2, colour=line.colour)
    page.box(MARGIN_PX / 2 - 6, top + 4, 8, page.y - top - 4, HEADER)
    page.gap(SECTION_GAP_PX)
