"""How a bulletin reaches a member: the voice note(s), then the text (the outbox's renderer), and the
dispatcher's tick that releases the scheduled ones."""
from __future__ import annotations

from datetime import tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import audio
from audio import AudioError, Speech
from models import bulletins
from models.db import end_read

from ..i18n import t
from ..listen import missing_packages, part_captions, plan_voice, spoken_text, synthesize_missing, voice_calls
from ..notices.render import local_day
from ..render import TextOnly, render_failed, split_message
from ..turn import esc

Call = tuple


def bulletin_head(lang: str, title: str, unit: str, day: str) -> str:
    return t(lang, "bulletin.head", unit=esc(unit), date=day, title=esc(title))



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
    head = bulletin_head(lang, title, bulletin.unit.name, local_day(bulletin.dispatched_at or bulletin.send_at, tz))
    body = esc(text)
    try:
        if speech is None or missing_packages(speech) is not None:
            raise audio.AudioUnavailable(", ".join(audio.missing_packages()) or "espeak-ng")
        plan = await plan_voice(session, speech, spoken_text(title, text), spoken_lang)
        await end_read(session)  # no transaction held while speaking
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
    return [(bulletins.BULLETIN_DELIVERY, d.id) for d in await bulletins.release_due(session)]

