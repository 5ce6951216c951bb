"""/bulletin and /bulletins: the monthly audio bulletin (bản tin âm thanh) for members who listen.

An officer gives a title and a text (typed, pasted in several messages, or taken from a notice,
document or resolution), hears the preview as a voice note, then sends it now or at a time —
the 1st of the month at 08:00 in one tap. Sending never happens here: models.bulletins queues one
delivery per member and the dispatcher renders each with `renderers(speech)` below: the voice
note(s) by file_id, the title and the text underneath. Members list past bulletins and hear them
again from /bulletins (or the 🔊 Bản tin âm thanh button).
"""
from __future__ import annotations

import math
import warnings
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

import audio
from audio import AudioError, NothingToSay, Speech, UnsupportedLanguage
from audio.encode import DEBIAN_PACKAGES
from models import bulletins, clock, notices, one_line, units
from models.bulletins import Bulletin, BulletinError
from models.callback_data import any_of
from models.notices import Notice
from models.permissions import Action, may, scope_paths, sending_units
from models.units import Unit

from .buttons import bulletins as btn
from .cancel import cancel
from .feature import Command, Feature, MenuButton
from .i18n import fmt_date, t
from .keyboards import main_menu, menu_pattern, pager
from .listen import (
    missing_packages,
    part_captions,
    plan_voice,
    send_calls,
    speak_to,
    speech_of,
    spoken_text,
    synthesize_missing,
    voice_calls,
)
from .live_status import tell_outbox
from .notices import EMOJI
from .render import TextOnly, render_failed, split_message
from .steps import refuse
from .turn import Turn, esc, member_handler

DRAFT = "bulletin_draft"
UNIT, TITLE, BODY, CONFIRM, WHEN, AT = range(6)
PAGE_SIZE = 8
SOURCES_SHOWN = 6
BUTTON_TITLE = 48
Call = tuple


# --- how a bulletin looks on a member's phone --------------------------------------------------------------------
def _local_day(value: datetime, tz: tzinfo | None) -> str:
    return fmt_date((value.astimezone(tz) if tz else value).date())


def bulletin_head(lang: str, title: str, unit: str, day: str) -> str:
    return t(lang, "bulletin.head", unit=esc(unit), date=day, title=esc(title))


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _text_calls(text: str) -> list[Call]:
    return [("sendMessage", {"text": chunk, "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}})
            for chunk in split_message(text)] if text else []


async def render_bulletin(session: AsyncSession, speech: Speech | None, bulletin_id: int, lang: str,
                          tz: tzinfo | None) -> list[Call]:
    """The voice note(s) — by file_id, or uploaded once — then the text that did not fit the caption.

    When no audio can be made (espeak-ng missing, every engine failing, a bug) the member still gets
    the text, with a line saying the audio is missing: a bulletin is never lost for want of a voice
    (the delivery is marked text only; a bug is logged and counted, handlers.render.render_failed).
    """
    bulletin = await bulletins.get_bulletin(session, bulletin_id)
    if bulletin is None or bulletin.cancelled_at is not None:
        return []
    title, text, spoken_lang = bulletin.title, bulletin.text, bulletin.lang
    head = bulletin_head(lang, title, bulletin.unit.name, _local_day(bulletin.dispatched_at or bulletin.send_at, tz))
    body = esc(text)
    try:
        if speech is None or missing_packages(speech) is not None:
            raise audio.AudioUnavailable(", ".join(audio.missing_packages()) or "espeak-ng")
        plan = await plan_voice(session, speech, spoken_text(title, text), spoken_lang)
        await session.rollback()  # no transaction held while speaking
        await synthesize_missing(plan, speech)
        captions, rest = part_captions(lang, head, len(plan.parts), body)
        return voice_calls(plan, captions) + _text_calls(rest)
    except Exception as exc:  # no audio to be had (AudioError), or a bug in speaking: the text goes all the same
        if not isinstance(exc, AudioError):
            render_failed(bulletins.BULLETIN_DELIVERY, exc)
        return TextOnly(_text_calls(f"{head}\n\n{body}\n\n{t(lang, 'bulletin.no_audio')}"), missing="audio")


def renderers(speech: Speech | None) -> dict[str, Any]:
    """The dispatcher's renderers of this feature, bound to the bot's Speech service (bot/app.py)."""

    async def render(session: AsyncSession, bulletin_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
        return await render_bulletin(session, speech, bulletin_id, lang, tz)

    return {bulletins.BULLETIN_DELIVERY: render}


async def release_due(session: AsyncSession) -> list[tuple[str, int]]:
    """The dispatcher's tick: scheduled bulletins whose time has come go into the outbox."""
    return [(bulletins.BULLETIN_DELIVERY, d.bulletin_id) for d in await bulletins.release_due(session)]


# --- who may send where ----------------------------------------------------------------------------------------------
async def _scopes(turn: Turn) -> list[Unit]:
    """The topmost units this officer may send to: their cell, or their committee's subtree."""
    return await sending_units(turn.session, turn.actor)


def _unavailable_text(turn: Turn) -> str:
    packages = missing_packages(speech_of(turn.context)) or []
    return turn.t("bulletin.unavailable", packages=", ".join(packages or DEBIAN_PACKAGES.values()))


# --- /bulletin step by step ----------------------------------------------------------------------------------------
def _draft(turn: Turn) -> dict:
    return turn.context.user_data.setdefault(DRAFT, {})


@member_handler
async def bulletin_command(turn: Turn):
    scopes = await _scopes(turn)
    if not scopes:
        await refuse(turn, "bulletin")
        return ConversationHandler.END
    if missing_packages(speech_of(turn.context)) is not None:
        turn.reply(_unavailable_text(turn))
        return ConversationHandler.END
    draft = turn.context.user_data[DRAFT] = {"lang": turn.lang, "text": ""}
    if turn.args:
        try:
            line = one_line.bulletin_line(turn.args)
        except one_line.Usage:
            turn.reply(turn.t("bulletin.one_line_usage"))
            return ConversationHandler.END
        draft["title"], draft["text"] = line.title, line.text
    if len(scopes) > 1:
        rows = [[InlineKeyboardButton(u.name[:60], callback_data=btn.UNIT.data(u.id))] for u in scopes]
        turn.reply(turn.t("bulletin.ask_unit"), InlineKeyboardMarkup(rows))
        return UNIT
    draft["unit"] = scopes[0].id
    return await _after_unit(turn)


@member_handler
async def chose_unit(turn: Turn):
    ids = btn.UNIT.parse(turn.update.callback_query.data)
    scopes = {u.id: u for u in await _scopes(turn)}
    if ids is None or ids[0] not in scopes:
        await refuse(turn, "bulletin_unit")
        return ConversationHandler.END
    _draft(turn)["unit"] = ids[0]
    turn.edit(turn.t("bulletin.unit_chosen", unit=esc(scopes[ids[0]].name)))
    return await _after_unit(turn)


async def _after_unit(turn: Turn):
    draft = _draft(turn)
    if draft.get("title") and draft.get("text"):
        return await _preview(turn)
    rows = [[InlineKeyboardButton(_source_label(n), callback_data=btn.SOURCE.data(n.id))] for n in await _sources(turn)]
    turn.reply(turn.t("bulletin.ask_title", limit=bulletins.TITLE_MAX), InlineKeyboardMarkup(rows) if rows else None)
    return TITLE


def _source_label(notice: Notice) -> str:
    title = notice.title if len(notice.title) <= BUTTON_TITLE else notice.title[:BUTTON_TITLE - 1] + "…"
    return f"{EMOJI[notice.kind]} {title}"


async def _sources(turn: Turn) -> list[Notice]:
    """Recent notices the officer's units sent and documents their cell received: a text to read out."""
    paths = scope_paths(turn.actor, Action.view_reports)
    found: dict[int, Notice] = {}
    for item in (await notices.sent_from(turn.session, paths, 0, SOURCES_SHOWN)).items:
        found[item.notice.id] = item.notice
    if turn.actor.member_id is not None:
        for item in (await notices.documents(turn.session, turn.actor.member_id, None, 0, SOURCES_SHOWN)).items:
            found.setdefault(item.notice.id, item.notice)
    newest = sorted(found.values(), key=lambda n: (n.dispatched_at or n.send_at, n.id), reverse=True)
    return [n for n in newest if n.body.strip()][:SOURCES_SHOWN]


async def _may_read_out(turn: Turn, notice: Notice) -> bool:
    if may(turn.actor, Action.view_reports, notice.unit.path) or notice.sender_member_id == turn.actor.member_id:
        return True
    if turn.actor.member_id is None:
        return False
    return await notices.is_recipient(turn.session, notice.id, turn.actor.member_id)


@member_handler
async def chose_source(turn: Turn):
    ids = btn.SOURCE.parse(turn.update.callback_query.data)
    notice = await notices.get_notice(turn.session, ids[0]) if ids else None
    if notice is None or not await _may_read_out(turn, notice):
        await refuse(turn, "bulletin_source")
        return TITLE
    draft = _draft(turn)
    draft.update(title=notice.title, text=notice.body, source=notice.id)
    turn.edit(turn.t("bulletin.source_chosen", title=esc(notice.title)))
    return await _preview(turn)


@member_handler
async def got_title(turn: Turn):
    title = " ".join(turn.text.split())
    if not title or len(title) > bulletins.TITLE_MAX:
        turn.reply(turn.t("bulletin.error.title_long", limit=bulletins.TITLE_MAX))
        return TITLE
    _draft(turn)["title"] = title
    turn.reply(turn.t("bulletin.ask_text"))
    return BODY


def _preview_button(turn: Turn) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("bulletin.button.preview"), callback_data=btn.PREVIEW.data("go"))]])


@member_handler
async def got_text(turn: Turn):
    """A long text pasted in Telegram arrives as several messages: they are joined until "Nghe thử"."""
    draft = _draft(turn)
    part = turn.text.strip()
    if part:
        draft["text"] = f"{draft['text']}\n\n{part}" if draft.get("text") else part
    if len(draft.get("text", "")) > bulletins.TEXT_MAX:
        draft["text"] = ""
        turn.reply(turn.t("bulletin.error.text_long", limit=bulletins.TEXT_MAX))
        return BODY
    turn.reply(turn.t("bulletin.text_received", count=len(draft.get("text", ""))), _preview_button(turn))
    return BODY


@member_handler
async def preview_pressed(turn: Turn):
    turn.edit(turn.t("bulletin.preparing"))
    return await _preview(turn)


async def _preview(turn: Turn):
    """Synthesise (off the event loop: audio/ runs engines in threads and subprocesses), send the
    preview to the sender as a voice note, then ask: send now, schedule, or cancel."""
    draft = _draft(turn)
    if not draft.get("title"):
        turn.reply(turn.t("bulletin.expired"))
        return ConversationHandler.END
    if not (draft.get("text") or "").strip():
        turn.reply(turn.t("bulletin.ask_text"))
        return BODY
    speech = speech_of(turn.context)
    if missing_packages(speech) is not None:
        turn.reply(_unavailable_text(turn))
        return ConversationHandler.END
    try:
        audio.normalize(draft["text"], draft["lang"])  # the text itself must say something, not just the title
        plan = await plan_voice(turn.session, speech, spoken_text(draft["title"], draft["text"]), draft["lang"])
    except NothingToSay:
        draft["text"] = ""
        turn.reply(turn.t("bulletin.error.nothing"))
        return BODY
    except UnsupportedLanguage:
        turn.reply(turn.t("listen.language"))
        return ConversationHandler.END
    unit = await units.get_unit(turn.session, draft["unit"])
    members, linked = await notices.audience_size(turn.session, [unit.id], exclude_member_id=turn.actor.member_id)
    await turn.commit_early()  # no transaction held while speaking
    try:
        await synthesize_missing(plan, speech)
    except audio.AudioUnavailable:
        turn.reply(_unavailable_text(turn))
        return ConversationHandler.END
    except AudioError:
        turn.reply(turn.t("listen.failed"), _preview_button(turn))
        return BODY
    head = turn.t("bulletin.preview_head", title=esc(draft["title"]))
    calls = voice_calls(plan, part_captions(turn.lang, head, len(plan.parts))[0])
    bot, chat_id, sessionmaker = turn.context.bot, turn.chat_id, turn.services.sessionmaker

    async def send_preview() -> None:
        await send_calls(bot, sessionmaker, chat_id, calls)

    turn.later(send_preview)
    summary = turn.t("bulletin.summary", title=esc(draft["title"]), parts=len(plan.parts),
                     duration=_duration(plan.seconds), unit=esc(unit.name), members=members, linked=linked)
    turn.reply(summary, _confirm_keyboard(turn))
    return CONFIRM


def _confirm_keyboard(turn: Turn) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(turn.t("bulletin.button.send_now"), callback_data=btn.CONFIRM.data("now")),
         InlineKeyboardButton(turn.t("bulletin.button.schedule"), callback_data=btn.CONFIRM.data("when"))],
        [InlineKeyboardButton(turn.t("bulletin.button.cancel"), callback_data=btn.CONFIRM.data("no"))],
    ])


async def _create(turn: Turn, send_at: datetime | None) -> Bulletin | None:
    draft = turn.context.user_data.get(DRAFT) or {}
    if not all(draft.get(k) for k in ("unit", "title", "text", "lang")):
        turn.edit(turn.t("bulletin.expired"))
        return None
    try:
        bulletin = await bulletins.create_bulletin(
            turn.session, turn.actor, unit_id=draft["unit"], title=draft["title"], text=draft["text"],
            lang=draft["lang"], send_at=send_at, source_notice_id=draft.get("source"))
    except BulletinError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "bulletin_send")
        else:
            turn.reply(turn.t(f"bulletin.error.{exc.reason}", limit=bulletins.TITLE_MAX))
        return None
    turn.context.user_data.pop(DRAFT, None)
    return bulletin


@member_handler
async def confirmed(turn: Turn):
    (choice,) = btn.CONFIRM.parse(turn.update.callback_query.data)
    if choice == "no":
        turn.context.user_data.pop(DRAFT, None)
        turn.edit(turn.t("cancel.done"))
        return ConversationHandler.END
    if choice == "when":
        return await _ask_when(turn)
    bulletin = await _create(turn, None)
    if bulletin is None:
        return ConversationHandler.END
    turn.edit(turn.t("bulletin.queued", title=esc(bulletin.title), count=bulletin.recipients))
    tell_outbox(turn, bulletins.BULLETIN_DELIVERY, wake=True)
    return ConversationHandler.END


async def _ask_when(turn: Turn):
    draft = _draft(turn)
    tz = turn.services.timezone
    slot = await bulletins.next_monthly_slot(turn.session, draft["unit"], tz)
    draft["slot"] = slot.isoformat()
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(turn.t("bulletin.button.monthly", when=fmt_date(slot, tz)), callback_data=btn.WHEN.data("slot"))],
        [InlineKeyboardButton(turn.t("bulletin.button.other_time"), callback_data=btn.WHEN.data("at"))],
        [InlineKeyboardButton(turn.t("bulletin.button.cancel"), callback_data=btn.CONFIRM.data("no"))],
    ])
    turn.edit(turn.t("bulletin.ask_when"), markup)
    return WHEN


@member_handler
async def chose_when(turn: Turn):
    (choice,) = btn.WHEN.parse(turn.update.callback_query.data)
    draft = _draft(turn)
    if choice == "at":
        tz = turn.services.timezone
        slot = datetime.fromisoformat(draft["slot"]) if draft.get("slot") else bulletins.monthly_slot(tz, clock.now())
        turn.edit(turn.t("bulletin.ask_at", example=fmt_date(slot, tz)))
        return AT
    if not draft.get("slot"):
        turn.edit(turn.t("bulletin.expired"))
        return ConversationHandler.END
    return await _scheduled(turn, datetime.fromisoformat(draft["slot"]), edit=True)


@member_handler
async def got_at(turn: Turn):
    try:
        at = bulletins.parse_when(turn.text, turn.services.timezone)
    except BulletinError as exc:
        turn.reply(turn.t(f"bulletin.error.{exc.reason}"))
        return AT
    return await _scheduled(turn, at, edit=False)


async def _scheduled(turn: Turn, at: datetime, *, edit: bool):
    bulletin = await _create(turn, at)
    if bulletin is None:
        return AT if not edit else ConversationHandler.END
    text = turn.t("bulletin.scheduled", title=esc(bulletin.title), when=fmt_date(at, turn.services.timezone))
    turn.edit(text) if edit else turn.reply(text, main_menu(turn.lang))
    return ConversationHandler.END


@member_handler
async def stale_step(turn: Turn):
    """A button of a /bulletin conversation that is over."""
    turn.answer(turn.t("bulletin.expired"), alert=True)


# --- /bulletins: hear past bulletins again; what is scheduled -----------------------------------------------------------
def _item_button(turn: Turn, bulletin: Bulletin, data: str, when: datetime) -> InlineKeyboardButton:
    title = bulletin.title if len(bulletin.title) <= BUTTON_TITLE else bulletin.title[:BUTTON_TITLE - 1] + "…"
    return InlineKeyboardButton(f"🔊 {_local_day(when, turn.services.timezone)} · {title}", callback_data=data)


async def show_list(turn: Turn, page: int, *, edit: bool) -> None:
    result = await bulletins.heard_by(turn.session, turn.actor.member_id, page * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, math.ceil(result.total / PAGE_SIZE))
    rows = [[_item_button(turn, b, btn.PLAY.data(b.id), b.dispatched_at)] for b in result.items]
    nav = pager(btn.LIST_PAGE, page, pages, turn.lang)
    if nav:
        rows.append(nav)
    if turn.actor.is_officer:
        rows.append([InlineKeyboardButton(turn.t("bulletin.button.scheduled_list"), callback_data=btn.SCHEDULED.data(0))])
    text = turn.t("bulletin.list_header", total=result.total) if result.total else turn.t("bulletin.list_empty")
    markup = InlineKeyboardMarkup(rows) if rows else None
    turn.edit(text, markup) if edit else turn.reply(text, markup)


@member_handler
async def list_command(turn: Turn):
    await show_list(turn, 0, edit=False)


@member_handler
async def list_page(turn: Turn):
    ids = btn.LIST_PAGE.parse(turn.update.callback_query.data)
    if ids is None:
        await refuse(turn, "bulletin_list")
        return
    await show_list(turn, ids[0], edit=True)


@member_handler
async def play_pressed(turn: Turn):
    ids = btn.PLAY.parse(turn.update.callback_query.data)
    bulletin = await bulletins.get_bulletin(turn.session, ids[0]) if ids else None
    if bulletin is None or not await bulletins.may_hear(turn.session, turn.actor, bulletin):
        await refuse(turn, "bulletin_play")
        return
    tz = turn.services.timezone
    head = bulletin_head(turn.lang, bulletin.title, bulletin.unit.name,
                         _local_day(bulletin.dispatched_at or bulletin.send_at, tz))
    if await speak_to(turn, speech_of(turn.context), spoken_text(bulletin.title, bulletin.text), bulletin.lang,
                      lambda total: part_captions(turn.lang, head, total)[0]):
        turn.answer(turn.t("listen.preparing"))


async def _show_scheduled(turn: Turn) -> None:
    paths = scope_paths(turn.actor, Action.view_reports)
    waiting = await bulletins.scheduled(turn.session, paths)
    tz = turn.services.timezone
    if not waiting:
        turn.edit(turn.t("bulletin.scheduled_empty"))
        return
    lines = [turn.t("bulletin.scheduled_header", count=len(waiting))]
    rows = []
    for b in waiting:
        lines.append(turn.t("bulletin.scheduled_line", when=fmt_date(b.send_at, tz), unit=esc(b.unit.name),
                            title=esc(b.title)))
        rows.append([InlineKeyboardButton(turn.t("bulletin.button.withdraw", title=b.title[:BUTTON_TITLE]),
                                          callback_data=btn.WITHDRAW.data(b.id))])
    turn.edit("\n".join(lines), InlineKeyboardMarkup(rows))


@member_handler
async def scheduled_pressed(turn: Turn):
    if btn.SCHEDULED.parse(turn.update.callback_query.data) is None or not turn.actor.is_officer:
        await refuse(turn, "bulletin_scheduled")
        return
    await _show_scheduled(turn)


@member_handler
async def withdraw_pressed(turn: Turn):
    ids = btn.WITHDRAW.parse(turn.update.callback_query.data)
    if ids is None or not await bulletins.cancel(turn.session, turn.actor, ids[0]):
        turn.answer(turn.t("bulletin.withdraw_failed"), alert=True)
        return
    turn.answer(turn.t("bulletin.withdrawn"))
    await _show_scheduled(turn)


# --- wiring -----------------------------------------------------------------------------------------------------------
def register(app) -> None:
    text = filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # Buttons of each step are answered by this user's conversation, whatever message they sit on.
        warnings.simplefilter("ignore", PTBUserWarning)
        conversation = ConversationHandler(
            entry_points=[CommandHandler("bulletin", bulletin_command)],
            states={
                UNIT: [CallbackQueryHandler(chose_unit, pattern=btn.UNIT.pattern)],
                TITLE: [CallbackQueryHandler(chose_source, pattern=btn.SOURCE.pattern), MessageHandler(text, got_title)],
                BODY: [CallbackQueryHandler(preview_pressed, pattern=btn.PREVIEW.exact), MessageHandler(text, got_text)],
                CONFIRM: [CallbackQueryHandler(confirmed, pattern=btn.CONFIRM.exact)],
                WHEN: [CallbackQueryHandler(chose_when, pattern=btn.WHEN.exact),
                       CallbackQueryHandler(confirmed, pattern=btn.CONFIRM.only("no"))],
                AT: [MessageHandler(text, got_at)],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            conversation_timeout=1800,
            allow_reentry=True,
            name="bulletin",
        )
    app.add_handler(conversation)
    app.add_handler(CallbackQueryHandler(stale_step, pattern=any_of(*btn.CONVERSATION)))
    app.add_handler(CommandHandler("bulletins", list_command))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.bulletins")), list_command))
    app.add_handler(CallbackQueryHandler(list_page, pattern=btn.LIST_PAGE.pattern))
    app.add_handler(CallbackQueryHandler(play_pressed, pattern=btn.PLAY.pattern))
    app.add_handler(CallbackQueryHandler(scheduled_pressed, pattern=btn.SCHEDULED.pattern))
    app.add_handler(CallbackQueryHandler(withdraw_pressed, pattern=btn.WITHDRAW.pattern))


FEATURE = Feature(
    "bulletins",
    register=register,
    commands=(Command("bulletins", 70), Command("bulletin", 150, officer=True)),
    menu=(MenuButton("menu.bulletins", 60),),
    renderers=lambda services: renderers(services.speech if services else None),
    ticks=(release_due,),
)
