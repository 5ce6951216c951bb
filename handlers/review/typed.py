"""What the cell's officers and the committee type during the appraisal: the cell's comments on a member (✏️),
the secretary's reason for the level she picks after a vote without a majority, the committee's reason for a
level it changes. A button starts it (the entry and the level are re-checked by models/review when the text
comes); the conversation remembers only which of the three and for whom; /cancel leaves it. A text too long
is refused whole and asked again; what was stored stays."""
from __future__ import annotations

from typing import Any

from telegram.ext import ConversationHandler

from models import review
from models.review import Level, ReviewError

from ..steps import named_handler, refuse, settle
from ..turn import Turn, member_handler
from . import buttons as btn
from .sheet import not_taken, refused

WRITING = 1  # the review's conversation (with the self-review's WRITING = 0): a comment or a reason awaited
TYPING = "review_typing"  # user_data: (what, entry id, level or "") while the text is awaited
PROMPTS = {"comment": "review.ask_comment", "pick": "review.ask_pick_reason", "change": "review.ask_change_reason"}


def _asking(what: str, codec) -> Any:
    """The button that asks for the text: its entry (and level) remembered, the question put."""

    async def asks(turn: Turn):
        fields = codec.parse(turn.update.callback_query.data)
        if fields is None:
            await refuse(turn, f"review_{what}")
            return ConversationHandler.END
        entry_id, level = fields[0], (fields[1] if len(fields) > 1 else "")
        try:  # who may, checked now as well as when the text comes
            if what == "change":
                await review.entry_for_decision(turn.session, turn.actor, entry_id)
            else:
                await review.member_sheet(turn.session, turn.actor, entry_id)
        except ReviewError as exc:
            await refused(turn, exc, f"review_{what}")
            return ConversationHandler.END
        turn.answer()
        level_text = turn.t(f"review.level.{level}") if level else ""
        turn.reply(turn.t(PROMPTS[what], level=level_text, limit=_limit(what)))
        settle(turn, lambda data: data.update({TYPING: (what, entry_id, level)}))
        return WRITING

    return named_handler(f"review_ask_{what}", asks)


def _limit(what: str) -> int:
    return review.rules().text_max if what == "comment" else review.REASON_MAX


comment_pressed = _asking("comment", btn.COMMENT)
pick_pressed = _asking("pick", btn.PICK)
change_pressed = _asking("change", btn.CHANGE_TO)


got_other = not_taken("review.refused.typed_only", WRITING)  # a voice message, a photo… where text is typed


@member_handler
async def got_text(turn: Turn):
    from .appraise import show_member
    from .decide import show_cell

    what, entry_id, level = turn.context.user_data.get(TYPING) or ("", 0, "")
    text = turn.text
    try:
        if what == "comment":
            await review.set_comment(turn.session, turn.actor, entry_id, text)
        elif what == "pick":
            await review.pick_level(turn.session, turn.actor, entry_id, Level(level), text)
        elif what == "change":
            entry, _old = await review.change_level(turn.session, turn.actor, entry_id, Level(level), text)
        else:
            raise ReviewError("not_allowed")
    except ReviewError as exc:
        if exc.reason in ("text_long", "reason_long", "reason_empty"):
            turn.reply(turn.t(f"review.refused.{exc.reason}", count=len(text), limit=_limit(what)))
            return WRITING
        await refused(turn, exc, f"review_{what or 'typed'}")
        settle(turn, lambda data: data.pop(TYPING, None))
        return ConversationHandler.END
    settle(turn, lambda data: data.pop(TYPING, None))
    turn.reply(turn.t(f"review.kept.{what}"))
    if what == "change":
        await show_cell(turn, entry.round_id, entry.cell_id, edit=False)
    else:
        await show_member(turn, entry_id, edit=False)
    return ConversationHandler.END
