"""Lines the cell's appraisal and the committee's decision both show: a member's line with the self-score, the
vote's counts, the cell's proposal and the committee's decision; the four level buttons; and the two shapes of
their buttons (one that opens a page, one that acts through models/review and then shows)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton

from models.callback_data import Codec
from models.review import LEVELS, Appraised, Level, ReviewError

from ..i18n import t
from ..steps import named_handler, parse_or_refuse
from ..turn import Turn, esc
from .sheet import refused


def level_name(lang: str, level: Level | None) -> str:
    return t(lang, f"review.level.{level.value}") if level is not None else t(lang, "review.level_none")


def counts_line(lang: str, counts: dict[str, Any] | None) -> str:
    """"Phiếu: Xuất sắc 2 · Tốt 7 · Hoàn thành 0 · Không hoàn thành 0 (9/11 đảng viên chính thức bỏ phiếu)"."""
    if not counts:
        return ""
    parts = " · ".join(t(lang, "review.count", level=t(lang, f"review.level_short.{lv.value}"),
                         count=counts.get(lv.value, 0)) for lv in LEVELS)
    return t(lang, "review.counts", counts=parts, cast=counts.get("cast", 0), base=counts.get("base", 0))


def state_line(lang: str, x: Appraised) -> str:
    """Where the member's appraisal stands, in one line (with the counts once the vote closed)."""
    if x.state == "proposed":
        line = t(lang, "review.state.proposed", level=level_name(lang, x.proposed))
        if x.proposal_reason:
            line += " " + t(lang, "review.picked_reason", reason=esc(x.proposal_reason))
    else:
        line = t(lang, f"review.state.{x.state}")
    return " ".join(p for p in (line, counts_line(lang, x.counts)) if p)


def decided_line(lang: str, x: Appraised) -> str | None:
    if x.decided is None:
        return None
    line = t(lang, "review.decided", level=level_name(lang, x.decided))
    return line + (" " + t(lang, "review.decided_reason", reason=esc(x.decision_reason)) if x.decision_reason else "")


def member_lines(lang: str, x: Appraised) -> list[str]:
    """The member's name and self-score, where the cell's appraisal stands, the committee's decision."""
    head = t(lang, "review.member_line", name=esc(x.full_name), total=x.total, level=level_name(lang, x.self_level))
    if x.by_proxy:
        head += " " + t(lang, "review.by_proxy")
    return [p for p in (head, "   " + state_line(lang, x), decided_line(lang, x)) if p]


def level_rows(lang: str, codec: Codec, entry_id: int, but: Level | None = None) -> list[list[InlineKeyboardButton]]:
    """The four levels, two a row (`but` left out: the level it has)."""
    buttons = [InlineKeyboardButton(t(lang, "review.button.level", level=t(lang, f"review.level.{lv.value}")),
                                    callback_data=codec.data(entry_id, lv.value)) for lv in LEVELS if lv is not but]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


def opens(codec: Codec, show: Callable[..., Awaitable[Any]], what: str) -> Any:
    """A button that opens a page as a new message: `show(turn, *fields, edit=False)` (it says its refusals)."""

    async def opened(turn: Turn):
        fields = await parse_or_refuse(turn, codec, what)
        if fields is not None:
            await show(turn, *fields, edit=False)

    return named_handler(what, opened)


def acting(codec: Codec, what: str, act: Callable[..., Awaitable[Any]],
           then: Callable[[Turn, tuple, Any], Awaitable[Any]]) -> Any:
    """A button whose fields go to `act(turn, *fields)` (a call of models/review); its ReviewError said in the presser's language (refused and recorded when not allowed); else
    `then(turn, fields, result)`."""

    async def acted(turn: Turn):
        fields = await parse_or_refuse(turn, codec, what)
        if fields is None:
            return
        try:
            result = await act(turn, *fields)
        except ReviewError as exc:
            await refused(turn, exc, what)
            return
        await then(turn, fields, result)

    return named_handler(what, acted)
