"""The member's side: write (text, voice, photo), choose what it is about, send named or anonymous,
and read one's own items with their answers."""
from __future__ import annotations

import math
import secrets

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message

from models import feedback as fb
from models.feedback import Draft, FeedbackKind, FeedbackRefused, Refusal

from ..i18n import fmt_number
from ..steps import refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .digest import digest_start
from .flow import COMPOSE, end_flow, start_flow
from .officer import officer_rows
from .sweep import feedback_keys
from .views import about_label, content_label, item_button, opened, render_item

DRAFT = "feedback_draft"
OWN_SHOWN = 5
DIGEST_WORDS = {"digest", "tổng hợp", "tong hop", "tonghop"}


async def home(turn: Turn) -> None:
    start_flow(turn, COMPOSE)
    rows = [item_button(turn, i, btn.MINE) for i in await fb.own_items(turn.session, turn.actor.member_id, OWN_SHOWN)]
    text = turn.t("feedback.home") + ("\n" + turn.t("feedback.home.own") if rows else "")
    rows += await officer_rows(turn)
    turn.reply(text, InlineKeyboardMarkup(rows) if rows else None)


@member_handler
async def feedback_command(turn: Turn):
    args = turn.args if turn.text.startswith("/") else ""
    if args.lower() in DIGEST_WORDS:
        await digest_start(turn)
        return
    if args:
        await take_draft(turn, Draft(FeedbackKind.text, body=args))
        return
    await home(turn)


def draft_from(message: Message) -> Draft:
    if message.voice is not None:
        # Whole seconds as Telegram sent them (PTB's `duration` property is changing type).
        seconds = int(message.voice.to_dict().get("duration") or 0)
        return Draft(FeedbackKind.voice, body=message.caption, file_id=message.voice.file_id, duration=seconds)
    if message.photo:
        return Draft(FeedbackKind.photo, body=message.caption, file_id=message.photo[-1].file_id)
    return Draft(FeedbackKind.text, body=message.text)


@member_handler
async def content(turn: Turn):
    await take_draft(turn, draft_from(turn.update.effective_message))


async def take_draft(turn: Turn, draft: Draft) -> None:
    """Check what arrived at once (a second chance when it is too long), then show the card to send it."""
    try:
        fb.check_draft(draft)
    except FeedbackRefused as exc:
        start_flow(turn, COMPOSE)
        turn.reply(refusal_text(turn, exc, draft))
        return
    choices = await fb.about_choices(turn.session, turn.actor.member_id, turn.actor.cell_id)
    nonce = secrets.randbelow(10**6)
    turn.context.user_data[DRAFT] = {
        "nonce": nonce, "kind": draft.kind.value, "body": draft.body, "file_id": draft.file_id,
        "duration": draft.duration, "choices": [(c.kind, c.id, c.title) for c in choices], "choice": 0,
    }
    start_flow(turn, COMPOSE)  # another message now replaces this draft
    text, markup = draft_card(turn, turn.context.user_data[DRAFT])
    turn.reply(text, markup)


def refusal_text(turn: Turn, exc: FeedbackRefused, draft: Draft | None = None) -> str:
    if exc.reason is Refusal.too_long:
        return turn.t("feedback.too_long", count=fmt_number(turn.lang, len((draft.body or "").strip())),
                      limit=fmt_number(turn.lang, fb.MAX_TEXT))
    if exc.reason is Refusal.voice_too_long:
        return turn.t("feedback.voice_too_long", minutes=fb.MAX_VOICE_SECONDS // 60)
    if exc.reason is Refusal.rate_limited:
        minutes = max(1, math.ceil(exc.retry_after.total_seconds() / 60)) if exc.retry_after else 60
        return turn.t("feedback.rate_limited", limit=fb.RATE_LIMIT, minutes=minutes)
    return turn.t(f"feedback.refused.{exc.reason.value}")


def draft_card(turn: Turn, draft: dict) -> tuple[str, InlineKeyboardMarkup]:
    kind = FeedbackKind(draft["kind"])
    choices = [fb.About(k, i, title) for k, i, title in draft["choices"]]
    chosen = choices[draft["choice"]]
    what = content_label(turn.lang, kind, draft["body"], draft["duration"], limit=120)
    text = turn.t("feedback.card", what=esc(what), about=esc(about_label(turn.lang, chosen)))
    nonce = draft["nonce"]
    rows = []
    if len(choices) > 1:  # only "general" exists: nothing to choose
        for i, c in enumerate(choices):
            mark = "✅ " if i == draft["choice"] else ""
            rows.append([InlineKeyboardButton((mark + about_label(turn.lang, c))[:60], callback_data=btn.ABOUT.data(nonce, i))])
    rows.append([
        InlineKeyboardButton(turn.t("feedback.button.send"), callback_data=btn.SEND.data(nonce, 0)),
        InlineKeyboardButton(turn.t("feedback.button.send_anonymous"), callback_data=btn.SEND.data(nonce, 1)),
    ])
    rows.append([InlineKeyboardButton(turn.t("feedback.button.cancel"), callback_data=btn.DISCARD.data(nonce))])
    return text, InlineKeyboardMarkup(rows)


@member_handler
async def draft_button(turn: Turn):
    data = turn.update.callback_query.data
    head = data.partition(":")[0]
    ids = next((c.parse(data) for c in btn.DRAFT if c.prefix == head), None)
    if ids is None:
        await refuse(turn, "feedback_draft")
        return
    draft = turn.context.user_data.get(DRAFT)
    if not draft or draft["nonce"] != ids[0]:
        # An old card (sent, cancelled, or the bot restarted): say so, nothing forged about it.
        turn.answer(turn.t("feedback.draft_gone"), alert=True)
        turn.edit(turn.t("feedback.draft_gone"))
        return
    if head == "fbx":
        turn.context.user_data.pop(DRAFT, None)
        end_flow(turn)
        turn.edit(turn.t("feedback.cancelled"))
        return
    if head == "fba":
        if ids[1] >= len(draft["choices"]):
            await refuse(turn, "feedback_about")
            return
        draft["choice"] = ids[1]
        turn.edit(*draft_card(turn, draft))
        return
    if ids[1] not in (0, 1):
        await refuse(turn, "feedback_send")
        return
    anonymous = ids[1] == 1
    kind, ref_id, _ = draft["choices"][draft["choice"]]
    pending = Draft(FeedbackKind(draft["kind"]), draft["body"], draft["file_id"], draft["duration"], kind, ref_id)
    try:
        await fb.submit(turn.session, turn.actor, pending, anonymous=anonymous,
                        key=feedback_keys(turn.context.application), chat_id=turn.chat_id)
    except FeedbackRefused as exc:
        if exc.reason is Refusal.bad_about:
            await refuse(turn, "feedback_about")
            return
        turn.answer(refusal_text(turn, exc, pending), alert=True)
        turn.edit(refusal_text(turn, exc, pending))
        turn.context.user_data.pop(DRAFT, None)
        end_flow(turn)
        return
    turn.context.user_data.pop(DRAFT, None)
    end_flow(turn)
    turn.answer(turn.t("feedback.sent_short"))
    turn.edit(turn.t("feedback.sent_anonymous" if anonymous else "feedback.sent"))

@member_handler
async def my_item(turn: Turn):
    view = await opened(turn, btn.MINE, as_officer=False, what="feedback_item")
    if view is not None:
        turn.reply(render_item(turn, view, officer=False))
