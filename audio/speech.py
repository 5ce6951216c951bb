"""The facade the bot uses: text in, a list of numbered audio parts out, each synthesised once."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio.cache import AudioCache, CachedAudio, cache_key
from audio.engines import Engine, make_engine
from audio.normalize import normalize, split_into_parts

__all__ = ["AudioPart", "Speech", "MAX_PART_SECONDS"]

MAX_PART_SECONDS = 300  # about five minutes: long enough for a bulletin, short enough to find one's place


@dataclass(frozen=True)
class AudioPart:
    """One part of a spoken text, ready to send as a voice note."""

    index: int  # 1-based
    total: int
    key: str  # the cache key; the bot stores Telegram's file_id under it
    path: Path
    mime: str  # "audio/ogg" (Opus) or "audio/mpeg"
    duration: float  # seconds
    engine: str  # the engine that spoke: "gtts" or "espeak"
    characters: int  # length of the normalised text of this part
    from_cache: bool

    def read(self) -> bytes:
        return self.path.read_bytes()


class _KeyLocks:
    """One asyncio lock per cache key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: Counter[str] = Counter()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


class Speech:
    """Synthesises texts with one engine through the on-disk cache.

    `syntheses` and `cache_hits` count parts, for the bot's metrics.
    """

    def __init__(self, cache_dir: str | os.PathLike[str], engine: Engine | str = "auto",
                 max_cache_bytes: int | None = 512 * 1024 * 1024, *,
                 max_part_seconds: float = MAX_PART_SECONDS, **engine_settings: Any) -> None:
        self.engine = make_engine(engine, **engine_settings) if isinstance(engine, str) else engine
        self.cache = AudioCache(cache_dir, max_cache_bytes)
        self.max_part_seconds = max_part_seconds
        self.syntheses = 0
        self.cache_hits = 0
        self._locks = _KeyLocks()

    def parts_of(self, text: str, lang: str) -> list[str]:
        """The normalised text in parts of at most about max_part_seconds of speech."""
        self.engine.check_language(lang)
        spoken = normalize(text, lang)
        max_chars = max(1, int(self.engine.chars_per_minute(lang) * self.max_part_seconds / 60))
        return split_into_parts(spoken, max_chars)

    def key_of(self, part_text: str, lang: str) -> str:
        return cache_key(part_text, lang, self.engine.name, self.engine.voice_settings(lang))

    async def synthesize(self, text: str, lang: str = "vi") -> list[AudioPart]:
        """Raises NothingToSay, UnsupportedLanguage, SynthesisFailed or AudioUnavailable."""
        parts = self.parts_of(text, lang)
        spoken = []
        for index, part_text in enumerate(parts, start=1):
            entry, from_cache = await self._audio_for(part_text, lang)
            spoken.append(AudioPart(index, len(parts), entry.key, entry.path, entry.mime, entry.duration,
                                    entry.engine, len(part_text), from_cache))
        return spoken

    async def _audio_for(self, part_text: str, lang: str) -> tuple[CachedAudio, bool]:
        key = self.key_of(part_text, lang)
        async with self._locks.hold(key):  # a second request for the same text waits, then finds it cached
            entry = self.cache.find(key)
            if entry is not None:
                self.cache_hits += 1
                return entry, True
            recording = await self.engine.speak(part_text, lang, self.cache.directory)
            try:
                entry = self.cache.store(key, recording.path, recording.engine)
            except BaseException:
                recording.path.unlink(missing_ok=True)
                raise
            self.syntheses += 1
            return entry, False
