"""/bulletin step by step: the unit, a title and a text (typed, pasted in several messages, or taken
from a notice, document or resolution), the preview as a voice note, then send now or at a time —
the 1st of the month at 08:00 in one tap."""
from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

import audio
from audio import AudioError, NothingToSay, UnsupportedLanguage
from audio.encode import DEBIAN_PACKAGES
from models import bulletins, clock, notices, one_line, units
from models.bulletins import Bulletin, BulletinError
from models.notices import Notice
from models.permissions import Action, may, scope_paths, sending_units
from models.units import Unit

from ..i18n import fmt_date
from ..listen import (
    missing_packages,
    part_captions,
    plan_voice,
    send_calls,
    speech_of,
    spoken_text,
    synthesize_missing,
    voice_calls,
)
from ..live_status import tell_outbox
from ..notices.render import EMOJI, button_title
from ..steps import any_or_refuse, one_line_form, pressed, refuse, stale_buttons, typed_moment, typed_title
from ..turn import Turn, esc, member_handler
from . import buttons as btn

DRAFT = "bulletin_draft"
UNIT, TITLE, BODY, CONFIRM, WHEN, AT = range(6)
SOURCES_SHOWN = 6


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


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
    scopes = await any_or_refuse(turn, _scopes(turn), "bulletin")
    if not scopes:
        return ConversationHandler.END
    if missing_packages(speech_of(turn.context)) is not None:
        turn.reply(_unavailable_text(turn))
        return ConversationHandler.END
    draft = turn.context.user_data[DRAFT] = {"lang": turn.lang, "text": ""}
    if turn.args:
        line = one_line_form(turn, one_line.bulletin_line, "bulletin.one_line_usage")
        if line is None:
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
    title = button_title(notice.title)
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
    notice = await pressed(turn, btn.SOURCE, notices.get_notice, _may_read_out, "bulletin_source")
    if notice is None:
        return TITLE
    draft = _draft(turn)
    draft.update(title=notice.title, text=notice.body, source=notice.id)
    turn.edit(turn.t("bulletin.source_chosen", title=esc(notice.title)))
    return await _preview(turn)


@member_handler
async def got_title(turn: Turn):
    if not typed_title(turn, _draft(turn), bulletins.TITLE_MAX, "bulletin.error.title_long"):
        return TITLE
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
    at = typed_moment(turn, bulletins.parse_when, BulletinError, "bulletin.error")
    if at is None:
        return AT
    return await _scheduled(turn, at, edit=False)


async def _scheduled(turn: Turn, at: datetime, *, edit: bool):
    bulletin = await _create(turn, at)
    if bulletin is None:
        return AT if not edit else ConversationHandler.END
    text = turn.t("bulletin.scheduled", title=esc(bulletin.title), when=fmt_date(at, turn.services.timezone))
    turn.edit(text) if edit else turn.reply(text, turn.menu())
    return ConversationHandler.END


stale_step = stale_buttons(btn.CONVERSATION, "bulletin.expired")  # a button of a conversation that is over

