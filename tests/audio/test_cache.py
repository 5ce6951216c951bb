import os
import time

import pytest

from audio.cache import AudioCache, cache_key
from tests.audio import MP3_FRAME_SECONDS, fake_mp3

SETTINGS = {"voice": "vi", "rate": 140}


def recording(cache, name, frames=10):
    """A finished recording in the cache directory, as an engine leaves it."""
    path = cache.directory / f".tmp-{name}.mp3"
    path.write_bytes(fake_mp3(frames))
    return path


def age(path, seconds_ago):
    moment = time.time() - seconds_ago
    os.utime(path, (moment, moment))


def test_key_depends_on_everything_that_changes_the_sound():
    key = cache_key("xin chào", "vi", "espeak", SETTINGS)
    assert key == cache_key("xin chào", "vi", "espeak", dict(reversed(SETTINGS.items())))
    others = {
        cache_key("xin chào!", "vi", "espeak", SETTINGS),
        cache_key("xin chào", "en", "espeak", SETTINGS),
        cache_key("xin chào", "vi", "gtts", SETTINGS),
        cache_key("xin chào", "vi", "espeak", {**SETTINGS, "rate": 120}),
    }
    assert key not in others and len(others) == 4
    assert len(key) == 64 and int(key, 16) >= 0  # hex: safe as a file name and a database key


def test_store_then_find(tmp_path):
    cache = AudioCache(tmp_path)
    key = cache_key("một", "vi", "gtts", {})
    assert cache.find(key) is None
    stored = cache.store(key, recording(cache, "a", frames=25), "gtts")
    found = cache.find(key)
    assert found == stored
    assert found.mime == "audio/mpeg" and found.engine == "gtts" and found.key == key
    assert found.duration == pytest.approx(25 * MP3_FRAME_SECONDS)
    assert [p.name for p in tmp_path.iterdir()] == [f"{key}.gtts.mp3"]


def test_evicts_the_least_recently_used_beyond_the_cap(tmp_path):
    entry_bytes = len(fake_mp3(10))
    cache = AudioCache(tmp_path, max_bytes=3 * entry_bytes)
    keys = [cache_key(str(n), "vi", "gtts", {}) for n in range(3)]
    for n, key in enumerate(keys):
        age(cache.store(key, recording(cache, str(n)), "gtts").path, seconds_ago=100 - n)
    cache.find(keys[0])  # listened to again: now the most recent
    fourth = cache_key("3", "vi", "gtts", {})
    cache.store(fourth, recording(cache, "3"), "gtts")
    assert cache.find(keys[1]) is None  # the oldest untouched one went
    assert all(cache.find(k) for k in (keys[0], keys[2], fourth))
    assert cache.size_bytes() <= 3 * entry_bytes and cache.evictions == 1


def test_keeps_what_it_just_stored_even_over_the_cap(tmp_path):
    cache = AudioCache(tmp_path, max_bytes=10)
    key = cache_key("dài", "vi", "gtts", {})
    cache.store(key, recording(cache, "big", frames=50), "gtts")
    assert cache.find(key) is not None


def test_shrinking_the_cap_evicts_on_start(tmp_path):
    cache = AudioCache(tmp_path)
    for n in range(4):
        cache.store(cache_key(str(n), "vi", "gtts", {}), recording(cache, str(n)), "gtts")
    smaller = AudioCache(tmp_path, max_bytes=2 * len(fake_mp3(10)))
    assert len(smaller.entries()) == 2


def test_stale_temporary_files_are_swept_fresh_ones_kept(tmp_path):
    stale = tmp_path / ".tmp-crashed.ogg.partial"
    stale.write_bytes(b"OggS")
    age(stale, seconds_ago=7200)
    fresh = tmp_path / ".tmp-running.ogg.partial"
    fresh.write_bytes(b"OggS")
    AudioCache(tmp_path)
    assert not stale.exists() and fresh.exists()


def test_temporary_files_are_neither_entries_nor_counted(tmp_path):
    cache = AudioCache(tmp_path)
    recording(cache, "pending", frames=100)
    assert cache.entries() == [] and cache.size_bytes() == 0
