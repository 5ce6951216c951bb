"""What a vote says on a member's phone: its words (options, kind, dates, shares) and the ballot itself."""
from __future__ import annotations

from datetime import datetime, tzinfo

from babel.numbers import format_decimal
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import votes
from models.votes import OptionKind, Vote

from ..i18n import DEFAULT, LANGUAGES, fmt_date, t
from ..turn import esc
from . import buttons as btn

BUTTON_TITLE = 48


def option_label(lang: str, kind: OptionKind, label: str) -> str:
    return label if kind is OptionKind.choice else t(lang, f"vote.option.{kind.value}")


def kind_text(lang: str, vote: Vote) -> str:
    return t(lang, f"vote.ballot.{vote.ballot.value}")


def when(value: datetime | None, tz: tzinfo | None) -> str:
    return fmt_date(value, tz) if value else "—"


def percent(lang: str, count: int, base: int | None) -> str:
    if not base:
        return "—"
    return format_decimal(round(100 * count / base, 1), format="#,##0.#", locale=lang if lang in LANGUAGES else DEFAULT)


def short(text: str, limit: int = BUTTON_TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the ballot on a member's phone --------------------------------------------------------------------------
def ballot_text(vote: Vote, lang: str, tz: tzinfo | None) -> str:
    """Three short lines before the buttons: who asks, what, until when."""
    return t(lang, "vote.ballot_text", cell=esc(vote.cell.name), question=esc(vote.question),
             kind=kind_text(lang, vote), closes=when(vote.closes_at, tz))


def ballot_markup(vote: Vote, lang: str, chosen: int | None = None) -> InlineKeyboardMarkup:
    """One big button a row, one row per option; the member's choice marked."""
    rows = []
    for o in vote.options:
        mark = "✅ " if o.position == chosen else ""
        rows.append([InlineKeyboardButton(f"{mark}{option_label(lang, o.kind, o.label)}"[:64],
                                          callback_data=btn.CAST.data(vote.id, o.position))])
    return InlineKeyboardMarkup(rows)


def chosen_text(vote: Vote, lang: str, tz: tzinfo | None, option: votes.VoteOption | None, text: str | None) -> str:
    """The ballot after a tap: what the member chose, and whether it can still change."""
    lines = [ballot_text(vote, lang, tz), ""]
    if option is None:  # a secret ballot keeps no choice to show again
        lines.append(t(lang, "vote.voted_secret"))
    else:
        choice = esc(option_label(lang, option.kind, option.label))
        if text:
            choice = f"{choice} — «{esc(text)}»"
        lines.append(t(lang, "vote.you_chose", choice=choice))
        if vote.is_secret:  # shown once, in the member's own chat; the handbook keeps it with no name
            lines.append(t(lang, "vote.secret_note"))
    if vote.may_change and vote.is_open():
        lines.append(t(lang, "vote.may_change", closes=when(vote.closes_at, tz)))
    return "\n".join(lines)
