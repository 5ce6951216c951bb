"""🔊 Nghe: a text as voice notes, and the button under every notice, document and resolution.

A text is spoken once per (text, language, engine) — audio/ caches the file — and uploaded to
Telegram once: the file_id Telegram returns is kept in models.bulletins.AudioFile under the
audio's cache key, and every later send, by anyone, after any restart, goes by file_id. Bulletins
(handlers/bulletins/) use the same plumbing for previews, deliveries and replays.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InputFile
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler

import audio
from audio import AudioError, AudioUnavailable, NothingToSay, Speech, SynthesisFailed, UnsupportedLanguage
from models import accounts, bulletins, notices
from models.db import transaction
from models.notices import Notice
from models.permissions import Action, may

from ..feature import Feature
from ..i18n import t
from ..render import CAPTION_LIMIT, visible_length
from ..steps import named_item, refuse
from ..turn import Turn, bot_api, esc, member_handler, services_of
from . import buttons as btn

log = logging.getLogger(__name__)

_EXTENSIONS = {"audio/ogg": ".ogg", "audio/mpeg": ".mp3"}
# A call the dispatcher (or send_calls below) makes: method, parameters, and optionally a hook run
# with a session and Telegram's result after a file was uploaded (to keep its file_id).
Hook = Callable[[AsyncSession, dict], Awaitable[None]]
Call = tuple


# --- the service -------------------------------------------------------------------------------------------
def speech_of(context) -> Speech | None:
    """The Speech service bot/app.py made (None when audio could not start); /metrics reads its counters."""
    return services_of(context).speech


def missing_packages(speech: Speech | None) -> list[str] | None:
    """None when audio can be made now; else the Debian packages to install (maybe none known)."""
    if speech is None:
        return audio.missing_packages()
    if speech.engine.name == "espeak":  # gTTS (auto) may still speak while espeak-ng is missing
        missing = audio.missing_packages()
        return missing or None
    return None


# --- a text as voice parts ------------------------------------------------------------------------------------
@dataclass
class VoicePart:
    index: int  # 1-based
    total: int
    key: str  # the audio cache key
    file_id: str | None = None  # Telegram holds it already
    duration: float = 0.0
    engine: str = ""
    mime: str = "audio/ogg"
    path: Path | None = None  # synthesised, to upload
    size: int | None = None


@dataclass
class VoicePlan:
    text: str
    lang: str
    parts: list[VoicePart]

    @property
    def missing(self) -> bool:
        return any(p.file_id is None and p.path is None for p in self.parts)

    @property
    def seconds(self) -> float:
        return sum(p.duration for p in self.parts)


def spoken_text(title: str, body: str | None) -> str:
    """The title read first, as its own sentence, then the text."""
    title = " ".join((title or "").split())
    if title and title[-1] not in ".!?…:;":
        title += "."
    return f"{title}\n\n{body.strip()}" if body and body.strip() else title


async def plan_voice(session: AsyncSession, speech: Speech, text: str, lang: str) -> VoicePlan:
    """The parts of the text and which of them Telegram already holds. No synthesis here.

    Raises NothingToSay (empty, only symbols) and UnsupportedLanguage.
    """
    texts = speech.parts_of(text, lang)
    keys = [speech.key_of(part, lang) for part in texts]
    known = await bulletins.audio_files(session, keys)
    parts = []
    for index, key in enumerate(keys, start=1):
        row = known.get(key)
        part = VoicePart(index, len(keys), key)
        if row is not None:
            part.file_id, part.duration, part.engine, part.mime, part.size = (
                row.file_id, row.duration, row.engine, row.mime, row.size)
        parts.append(part)
    return VoicePlan(text, lang, parts)


async def synthesize_missing(plan: VoicePlan, speech: Speech) -> None:
    """Speak what Telegram does not hold yet (each part once: audio/ caches by key).

    Raises AudioUnavailable, SynthesisFailed. Call it with no database transaction open.
    """
    if not plan.missing:
        return
    spoken = await speech.synthesize(plan.text, plan.lang)
    by_key = {part.key: part for part in spoken}
    for part in plan.parts:
        made = by_key.get(part.key)
        if made is None:
            raise SynthesisFailed(speech.engine.name, "the parts changed between planning and speaking")
        if part.file_id is None:
            part.path, part.duration, part.engine, part.mime = made.path, made.duration, made.engine, made.mime
            part.size = made.path.stat().st_size


def _remember(part: VoicePart) -> Hook:
    async def remember(session: AsyncSession, result: dict) -> None:
        media = result.get("voice") or result.get("audio") or result.get("document") or {}
        if media.get("file_id"):
            await bulletins.remember_audio(
                session, part.key, media["file_id"], duration=part.duration, engine=part.engine, mime=part.mime,
                size=media.get("file_size") or part.size, file_unique_id=media.get("file_unique_id"))

    return remember


def voice_calls(plan: VoicePlan, captions: list[str]) -> list[Call]:
    """sendVoice per part: by file_id when Telegram holds it, else an upload whose file_id is kept."""
    calls: list[Call] = []
    for part, caption in zip(plan.parts, captions, strict=False):
        params: dict[str, Any] = {"caption": caption, "parse_mode": "HTML",
                                  "duration": max(1, round(part.duration))}
        if part.file_id is not None:
            calls.append(("sendVoice", {"voice": part.file_id, **params}))
            continue
        if part.path is None:
            raise SynthesisFailed("speech", "a part was neither uploaded nor synthesised")
        name = f"{part.key[:16]}{_EXTENSIONS.get(part.mime, '.ogg')}"
        calls.append(("sendVoice", {"voice": InputFile(part.path.read_bytes(), filename=name), **params},
                      _remember(part)))
    return calls


def part_captions(lang: str, head: str, total: int, body: str = "") -> tuple[list[str], str]:
    """A caption per part (the head — a title of at most 200 characters — and "Phần 1/3"), the
    text under the last one when it fits; returns (captions, the text still to send as messages)."""
    captions = []
    for index in range(1, total + 1):
        caption = head if total == 1 else f"{head}\n{t(lang, 'listen.part', index=index, total=total)}"
        captions.append(caption)
    rest = body
    if body and visible_length(f"{captions[-1]}\n\n{body}") <= CAPTION_LIMIT:
        captions[-1] = f"{captions[-1]}\n\n{body}"
        rest = ""
    return captions, rest


async def send_calls(bot, sessionmaker, chat_id: int, calls: list[Call]) -> list[Any]:
    """Make the calls in order to one chat; after an upload, keep its file_id for everyone else."""
    results = []
    for method, params, *hook in calls:
        result = await bot_api(bot, method, {"chat_id": chat_id, **params})
        if hook and isinstance(result, dict):
            try:
                async with transaction(sessionmaker) as session:
                    await hook[0](session, result)
            except Exception:  # the member heard it; the next send just uploads again
                log.exception("could not keep the file_id of an uploaded voice note")
        results.append(result)
    return results


# --- speaking to the person who asked ---------------------------------------------------------------------------
def problem_key(exc: AudioError) -> str:
    if isinstance(exc, NothingToSay):
        return "listen.nothing"
    if isinstance(exc, UnsupportedLanguage):
        return "listen.language"
    if isinstance(exc, AudioUnavailable):
        return "listen.unavailable"
    return "listen.failed"


async def speak_to(turn: Turn, speech: Speech | None, text: str, lang: str, captions, *,
                   after: list[Call] = ()) -> bool:
    """Plan now, then (after the commit) synthesise what is missing and send the voice notes to
    the caller, followed by `after`. `captions(total)` gives the parts' captions. False when
    nothing will be sent (the caller was told why)."""
    if missing_packages(speech) is not None:
        _tell(turn, "listen.unavailable")
        return False
    try:
        plan = await plan_voice(turn.session, speech, text, lang)
    except (NothingToSay, UnsupportedLanguage) as exc:
        _tell(turn, problem_key(exc))
        return False
    bot, chat_id, lang_ui = turn.context.bot, turn.chat_id, turn.lang
    sessionmaker = turn.services.sessionmaker

    async def speak() -> None:
        if plan.missing:
            await bot.send_chat_action(chat_id, ChatAction.RECORD_VOICE)
            try:
                await synthesize_missing(plan, speech)
            except AudioError as exc:
                log.warning("no audio for a %d-character text (%s): %s", len(text), type(exc).__name__, exc)
                await bot.send_message(chat_id, t(lang_ui, problem_key(exc)))
                return
        await send_calls(bot, sessionmaker, chat_id, voice_calls(plan, captions(len(plan.parts))) + list(after))

    turn.later(speak)
    return True


def _tell(turn: Turn, key: str) -> None:
    if turn.update.callback_query is not None:
        turn.answer(turn.t(key), alert=True)
    else:
        turn.reply(turn.t(key))


# --- the 🔊 Nghe button under notices, documents and resolutions -------------------------------------------------
def listen_button_data(notice_id: int) -> str:
    return btn.HEAR.data(notice_id)


async def notice_language(session: AsyncSession, notice: Notice, default: str) -> str:
    """A notice is spoken in the language its sender uses (what it is written in)."""
    if notice.sender_member_id is None:
        return default
    lang = await accounts.language_of_member(session, notice.sender_member_id)
    return lang if lang in audio.SUPPORTED_LANGUAGES else default


@member_handler
async def hear_notice(turn: Turn):
    notice = await named_item(turn, btn.HEAR, notices.get_notice)
    allowed = notice is not None and (
        may(turn.actor, Action.view_reports, notice.unit.path)
        or (turn.actor.member_id is not None and notice.sender_member_id == turn.actor.member_id)
        or await notices.addressee(turn.session, notice.id, turn.actor.member_id) is not None
    )
    if not allowed:
        await refuse(turn, "listen_notice")
        return
    lang = await notice_language(turn.session, notice, turn.services.default_language)
    head = t(turn.lang, "listen.caption", title=esc(notice.title))
    if await speak_to(turn, speech_of(turn.context), spoken_text(notice.title, notice.body), lang,
                      lambda total: part_captions(turn.lang, head, total)[0]):
        turn.answer(turn.t("listen.preparing"))


def register(app) -> None:
    app.add_handler(CallbackQueryHandler(hear_notice, pattern=btn.HEAR.pattern))


FEATURE = Feature("listen", register=register)
