"""Text → speech → a file Telegram plays as a voice note. Knows nothing of Telegram or the database.

    speech = Speech("/var/cache/handbook/audio", engine="auto")
    for part in await speech.synthesize("Chi bộ họp ngày 05/12/2026 lúc 19:30.", "vi"):
        ...  # part.path, part.mime, part.duration, part.key (store Telegram's file_id under it)
"""

import logging
import os

from audio.cache import AudioCache, CachedAudio, cache_key
from audio.encode import (
    AudioUnavailable,
    SynthesisFailed,
    available,
    missing_packages,
    mp3_duration,
    ogg_opus_duration,
)
from audio.engines import (
    ENGINE_NAMES,
    AutoEngine,
    Engine,
    EspeakEngine,
    GTTSEngine,
    Recording,
    make_engine,
)
from audio.normalize import (
    SUPPORTED_LANGUAGES,
    AudioError,
    NothingToSay,
    UnsupportedLanguage,
    normalize,
    split_into_parts,
)
from audio.speech import MAX_PART_SECONDS, AudioPart, Speech

__all__ = [
    "AudioCache",
    "AudioError",
    "AudioPart",
    "AudioUnavailable",
    "AutoEngine",
    "CachedAudio",
    "ENGINE_NAMES",
    "Engine",
    "EspeakEngine",
    "GTTSEngine",
    "MAX_PART_SECONDS",
    "NothingToSay",
    "Recording",
    "SUPPORTED_LANGUAGES",
    "Speech",
    "SynthesisFailed",
    "UnsupportedLanguage",
    "available",
    "cache_key",
    "make_engine",
    "make_speech",
    "missing_packages",
    "mp3_duration",
    "normalize",
    "ogg_opus_duration",
    "split_into_parts",
]

log = logging.getLogger("handbook.audio")


def make_speech(engine: str, cache_dir: str | os.PathLike[str], cache_bytes: int | None, rate: int | None) -> Speech | None:
    """The Speech service for the bot; None (audio unavailable, the bot still runs) when it cannot start."""
    missing = missing_packages()
    if missing and engine in ("espeak", "auto"):
        log.warning("offline speech (espeak-ng + opusenc) is unavailable: install the Debian package(s) %s "
                    "(apt-get install %s)%s", ", ".join(missing), " ".join(missing),
                    "; gTTS is used while online" if engine == "auto" else "; audio is off")
    settings = {"rate": rate} if rate and engine in ("espeak", "auto") else {}
    try:
        return Speech(cache_dir, engine, cache_bytes, **settings)
    except (OSError, ValueError, TypeError) as exc:
        log.error("audio is unavailable: the speech service could not start (%s: %s)", type(exc).__name__, exc)
        return None
