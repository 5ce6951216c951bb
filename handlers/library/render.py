"""How a library result looks: the document, its number, issuing unit, date and section, and the excerpt
with the words found in bold — every piece of text escaped, the marks ours."""
from __future__ import annotations

from datetime import tzinfo

from telegram import InlineKeyboardButton

from models.library import Excerpt, Hit

from ..i18n import t
from ..notices import buttons as notice_btn
from ..notices.render import EMOJI, local_day
from ..turn import esc
from . import buttons as btn


def marked(excerpt: Excerpt) -> str:
    return "".join(f"<b>{esc(piece)}</b>" if found else esc(piece) for piece, found in excerpt)


def hit_text(lang: str, tz: tzinfo | None, index: int, hit: Hit) -> str:
    notice = hit.notice
    facts = [t(lang, "library.number", number=esc(hit.number))] if hit.number else []
    facts.append(esc(notice.unit.name))
    if notice.dispatched_at is not None:
        facts.append(local_day(notice.dispatched_at, tz))
    where = esc(hit.section) if hit.section else t(lang, "library.paragraph", number=hit.seq + 1)
    lines = [f"{index}. {EMOJI[notice.kind]} <b>{esc(notice.title)}</b>", " · ".join(facts), f"📍 {where}"]
    if hit.excerpt:
        lines.append(f"«{marked(hit.excerpt)}»")
    return "\n".join(lines)


def hits_text(lang: str, tz: tzinfo | None, hits: list[Hit], first: int = 1) -> str:
    return "\n\n".join(hit_text(lang, tz, first + i, hit) for i, hit in enumerate(hits))


def hit_rows(lang: str, hits: list[Hit], first: int = 1) -> list[list[InlineKeyboardButton]]:
    """Under the results: open each document, hear each passage."""
    return [[InlineKeyboardButton(t(lang, "library.button.open", number=first + i),
                                  callback_data=notice_btn.OPEN.data(hit.notice.id)),
             InlineKeyboardButton(t(lang, "library.button.listen", number=first + i),
                                  callback_data=btn.HEAR.data(hit.passage_id))]
            for i, hit in enumerate(hits)]
