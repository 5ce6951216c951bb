"""What the outbox sends of the review, built at send time in the member's language: the round's call for the
self-review and the reminders before the deadline, each with 📝 Tự kiểm điểm, and the level the committee decided
once the round is closed. A reminder of an entry sent since (or exempt, or of a closed round) sends nothing."""
from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import review
from models.review import RoundState

from ..feature import Call
from ..i18n import fmt_date, t
from ..render import split_message
from ..turn import esc
from . import buttons as btn
from .views import counts_line


def _call(lang: str, entry_id: int, text: str) -> list[Call]:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "review.button.start"),
                                                         callback_data=btn.START.data(entry_id))]])
    return [("sendMessage", {"text": text, "parse_mode": "HTML", "reply_markup": markup.to_dict()})]


async def render_open(session: AsyncSession, entry_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    found = await review.entry_of(session, entry_id)
    if found is None or found[0].submitted or found[0].exempt or found[1].state is not RoundState.open:
        return []
    entry, rnd = found
    return _call(lang, entry.id, t(lang, "review.told", year=rnd.year, day=fmt_date(rnd.self_deadline),
                                   form=entry.form.value))


async def render_reminder(session: AsyncSession, reminder_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    reminder = await review.reminder_entry(session, reminder_id)
    found = await review.entry_of(session, reminder[0]) if reminder else None
    if reminder is None or found is None:
        return []
    entry, rnd = found
    if entry.submitted or entry.exempt or rnd.state is not RoundState.open:
        return []
    return _call(lang, entry.id, t(lang, "review.reminder", year=rnd.year, day=fmt_date(rnd.self_deadline),
                                   days=reminder[1]))


async def render_result(session: AsyncSession, entry_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """The member's level, privately, once the committee closed the round (nothing for an entry without one)."""
    found = await review.entry_of(session, entry_id)
    if found is None or found[1].state is not RoundState.closed or found[0].decided_level is None:
        return []
    entry, rnd = found
    text = t(lang, "review.result", year=rnd.year, level=t(lang, f"review.level.{entry.decided_level.value}"))
    return [("sendMessage", {"text": text, "parse_mode": "HTML"})]


async def render_votes(session: AsyncSession, vote_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """The levels voted in one batch, each with its counts: one message (split only past Telegram's length)."""
    found = await review.batch_results(session, vote_id)
    if found is None:
        return []
    lines = [t(lang, "review.batch.head", year=found.year, cell=esc(found.cell_name), count=len(found.lines))]
    for n, (name, level, counts) in enumerate(found.lines, 1):
        said = t(lang, f"review.level.{level.value}") if level else t(lang, "review.batch.no_majority")
        lines.append(f"{n}. {esc(name)}: <b>{said}</b> {counts_line(lang, counts)}")
    return [("sendMessage", {"text": chunk, "parse_mode": "HTML"}) for chunk in split_message("\n".join(lines))]
