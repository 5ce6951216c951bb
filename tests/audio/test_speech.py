import asyncio
import math
import shutil
from pathlib import Path

import pytest
import responses

from audio import (
    AudioUnavailable,
    NothingToSay,
    Speech,
    SynthesisFailed,
    UnsupportedLanguage,
    available,
)
from audio.engines import AutoEngine, EspeakEngine, GTTSEngine, Recording, _temporary
from audio.normalize import normalize
from tests.audio import GOOGLE_URL, fake_mp3, google_answer

needs_espeak = pytest.mark.skipif(not available(), reason="espeak-ng and opus-tools are not installed")

NOTICE = "Chi bộ họp ngày 05/12/2026 lúc 19:30 để quán triệt Nghị quyết số 57-NQ/TW."


class CountingEngine(GTTSEngine):
    """Speaks instantly (a fake MP3), counts how often, and can be told to be slow or to fail."""

    name = "counting"

    def __init__(self, delay=0.0, fail=False):
        super().__init__()
        self.delay, self.fail = delay, fail
        self.spoken: list[str] = []

    async def speak(self, text, lang, directory):
        self.check_language(lang)
        self.spoken.append(text)
        await asyncio.sleep(self.delay)
        if self.fail:
            raise SynthesisFailed(self.name, "refused", 429)
        partial, finished = _temporary(Path(directory), self.mime)
        finished.write_bytes(fake_mp3(len(text)))
        return Recording(finished, self.mime, self.name)


def visible_and_hidden(directory):
    names = [p.name for p in Path(directory).iterdir()]
    return [n for n in names if not n.startswith(".")], [n for n in names if n.startswith(".")]


async def test_second_request_comes_from_the_cache(tmp_path):
    engine = CountingEngine()
    speech = Speech(tmp_path, engine)
    first = await speech.synthesize(NOTICE, "vi")
    second = await speech.synthesize(NOTICE, "vi")
    assert len(engine.spoken) == 1
    assert speech.syntheses == 1 and speech.cache_hits == 1
    assert [p.key for p in first] == [p.key for p in second]
    assert not first[0].from_cache and second[0].from_cache
    assert second[0].read() == first[0].read()


async def test_the_engine_hears_normalised_text(tmp_path):
    engine = CountingEngine()
    await Speech(tmp_path, engine).synthesize(NOTICE, "vi")
    assert engine.spoken == [normalize(NOTICE, "vi")]
    assert "năm mươi bảy nghị quyết Trung ương" in engine.spoken[0]


async def test_part_describes_the_audio(tmp_path):
    [part] = await Speech(tmp_path, CountingEngine()).synthesize("xin chào", "vi")
    assert (part.index, part.total, part.mime, part.engine) == (1, 1, "audio/mpeg", "counting")
    assert part.characters == len("xin chào") and part.duration > 0
    assert part.path.exists() and part.path.parent == tmp_path


async def test_languages_are_cached_apart(tmp_path):
    speech = Speech(tmp_path, CountingEngine())
    [vi] = await speech.synthesize("75%", "vi")
    [en] = await speech.synthesize("75%", "en")
    assert vi.key != en.key and speech.syntheses == 2


async def test_concurrent_identical_requests_synthesise_once(tmp_path):
    engine = CountingEngine(delay=0.2)
    speech = Speech(tmp_path, engine)
    results = await asyncio.gather(*(speech.synthesize(NOTICE, "vi") for _ in range(5)))
    assert len(engine.spoken) == 1 and speech.syntheses == 1 and speech.cache_hits == 4
    assert len({r[0].key for r in results}) == 1
    assert len(speech._locks) == 0  # no lock left behind per key


async def test_concurrent_different_requests_do_not_wait_for_each_other(tmp_path):
    engine = CountingEngine(delay=0.3)
    speech = Speech(tmp_path, engine)
    started = asyncio.get_running_loop().time()
    await asyncio.gather(speech.synthesize("một", "vi"), speech.synthesize("hai", "vi"))
    assert asyncio.get_running_loop().time() - started < 0.55


async def test_failed_synthesis_leaves_no_entry_and_can_be_retried(tmp_path):
    engine = CountingEngine(fail=True)
    speech = Speech(tmp_path, engine)
    with pytest.raises(SynthesisFailed):
        await speech.synthesize(NOTICE, "vi")
    assert visible_and_hidden(tmp_path) == ([], [])
    assert speech.syntheses == 0
    engine.fail = False
    [part] = await speech.synthesize(NOTICE, "vi")
    assert not part.from_cache and speech.syntheses == 1


@pytest.mark.parametrize("text", ["", "   ", "?!…"])
async def test_nothing_to_say_never_reaches_the_engine(tmp_path, text):
    engine = CountingEngine()
    with pytest.raises(NothingToSay):
        await Speech(tmp_path, engine).synthesize(text, "vi")
    assert engine.spoken == []


async def test_unsupported_language(tmp_path):
    with pytest.raises(UnsupportedLanguage):
        await Speech(tmp_path, CountingEngine()).synthesize("bonjour", "fr")


async def test_long_text_comes_in_numbered_parts_cut_at_sentences(tmp_path):
    text = " ".join(f"Tổ {n} gương mẫu thực hiện nghị quyết của chi bộ tại khu dân cư." for n in range(60))
    engine = CountingEngine()
    speech = Speech(tmp_path, engine, max_part_seconds=60)
    parts = await speech.synthesize(text, "vi")
    max_chars = engine.chars_per_minute("vi")
    needed = math.ceil(len(normalize(text, "vi")) / max_chars)
    assert needed >= 4 and needed <= len(parts) <= needed + 1
    assert [p.index for p in parts] == list(range(1, len(parts) + 1))
    assert {p.total for p in parts} == {len(parts)}
    assert all(spoken.endswith(".") and len(spoken) <= max_chars for spoken in engine.spoken)
    assert len({p.key for p in parts}) == len(parts)


async def test_identical_parts_share_one_recording(tmp_path):
    engine = CountingEngine()
    speech = Speech(tmp_path, engine, max_part_seconds=2)  # 28 characters
    parts = await speech.synthesize("Xin chào các đồng chí.\n\nXin chào các đồng chí.", "vi")
    assert len(parts) == 2 and parts[0].key == parts[1].key and len(engine.spoken) == 1


async def test_cache_cap_applies_through_the_facade(tmp_path):
    engine = CountingEngine()
    speech = Speech(tmp_path, engine, max_cache_bytes=len(fake_mp3(40)) * 2)
    for word in ("một", "hai", "ba", "bốn", "năm"):
        await speech.synthesize(f"đây là bản tin số {word} của chi bộ", "vi")
    assert speech.cache.size_bytes() <= len(fake_mp3(40)) * 2
    assert speech.cache.evictions >= 3


def test_engine_by_name_with_settings(tmp_path):
    speech = Speech(tmp_path, "auto", timeout=3, rate=120)
    assert isinstance(speech.engine, AutoEngine)
    assert speech.engine.offline.rates["vi"] == 120 and speech.engine.online.timeout == 3


# ---------------------------------------------------------------- with the real engines

@needs_espeak
async def test_espeak_end_to_end_parts_stay_within_the_time_limit(tmp_path):
    text = " ".join(["Chi bộ khu phố 3 quán triệt Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị."] * 8)
    speech = Speech(tmp_path, "espeak", max_part_seconds=20)
    parts = await speech.synthesize(text, "vi")
    assert len(parts) >= 2
    for part in parts:
        data = part.read()
        assert data.startswith(b"OggS") and b"OpusHead" in data[:100]
        assert part.mime == "audio/ogg" and part.engine == "espeak"
        assert 3 <= part.duration <= 20 * 1.15  # the estimate errs on the short side
    assert visible_and_hidden(tmp_path)[1] == []


@needs_espeak
async def test_auto_falls_back_and_caches_what_espeak_said(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as google:
        google.add(responses.POST, GOOGLE_URL, status=429)
        speech = Speech(tmp_path, AutoEngine(GTTSEngine(timeout=2, min_interval=0), EspeakEngine()))
        [part] = await speech.synthesize(NOTICE, "vi")
        assert part.engine == "espeak" and part.mime == "audio/ogg"
        [again] = await speech.synthesize(NOTICE, "vi")
        assert again.from_cache and again.key == part.key and len(google.calls) == 1
    assert visible_and_hidden(tmp_path)[1] == []


async def test_auto_with_google_answering_returns_mp3(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as google:
        google.add(responses.POST, GOOGLE_URL, body=google_answer(fake_mp3(30)))
        speech = Speech(tmp_path, AutoEngine(GTTSEngine(timeout=2, min_interval=0), EspeakEngine()))
        [part] = await speech.synthesize("xin chào các đồng chí", "vi")
    assert part.engine == "gtts" and part.mime == "audio/mpeg" and part.path.suffix == ".mp3"


async def test_missing_programs_raise_audio_unavailable_and_store_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    speech = Speech(tmp_path, "espeak")
    with pytest.raises(AudioUnavailable) as caught:
        await speech.synthesize(NOTICE, "vi")
    assert caught.value.package == "espeak-ng"
    assert visible_and_hidden(tmp_path) == ([], []) and speech.syntheses == 0
