"""The synthesis cache: each spoken text is stored once on disk, under a key the bot reuses.

One entry is one file, `<key>.<engine>.<ext>`, moved into place by an atomic rename: an entry
is either complete or absent. The directory is capped in bytes; the least recently used
entries go first (a hit refreshes the file's modification time, since atime is often off).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from audio.encode import MP3_MIME, OGG_MIME, duration_of
from audio.engines import TEMPORARY_PREFIX

__all__ = ["CachedAudio", "AudioCache", "cache_key", "KEY_VERSION"]

log = logging.getLogger(__name__)

KEY_VERSION = 1  # raise when the audio for the same inputs changes (new encoder settings, new normalisation)
_MIMES = {".ogg": OGG_MIME, ".mp3": MP3_MIME}
_STALE_AFTER = 3600.0  # seconds; younger temporary files may belong to a synthesis still running


def cache_key(text: str, lang: str, engine: str, voice_settings: Mapping[str, object]) -> str:
    """The hash of everything that decides how a text sounds."""
    material = json.dumps([KEY_VERSION, text, lang, engine, voice_settings], ensure_ascii=False,
                          sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedAudio:
    key: str
    path: Path
    mime: str
    engine: str
    duration: float  # seconds


class AudioCache:
    def __init__(self, directory: str | os.PathLike[str], max_bytes: int | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.evictions = 0
        self._sweep_stale()
        self.evict()

    def find(self, key: str) -> CachedAudio | None:
        for path in self.directory.glob(f"{key}.*.*"):
            if path.suffix in _MIMES:
                try:
                    os.utime(path)  # last access, for eviction
                    return self._entry(key, path)
                except (FileNotFoundError, ValueError):  # evicted meanwhile, or not audio after all
                    continue
        return None

    def store(self, key: str, source: Path, engine: str) -> CachedAudio:
        """Moves a finished recording (in this directory) into the cache under key."""
        path = self.directory / f"{key}.{engine}{source.suffix}"
        os.replace(source, path)
        entry = self._entry(key, path)
        self.evict(keep=path)
        return entry

    def _entry(self, key: str, path: Path) -> CachedAudio:
        mime = _MIMES[path.suffix]
        engine = path.name[len(key) + 1:-len(path.suffix)]
        return CachedAudio(key, path, mime, engine, duration_of(path, mime))

    def entries(self) -> list[Path]:
        return [p for p in self.directory.iterdir()
                if p.suffix in _MIMES and not p.name.startswith(TEMPORARY_PREFIX) and p.is_file()]

    def size_bytes(self) -> int:
        return sum(_size(p) for p in self.entries())

    def evict(self, keep: Path | None = None) -> None:
        """Removes the least recently used entries until the cache fits; never `keep`, just stored."""
        if self.max_bytes is None:
            return
        files = [(_mtime(p), _size(p), p) for p in self.entries()]
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files, key=lambda f: f[0]):
            if total <= self.max_bytes:
                break
            if path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size
            self.evictions += 1

    def _sweep_stale(self) -> None:
        """Temporary files of a crashed process; fresh ones may be another process at work."""
        now = time.time()
        for path in self.directory.glob(f"{TEMPORARY_PREFIX}*"):
            if now - _mtime(path) > _STALE_AFTER:
                path.unlink(missing_ok=True)
                log.info("removed a stale temporary file from the audio cache")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
