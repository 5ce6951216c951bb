"""💬 Góp ý: members write to their cell (text, voice, photo; named or anonymous) and get the answer;
secretaries and committees read, answer, close and digest. The periodic sweep tells secretaries
about new items (one summary each) and delivers replies; the database says what is still to do.
"""
from __future__ import annotations

import logging
import math
import secrets
from collections import defaultdict
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from models import clock, corrections
from models import feedback as fb
from models import units as units_model
from models.callback_data import Codec, any_of
from models.dates import VIETNAM
from models.db import transaction
from models.feedback import Draft, FeedbackKind, FeedbackRefused, FeedbackStatus, Refusal, ReplyRefused
from models.permissions import Action, may_act_on_unit, units_for
from models.sealing import FeedbackKeys
from models.units import Unit

from .buttons import feedback as btn
from .corrections import buttons as corrections_buttons
from .feature import Command, Feature, MenuButton
from .i18n import fmt_date, fmt_number, t
from .keyboards import MENU_TEXT, menu_pattern, pager
from .steps import refuse
from .turn import Turn, esc, member_handler, services_of

log = logging.getLogger(__name__)

# --- a step of a conversation, kept in user_data["flow"] (the key /cancel clears) ----------------
FLOW = "flow"
FLOW_DATA = "feedback_flow"
FLOW_TTL = timedelta(minutes=30)
COMPOSE, REPLY, CORRECT, REJECT = "feedback", "feedback_reply", "correction", "correction_reject"
OUR_FLOWS = frozenset({COMPOSE, REPLY, CORRECT, REJECT})
DRAFT = "feedback_draft"

SWEEP_SECONDS = 60  # how often secretaries may get a summary: items arriving together make one message
PAGE = 8
OWN_SHOWN = 5
EXCERPT = 40
DIGEST_ITEMS_PER_GROUP = 10
DIGEST_ABOUT_DAYS = 92
STATUS_ICON = {FeedbackStatus.new: "🆕", FeedbackStatus.seen: "👁", FeedbackStatus.answered: "✅",
               FeedbackStatus.closed: "🔒"}
DIGEST_WORDS = {"digest", "tổng hợp", "tong hop", "tonghop"}
MENU = MENU_TEXT


def start_flow(turn: Turn, name: str, **data) -> None:
    turn.context.user_data[FLOW] = name
    turn.context.user_data[FLOW_DATA] = {"at": clock.now(), **data}


def flow_data(turn: Turn, name: str) -> dict | None:
    return _live_flow(turn.context.user_data, name)


def end_flow(turn: Turn) -> None:
    if turn.context.user_data.get(FLOW) in OUR_FLOWS:
        turn.context.user_data.pop(FLOW, None)
    turn.context.user_data.pop(FLOW_DATA, None)


def _live_flow(user_data, name: str) -> dict | None:
    if not user_data or user_data.get(FLOW) != name:
        return None
    data = user_data.get(FLOW_DATA) or {}
    if clock.now() - data.get("at", clock.now()) > FLOW_TTL:
        return None
    return data


class InFlow(filters.MessageFilter):
    """The sender is at this step of one of our conversations (and it has not gone stale)."""

    def __init__(self, app: Application, name: str):
        super().__init__(name=f"InFlow({name})")
        self.app, self.flow = app, name

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and _live_flow(self.app.user_data.get(user.id), self.flow) is not None


async def _leave_flow(update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command or a big menu button leaves our conversation; the other feature then answers it."""
    if context.user_data is not None and context.user_data.get(FLOW) in OUR_FLOWS:
        context.user_data.pop(FLOW, None)




def feedback_keys(app: Application) -> FeedbackKeys:
    """The keys sealing anonymous threads and keying the hourly counts (models/sealing.py)."""
    return services_of(app).feedback_keys


# --- small renderings ------------------------------------------------------------------------------


def tz(turn: Turn):
    return turn.services.timezone or VIETNAM


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def minutes_seconds(seconds: int | None) -> str:
    seconds = seconds or 0
    return f"{seconds // 60}:{seconds % 60:02d}"


def content_label(lang: str, kind: FeedbackKind, body: str | None, duration: int | None, limit: int = EXCERPT) -> str:
    """Plain text (buttons are not parsed): "🎤 0:45", "🖼 caption…", or the text itself."""
    if kind is FeedbackKind.voice:
        return f"🎤 {t(lang, 'feedback.voice')} {minutes_seconds(duration)}"
    if kind is FeedbackKind.photo:
        return f"🖼 {excerpt(body, limit) if body else t(lang, 'feedback.photo')}"
    return excerpt(body, limit)


def item_button(turn: Turn, item: fb.FeedbackItem, codec: Codec, cell_name: str | None = None) -> list[InlineKeyboardButton]:
    when = item.created_at.astimezone(tz(turn)).strftime("%d/%m")
    parts = [f"{STATUS_ICON[item.status]} {when}"]
    if cell_name:
        parts.append(cell_name)
    if item.anonymous:
        parts.append("🕶")
    parts.append(content_label(turn.lang, item.kind, item.body, item.duration))
    return [InlineKeyboardButton(" · ".join(parts)[:60], callback_data=codec.data(item.id))]


def about_label(lang: str, about: fb.About) -> str:
    if about.kind == fb.GENERAL:
        return t(lang, "feedback.about.general")
    title = about.title or f"#{about.id}"
    return t(lang, f"feedback.about.{about.kind}", title=title)


def status_label(lang: str, status: FeedbackStatus) -> str:
    return t(lang, f"feedback.status.{status.value}")


def render_item(turn: Turn, view: fb.ItemView, *, officer: bool) -> str:
    item = view.item
    lines = [turn.t("feedback.item.title", id=item.id, when=fmt_date(item.created_at, tz(turn)))]
    if officer:
        author = turn.t("feedback.item.anonymous") if item.anonymous else esc(view.author or "—")
        lines.append(turn.t("feedback.item.from", author=author, cell=esc(view.cell.name)))
    lines.append(turn.t("feedback.item.about", about=esc(about_label(turn.lang, fb.About(item.about_kind, item.about_id,
                                                                                           view.about_title)))))
    lines.append(turn.t("feedback.item.status", status=status_label(turn.lang, item.status)))
    if item.kind is FeedbackKind.voice:
        lines.append(turn.t("feedback.item.voice", length=minutes_seconds(item.duration)))
    elif item.kind is FeedbackKind.photo:
        lines.append(turn.t("feedback.item.photo"))
    text = "\n".join(lines)
    if item.body:
        text += f"\n\n{esc(item.body)}"
    for reply in view.replies:
        text += "\n\n" + turn.t("feedback.item.reply", when=fmt_date(reply.created_at, tz(turn)), text=esc(reply.body))
    return text


# --- the member: write ---------------------------------------------------------------------------


async def home(turn: Turn) -> None:
    start_flow(turn, COMPOSE)
    rows = [item_button(turn, i, btn.MINE) for i in await fb.own_items(turn.session, turn.actor.member_id, OWN_SHOWN)]
    text = turn.t("feedback.home") + ("\n" + turn.t("feedback.home.own") if rows else "")
    rows += await officer_rows(turn)
    turn.reply(text, InlineKeyboardMarkup(rows) if rows else None)


async def officer_rows(turn: Turn) -> list[list[InlineKeyboardButton]]:
    units = await officer_scope(turn)
    if not units:
        return []
    new = sum([await fb.count_status(turn.session, u.path, FeedbackStatus.new) for u in units])
    _, pending = await corrections.pending_for(turn.session, turn.actor, 0, 1)
    return [
        [InlineKeyboardButton(turn.t("feedback.button.inbox", count=new), callback_data=btn.INBOX.data(0))],
        [InlineKeyboardButton(turn.t("feedback.button.corrections", count=pending), callback_data=corrections_buttons.LIST.data(0))],
        [InlineKeyboardButton(turn.t("feedback.button.digest"), callback_data=btn.DIGEST.data(0))],
    ]


async def officer_scope(turn: Turn) -> list[Unit]:
    """The topmost units whose feedback this actor handles (an administrator: the roots)."""
    return await units_for(turn.session, turn.actor, Action.manage_cell)


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
    ids = btn.MINE.parse(turn.update.callback_query.data)
    try:
        view = await fb.open_item(turn.session, turn.actor, ids[0], as_officer=False) if ids else None
    except fb.NotAllowed:
        view = None
    if view is None:
        await refuse(turn, "feedback_item")
        return
    turn.reply(render_item(turn, view, officer=False))


# --- the secretary and the committee: read, answer, close ------------------------------------------


@member_handler
async def inbox(turn: Turn):
    end_flow(turn)
    units = await officer_scope(turn)
    if not units:
        await refuse(turn, "feedback_inbox")
        return
    if len(units) == 1:
        await show_unit(turn, units[0], edit=False)
        return
    rows = [[InlineKeyboardButton(u.name[:60], callback_data=btn.UNIT.data(u.id))] for u in units]
    turn.reply(turn.t("feedback.choose_unit"), InlineKeyboardMarkup(rows))


async def show_unit(turn: Turn, unit: Unit, *, edit: bool) -> None:
    if unit.is_cell:
        await show_list(turn, unit, FeedbackStatus.new, 0, edit=edit)
    else:
        await show_overview(turn, unit, edit=edit)


async def show_overview(turn: Turn, unit: Unit, *, edit: bool) -> None:
    """A committee's view: every cell below, with its items counted by status."""
    cells = await fb.counts_by_cell(turn.session, unit.path)
    lines = [turn.t("feedback.overview.title", unit=esc(unit.name))]
    rows = []
    for c in cells:
        counts = ", ".join(f"{status_label(turn.lang, s)} {c.counts[s]}" for s in fb.STATUSES)
        lines.append(f"• {esc(c.name)}: {counts}")
        rows.append([InlineKeyboardButton(f"{c.name} ({c.counts[FeedbackStatus.new]} 🆕)"[:60],
                                          callback_data=btn.LIST.data(c.cell_id, 0, 0))])
    if not cells:
        lines.append(turn.t("feedback.overview.no_cells"))
    rows.append([InlineKeyboardButton(turn.t("feedback.button.all_new"), callback_data=btn.LIST.data(unit.id, 0, 0))])
    text, markup = "\n".join(lines), InlineKeyboardMarkup(rows)
    turn.edit(text, markup) if edit else turn.reply(text, markup)


async def show_list(turn: Turn, unit: Unit, status: FeedbackStatus, page: int, *, edit: bool) -> None:
    index = fb.STATUSES.index(status)
    items, total = await fb.list_items(turn.session, unit.path, status, page * PAGE, PAGE)
    pages = max(1, math.ceil(total / PAGE))
    if page >= pages and total:
        page = pages - 1
        items, _ = await fb.list_items(turn.session, unit.path, status, page * PAGE, PAGE)
    counts = {s: await fb.count_status(turn.session, unit.path, s) for s in fb.STATUSES}
    tabs = [
        InlineKeyboardButton(("• " if s is status else "") + f"{STATUS_ICON[s]} {counts[s]}", callback_data=btn.LIST.data(unit.id, i, 0))
        for i, s in enumerate(fb.STATUSES)
    ]
    rows = [tabs]
    rows += [item_button(turn, item, btn.OPEN, None if unit.is_cell else name) for item, name in items]
    nav = pager(btn.LIST, page, pages, turn.lang, unit.id, index)
    if nav:
        rows.append(nav)
    legend = " · ".join(f"{STATUS_ICON[s]} {status_label(turn.lang, s)}" for s in fb.STATUSES)
    key = "feedback.list.title" if total else "feedback.list.empty"
    text = turn.t(key, unit=esc(unit.name), status=status_label(turn.lang, status), total=total) + "\n" + legend
    markup = InlineKeyboardMarkup(rows)
    turn.edit(text, markup) if edit else turn.reply(text, markup)


async def _unit_from(turn: Turn, unit_id: int) -> Unit | None:
    return await may_act_on_unit(turn.session, turn.actor, Action.manage_cell, unit_id)


@member_handler
async def unit_button(turn: Turn):
    end_flow(turn)
    ids = btn.UNIT.parse(turn.update.callback_query.data)
    unit = await _unit_from(turn, ids[0]) if ids else None
    if unit is None:
        await refuse(turn, "feedback_unit")
        return
    await show_unit(turn, unit, edit=True)


@member_handler
async def list_button(turn: Turn):
    end_flow(turn)
    ids = btn.LIST.parse(turn.update.callback_query.data)
    unit = await _unit_from(turn, ids[0]) if ids else None
    if unit is None or ids[1] >= len(fb.STATUSES):
        await refuse(turn, "feedback_list")
        return
    await show_list(turn, unit, fb.STATUSES[ids[1]], ids[2], edit=True)


def item_actions(turn: Turn, item: fb.FeedbackItem) -> InlineKeyboardMarkup:
    rows = []
    if item.status is not FeedbackStatus.closed:
        rows.append([
            InlineKeyboardButton(turn.t("feedback.button.reply"), callback_data=btn.REPLY.data(item.id)),
            InlineKeyboardButton(turn.t("feedback.button.close"), callback_data=btn.CLOSE.data(item.id)),
        ])
    status = fb.STATUSES.index(item.status)
    rows.append([InlineKeyboardButton(turn.t("feedback.button.back"), callback_data=btn.LIST.data(item.cell_id, status, 0))])
    return InlineKeyboardMarkup(rows)


@member_handler
async def open_button(turn: Turn):
    end_flow(turn)
    ids = btn.OPEN.parse(turn.update.callback_query.data)
    try:
        view = await fb.open_item(turn.session, turn.actor, ids[0], as_officer=True) if ids else None
    except fb.NotAllowed:
        view = None
    if view is None:
        await refuse(turn, "feedback_open")
        return
    item = view.item
    turn.reply(render_item(turn, view, officer=True), item_actions(turn, item))
    bot, chat_id = turn.context.bot, turn.chat_id
    if item.kind is FeedbackKind.voice:
        turn.later(lambda: bot.send_voice(chat_id=chat_id, voice=item.file_id))
    elif item.kind is FeedbackKind.photo:
        turn.later(lambda: bot.send_photo(chat_id=chat_id, photo=item.file_id))


@member_handler
async def reply_button(turn: Turn):
    ids = btn.REPLY.parse(turn.update.callback_query.data)
    found = await fb.item_and_cell(turn.session, ids[0]) if ids else None
    if found is None or not fb.may_handle(turn.actor, found[1].path):
        await refuse(turn, "feedback_reply")
        return
    item = found[0]
    if item.status is FeedbackStatus.closed:
        turn.answer(turn.t("feedback.reply_refused.closed"), alert=True)
        return
    start_flow(turn, REPLY, item=item.id)
    turn.reply(turn.t("feedback.reply_ask", id=item.id))


@member_handler
async def reply_text(turn: Turn):
    data = flow_data(turn, REPLY)
    item_id = data["item"]
    try:
        await fb.add_reply(turn.session, turn.actor, item_id, turn.text)
    except fb.NotAllowed:
        end_flow(turn)
        await refuse(turn, "feedback_reply_text")
        return
    except ReplyRefused as exc:
        if exc.reason is fb.ReplyRefusal.too_long:  # a second chance
            turn.reply(turn.t("feedback.reply_refused.too_long", limit=fmt_number(turn.lang, fb.MAX_TEXT)))
            return
        end_flow(turn)
        turn.reply(turn.t(f"feedback.reply_refused.{exc.reason.value}"))
        return
    end_flow(turn)
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(turn.t("feedback.button.close"), callback_data=btn.CLOSE.data(item_id)),
        InlineKeyboardButton(turn.t("feedback.button.back"), callback_data=btn.INBOX.data(0)),
    ]])
    turn.reply(turn.t("feedback.replied", id=item_id), markup)
    app = turn.context.application
    turn.later(lambda: deliver_replies(app))


@member_handler
async def close_button(turn: Turn):
    end_flow(turn)
    ids = btn.CLOSE.parse(turn.update.callback_query.data)
    try:
        item = await fb.close_item(turn.session, turn.actor, ids[0]) if ids else None
    except fb.NotAllowed:
        item = None
    if item is None:
        await refuse(turn, "feedback_close")
        return
    turn.answer(turn.t("feedback.closed", id=item.id))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("feedback.button.back"),
                                                         callback_data=btn.LIST.data(item.cell_id, 0, 0))]])
    turn.edit(turn.t("feedback.closed", id=item.id), markup)


# --- the digest before a meeting ------------------------------------------------------------------


def _month_code(year: int, month: int) -> int:
    return year * 100 + month


async def digest_start(turn: Turn) -> None:
    units = await officer_scope(turn)
    if not units:
        await refuse(turn, "feedback_digest")
        return
    year, month = fb.local_month()
    await show_digest(turn, units[0], month=(year, month), edit=False)


@member_handler
async def digest_button(turn: Turn):
    """fbg:0 — this month of the first unit; fbd:<unit>:<yyyymm>; fbe:<unit>:<kind>:<id>."""
    end_flow(turn)
    data = turn.update.callback_query.data
    head = data.partition(":")[0]
    if head == "fbg" and btn.DIGEST.parse(data) is not None:
        units = await officer_scope(turn)
        if not units:
            await refuse(turn, "feedback_digest")
            return
        await show_digest(turn, units[0], month=fb.local_month(), edit=False)
        return
    ids = next((c.parse(data) for c in btn.DIGESTS[1:] if c.prefix == head), None)
    unit = await _unit_from(turn, ids[0]) if ids else None
    if unit is None:
        await refuse(turn, "feedback_digest")
        return
    if head == "fbd":
        year, month = divmod(ids[1], 100)
        if not 1 <= month <= 12 or not 2000 <= year <= 2100:
            await refuse(turn, "feedback_digest")
            return
        await show_digest(turn, unit, month=(year, month), edit=True)
        return
    if ids[1] >= len(fb.ABOUT_KINDS):
        await refuse(turn, "feedback_digest")
        return
    await show_digest(turn, unit, about=(fb.ABOUT_KINDS[ids[1]], ids[2]), edit=True)


async def show_digest(turn: Turn, unit: Unit, *, month: tuple[int, int] | None = None,
                      about: tuple[str, int] | None = None, edit: bool) -> None:
    d = await fb.digest(turn.session, unit.path, month=month, about=about)
    if month is not None:
        period = turn.t("feedback.digest.month", month=f"{month[1]:02d}/{month[0]}")
    else:
        title = await fb.about_title(turn.session, *about)
        period = turn.t(f"feedback.digest.about.{about[0]}", title=esc(title or f"#{about[1]}"))
    lines = [turn.t("feedback.digest.title", period=period, unit=esc(unit.name)),
             turn.t("feedback.digest.counts", total=d.total, answered=d.answered)]
    parts = ["\n".join(lines)]
    for group in d.groups:
        rows = [turn.t("feedback.digest.group", about=esc(about_label(turn.lang, group.about)), count=len(group.items))]
        for item in group.items[:DIGEST_ITEMS_PER_GROUP]:
            when = item.created_at.astimezone(tz(turn)).strftime("%d/%m")
            icon = "✅ " if item.status in (FeedbackStatus.answered, FeedbackStatus.closed) else ""
            rows.append(f"• {when} {icon}{esc(content_label(turn.lang, item.kind, item.body, item.duration, 100))}")
        if len(group.items) > DIGEST_ITEMS_PER_GROUP:
            rows.append(turn.t("feedback.digest.more", count=len(group.items) - DIGEST_ITEMS_PER_GROUP))
        parts.append("\n".join(rows))
    if d.terms:
        terms = " · ".join(f"{esc(term)} ({n})" for term, n in d.terms)
        parts.append(turn.t("feedback.digest.terms", terms=terms))
    elif d.total:
        parts.append(turn.t("feedback.digest.no_terms"))
    buttons = []
    if month is not None:
        year, mon = month
        prev = (year - 1, 12) if mon == 1 else (year, mon - 1)
        nav = [InlineKeyboardButton(turn.t("feedback.button.prev_month"), callback_data=btn.DIGEST_MONTH.data(unit.id, _month_code(*prev)))]
        if month < fb.local_month():
            nxt = (year + 1, 1) if mon == 12 else (year, mon + 1)
            nav.append(InlineKeyboardButton(turn.t("feedback.button.next_month"),
                                            callback_data=btn.DIGEST_MONTH.data(unit.id, _month_code(*nxt))))
        buttons.append(nav)
        since = clock.now() - timedelta(days=DIGEST_ABOUT_DAYS)
        for kind, ref_id in (await fb.about_refs(turn.session, unit.path, since))[:6]:
            title = await fb.about_title(turn.session, kind, ref_id)
            label = about_label(turn.lang, fb.About(kind, ref_id, title))
            buttons.append([InlineKeyboardButton(f"📊 {label}"[:60],
                                                 callback_data=btn.DIGEST_ABOUT.data(unit.id, fb.ABOUT_KINDS.index(kind), ref_id))])
    else:
        buttons.append([InlineKeyboardButton(turn.t("feedback.button.this_month"),
                                             callback_data=btn.DIGEST_MONTH.data(unit.id, _month_code(*fb.local_month())))])
    text, markup = "\n\n".join(parts), InlineKeyboardMarkup(buttons)
    turn.edit(text, markup) if edit else turn.reply(text, markup)


# --- the sweep: summaries to secretaries, replies to members ---------------------------------------




async def _forget(app: Application, session) -> None:
    """What anonymity needs done now and then: counts out of the hour go (a quiet day must not leave
    yesterday's behind), and once per process the ways back sealed under the token-derived key of
    older versions are sealed again under HANDBOOK_SEAL_KEY."""
    await fb.purge_rates(session)
    services = services_of(app)
    if not services.feedback_resealed:
        resealed = await fb.reseal_legacy(session, feedback_keys(app))
        services.feedback_resealed = True
        if resealed:
            log.info("sealed %d anonymous feedback threads again under HANDBOOK_SEAL_KEY", resealed)


async def run_sweep(app: Application) -> None:
    """One pass: a summary per officer of what arrived since the last pass, then the replies."""
    services = services_of(app)
    summaries: dict[int, dict] = {}

    def note(recipient: fb.Recipient) -> dict:
        return summaries.setdefault(recipient.telegram_user_id, {
            "lang": recipient.language or services.default_language, "cells": defaultdict(int), "corrections": 0})

    async with transaction(services.sessionmaker) as session:
        items = await fb.claim_unnotified(session)
        requests = await corrections.claim_unnotified(session)
        per_cell: dict[int, int] = defaultdict(int)
        for _, cell_id in items:
            per_cell[cell_id] += 1
        for cell_id, count in per_cell.items():
            for r in await fb.cell_officers(session, cell_id):
                note(r)["cells"][cell_id] += count
        for _, cell_id, committee, member_id in requests:
            for r in await fb.cell_officers(session, cell_id, committee_only=committee, exclude_member_id=member_id):
                note(r)["corrections"] += 1
        names = await units_model.names_by_id(session, per_cell)
        await _forget(app, session)
    for chat_id, s in summaries.items():
        lang = s["lang"]
        lines = [t(lang, "feedback.summary.title")]
        lines += [t(lang, "feedback.summary.cell", cell=esc(names.get(c, "")), count=n) for c, n in s["cells"].items()]
        rows = []
        if s["cells"]:
            rows.append([InlineKeyboardButton(t(lang, "feedback.button.open_inbox"), callback_data=btn.INBOX.data(0))])
        if s["corrections"]:
            lines.append(t(lang, "feedback.summary.corrections", count=s["corrections"]))
            rows.append([InlineKeyboardButton(t(lang, "feedback.button.open_corrections"), callback_data=corrections_buttons.LIST.data(0))])
        try:
            await app.bot.send_message(chat_id=chat_id, text="\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
        except (Forbidden, BadRequest, NetworkError, RetryAfter) as exc:
            # The items stay "new" in the list; the summary is a courtesy, not the record.
            log.warning("feedback summary not sent: %s", type(exc).__name__)
    await deliver_replies(app)


async def deliver_replies(app: Application) -> None:
    """Send every reply not yet sent; an anonymous item's way back is deleted once used."""
    services = services_of(app)
    key = feedback_keys(app)
    async with transaction(services.sessionmaker) as session:
        pending = await fb.claim_undelivered(session, key)
    for p in pending:
        delivered, retry = False, False
        if p.chat_id is not None:
            lang = p.language or services.default_language
            what = content_label(lang, p.item_kind, p.item_body, None, limit=120)
            text = t(lang, "feedback.reply_to_member", when=fmt_date(p.item_created_at, services.timezone or VIETNAM),
                     what=esc(what), text=esc(p.body))
            if p.anonymous:
                text += "\n\n" + t(lang, "feedback.reply_to_member.anonymous")
            try:
                await app.bot.send_message(chat_id=p.chat_id, text=text)
                delivered = True
            except (TimedOut, RetryAfter) as exc:
                retry = True
                log.warning("feedback reply not sent, will retry: %s", type(exc).__name__)
            except (Forbidden, BadRequest) as exc:
                log.warning("feedback reply undeliverable: %s", type(exc).__name__)
            except NetworkError as exc:
                retry = True
                log.warning("feedback reply not sent, will retry: %s", type(exc).__name__)
        async with transaction(services.sessionmaker) as session:
            again = await fb.finish_delivery(session, p.reply_id, delivered=delivered, retry=retry)
        if retry and not again:
            log.warning("feedback reply given up: it failed for %s", fb.REPLY_RETRY_FOR)


async def sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await run_sweep(context.application)


# --- wiring ------------------------------------------------------------------------------------------


def register(app: Application) -> None:
    # Group -1 runs before every other handler and stops nothing: it only forgets our step.
    app.add_handler(MessageHandler((filters.COMMAND | MENU) & filters.ChatType.PRIVATE, _leave_flow), group=-1)
    app.add_handler(CommandHandler("feedback", feedback_command))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.feedback")), feedback_command))
    fresh = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE  # an edited message is not a new answer
    typed = filters.TEXT & ~filters.COMMAND & ~MENU & fresh
    app.add_handler(MessageHandler(InFlow(app, COMPOSE) & (typed | ((filters.VOICE | filters.PHOTO) & fresh)), content))
    app.add_handler(MessageHandler(InFlow(app, REPLY) & typed, reply_text))
    app.add_handler(CallbackQueryHandler(draft_button, pattern=any_of(*btn.DRAFT)))
    app.add_handler(CallbackQueryHandler(my_item, pattern=btn.MINE.pattern))
    app.add_handler(CallbackQueryHandler(inbox, pattern=btn.INBOX.pattern))
    app.add_handler(CallbackQueryHandler(unit_button, pattern=btn.UNIT.pattern))
    app.add_handler(CallbackQueryHandler(list_button, pattern=btn.LIST.pattern))
    app.add_handler(CallbackQueryHandler(open_button, pattern=btn.OPEN.pattern))
    app.add_handler(CallbackQueryHandler(reply_button, pattern=btn.REPLY.pattern))
    app.add_handler(CallbackQueryHandler(close_button, pattern=btn.CLOSE.pattern))
    app.add_handler(CallbackQueryHandler(digest_button, pattern=any_of(*btn.DIGESTS)))
    if app.job_queue is not None:
        app.job_queue.run_repeating(sweep_job, interval=SWEEP_SECONDS, first=SWEEP_SECONDS, name="feedback_sweep")


FEATURE = Feature("feedback", register=register, commands=(Command("feedback", 60),),
                  menu=(MenuButton("menu.feedback", 50),))
