"""Text → speech → a file Telegram plays as a voice note. Knows nothing of Telegram or the database.

    speech = Speech("/var/cache/handbook/audio", engine="auto")
    for part in await speech.synthesize("Chi bộ họp ngày 05/12/2026 lúc 19:30.", "vi"):
        ...  # part.path, part.mime, part.duration, part.key (store Telegram's file_id under it)
"""

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
    "missing_packages",
    "mp3_duration",
    "normalize",
    "ogg_opus_duration",
    "split_into_parts",
]
