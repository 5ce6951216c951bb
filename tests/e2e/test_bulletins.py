"""Audio bulletins and 🔊 Nghe end to end: the real bot, its dispatcher and espeak-ng for real.

Demo personas: the committee officer of the ward (30 members in 3 cells) sends; the elderly and the
young member are in cell 1 with the secretary. Every other demo member gets a Telegram account here.
The audio cache lives next to the test's database, so each test starts with an empty one.
"""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import audio
from audio import AudioUnavailable
from bot.sandbox_mode import SandboxRun
from bot.settings import Settings
from models import bulletins, clock, notices
from models.accounts import Account
from models.bulletins import AudioFile, Bulletin
from models.deliveries import Delivery, DeliveryState
from models.members import Member
from models.notices import NoticeKind
from models.permissions import Actor, load_actor
from models.units import Unit
from sandbox import SandboxDriver

pytestmark = pytest.mark.skipif(not audio.available(), reason="espeak-ng and opus-tools are not installed")

TITLE = "Bản tin tháng 12"
TEXT = "Chi bộ sinh hoạt ngày 05/12/2026 lúc 19:30 tại nhà văn hóa."
EXTRA_USER_IDS = 300000


@pytest.fixture
async def sandbox_run(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    settings = Settings(database_url=db_url, tts_engine="espeak", tts_cache_dir=str(tmp_path / "audio"))
    async with SandboxRun(settings, db_url) as run:
        yield run
        assert run.emulator.violations == [], run.emulator.violations


@pytest.fixture
async def driver(sandbox_run):
    async with SandboxDriver(sandbox_run.url) as d:
        yield d


@pytest.fixture
def personas(sandbox_run):
    return {p.key: p for p in sandbox_run.personas}


@pytest.fixture
def speech(sandbox_run):
    return sandbox_run.runtime.services.speech


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


def buttons(msg: dict) -> list[str]:
    return [b["text"] for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def link_everyone(run) -> dict[int, int]:
    """Every demo member on Telegram: member id → chat id (the personas keep theirs)."""
    async with run.sessionmaker() as s:
        linked = dict((await s.execute(select(Account.member_id, Account.telegram_user_id))).all())
        members = (await s.execute(select(Member.id, Member.full_name))).all()
        for member_id, name in members:
            if member_id not in linked:
                chat_id = EXTRA_USER_IDS + member_id
                s.add(Account(telegram_user_id=chat_id, member_id=member_id, language="vi", linked_at=clock.now()))
                run.emulator.add_user(name.rpartition(" ")[2], id=chat_id)
                linked[member_id] = chat_id
        await s.commit()
    return linked


async def wait_sent(run, bulletin_id: int, count: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        async with run.sessionmaker() as s:
            states = (await s.scalars(select(Delivery.state).where(
                Delivery.kind == bulletins.BULLETIN_DELIVERY, Delivery.ref_id == bulletin_id))).all()
        if len(states) == count and all(st is DeliveryState.sent for st in states):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries of bulletin {bulletin_id}: {states}")
        await asyncio.sleep(0.1)


async def compose(driver, user_id: int, title: str, text: str) -> dict:
    """/bulletin through the title and text steps; returns the "Nghe thử" prompt."""
    [ask_title] = await driver.exchange(user_id, "/bulletin")
    assert "tiêu đề" in plain(ask_title)
    [ask_text] = await driver.exchange(user_id, title)
    assert "nội dung" in plain(ask_text)
    [received] = await driver.exchange(user_id, text)
    assert "Đã nhận nội dung" in plain(received) and buttons(received) == ["🎧 Nghe thử"]
    return received


async def preview(driver, user_id: int, received: dict) -> tuple[dict, dict]:
    await driver.press_button(user_id, received, "Nghe thử")
    voice, summary = await driver.wait_for_bot_messages(user_id, 2, timeout=20)
    return voice, summary


def is_ogg_opus(data: bytes) -> bool:
    return data[:4] == b"OggS" and b"OpusHead" in data[:200]


async def test_a_bulletin_to_the_ward_is_synthesised_once_uploaded_once_and_sent_by_file_id(
        driver, personas, sandbox_run, speech):
    officer, old = personas["committee_officer"], personas["elderly_member"]
    chats = await link_everyone(sandbox_run)
    assert len(chats) == 30
    before = await driver.stats()
    received = await compose(driver, officer.user_id, TITLE, TEXT)
    voice, summary = await preview(driver, officer.user_id, received)
    # The preview: the officer hears it first, as a voice note (an Ogg Opus file espeak-ng spoke).
    assert voice["voice"]["mime_type"] == "audio/ogg" and voice["voice"]["duration"] >= 1
    assert "Nghe thử" in plain(voice) and TITLE in plain(voice)
    assert is_ogg_opus(await driver.download(voice["voice"]))
    assert "Đảng bộ phường Phú Hội: 29 đảng viên, 29 đồng chí dùng Telegram" in plain(summary)
    assert buttons(summary) == ["✅ Gửi ngay", "🕒 Hẹn giờ", "❌ Hủy"]
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Bulletin)) == 0  # nothing before the confirmation
        assert await s.scalar(select(func.count()).select_from(AudioFile)) == 1  # the preview's file_id is kept

    await driver.press_button(officer.user_id, summary, "Gửi ngay")
    done = await driver.wait_for_edit(officer.user_id, summary["message_id"])
    assert "vào hàng gửi tới 29 đồng chí" in plain(done)
    async with sandbox_run.sessionmaker() as s:
        bulletin_id = await s.scalar(select(func.max(Bulletin.id)))
    await wait_sent(sandbox_run, bulletin_id, 29)
    [got] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
    assert got["voice"]["file_id"] == voice["voice"]["file_id"]
    assert TITLE in plain(got) and "nhà văn hóa" in plain(got) and "Bản tin âm thanh" in plain(got)

    after = await driver.stats()
    assert speech.syntheses == 1
    assert after["uploads"] - before["uploads"] == 1
    assert after["sends_by_file_id"] - before["sends_by_file_id"] == 29
    assert after["requests"].get("sendVoice", 0) - before["requests"].get("sendVoice", 0) == 30

    # Heard again from /bulletins (the big button): by file_id, nothing synthesised or uploaded.
    await driver.exchange(old.user_id, "/help")  # the main menu with its big buttons
    await driver.press_reply_button(old.user_id, "🔊 Bản tin âm thanh")
    [listing] = await driver.wait_for_bot_messages(old.user_id)
    assert "Bản tin âm thanh (1)" in plain(listing) and TITLE in buttons(listing)[0]
    await driver.press_button(old.user_id, listing, TITLE)
    [again] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
    assert again["voice"]["file_id"] == voice["voice"]["file_id"]
    final = await driver.stats()
    assert speech.syntheses == 1 and final["uploads"] == after["uploads"]
    assert final["sends_by_file_id"] - after["sends_by_file_id"] == 1


async def test_without_a_preview_the_dispatcher_uploads_once_and_keeps_the_file_id(driver, sandbox_run, speech):
    """A bulletin queued by the administrator (no preview, no member sender) to all 30 members."""
    await link_everyone(sandbox_run)
    before = await driver.stats()
    async with sandbox_run.sessionmaker() as s:
        ward = await s.scalar(select(Unit).where(Unit.name == "Đảng bộ phường Phú Hội"))
        admin = Actor(telegram_user_id=1, is_admin=True)
        bulletin = await bulletins.create_bulletin(s, admin, unit_id=ward.id, title=TITLE, text=TEXT, lang="vi")
        await s.commit()
    assert bulletin.recipients == 30
    sandbox_run.runtime.dispatcher.wake()
    await wait_sent(sandbox_run, bulletin.id, 30)
    after = await driver.stats()
    assert speech.syntheses == 1
    assert after["uploads"] - before["uploads"] == 1
    assert after["sends_by_file_id"] - before["sends_by_file_id"] == 29
    async with sandbox_run.sessionmaker() as s:
        [kept] = (await s.scalars(select(AudioFile))).all()
    assert kept.engine == "espeak" and kept.mime == "audio/ogg" and kept.duration > 0 and kept.size > 0


async def test_listen_to_a_notice_once_synthesised_then_by_file_id(driver, personas, sandbox_run, speech):
    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    async with sandbox_run.sessionmaker() as s:
        actor = await load_actor(s, sec.user_id)
        cell = await s.scalar(select(Unit).where(Unit.name == "Chi bộ Tổ dân phố 1"))
        notice = await notices.create_notice(s, actor, kind=NoticeKind.resolution, title="Nghị quyết số 57-NQ/TW",
                                             body="Đề nghị các đồng chí học tập nghị quyết trước ngày 20/12/2026.",
                                             audience_unit_ids=[cell.id])
        await s.commit()
    sandbox_run.runtime.dispatcher.wake()
    [got] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
    assert "57-NQ/TW" in plain(got) and buttons(got) == ["✅ Đã đọc", "🔊 Nghe"]
    before = await driver.stats()

    press = await driver.press_button(old.user_id, got, "Nghe")
    assert "Đang chuẩn bị" in (await driver.callback_answer(press))["text"]
    [voice] = await driver.wait_for_bot_messages(old.user_id, timeout=20)
    assert voice["voice"]["mime_type"] == "audio/ogg" and "57-NQ/TW" in plain(voice)
    assert is_ogg_opus(await driver.download(voice["voice"]))
    assert speech.syntheses == 1

    [got_young] = await driver.wait_for_bot_messages(young.user_id, timeout=10)
    await _file_id_recorded(sandbox_run, voice["voice"]["file_id"])  # recorded just after the upload
    press = await driver.press_button(young.user_id, got_young, "Nghe")
    await driver.callback_answer(press)
    [voice2] = await driver.wait_for_bot_messages(young.user_id, timeout=10)
    assert voice2["voice"]["file_id"] == voice["voice"]["file_id"]
    after = await driver.stats()
    assert speech.syntheses == 1 and speech.cache_hits == 0  # not even read from the disk again
    assert after["uploads"] - before["uploads"] == 1
    assert after["sends_by_file_id"] - before["sends_by_file_id"] == 1

    # A member of another cell may not listen to it (a forged button).
    async with sandbox_run.sessionmaker() as s:
        stranger_member = await s.scalar(select(Member.id).join(Unit, Unit.id == Member.cell_id)
                                         .where(Unit.name == "Chi bộ Tổ dân phố 2").limit(1))
        s.add(Account(telegram_user_id=EXTRA_USER_IDS, member_id=stranger_member, language="vi"))
        await s.commit()
    sandbox_run.emulator.add_user("Lạ", id=EXTRA_USER_IDS)
    [hello] = await driver.exchange(EXTRA_USER_IDS, "/help")
    press = await driver.press(EXTRA_USER_IDS, hello["message_id"], data=f"bh:{notice.id}")
    assert "không có quyền" in (await driver.callback_answer(press))["text"]


async def test_audio_unavailable_is_explained(driver, personas, sandbox_run, speech, monkeypatch):
    officer, sec, old = personas["committee_officer"], personas["secretary"], personas["elderly_member"]
    async with sandbox_run.sessionmaker() as s:
        notice = await notices.create_notice(
            s, await load_actor(s, sec.user_id), kind=NoticeKind.notice, title="Họp chi bộ", body="Họp lúc 19:30.",
            audience_unit_ids=[(await s.scalar(select(Unit.id).where(Unit.name == "Chi bộ Tổ dân phố 1")))])
        await s.commit()
    sandbox_run.runtime.dispatcher.wake()
    [got] = await driver.wait_for_bot_messages(old.user_id, timeout=10)

    # espeak-ng is found missing after the start: /bulletin and Nghe say so instead of failing.
    monkeypatch.setattr(audio, "missing_packages", lambda: ["espeak-ng"])
    [reply] = await driver.exchange(officer.user_id, "/bulletin")
    assert "chưa tạo được âm thanh" in plain(reply) and "espeak-ng" in plain(reply)
    press = await driver.press(old.user_id, got["message_id"], data=f"bh:{notice.id}")
    answer = await driver.callback_answer(press)
    assert "chưa dùng được" in answer["text"] and answer["show_alert"]
    monkeypatch.undo()

    # The engine itself fails as if opusenc had vanished: the member is told, nothing is sent half-made.
    async def no_encoder(*args, **kwargs):
        raise AudioUnavailable("opus-tools")

    monkeypatch.setattr(speech.engine, "speak", no_encoder)
    press = await driver.press(old.user_id, got["message_id"], data=f"bh:{notice.id}")
    await driver.callback_answer(press)
    [told] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
    assert "chưa dùng được" in plain(told) and "voice" not in told
    assert speech.syntheses == 0


async def test_empty_and_symbol_only_texts_and_an_unsupported_language(driver, personas, sandbox_run, speech):
    officer = personas["committee_officer"]
    [usage] = await driver.exchange(officer.user_id, "/bulletin Chỉ có tiêu đề")
    assert "/bulletin Tiêu đề | Nội dung" in plain(usage)
    received = await compose(driver, officer.user_id, TITLE, "… --- !!! ???")
    await driver.press_button(officer.user_id, received, "Nghe thử")
    [told] = await driver.wait_for_bot_messages(officer.user_id)
    assert "không có chữ nào để đọc" in plain(told)
    # Still in the text step: a real text now gets its preview.
    [received] = await driver.exchange(officer.user_id, TEXT)
    voice, summary = await preview(driver, officer.user_id, received)
    assert "voice" in voice, voice
    assert "✅ Gửi ngay" in buttons(summary)
    await driver.press_button(officer.user_id, summary, "Hủy")
    await driver.wait_for_edit(officer.user_id, summary["message_id"])

    # A language the engine cannot speak (here: this espeak-ng speaks Vietnamese only).
    speech.engine.languages = frozenset({"vi"})
    async with sandbox_run.sessionmaker() as s:
        account = await s.get(Account, officer.user_id)
        account.language = "en"
        await s.commit()
    [reply] = await driver.exchange(officer.user_id, f"/bulletin {TITLE} | {TEXT}")
    assert "not available in this language" in plain(reply)
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Bulletin)) == 0


async def test_scheduled_bulletins_queue_ahead_and_go_out_when_the_clock_reaches_them(
        driver, personas, sandbox_run, speech):
    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    tz = sandbox_run.runtime.services.timezone
    first_slot = bulletins.monthly_slot(tz, clock.now())
    received = await compose(driver, sec.user_id, TITLE, TEXT)
    _, summary = await preview(driver, sec.user_id, received)
    assert "Chi bộ Tổ dân phố 1: 10 đảng viên, 2 đồng chí dùng Telegram" in plain(summary)
    await driver.press_button(sec.user_id, summary, "Hẹn giờ")
    when = await driver.wait_for_edit(sec.user_id, summary["message_id"])
    slot_text = first_slot.astimezone(tz).strftime("%d/%m/%Y %H:%M")
    assert buttons(when)[0] == f"📅 {slot_text} (đầu tháng)"
    await driver.press_button(sec.user_id, when, "đầu tháng")
    done = await driver.wait_for_edit(sec.user_id, summary["message_id"])
    assert f"Đã hẹn gửi bản tin «{TITLE}» lúc {slot_text}" in plain(done)

    # A second one, queued ahead: the next month's slot; then a third at a typed date and time.
    received = await compose(driver, sec.user_id, "Bản tin Tết", TEXT + " Chúc mừng năm mới.")
    _, summary = await preview(driver, sec.user_id, received)
    await driver.press_button(sec.user_id, summary, "Hẹn giờ")
    when = await driver.wait_for_edit(sec.user_id, summary["message_id"])
    second_slot = bulletins.monthly_slot(tz, clock.now(), 1)
    assert second_slot.astimezone(tz).strftime("%d/%m/%Y %H:%M") in buttons(when)[0]
    await driver.press_button(sec.user_id, when, "Nhập ngày giờ khác")
    await driver.wait_for_edit(sec.user_id, summary["message_id"])
    [reply] = await driver.exchange(sec.user_id, "31/02/2030 10:00")
    assert "Không có ngày giờ này" in plain(reply)
    [reply] = await driver.exchange(sec.user_id, "01/01/2020 10:00")
    assert "đã qua" in plain(reply)
    later = (clock.now() + timedelta(days=3)).astimezone(tz).strftime("%d/%m/%Y %H:%M")
    [reply] = await driver.exchange(sec.user_id, later)
    assert f"lúc {later}" in plain(reply)
    async with sandbox_run.sessionmaker() as s:
        waiting = (await s.scalars(select(Bulletin).where(Bulletin.dispatched_at.is_(None))
                                   .order_by(Bulletin.send_at))).all()
    assert sorted(b.title for b in waiting) == sorted([TITLE, "Bản tin Tết"])
    assert speech.syntheses == 2

    # The secretary sees what waits and may withdraw one.
    [listing] = await driver.exchange(sec.user_id, "/bulletins")
    assert "Chưa có bản tin" in plain(listing)
    await driver.press_button(sec.user_id, listing, "đã hẹn giờ")
    shown = await driver.wait_for_edit(sec.user_id, listing["message_id"])
    assert "đang chờ gửi (2)" in plain(shown)
    await driver.press_button(sec.user_id, shown, "Bản tin Tết")
    shown = await driver.wait_for_edit(sec.user_id, listing["message_id"])
    assert "đang chờ gửi (1)" in plain(shown) and "Bản tin Tết" not in plain(shown)

    # Nothing went out; the clock reaches the slot and the dispatcher's tick releases it, once.
    await asyncio.sleep(1.2)
    assert [m for m in await driver.bot_messages(old.user_id) if "voice" in m] == []
    clock.advance(first_slot - clock.now() + timedelta(minutes=1))
    [got] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
    assert "voice" in got and TITLE in plain(got)
    [got_young] = await driver.wait_for_bot_messages(young.user_id, timeout=10)
    assert got_young["voice"]["file_id"] == got["voice"]["file_id"]
    async with sandbox_run.sessionmaker() as s:
        sent = await s.scalar(select(Bulletin).where(Bulletin.title == TITLE))
        assert sent.dispatched_at is not None and sent.recipients == 10
        assert await s.scalar(select(func.count()).select_from(Delivery)
                              .where(Delivery.kind == bulletins.BULLETIN_DELIVERY)) == 2
    assert speech.syntheses == 2  # the deliveries used the previews' file_ids


async def test_a_long_bulletin_comes_in_numbered_parts_with_the_text_after_them(session, tmp_path):
    """Rendered for the dispatcher: a voice note per part of at most max_part_seconds ("Phần 1/3"),
    each uploaded with a hook that keeps its file_id; the text that does not fit a caption follows."""
    from telegram import InputFile

    from audio import Speech
    from handlers.bulletins import render_bulletin
    from handlers.render import visible_length
    from models.demo import load_demo

    demo = await load_demo(session)
    await session.commit()
    long_text = "\n\n".join(f"Mục {i}. {TEXT} Đề nghị các đồng chí tham dự đầy đủ, đúng giờ." for i in range(1, 10))
    bulletin = await bulletins.create_bulletin(session, Actor(telegram_user_id=1, is_admin=True), unit_id=demo.ward,
                                               title=TITLE, text=long_text, lang="vi")
    await session.commit()
    bulletin_id = bulletin.id  # the renderer ends the session's transaction: its objects expire
    speech = Speech(tmp_path / "audio", "espeak", max_part_seconds=15)
    calls = await render_bulletin(session, speech, bulletin_id, "vi", None)
    voices = [c for c in calls if c[0] == "sendVoice"]
    texts = [c for c in calls if c[0] == "sendMessage"]
    total = len(voices)
    assert total >= 3 and speech.syntheses == total
    assert calls[:total] == voices  # the voice notes first, then the text
    for index, (_, params, hook) in enumerate(voices, start=1):
        assert isinstance(params["voice"], InputFile) and callable(hook)
        assert f"Phần {index}/{total}" in params["caption"] and TITLE in params["caption"]
        assert visible_length(params["caption"]) <= 1024 and 1 <= params["duration"] <= 20
    assert texts and "Mục 9." in texts[-1][1]["text"] and all(visible_length(p["text"]) <= 4096 for _, p in texts)
    # Kept file_ids: the next render sends every part by file_id and synthesises nothing.
    for n, (_, _params, hook) in enumerate(voices):
        await hook(session, {"voice": {"file_id": f"AwACAgIAAxkBAAI{n:05d}", "file_unique_id": f"u{n}",
                                       "file_size": 1000}})
    await session.commit()
    again = await render_bulletin(session, speech, bulletin_id, "vi", None)
    assert [p["voice"] for m, p, *_ in again if m == "sendVoice"] == [f"AwACAgIAAxkBAAI{n:05d}" for n in range(total)]
    assert all(len(c) == 2 for c in again) and speech.syntheses == total


async def _file_id_recorded(run, file_id: str, timeout: float = 10) -> None:
    import asyncio
    import time

    from models.bulletins import AudioFile

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with run.sessionmaker() as s:
            if await s.scalar(select(AudioFile.key).where(AudioFile.file_id == file_id)):
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"file_id {file_id} never recorded")


async def test_google_refusing_falls_back_to_espeak_or_fails_cleanly(driver, personas, sandbox_run, tmp_path):
    """gTTS (HTTP mocked): 429 under "auto" → espeak-ng speaks; 500 under "gtts" alone → a clear message;
    Google answering → an MP3 voice note, then sent by file_id."""
    import responses

    from audio import AutoEngine, EspeakEngine, GTTSEngine, Speech
    from tests.audio import GOOGLE_URL, fake_mp3, google_answer

    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    async with sandbox_run.sessionmaker() as s:
        cell = await s.scalar(select(Unit.id).where(Unit.name == "Chi bộ Tổ dân phố 1"))
        await notices.create_notice(s, await load_actor(s, sec.user_id), kind=NoticeKind.notice,
                                             title="Họp chi bộ", body="Họp lúc 19:30.", audience_unit_ids=[cell])
        await s.commit()
    sandbox_run.runtime.dispatcher.wake()
    [got] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
    [got_young] = await driver.wait_for_bot_messages(young.user_id, timeout=10)
    services = sandbox_run.runtime.services

    def google(engine) -> Speech:
        return Speech(tmp_path / f"audio-{engine.name}", engine)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, GOOGLE_URL, status=500)
        services.speech = google(GTTSEngine(timeout=2, min_interval=0))
        await driver.callback_answer(await driver.press_button(old.user_id, got, "Nghe"))
        [told] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
        assert "Chưa tạo được tệp nghe" in plain(told) and "voice" not in told

        mock.replace(responses.POST, GOOGLE_URL, status=429)
        services.speech = auto = google(AutoEngine(GTTSEngine(timeout=2, min_interval=0), EspeakEngine()))
        await driver.callback_answer(await driver.press_button(old.user_id, got, "Nghe"))
        [voice] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
        assert voice["voice"]["mime_type"] == "audio/ogg" and auto.syntheses == 1

        mock.replace(responses.POST, GOOGLE_URL, body=google_answer(fake_mp3(40)))
        services.speech = online = google(GTTSEngine(timeout=2, min_interval=0))
        await driver.callback_answer(await driver.press_button(young.user_id, got_young, "Nghe"))
        [mp3] = await driver.wait_for_bot_messages(young.user_id, timeout=10)
        # The bot records the file_id just after Telegram answers the upload: let it land first.
        await _file_id_recorded(sandbox_run, mp3["voice"]["file_id"])
        await driver.callback_answer(await driver.press_button(old.user_id, got, "Nghe"))
        [again] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
    assert mp3["voice"]["mime_type"] == "audio/mpeg" and again["voice"]["file_id"] == mp3["voice"]["file_id"]
    assert online.syntheses == 1


def test_without_espeak_the_bot_still_starts_and_logs_the_package_to_install(tmp_path, monkeypatch, caplog):
    import logging

    from audio import make_speech
    from bot.app import build_application
    from handlers.listen import missing_packages
    from models.db import make_engine

    monkeypatch.setattr(audio, "missing_packages", lambda: ["espeak-ng", "opus-tools"])
    with caplog.at_level(logging.WARNING):
        speech = make_speech("espeak", tmp_path / "audio", None, 130)
    assert speech is not None and missing_packages(speech) == ["espeak-ng", "opus-tools"]
    assert "apt-get install espeak-ng opus-tools" in caplog.text
    # An unusable cache folder: audio is off, the bot is not.
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert make_speech("espeak", blocked / "audio", None, 130) is None
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tts_cache_dir=str(blocked / "x"))
    runtime = build_application(settings, make_engine(settings.database_url), token="1:x")
    assert runtime.services.speech is None
