"""Speech engines behind one interface: gTTS (online), espeak-ng (offline) and auto (both).

An engine turns already-normalised text into one audio file in a directory. It writes to a
temporary name and renames only on success, so a failure leaves no partial file behind.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from gtts import gTTS, gTTSError

from audio.encode import MP3_MIME, OGG_MIME, SynthesisFailed, espeak_to_opus
from audio.normalize import SUPPORTED_LANGUAGES, UnsupportedLanguage, split_into_parts

__all__ = [
    "Recording",
    "Engine",
    "GTTSEngine",
    "EspeakEngine",
    "AutoEngine",
    "Throttle",
    "ENGINE_NAMES",
    "make_engine",
    "TEMPORARY_PREFIX",
]

log = logging.getLogger(__name__)
logging.getLogger("gtts").setLevel(logging.INFO)  # gTTS logs the members' text itself at DEBUG

TEMPORARY_PREFIX = ".tmp-"  # files the cache may sweep away if a crash left them behind
_EXTENSIONS = {OGG_MIME: ".ogg", MP3_MIME: ".mp3"}


@dataclass(frozen=True)
class Recording:
    """A finished audio file, not yet in the cache."""

    path: Path
    mime: str
    engine: str  # the engine that actually spoke ("gtts" or "espeak", never "auto")


def _temporary(directory: Path, mime: str) -> tuple[Path, Path]:
    """(partial path written while speaking, finished path it is renamed to on success)."""
    stem = f"{TEMPORARY_PREFIX}{uuid.uuid4().hex}{_EXTENSIONS[mime]}"
    return directory / f"{stem}.partial", directory / stem


class Engine(ABC):
    name: str
    mime: str  # of the files it writes (auto writes none itself: its engines do)
    languages: frozenset[str] = frozenset(SUPPORTED_LANGUAGES)

    @abstractmethod
    def voice_settings(self, lang: str) -> dict[str, object]:
        """What changes the sound for this language; part of the cache key."""

    @abstractmethod
    def chars_per_minute(self, lang: str) -> float:
        """A conservative estimate of how fast this engine reads, to cut long texts into parts."""

    @abstractmethod
    async def speak(self, text: str, lang: str, directory: Path) -> Recording:
        """Speaks normalised text into a new file in directory; raises SynthesisFailed."""

    def check_language(self, lang: str) -> None:
        if lang not in self.languages:
            raise UnsupportedLanguage(lang)

    async def _record(self, directory: Path, write: Callable[[Path], Awaitable[None]], empty: str) -> Recording:
        """write(partial) makes the file; renamed into place when it holds audio, else removed (SynthesisFailed)."""
        partial, finished = _temporary(directory, self.mime)
        try:
            await write(partial)
            if not partial.exists() or partial.stat().st_size == 0:
                raise SynthesisFailed(self.name, empty)
            partial.rename(finished)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return Recording(finished, self.mime, self.name)


class Throttle:
    """A minimum interval between requests, because Google answers bursts with 429."""

    def __init__(self, min_interval: float):
        self.min_interval = min_interval
        self._last = -math.inf
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            delay = self._last + self.min_interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._last = time.monotonic()


class GTTSEngine(Engine):
    """Google Translate's voice (MP3, returned as is: sendVoice plays MP3 and we need no decoder)."""

    name = "gtts"
    mime = MP3_MIME
    max_request_chars = 100  # what one Google request takes; longer texts are sent in pieces
    _chars_per_minute = {"vi": 850.0, "en": 850.0, "bn": 650.0}

    def __init__(self, *, timeout: float = 10.0, min_interval: float = 0.5, tld: str = "com",
                 slow: bool = False):
        if not timeout or timeout <= 0:
            raise ValueError("gTTS needs a positive timeout: without one a dead connection hangs forever")
        self.timeout = timeout
        self.tld = tld
        self.slow = slow
        self.throttle = Throttle(min_interval)

    def voice_settings(self, lang: str) -> dict[str, object]:
        return {"tld": self.tld, "slow": self.slow}

    def chars_per_minute(self, lang: str) -> float:
        return self._chars_per_minute[lang] * (0.6 if self.slow else 1.0)

    async def speak(self, text: str, lang: str, directory: Path) -> Recording:
        self.check_language(lang)

        async def write(partial: Path) -> None:
            with open(partial, "wb") as audio:
                for piece in split_into_parts(text, self.max_request_chars):
                    audio.write(await self._fetch(piece, lang))

        return await self._record(directory, write, "no audio in Google's answer")

    async def _fetch(self, piece: str, lang: str) -> bytes:
        await self.throttle.wait()
        try:
            # requests' timeout bounds each read; wait_for bounds the whole request as well.
            return await asyncio.wait_for(asyncio.to_thread(self._request, piece, lang), self.timeout * 2)
        except TimeoutError:
            raise SynthesisFailed(self.name, f"no answer within {self.timeout * 2:g} s") from None
        except gTTSError as error:
            status = error.rsp.status_code if error.rsp is not None else None
            raise SynthesisFailed(self.name, str(error), status) from error
        except requests.RequestException as error:
            raise SynthesisFailed(self.name, type(error).__name__) from error

    def _request(self, piece: str, lang: str) -> bytes:
        buffer = io.BytesIO()
        tts = gTTS(piece, lang=lang, tld=self.tld, slow=self.slow, lang_check=False, timeout=self.timeout)
        try:
            tts.write_to_fp(buffer)
        except AssertionError:  # gTTS found nothing to say in this piece (only punctuation)
            return b""
        return buffer.getvalue()


class EspeakEngine(Engine):
    """espeak-ng, offline, encoded to OGG/Opus; slower than espeak's 175 wpm for older listeners."""

    name = "espeak"
    mime = OGG_MIME
    default_voices: Mapping[str, str] = {"vi": "vi", "en": "en", "bn": "bn"}
    default_rates: Mapping[str, int] = {"vi": 140, "en": 150, "bn": 140}
    _chars_per_word = {"vi": 5.8, "en": 6.8, "bn": 4.4}  # measured with espeak-ng 1.51, rounded down

    def __init__(self, *, rate: int | None = None, rates: Mapping[str, int] | None = None,
                 voices: Mapping[str, str] | None = None, pitch: int = 50, bitrate: int = 24):
        self.rates = {**self.default_rates, **(rates or {})}
        if rate is not None:
            self.rates = {lang: rate for lang in self.rates}
        self.voices = {**self.default_voices, **(voices or {})}
        self.pitch = pitch
        self.bitrate = bitrate

    def voice_settings(self, lang: str) -> dict[str, object]:
        return {"voice": self.voices[lang], "rate": self.rates[lang], "pitch": self.pitch,
                "bitrate": self.bitrate}

    def chars_per_minute(self, lang: str) -> float:
        return self.rates[lang] * self._chars_per_word[lang]

    async def speak(self, text: str, lang: str, directory: Path) -> Recording:
        self.check_language(lang)

        async def write(partial: Path) -> None:
            await espeak_to_opus(text, partial, voice=self.voices[lang], rate=self.rates[lang],
                                 pitch=self.pitch, bitrate=self.bitrate)

        return await self._record(directory, write, "opusenc wrote nothing")


class AutoEngine(Engine):
    """gTTS while Google answers; espeak-ng when offline or refused (429, 5xx, timeout)."""

    name = "auto"

    def __init__(self, online: Engine | None = None, offline: Engine | None = None, *,
                 cooldown: float = 60.0):
        self.online = online or GTTSEngine()
        self.offline = offline or EspeakEngine()
        self.cooldown = cooldown  # after a failure, skip Google this long instead of waiting on it each part
        self._online_again_at = -math.inf

    def voice_settings(self, lang: str) -> dict[str, object]:
        return {self.online.name: self.online.voice_settings(lang),
                self.offline.name: self.offline.voice_settings(lang)}

    def chars_per_minute(self, lang: str) -> float:
        return min(self.online.chars_per_minute(lang), self.offline.chars_per_minute(lang))

    async def speak(self, text: str, lang: str, directory: Path) -> Recording:
        self.check_language(lang)
        if time.monotonic() >= self._online_again_at:
            try:
                recording = await self.online.speak(text, lang, directory)
            except SynthesisFailed as error:
                self._online_again_at = time.monotonic() + self.cooldown
                log.warning("%s failed (%s, status %s); %s speaks instead",
                            self.online.name, error.reason, error.status, self.offline.name)
            else:
                log.info("%s spoke %d characters (%s)", recording.engine, len(text), lang)
                return recording
        recording = await self.offline.speak(text, lang, directory)
        log.info("%s spoke %d characters (%s)", recording.engine, len(text), lang)
        return recording


ENGINE_NAMES = ("gtts", "espeak", "auto")
_GTTS_SETTINGS = {"timeout", "min_interval", "tld", "slow"}
_ESPEAK_SETTINGS = {"rate", "rates", "voices", "pitch", "bitrate"}


def make_engine(name: str, **settings: Any) -> Engine:
    """The engine called `name` ("gtts", "espeak" or "auto"); auto shares out the settings of both."""
    if name == "gtts":
        return GTTSEngine(**settings)
    if name == "espeak":
        return EspeakEngine(**settings)
    if name == "auto":
        unknown = set(settings) - _GTTS_SETTINGS - _ESPEAK_SETTINGS - {"cooldown"}
        if unknown:
            raise TypeError(f"unknown engine settings: {', '.join(sorted(unknown))}")
        def pick(names: set[str]) -> dict[str, Any]:
            return {k: v for k, v in settings.items() if k in names}

        return AutoEngine(GTTSEngine(**pick(_GTTS_SETTINGS)), EspeakEngine(**pick(_ESPEAK_SETTINGS)),
                          **pick({"cooldown"}))
    raise ValueError(f"unknown TTS engine {name!r}; expected one of {', '.join(ENGINE_NAMES)}")
