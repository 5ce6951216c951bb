"""The year-end review, first slice (issue 16), over the Bot API: the ward officer opens the round from the
committee's panel with taps (year, two deadlines on the calendar, confirm); the elderly member (2C) completes
the self-review with buttons only; the secretary sees it sent and fills one in by proxy for a member without
Telegram (marked); forged presses, a second sending and a too-long text are refused and change nothing.

The elderly member's taps: 📝 Tự kiểm điểm → ▶ Bắt đầu → ➕ (part 1) → Tiếp → Tiếp → Tiếp → ➖ (part 4) → Tiếp →
Không có ý kiến thêm ×3 → 📨 Gửi: 12 taps, nothing typed (the test opens the sheet twice: before and after a
meeting of the year is recorded, which its first screen then names)."""
from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

from sqlalchemy import select

import audio
from audio.cache import AudioCache
from audio.engines import EspeakEngine
from models import clock, review
from models.dates import VIETNAM, local_today
from models.meetings.schema import Attendance, Meeting, MeetingKind, Presence
from models.members import Member
from models.permissions import member_actor
from models.review import Form, Level, ReviewEntry, ReviewRound

from .outbox import settled
from .test_feedback import voice_ogg
from .test_panel import CELL_PANEL, PARTY_PANEL, labels, open_panel, plain

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (64).to_bytes(4, "big") * 2 + bytes(64)


async def _entries(run) -> dict[int, ReviewEntry]:
    async with run.sessionmaker() as s:
        return {e.member_id: e for e in (await s.scalars(select(ReviewEntry))).all()}


async def _answer(driver, user_id: int, message_id: int, data: str) -> str:
    answer = await driver.callback_answer(await driver.press(user_id, message_id, data=data))
    return answer.get("text") or ""


async def _tap(driver, user_id: int, msg: dict, label: str) -> dict:
    """Press a button of the screen and get the screen back, edited in place."""
    await driver.press_button(user_id, msg, label)
    return await driver.wait_for_edit(user_id, msg["message_id"])


async def _open_round(driver, officer) -> tuple:
    panel = await open_panel(driver, officer.user_id, PARTY_PANEL)
    await driver.press_button(officer.user_id, panel, "Kiểm điểm cuối năm")
    [year] = await driver.wait_for_bot_messages(officer.user_id)
    today = local_today()
    assert "Kiểm điểm năm nào?" in plain(year), plain(year)
    screen = await _tap(driver, officer.user_id, year, f"Năm {today.year}")
    assert "Hạn chót đảng viên gửi bản tự kiểm điểm" in plain(screen), plain(screen)
    self_day, meet_day = today + timedelta(days=10), today + timedelta(days=20)
    for day in (self_day, meet_day):
        month = f"rvm:{day:%Y%m}"
        if day.month != today.month or (day == meet_day and self_day.month != meet_day.month):
            await driver.press(officer.user_id, screen["message_id"], data=month)
            screen = await driver.wait_for_edit(officer.user_id, screen["message_id"])
        await driver.press(officer.user_id, screen["message_id"], data=f"rvd:{day:%Y%m%d}")
        screen = await driver.wait_for_edit(officer.user_id, screen["message_id"])
    text = plain(screen)
    for line in (f"Năm kiểm điểm: {today.year}", f"Hạn gửi bản tự kiểm điểm: {self_day:%d/%m/%Y}",
                 f"Hạn chi bộ họp kiểm điểm: {meet_day:%d/%m/%Y}"):
        assert line in text, (line, text)
    done = await _tap(driver, officer.user_id, screen, "Mở đợt kiểm điểm")
    return done, self_day


async def test_a_round_opened_a_self_review_by_buttons_and_one_by_proxy(driver, personas, sandbox_run, monkeypatch,
                                                                        tmp_path):
    officer, old, secretary, young = (personas[k] for k in ("committee_officer", "elderly_member", "secretary",
                                                             "young_member"))
    done, self_day = await _open_round(driver, officer)
    text = plain(done)
    assert "✅ Đã mở đợt kiểm điểm năm" in text and "Không kiểm điểm" in text, text
    assert "Tôn Nữ Thị Lài (Chi bộ Tổ dân phố 1): được miễn sinh hoạt" in text, text
    async with sandbox_run.sessionmaker() as s:
        [rnd] = (await s.scalars(select(ReviewRound))).all()
        sau = (await s.scalars(select(Member).where(Member.full_name == "Trần Văn Sáu"))).one()
    entries = await _entries(sandbox_run)
    mine = entries[old.member_id]
    assert mine.form is Form.c and not mine.exempt

    # The elderly member: the call comes with one button; every step is a tap.
    [call] = await driver.wait_for_bot_messages(old.user_id)
    assert "đợt kiểm điểm, đánh giá, xếp loại đảng viên năm" in plain(call), plain(call)
    assert labels(call) == ["📝 Tự kiểm điểm"]
    await driver.press_button(old.user_id, call, "Tự kiểm điểm")
    [sheet] = await driver.wait_for_bot_messages(old.user_id)
    assert "Sổ tay ghi nhận" not in plain(sheet)  # nothing recorded this year yet: no line
    async with sandbox_run.sessionmaker() as s:  # a meeting of the year with him present, for the first screen
        meeting = Meeting(cell_id=mine.cell_id, kind=MeetingKind.regular, title="Sinh hoạt tháng 1", place="Nhà văn hóa",
                          starts_at=datetime(rnd.year, 1, 5, 12, 0, tzinfo=VIETNAM))
        s.add(meeting)
        await s.flush()
        s.add(Attendance(meeting_id=meeting.id, member_id=old.member_id, status=Presence.present))
        await s.commit()
    await driver.press_button(old.user_id, call, "Tự kiểm điểm")
    [sheet] = await driver.wait_for_bot_messages(old.user_id)
    assert "Sổ tay ghi nhận năm" in plain(sheet) and "đồng chí dự 1/1 buổi sinh hoạt có điểm danh" in plain(sheet), \
        plain(sheet)
    assert "Bản tự kiểm điểm năm" in plain(sheet) and "Mẫu 2C" in plain(sheet), plain(sheet)
    sheet = await _tap(driver, old.user_id, sheet, "Bắt đầu")
    assert "Phần 1/4: Tư tưởng chính trị" in plain(sheet) and "Điểm: 8 (tối đa 10)" in plain(sheet), plain(sheet)
    assert "Tổng điểm: 80/100. Mức xếp loại: Hoàn thành tốt nhiệm vụ (từ 70 đến dưới 90 điểm)." in plain(sheet)
    # 🔊 Nghe: the step read aloud, as a voice note below the screen, which stays as it is.
    speech, spoken = sandbox_run.runtime.services.speech, []
    synthesize = speech.synthesize

    async def recorded(text, lang):
        spoken.append((text, lang))
        return await synthesize(text, lang)

    monkeypatch.setattr(speech, "synthesize", recorded)
    monkeypatch.setattr(speech, "engine", EspeakEngine())  # offline: never Google from a test
    monkeypatch.setattr(speech, "cache", AudioCache(tmp_path / "audio", None))
    said = await _answer(driver, old.user_id, sheet["message_id"], f"rwh:{mine.id}:g0")
    if audio.available():  # (without espeak-ng the press is answered "chưa dùng được", nothing sent)
        assert "Đang chuẩn bị tệp nghe" in said, said
        [voice] = await driver.wait_for_bot_messages(old.user_id, timeout=30)
        assert voice["voice"]["mime_type"] == "audio/ogg" and "Bản tự kiểm điểm năm" in plain(voice), voice
        [(text, lang)] = spoken
        assert lang == "vi" and "Phần 1/4: Tư tưởng chính trị" in text and "Điểm: 8 (tối đa 10)" in text, text
        assert "<" not in text and "➕" not in text, text
    assert any("🔊 Nghe" in b for b in labels(sheet)), labels(sheet)
    said = await _answer(driver, old.user_id, sheet["message_id"], f"rwh:{mine.id}:g9")  # no such step
    assert said and "Đang chuẩn bị" not in said, said
    # Forged: points beyond the range, another member's entry.
    said = await _answer(driver, old.user_id, sheet["message_id"], f"rvp:{mine.id}:0:11")
    assert "Điểm phải nằm trong khung" in said, said
    [own] = await driver.exchange(young.user_id, "/profile")  # a message of his own to forge a press on
    said = await _answer(driver, young.user_id, own["message_id"], f"rvx:{mine.id}")
    assert said and "khung" not in said, said
    sheet = await _tap(driver, old.user_id, sheet, "Thêm 1 điểm")
    assert "Điểm: 9 (tối đa 10)" in plain(sheet) and "Tổng điểm: 81/100" in plain(sheet), plain(sheet)
    for _ in range(3):
        sheet = await _tap(driver, old.user_id, sheet, "Tiếp")
    assert "Phần 4/4: Thực hiện nhiệm vụ đảng viên nơi cư trú" in plain(sheet), plain(sheet)
    sheet = await _tap(driver, old.user_id, sheet, "Bớt 1 điểm")
    assert "Điểm: 55 (tối đa 70)" in plain(sheet), plain(sheet)
    sheet = await _tap(driver, old.user_id, sheet, "Tiếp")
    assert "Câu 1/3: Ưu điểm" in plain(sheet), plain(sheet)
    for _ in range(3):
        sheet = await _tap(driver, old.user_id, sheet, "Không có ý kiến thêm")
    assert "Xem lại trước khi gửi" in plain(sheet), plain(sheet)
    assert "• Tư tưởng chính trị: 9/10" in plain(sheet) and "Hướng khắc phục: không có ý kiến thêm" in plain(sheet)
    sheet = await _tap(driver, old.user_id, sheet, "Gửi")
    assert "✅ Đã gửi bản tự kiểm điểm" in plain(sheet) and labels(sheet) == ["📄 Tải bản tự kiểm điểm (Word)"], plain(sheet)
    # Sent: a second sending, or a change, is refused.
    said = await _answer(driver, old.user_id, sheet["message_id"], f"rvx:{mine.id}")
    assert "Bản tự kiểm điểm đã gửi rồi" in said, said
    mine = (await _entries(sandbox_run))[old.member_id]
    assert (mine.self_level, mine.by_proxy, mine.points["politics"], mine.points["residence"]) == (
        Level.good, False, 9, 55)

    # The secretary: the cell's list from her panel, then ✍️ Làm thay for a member without Telegram.
    await settled(sandbox_run, secretary.user_id)
    await driver.wait_for_bot_messages(secretary.user_id, timeout=10)  # her own call to review
    panel = await open_panel(driver, secretary.user_id, CELL_PANEL)
    assert any(b.startswith("📝 Tự kiểm điểm của chi bộ (") for b in labels(panel)), labels(panel)
    await driver.press_button(secretary.user_id, panel, "Tự kiểm điểm của chi bộ")
    [listing] = await driver.wait_for_bot_messages(secretary.user_id)
    assert f"✅ {old.name} — đã gửi" in plain(listing), plain(listing)
    assert "⏳ Trần Văn Sáu — chưa gửi (không dùng Telegram)" in plain(listing), plain(listing)
    assert "➖ Tôn Nữ Thị Lài — không kiểm điểm: được miễn sinh hoạt" in plain(listing), plain(listing)
    assert not any(old.name in b for b in labels(listing)), labels(listing)
    await driver.press_button(secretary.user_id, listing, "Làm thay: Trần Văn Sáu")
    [proxy] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "Bí thư làm thay" in plain(proxy), plain(proxy)
    proxy = await _tap(driver, secretary.user_id, proxy, "Bắt đầu")
    for _ in range(4):
        proxy = await _tap(driver, secretary.user_id, proxy, "Tiếp")
    assert "Câu 1/3: Ưu điểm" in plain(proxy), plain(proxy)
    # Typed: a text over the limit is refused whole; HTML is kept as text and shown escaped.
    [long] = await driver.exchange(secretary.user_id, "x" * 3000)
    assert "dài quá (3000 ký tự, tối đa 2000)" in plain(long), plain(long)
    assert (await _entries(sandbox_run))[sau.id].strengths is None
    got = await driver.exchange(secretary.user_id, "<b>Gương mẫu</b> ở tổ dân phố", count=2)
    step = got[-1]
    assert "Câu 2/3" in plain(step) and "tin nhắn thoại (tối đa 5 phút)" in plain(step), plain(step)
    assert (await _entries(sandbox_run))[sau.id].strengths == "<b>Gương mẫu</b> ở tổ dân phố"
    # Shortcomings said aloud: a sticker-like file is not an answer, a voice over 5 minutes is refused, then kept.
    await driver.send_file(secretary.user_id, PNG, "anh.png", kind="photo")
    [told] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "gõ chữ hoặc gửi tin nhắn thoại" in plain(told), plain(told)
    await driver.send_file(secretary.user_id, voice_ogg(seconds=301), "voice.ogg", kind="voice")
    [told] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "quá 5 phút" in plain(told) and "chưa lưu gì" in plain(told), plain(told)
    assert (await _entries(sandbox_run))[sau.id].voices is None
    await driver.send_file(secretary.user_id, voice_ogg(), "voice.ogg", kind="voice")
    kept, step = await driver.wait_for_bot_messages(secretary.user_id, count=2)
    assert "Đã lưu ghi âm" in plain(kept) and "Câu 3/3" in plain(step), (plain(kept), plain(step))
    file_id, seconds = (await _entries(sandbox_run))[sau.id].voice("shortcomings")
    step = await _tap(driver, secretary.user_id, step, "Không có ý kiến thêm")
    assert "Ưu điểm: <b>Gương mẫu</b> ở tổ dân phố" in plain(step), plain(step)
    assert f"Khuyết điểm, hạn chế: 🎤 ghi âm (0:{seconds:02d})" in plain(step), plain(step)
    # Heard again: the very voice, re-sent by its file_id.
    entry_id = (await _entries(sandbox_run))[sau.id].id
    await driver.press(secretary.user_id, step["message_id"], data=f"rwv:{entry_id}:1")
    [heard] = await driver.wait_for_bot_messages(secretary.user_id)
    assert heard["voice"]["file_id"] == file_id and "Trần Văn Sáu — Khuyết điểm" in plain(heard), heard
    said = await _answer(driver, young.user_id, own["message_id"], f"rwv:{entry_id}:1")  # not his to hear
    assert said and "ghi âm" not in said, said
    step = await _tap(driver, secretary.user_id, step, "Gửi")
    assert "bí thư làm thay" in plain(step), plain(step)
    theirs = (await _entries(sandbox_run))[sau.id]
    assert (theirs.by_proxy, theirs.submitted_by_member_id, theirs.self_level) == (True, secretary.member_id,
                                                                                    Level.good)
    # A member with Telegram cannot be done by proxy (a forged ✍️), nor can the young member open it.
    said = await _answer(driver, secretary.user_id, listing["message_id"], f"rvw:{mine.id}")
    assert "dùng Telegram" in said, said
    said = await _answer(driver, young.user_id, own["message_id"], f"rvw:{theirs.id}")
    assert said and "Telegram" not in said, said
    assert rnd.self_deadline == self_day

    # The secretary changes a member's form (from the position's 2A to 2C): the points start from 2C's.
    await driver.press_button(secretary.user_id, panel, "Tự kiểm điểm của chi bộ")
    [listing] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "✅ Trần Văn Sáu — đã gửi (bí thư làm thay)" in plain(listing), plain(listing)
    await driver.press_button(secretary.user_id, listing, "Đổi mẫu")
    [forms] = await driver.wait_for_bot_messages(secretary.user_id)
    rows = forms["reply_markup"]["inline_keyboard"]
    at = next(n for n, row in enumerate(rows) if row[0]["text"] == "Lê Thị Kim Oanh: mẫu 2A")
    assert [b["text"] for b in rows[at + 1]] == ["➜ Mẫu 2B", "➜ Mẫu 2C"]
    assert not any(old.name in row[0]["text"] for row in rows)  # sent: no longer changed
    await driver.press(secretary.user_id, forms["message_id"], data=rows[at + 1][1]["callback_data"])
    forms = await driver.wait_for_edit(secretary.user_id, forms["message_id"])
    assert "Lê Thị Kim Oanh: mẫu 2C" in labels(forms), labels(forms)
    async with sandbox_run.sessionmaker() as s:
        oanh = (await s.scalars(select(Member).where(Member.full_name == "Lê Thị Kim Oanh"))).one()
    entry = (await _entries(sandbox_run))[oanh.id]
    assert entry.form is Form.c and entry.points["residence"] == 56
    said = await _answer(driver, young.user_id, own["message_id"], f"rvz:{entry.id}:2B")  # a member may not
    assert said and (await _entries(sandbox_run))[oanh.id].form is Form.c


async def _reminders(driver, user_id: int, wait: float, want: int = 0) -> list[dict]:
    """The review's reminders the chat got since the cursor (among whatever else the moved clock brought),
    waiting until `want` came, or `wait` seconds when none is wanted."""
    loop = asyncio.get_running_loop()
    end, start = loop.time() + wait, driver.cursor(user_id)
    while True:
        found = [m for m in await driver.bot_messages(user_id, start) if "hết hạn gửi bản tự kiểm điểm" in plain(m)]
        if (want and len(found) >= want) or loop.time() >= end:
            return found
        await asyncio.sleep(0.3)


async def test_reminders_once_to_those_who_have_not_sent_and_nothing_after_the_deadline(driver, personas,
                                                                                          sandbox_run):
    officer, old, secretary = (personas[k] for k in ("committee_officer", "elderly_member", "secretary"))
    _done, self_day = await _open_round(driver, officer)
    await settled(sandbox_run, old.user_id, secretary.user_id)
    his = (await _entries(sandbox_run))[old.member_id].id
    async with sandbox_run.sessionmaker() as s:  # the elderly member has sent his (the first test taps it)
        await review.submit(s, await member_actor(s, old.member_id), his)
        await s.commit()
    for chat in (old.user_id, secretary.user_id):
        await driver.wait_for_bot_messages(chat)  # the call to review
    clock.advance(datetime.combine(self_day - timedelta(days=7), time(8, 0, 30), tzinfo=VIETNAM) - clock.now())
    [reminder] = await _reminders(driver, secretary.user_id, 15, 1)
    assert f"Còn 7 ngày nữa là hết hạn gửi bản tự kiểm điểm năm {self_day.year} (hạn {self_day:%d/%m/%Y})" \
        in plain(reminder), plain(reminder)
    assert labels(reminder) == ["📝 Tự kiểm điểm"]
    assert await _reminders(driver, old.user_id, 1) == []  # sent his: not reminded
    clock.advance(timedelta(hours=3))  # later ticks of the day: no second one
    assert len(await _reminders(driver, secretary.user_id, 3)) == 1
    # After the deadline the sheet is closed, said plainly; nothing is written.
    clock.advance(datetime.combine(self_day + timedelta(days=1), time(8, 0, 30), tzinfo=VIETNAM) - clock.now())
    said = await _answer(driver, secretary.user_id, reminder["message_id"], reminder["reply_markup"]["inline_keyboard"]
                         [0][0]["callback_data"])
    assert "Đã quá hạn gửi bản tự kiểm điểm" in said, said
    assert (await _entries(sandbox_run))[secretary.member_id].submitted_at is None


async def test_a_suspension_recorded_on_the_members_card_leaves_the_member_out_of_the_round(driver, personas,
                                                                                          sandbox_run):
    officer, secretary, young = (personas[k] for k in ("committee_officer", "secretary", "young_member"))
    [listing] = await driver.exchange(secretary.user_id, "/members")
    await driver.press(secretary.user_id, listing["message_id"], data=f"mp:{young.member_id}")
    [card] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "Đang bị đình chỉ" not in plain(card)
    await driver.press_button(secretary.user_id, card, "Ghi đình chỉ sinh hoạt đảng")
    [asked] = await driver.wait_for_bot_messages(secretary.user_id)
    assert f"Ghi đồng chí {young.name} bị đình chỉ sinh hoạt đảng từ hôm nay" in plain(asked), plain(asked)
    [own] = await driver.exchange(young.user_id, "/profile")  # he may not record it himself (forged)
    said = await _answer(driver, young.user_id, own["message_id"], f"msy:{young.member_id}:off")
    assert said and "Đã ghi" not in said, said
    done = await _tap(driver, secretary.user_id, asked, "Xác nhận")
    assert f"Đã ghi: đồng chí {young.name} bị đình chỉ sinh hoạt đảng từ ngày {local_today():%d/%m/%Y}" in plain(done)
    said = await _answer(driver, secretary.user_id, asked["message_id"], f"msy:{young.member_id}:on")  # again
    assert "đã được ghi rồi" in said, said
    [mine] = await driver.exchange(young.user_id, "/profile")
    assert f"Đang bị đình chỉ sinh hoạt đảng từ ngày {local_today():%d/%m/%Y}" in plain(mine), plain(mine)
    opened, _self_day = await _open_round(driver, officer)
    assert f"{young.name} ({young.cell}): đang bị đình chỉ sinh hoạt" in plain(opened), plain(opened)
    assert (await _entries(sandbox_run))[young.member_id].exempt_reason == "suspended"
