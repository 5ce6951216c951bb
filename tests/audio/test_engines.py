import asyncio
import json
import logging
import os
import shutil
import stat
import time
from urllib.parse import unquote

import pytest
import requests
import responses

from audio import encode
from audio.encode import AudioUnavailable, SynthesisFailed, available, missing_packages, mp3_duration, ogg_opus_duration
from audio.engines import AutoEngine, EspeakEngine, GTTSEngine, make_engine
from audio.normalize import UnsupportedLanguage, normalize
from tests.audio import GOOGLE_URL, MP3_FRAME_SECONDS, fake_mp3, google_answer

needs_espeak = pytest.mark.skipif(not available(), reason="espeak-ng and opus-tools are not installed")

# About 200 characters of a notice, as the normaliser hands it to an engine.
NOTICE = normalize(
    "Chi bộ khu phố 3 sinh hoạt thường kỳ ngày 05/12/2026 lúc 19:30 tại nhà văn hóa, quán triệt "
    "Nghị quyết số 57-NQ/TW. Đề nghị các đồng chí đảng viên tham dự đầy đủ, đúng giờ.", "vi")


@pytest.fixture
def google():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def files_in(directory):
    return sorted(p.name for p in directory.iterdir())


def spoken_in(request):
    """[text, language] of a batchexecute request: f.req=[[["jQ1olc", "[text, lang, speed, null]", ...]]]."""
    rpc = json.loads(unquote(request.body).removeprefix("f.req=").removesuffix("&"))
    return json.loads(rpc[0][0][1])[:2]


def quick_gtts(**settings):
    return GTTSEngine(timeout=2, min_interval=0, **settings)


def auto_engine():
    return AutoEngine(quick_gtts(), EspeakEngine())


# ---------------------------------------------------------------- gTTS, HTTP mocked

async def test_gtts_writes_the_mp3_google_sends(google, tmp_path):
    audio = fake_mp3(40)
    google.add(responses.POST, GOOGLE_URL, body=google_answer(audio))
    recording = await quick_gtts().speak("xin chào các đồng chí", "vi", tmp_path)
    assert recording.engine == "gtts" and recording.mime == "audio/mpeg"
    assert recording.path.read_bytes() == audio
    assert mp3_duration(audio) == pytest.approx(40 * MP3_FRAME_SECONDS)
    assert files_in(tmp_path) == [recording.path.name]
    assert spoken_in(google.calls[0].request) == ["xin chào các đồng chí", "vi"]


async def test_gtts_sends_long_text_in_pieces_and_joins_the_audio(google, tmp_path):
    google.add(responses.POST, GOOGLE_URL, body=google_answer(fake_mp3(10)))
    recording = await quick_gtts().speak(NOTICE, "vi", tmp_path)
    assert len(google.calls) >= 2  # Google takes at most 100 characters a request
    assert recording.path.read_bytes() == fake_mp3(10) * len(google.calls)


async def test_gtts_requests_are_throttled(google, tmp_path):
    google.add(responses.POST, GOOGLE_URL, body=google_answer(fake_mp3(1)))
    engine = GTTSEngine(timeout=2, min_interval=0.15)
    started = time.monotonic()
    await engine.speak("một. hai. ba.", "vi", tmp_path)
    await engine.speak("bốn.", "vi", tmp_path)
    assert len(google.calls) == 2
    assert time.monotonic() - started >= 0.15
    await engine.speak("năm.", "vi", tmp_path)
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("answer, status", [
    (dict(status=429, body="Too Many Requests"), 429),
    (dict(status=500, body="Internal Server Error"), 500),
    (dict(status=503, body="Unavailable"), 503),
    (dict(body=requests.ConnectionError("offline")), None),
    (dict(body=requests.Timeout("read timed out")), None),
])
async def test_gtts_failure_raises_and_leaves_nothing(google, tmp_path, answer, status):
    google.add(responses.POST, GOOGLE_URL, **answer)
    with pytest.raises(SynthesisFailed) as caught:
        await quick_gtts().speak("xin chào", "vi", tmp_path)
    assert caught.value.status == status and caught.value.engine == "gtts"
    assert files_in(tmp_path) == []


async def test_gtts_failing_midway_leaves_no_partial_file(google, tmp_path):
    google.add(responses.POST, GOOGLE_URL, body=google_answer(fake_mp3(10)))
    google.add(responses.POST, GOOGLE_URL, status=429)
    with pytest.raises(SynthesisFailed):
        await quick_gtts().speak(NOTICE, "vi", tmp_path)
    assert len(google.calls) == 2
    assert files_in(tmp_path) == []


async def test_gtts_answer_without_audio_is_a_failure(google, tmp_path):
    google.add(responses.POST, GOOGLE_URL, body=")]}'\n\n[[\"e\",4]]\n")
    with pytest.raises(SynthesisFailed):
        await quick_gtts().speak("xin chào", "vi", tmp_path)
    assert files_in(tmp_path) == []


async def test_gtts_rejects_an_unsupported_language(tmp_path):
    with pytest.raises(UnsupportedLanguage):
        await quick_gtts().speak("bonjour", "fr", tmp_path)


# ---------------------------------------------------------------- auto: gTTS, else espeak-ng

async def test_auto_uses_gtts_while_google_answers(google, tmp_path):
    google.add(responses.POST, GOOGLE_URL, body=google_answer(fake_mp3(5)))
    recording = await auto_engine().speak("xin chào", "vi", tmp_path)
    assert recording.engine == "gtts" and recording.mime == "audio/mpeg"


@needs_espeak
@pytest.mark.parametrize("answer", [
    dict(status=429), dict(status=500), dict(body=requests.ConnectionError("offline")),
    dict(body=requests.Timeout("timed out")),
])
async def test_auto_falls_back_to_espeak(google, tmp_path, caplog, answer):
    google.add(responses.POST, GOOGLE_URL, **answer)
    caplog.set_level(logging.INFO, logger="audio.engines")
    recording = await auto_engine().speak(NOTICE, "vi", tmp_path)
    assert recording.engine == "espeak" and recording.mime == "audio/ogg"
    assert recording.path.read_bytes().startswith(b"OggS")
    assert files_in(tmp_path) == [recording.path.name]  # nothing of gTTS's attempt is left
    assert f"espeak spoke {len(NOTICE)} characters" in caplog.text
    assert "gtts failed" in caplog.text
    assert "khu phố" not in caplog.text  # the text itself is never logged


@needs_espeak
async def test_auto_skips_google_for_a_while_after_a_failure(google, tmp_path):
    google.add(responses.POST, GOOGLE_URL, status=429)
    engine = AutoEngine(quick_gtts(), EspeakEngine(), cooldown=60)
    await engine.speak("một", "vi", tmp_path)
    second = await engine.speak("hai", "vi", tmp_path)
    assert len(google.calls) == 1 and second.engine == "espeak"


# ---------------------------------------------------------------- espeak-ng + opusenc, for real

@needs_espeak
async def test_espeak_makes_an_ogg_opus_voice_note(tmp_path):
    assert 180 <= len(NOTICE) <= 260
    recording = await EspeakEngine().speak(NOTICE, "vi", tmp_path)
    data = recording.path.read_bytes()
    assert data.startswith(b"OggS") and b"OpusHead" in data[:100] and b"OpusTags" in data
    assert 5 <= ogg_opus_duration(data) <= 40
    assert recording.mime == "audio/ogg" and recording.engine == "espeak"
    assert files_in(tmp_path) == [recording.path.name]


@needs_espeak
async def test_espeak_bitrate_is_about_24_kbits(tmp_path):
    recording = await EspeakEngine().speak(NOTICE, "vi", tmp_path)
    data = recording.path.read_bytes()
    kbits = len(data) * 8 / ogg_opus_duration(data) / 1000
    assert 12 <= kbits <= 36


@needs_espeak
async def test_slower_rate_speaks_longer(tmp_path):
    slow = await EspeakEngine(rate=110).speak(NOTICE, "vi", tmp_path)
    fast = await EspeakEngine(rate=200).speak(NOTICE, "vi", tmp_path)
    assert ogg_opus_duration(slow.path.read_bytes()) > ogg_opus_duration(fast.path.read_bytes()) * 1.3


@needs_espeak
@pytest.mark.parametrize("lang, text", [
    ("en", "The cell meets on the fifth of December at half past seven."),
    ("bn", "শাখা সভা পাঁচ ডিসেম্বর সন্ধ্যায় অনুষ্ঠিত হবে।"),
])
async def test_espeak_speaks_english_and_bengali(tmp_path, lang, text):
    recording = await EspeakEngine().speak(text, lang, tmp_path)
    assert 1 <= ogg_opus_duration(recording.path.read_bytes()) <= 15


@needs_espeak
async def test_text_starting_with_a_dash_is_spoken_not_taken_as_an_option(tmp_path):
    recording = await EspeakEngine().speak("-v en --help", "vi", tmp_path)
    assert ogg_opus_duration(recording.path.read_bytes()) > 0.3


@needs_espeak
async def test_espeak_uses_the_default_rates_slower_than_espeaks_own():
    engine = EspeakEngine()
    assert engine.rates["vi"] == 140 and max(engine.rates.values()) < 175
    assert engine.voice_settings("vi") == {"voice": "vi", "rate": 140, "pitch": 50, "bitrate": 24}


# ---------------------------------------------------------------- missing or broken programs

def test_missing_packages_with_empty_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert missing_packages() == ["espeak-ng", "opus-tools"]
    assert not available()


@needs_espeak
def test_missing_opusenc_only(monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "opusenc" else real_which(name))
    assert missing_packages() == ["opus-tools"]
    assert not available()


@pytest.mark.parametrize("hidden, package", [("espeak-ng", "espeak-ng"), ("opusenc", "opus-tools")])
async def test_speaking_without_a_program_names_the_package(monkeypatch, tmp_path, hidden, package):
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == hidden else real_which(name))
    with pytest.raises(AudioUnavailable) as caught:
        await EspeakEngine().speak("xin chào", "vi", tmp_path)
    assert caught.value.package == package and package in str(caught.value)
    assert files_in(tmp_path) == []


async def test_auto_offline_without_espeak_says_which_package(google, monkeypatch, tmp_path):
    google.add(responses.POST, GOOGLE_URL, body=requests.ConnectionError("offline"))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(AudioUnavailable) as caught:
        await auto_engine().speak("xin chào", "vi", tmp_path)
    assert caught.value.package == "espeak-ng"
    assert files_in(tmp_path) == []


def fake_program(directory, name, script):
    path = directory / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def fake_espeak(monkeypatch, tmp_path):
    """A PATH whose espeak-ng is a script the test writes, ahead of everything else."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return lambda script: fake_program(bin_dir, "espeak-ng", script)


@needs_espeak
async def test_espeak_crashing_leaves_no_file(fake_espeak, tmp_path):
    fake_espeak("cat > /dev/null; echo 'voice not found' >&2; exit 1")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(SynthesisFailed) as caught:
        await EspeakEngine().speak("xin chào", "vi", out)
    assert not isinstance(caught.value, AudioUnavailable)
    assert files_in(out) == []


@needs_espeak
async def test_cancelled_synthesis_leaves_no_file_and_no_process(fake_espeak, tmp_path):
    fake_espeak("exec sleep 30")
    out = tmp_path / "out"
    out.mkdir()
    task = asyncio.create_task(EspeakEngine().speak("xin chào", "vi", out))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 5  # the sleeping "espeak-ng" was killed, not waited for
    assert files_in(out) == []


# ---------------------------------------------------------------- choosing an engine by name

def test_make_engine_by_name():
    assert isinstance(make_engine("gtts"), GTTSEngine)
    assert isinstance(make_engine("espeak", rate=120), EspeakEngine)
    auto = make_engine("auto", timeout=3, min_interval=1.5, rate=120, cooldown=5)
    assert isinstance(auto, AutoEngine) and auto.cooldown == 5
    assert auto.online.timeout == 3 and auto.online.throttle.min_interval == 1.5
    assert auto.offline.rates["vi"] == 120


def test_make_engine_rejects_unknown_names_and_settings():
    with pytest.raises(ValueError, match="gtts, espeak, auto"):
        make_engine("festival")
    with pytest.raises(TypeError):
        make_engine("auto", volume=3)


def test_voice_settings_differ_between_engines():
    assert make_engine("gtts").voice_settings("vi") != make_engine("espeak").voice_settings("vi")
    assert EspeakEngine(rate=120).voice_settings("vi") != EspeakEngine().voice_settings("vi")


def test_encode_module_uses_debian_package_names():
    assert encode.DEBIAN_PACKAGES == {"espeak-ng": "espeak-ng", "opusenc": "opus-tools"}


@pytest.mark.parametrize("timeout", [None, 0, -1])
def test_gtts_always_has_a_timeout(timeout):
    with pytest.raises(ValueError):
        GTTSEngine(timeout=timeout)
