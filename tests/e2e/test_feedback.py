"""The two-way channel over the Bot API: feedback and replies, anonymity, limits, the digest,
and profile corrections decided by the secretary or the committee."""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handlers import feedback as feedback_handlers
from models import clock
from models.audit import AuditEntry
from models.feedback import Draft, FeedbackItem, FeedbackKind, FeedbackStatus, FeedbackThread, submit
from models.members import Member
from models.permissions import load_actor

FEEDBACK = "💬 Góp ý"


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


def buttons(msg: dict) -> list[dict]:
    return [b for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def button_data(msg: dict, text_contains: str) -> str:
    return next(b["callback_data"] for b in buttons(msg) if text_contains in b["text"])


async def audit_rows(run, action: str) -> list[AuditEntry]:
    async with run.sessionmaker() as s:
        return list((await s.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def items(run) -> list[FeedbackItem]:
    async with run.sessionmaker() as s:
        return list((await s.scalars(select(FeedbackItem).order_by(FeedbackItem.id))).all())


async def thread_of(run, item_id: int) -> FeedbackThread | None:
    async with run.sessionmaker() as s:
        return await s.get(FeedbackThread, item_id)


async def eventually(probe, expected, timeout: float = 5.0) -> bool:
    """The bot sends first and writes "delivered" just after: wait for the write, never sleep blindly long."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (await probe()) != expected:
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def sweep(run) -> None:
    """What the periodic job does, run now instead of waiting for it."""
    await feedback_handlers.run_sweep(run.runtime.app)


async def write(driver, user_id: int, text: str, *, anonymous: bool = False) -> dict:
    """A member sends one item with /feedback TEXT and taps a send button; returns the edited card."""
    [card] = await driver.exchange(user_id, f"/feedback {text}")
    await driver.press_button(user_id, card, "Gửi ẩn danh" if anonymous else "📨 Gửi")
    return await driver.wait_for_edit(user_id, card["message_id"])


def voice_ogg(seconds: int | None = None) -> bytes:
    """A real Opus voice note when espeak-ng and opusenc are here, else a minimal Ogg Opus header."""
    if shutil.which("espeak-ng") and shutil.which("opusenc"):
        speech = subprocess.run(["espeak-ng", "-v", "vi", "xin chào", "--stdout"], capture_output=True, check=True).stdout
        data = bytearray(subprocess.run(["opusenc", "--quiet", "-", "-"], input=speech, capture_output=True,
                                        check=True).stdout)
    else:
        head = b"OpusHead" + bytes([1, 1]) + (312).to_bytes(2, "little") + (48000).to_bytes(4, "little") + bytes(3)
        page = lambda granule, body: (b"OggS\x00\x02" + granule.to_bytes(8, "little") + bytes(12)  # noqa: E731
                                      + bytes([1, len(body)]) + body)
        data = bytearray(page(0, head) + page(312 + 48000, b"\x00"))
    if seconds is not None:  # stretch what the last page says: how Telegram measures a voice note
        pre_skip = int.from_bytes(data[data.find(b"OpusHead") + 10:data.find(b"OpusHead") + 12], "little")
        last = data.rfind(b"OggS")
        data[last + 6:last + 14] = (pre_skip + seconds * 48000).to_bytes(8, "little")
    return bytes(data)


async def test_the_sweep_is_a_repeating_job_of_the_application(sandbox_run):
    jobs = sandbox_run.runtime.app.job_queue.get_jobs_by_name("feedback_sweep")
    assert len(jobs) == 1


async def test_text_feedback_is_answered_and_the_member_reads_the_reply(driver, personas, sandbox_run):
    elderly, secretary = personas["elderly_member"], personas["secretary"]
    [home] = await driver.exchange(elderly.user_id, "/start")
    await driver.press_reply_button(elderly.user_id, FEEDBACK)
    [home] = await driver.wait_for_bot_messages(elderly.user_id)
    assert "Góp ý" in plain(home) and len(plain(home).splitlines()) <= 3
    [card] = await driver.exchange(elderly.user_id, "Đường điện ở kiệt 5 hay bị mất vào buổi tối <b>gấp</b> & cần sửa")
    assert "Về việc: Chung" in plain(card)  # the default; the demo has no meeting to write about
    assert "<b>gấp</b> & cần sửa" in plain(card)
    await driver.press_button(elderly.user_id, card, "📨 Gửi")
    sent = await driver.wait_for_edit(elderly.user_id, card["message_id"])
    assert "Đã gửi ý kiến" in sent["text"]
    [item] = await items(sandbox_run)
    assert (item.member_id, item.status, item.notified_at) == (elderly.member_id, FeedbackStatus.new, None)

    # the secretary gets one summary, opens the list and the item
    await sweep(sandbox_run)
    [summary] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "Chi bộ Tổ dân phố 1: 1 ý kiến mới" in plain(summary)
    await driver.press_button(secretary.user_id, summary, "Xem góp ý")
    [listing] = await driver.wait_for_bot_messages(secretary.user_id)
    await driver.press(secretary.user_id, listing["message_id"], data=f"fbo:{item.id}")
    [opened] = await driver.wait_for_bot_messages(secretary.user_id)
    assert elderly.name in plain(opened) and "<b>gấp</b> & cần sửa" in plain(opened)
    await driver.press_button(secretary.user_id, opened, "Trả lời")
    [ask] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "/cancel" in plain(ask)
    [done] = await driver.exchange(secretary.user_id, "Chi bộ đã báo Điện lực Huế, tuần sau sẽ sửa <i>xong</i>.")
    assert f"ý kiến số {item.id}" in plain(done)

    [reply] = await driver.wait_for_bot_messages(elderly.user_id)
    assert "Chi bộ trả lời" in plain(reply) and "tuần sau sẽ sửa <i>xong</i>." in plain(reply)
    assert "ẩn danh" not in plain(reply)
    # the member's own list shows it answered, with the reply
    [home] = await driver.exchange(elderly.user_id, "/feedback")
    [mine] = [b for b in buttons(home) if b["callback_data"] == f"fbm:{item.id}"]
    assert mine["text"].startswith("✅")
    await driver.press(elderly.user_id, home["message_id"], data=mine["callback_data"])
    [own] = await driver.wait_for_bot_messages(elderly.user_id)
    assert "đã trả lời" in plain(own) and "Điện lực Huế" in plain(own)
    # and the secretary closes it
    await driver.press_button(secretary.user_id, done, "Đóng")
    closed = await driver.wait_for_edit(secretary.user_id, done["message_id"])
    assert "Đã đóng" in closed["text"]
    [item] = await items(sandbox_run)
    assert item.status is FeedbackStatus.closed


async def test_several_items_make_one_summary_and_the_sweep_is_idempotent(driver, personas, sandbox_run):
    elderly, young, secretary = personas["elderly_member"], personas["young_member"], personas["secretary"]
    await write(driver, elderly.user_id, "Vệ sinh môi trường quanh chợ")
    await write(driver, young.user_id, "Xin lịch sinh hoạt tháng sau")
    await write(driver, young.user_id, "Góp ý về đèn đường", anonymous=True)
    await sweep(sandbox_run)
    await sweep(sandbox_run)
    [summary] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "3 ý kiến mới" in plain(summary)
    assert await driver.bot_messages(secretary.user_id, after_seq=driver.cursor(secretary.user_id)) == []
    assert all(i.notified_at is not None for i in await items(sandbox_run))
    # the committee officer is not told of each one, but sees the counts of every cell by status
    officer = personas["committee_officer"]
    assert await driver.bot_messages(officer.user_id) == []
    [home] = await driver.exchange(officer.user_id, "/feedback")
    await driver.press_button(officer.user_id, home, "Góp ý của đơn vị")
    [overview] = await driver.wait_for_bot_messages(officer.user_id)
    text = plain(overview)
    assert "Chi bộ Tổ dân phố 1: mới 3, đã xem 0, đã trả lời 0, đã đóng 0" in text
    assert "Chi bộ Tổ dân phố 2: mới 0" in text
    await driver.press(officer.user_id, overview["message_id"], data=button_data(overview, "Tổ dân phố 1"))
    listing = await driver.wait_for_edit(officer.user_id, overview["message_id"])
    assert len([b for b in buttons(listing) if b["callback_data"].startswith("fbo:")]) == 3


async def test_voice_feedback_reaches_the_secretary_and_long_voice_is_refused(driver, personas, sandbox_run):
    elderly, secretary = personas["elderly_member"], personas["secretary"]
    await driver.exchange(elderly.user_id, "/feedback")
    await driver.send_file(elderly.user_id, voice_ogg(seconds=301), "voice.ogg", kind="voice")
    [refused] = await driver.wait_for_bot_messages(elderly.user_id)
    assert "5 phút" in plain(refused)
    await driver.send_file(elderly.user_id, voice_ogg(), "voice.ogg", kind="voice")  # a second chance
    [card] = await driver.wait_for_bot_messages(elderly.user_id)
    assert "🎤" in plain(card)
    await driver.press_button(elderly.user_id, card, "📨 Gửi")
    await driver.wait_for_edit(elderly.user_id, card["message_id"])
    [item] = await items(sandbox_run)
    assert item.kind is FeedbackKind.voice and item.file_id and item.duration <= 5
    [home] = await driver.exchange(secretary.user_id, "/feedback")
    await driver.press_button(secretary.user_id, home, "Góp ý của đơn vị")
    [listing] = await driver.wait_for_bot_messages(secretary.user_id)
    await driver.press(secretary.user_id, listing["message_id"], data=f"fbo:{item.id}")
    opened, voice = await driver.wait_for_bot_messages(secretary.user_id, count=2)
    assert "Tin nhắn thoại" in plain(opened)
    assert voice["voice"]["file_id"] == item.file_id


async def test_a_photo_with_a_caption_is_feedback_too(driver, personas, sandbox_run):
    elderly, secretary = personas["elderly_member"], personas["secretary"]
    await driver.exchange(elderly.user_id, "/feedback")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (64).to_bytes(4, "big") * 2 + bytes(64)
    await driver.send_file(elderly.user_id, png, "cong.png", kind="photo", caption="Nắp cống trước nhà số 12 bị vỡ")
    [card] = await driver.wait_for_bot_messages(elderly.user_id)
    assert "🖼 Nắp cống" in plain(card)
    await driver.press_button(elderly.user_id, card, "📨 Gửi")
    await driver.wait_for_edit(elderly.user_id, card["message_id"])
    [item] = await items(sandbox_run)
    assert item.kind is FeedbackKind.photo and item.body == "Nắp cống trước nhà số 12 bị vỡ"
    [home] = await driver.exchange(secretary.user_id, "/feedback")
    await driver.press(secretary.user_id, home["message_id"], data=f"fbo:{item.id}")
    opened, photo = await driver.wait_for_bot_messages(secretary.user_id, count=2)
    assert "Có ảnh kèm theo" in plain(opened) and "Nắp cống" in plain(opened)
    assert photo["photo"][-1]["file_id"] == item.file_id


async def test_anonymous_feedback_hides_the_member_and_the_reply_still_arrives_once(driver, personas, sandbox_run):
    elderly, secretary = personas["elderly_member"], personas["secretary"]
    [card] = await driver.exchange(elderly.user_id, "/feedback Tôi thấy họp chi bộ hay kéo dài quá giờ")
    assert "ẩn danh" in plain(card) and "một lần" in plain(card)
    await driver.press_button(elderly.user_id, card, "Gửi ẩn danh")
    sent = await driver.wait_for_edit(elderly.user_id, card["message_id"])
    assert "không hiện trong danh sách" in sent["text"]
    [item] = await items(sandbox_run)
    assert item.member_id is None and item.anonymous
    async with sandbox_run.sessionmaker() as s:
        assert await s.get(FeedbackThread, item.id) is not None
    # the member's list does not show it (it is linked to nobody)
    [home] = await driver.exchange(elderly.user_id, "/feedback")
    assert not [b for b in buttons(home) if b["callback_data"] == f"fbm:{item.id}"]
    await sweep(sandbox_run)
    [summary] = await driver.wait_for_bot_messages(secretary.user_id)
    await driver.press_button(secretary.user_id, summary, "Xem góp ý")
    [listing] = await driver.wait_for_bot_messages(secretary.user_id)
    await driver.press(secretary.user_id, listing["message_id"], data=f"fbo:{item.id}")
    [opened] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "Người gửi: ẩn danh" in plain(opened) and elderly.name not in plain(opened)
    await driver.press_button(secretary.user_id, opened, "Trả lời")
    await driver.wait_for_bot_messages(secretary.user_id)
    await driver.exchange(secretary.user_id, "Cảm ơn đồng chí, chi bộ sẽ họp đúng giờ.")
    [reply] = await driver.wait_for_bot_messages(elderly.user_id)
    assert "họp đúng giờ" in plain(reply) and "ẩn danh" in plain(reply)
    assert await eventually(lambda: thread_of(sandbox_run, item.id), None)  # the way back is gone
    # a second reply has nowhere to go, and says so
    await driver.press_button(secretary.user_id, opened, "Trả lời")
    await driver.wait_for_bot_messages(secretary.user_id)
    [again] = await driver.exchange(secretary.user_id, "Bổ sung thêm")
    assert "đã được trả lời một lần" in plain(again)
    assert "Bổ sung thêm" not in "".join(plain(m) for m in await driver.bot_messages(elderly.user_id))


async def test_ten_an_hour_then_wait_and_a_text_too_long(driver, personas, sandbox_run):
    young = personas["young_member"]
    async with sandbox_run.sessionmaker() as s:  # nine already sent this hour, four of them anonymous
        actor = await load_actor(s, young.user_id)
        key = feedback_handlers.feedback_keys(sandbox_run.runtime.app)
        for i in range(9):
            await submit(s, actor, Draft(FeedbackKind.text, f"Ý kiến {i}"), anonymous=i % 2 == 1, key=key,
                         chat_id=young.user_id)
        await s.commit()
    sent = await write(driver, young.user_id, "Ý kiến thứ mười", anonymous=True)
    assert "Đã gửi" in sent["text"]
    refused = await write(driver, young.user_id, "Ý kiến thứ mười một")
    assert "10 ý kiến trong một giờ" in refused["text"]
    assert len(await items(sandbox_run)) == 10
    clock.advance(timedelta(hours=1, minutes=1))
    sent = await write(driver, young.user_id, "Sau một giờ")
    assert "Đã gửi ý kiến" in sent["text"]
    [too_long] = await driver.exchange(young.user_id, "/feedback " + "chữ " * 1010)
    assert "4.000 ký tự" in plain(too_long)
    assert len(await items(sandbox_run)) == 11


async def test_the_digest_groups_counts_and_finds_recurring_phrases(driver, personas, sandbox_run):
    elderly, young, secretary = personas["elderly_member"], personas["young_member"], personas["secretary"]
    await write(driver, elderly.user_id, "Đề nghị sửa đường điện ở kiệt 5")
    await write(driver, young.user_id, "Đường điện khu vực tổ 3 hay bị chập", anonymous=True)
    await write(driver, young.user_id, "Cần làm vệ sinh môi trường quanh chợ")
    await write(driver, elderly.user_id, "Tổ chức vệ sinh môi trường hàng tháng")
    [digest] = await driver.exchange(secretary.user_id, "/feedback digest")
    text = plain(digest)
    assert "Tổng hợp góp ý tháng" in text and "Chi bộ Tổ dân phố 1" in text
    assert "Số ý kiến: 4; đã trả lời: 0." in text
    assert "Chung (4 ý kiến)" in text
    assert "đường điện (2)" in text and "vệ sinh môi trường (2)" in text
    await driver.press_button(secretary.user_id, digest, "Tháng trước")
    previous = await driver.wait_for_edit(secretary.user_id, digest["message_id"])
    assert "Số ý kiến: 0" in previous["text"]
    [refused] = await driver.exchange(elderly.user_id, "/feedback digest")
    assert "không có quyền" in plain(refused)


async def test_feedback_about_a_meeting_and_its_digest(driver, personas, sandbox_run):
    from models.meetings import Meeting, MeetingKind

    elderly, secretary = personas["elderly_member"], personas["secretary"]
    async with sandbox_run.sessionmaker() as s:
        cell_id = (await s.get(Member, elderly.member_id)).cell_id
        meeting = Meeting(cell_id=cell_id, kind=MeetingKind.regular, title="Sinh hoạt chi bộ tháng 12",
                          place="Nhà văn hóa tổ 1", starts_at=clock.now() + timedelta(days=3))
        s.add(meeting)
        await s.commit()
    [card] = await driver.exchange(elderly.user_id, "/feedback Đề nghị họp sớm hơn nửa giờ vì đường điện tối")
    assert "Về việc: Chung" in plain(card)
    await driver.press_button(elderly.user_id, card, "Sinh hoạt chi bộ tháng 12")
    card = await driver.wait_for_edit(elderly.user_id, card["message_id"])
    assert "Về việc: Buổi sinh hoạt: Sinh hoạt chi bộ tháng 12" in card["text"]
    assert [b["text"] for b in buttons(card) if b["text"].startswith("✅")][0].endswith(")")
    await driver.press_button(elderly.user_id, card, "📨 Gửi")
    await driver.wait_for_edit(elderly.user_id, card["message_id"])
    [item] = await items(sandbox_run)
    assert (item.about_kind, item.about_id) == ("meeting", meeting.id)
    [digest] = await driver.exchange(secretary.user_id, "/feedback digest")
    assert "Buổi sinh hoạt: Sinh hoạt chi bộ tháng 12" in plain(digest)
    await driver.press_button(secretary.user_id, digest, "📊 Buổi sinh hoạt")
    about = await driver.wait_for_edit(secretary.user_id, digest["message_id"])
    assert "Tổng hợp góp ý về buổi sinh hoạt Sinh hoạt chi bộ tháng 12" in about["text"]
    assert "Số ý kiến: 1" in about["text"]


async def test_forged_buttons_are_refused_and_recorded(driver, personas, sandbox_run):
    elderly, young, secretary = personas["elderly_member"], personas["young_member"], personas["secretary"]
    await write(driver, elderly.user_id, "Ý kiến riêng của tôi")
    [item] = await items(sandbox_run)
    async with sandbox_run.sessionmaker() as s:  # an item of cell 2, outside the secretary's cell
        newcomer = await s.get(Member, personas["newcomer"].member_id)
        s.add(FeedbackItem(cell_id=newcomer.cell_id, member_id=newcomer.id, kind=FeedbackKind.text, body="Chi bộ 2"))
        await s.commit()
    other = (await items(sandbox_run))[-1]
    [home] = await driver.exchange(young.user_id, "/feedback")
    forged = [f"fbo:{item.id}", f"fbr:{item.id}", f"fbc:{item.id}", f"fbm:{item.id}", "fbl:1:0:0", "fbu:2",
              "fbi:0", "fbg:0", "fbd:2:202605", "crl:0", "cra:1", "crj:1", "cro:1", "fbs:x:1", "crf:99", "fbl:3:9:0"]
    for data in forged:
        answer = await driver.callback_answer(await driver.press(young.user_id, home["message_id"], data=data))
        assert answer is not None and answer["show_alert"] is True, data
    assert len(await audit_rows(sandbox_run, "refused")) >= len(forged)
    shown = "".join(plain(m) for m in await driver.bot_messages(young.user_id))
    assert "Ý kiến riêng của tôi" not in shown
    first = (await items(sandbox_run))[0]
    assert first.status is FeedbackStatus.new
    # the secretary of cell 1 cannot open, answer or close an item of cell 2
    [home] = await driver.exchange(secretary.user_id, "/feedback")
    for data in (f"fbo:{other.id}", f"fbr:{other.id}", f"fbc:{other.id}", f"fbl:{other.cell_id}:0:0"):
        answer = await driver.callback_answer(await driver.press(secretary.user_id, home["message_id"], data=data))
        assert answer["show_alert"] is True, data
    assert "Chi bộ 2" not in "".join(plain(m) for m in await driver.bot_messages(secretary.user_id))


# --- profile corrections ---------------------------------------------------------------------------


async def ask_correction(driver, user_id: int, field: str) -> None:
    [profile] = await driver.exchange(user_id, "/profile")
    await driver.press_button(user_id, profile, "Đề nghị sửa thông tin")
    [choose] = await driver.wait_for_bot_messages(user_id)
    await driver.press(user_id, choose["message_id"], data=button_data(choose, field))
    [ask] = await driver.wait_for_bot_messages(user_id)
    assert "/cancel" in plain(ask)


async def open_pending(driver, officer_id: int) -> dict:
    [home] = await driver.exchange(officer_id, "/feedback")
    await driver.press_button(officer_id, home, "Đề nghị sửa hồ sơ")
    [listing] = await driver.wait_for_bot_messages(officer_id)
    await driver.press(officer_id, listing["message_id"], data=buttons(listing)[0]["callback_data"])
    [card] = await driver.wait_for_bot_messages(officer_id)
    return card


async def test_a_phone_correction_is_approved_and_shows_on_the_profile(driver, personas, sandbox_run):
    elderly, secretary = personas["elderly_member"], personas["secretary"]
    await ask_correction(driver, elderly.user_id, "Điện thoại")
    [bad] = await driver.exchange(elderly.user_id, "12345")
    assert "không đúng" in plain(bad) and "gõ lại" in plain(bad)
    [sent] = await driver.exchange(elderly.user_id, "0914 222 333")
    assert "Đã gửi đề nghị" in plain(sent)
    await sweep(sandbox_run)
    [summary] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "1 đề nghị sửa hồ sơ" in plain(summary)
    await driver.press_button(secretary.user_id, summary, "Xem đề nghị")
    [listing] = await driver.wait_for_bot_messages(secretary.user_id)
    await driver.press(secretary.user_id, listing["message_id"], data=buttons(listing)[0]["callback_data"])
    [card] = await driver.wait_for_bot_messages(secretary.user_id)
    assert elderly.name in plain(card) and "0914 222 333" in plain(card)
    await driver.press_button(secretary.user_id, card, "Duyệt")
    decided = await driver.wait_for_edit(secretary.user_id, card["message_id"])
    assert "Đã duyệt" in decided["text"]
    [told] = await driver.wait_for_bot_messages(elderly.user_id)
    assert "đã được duyệt" in plain(told) and "0914 222 333" in plain(told)
    [profile] = await driver.exchange(elderly.user_id, "/profile")
    assert "0914 222 333" in plain(profile)
    [entry] = await audit_rows(sandbox_run, "profile_corrected")
    detail = json.loads(entry.detail)
    assert (detail["new"], detail["old"]) == ("+84914222333", elderly.phone)
    assert (entry.actor_member_id, entry.subject_member_id) == (secretary.member_id, elderly.member_id)
    # pressing again changes nothing
    cb = await driver.press(secretary.user_id, card["message_id"], data=button_data(card, "Duyệt"))
    assert "đã được xử lý" in (await driver.callback_answer(cb))["text"]
    assert len(await audit_rows(sandbox_run, "profile_corrected")) == 1


async def test_an_impossible_date_gets_a_second_chance_and_a_rejection_gives_the_reason(driver, personas, sandbox_run):
    elderly, secretary = personas["elderly_member"], personas["secretary"]
    await ask_correction(driver, elderly.user_id, "Ngày sinh")
    [bad] = await driver.exchange(elderly.user_id, "31/02/1950")
    assert "Không có ngày «31/02/1950»" in plain(bad)
    [sent] = await driver.exchange(elderly.user_id, "28/02/1940")
    assert "Đã gửi đề nghị" in plain(sent)
    card = await open_pending(driver, secretary.user_id)
    assert "28/02/1940" in plain(card)
    await driver.press_button(secretary.user_id, card, "Từ chối")
    [ask] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "lý do" in plain(ask)
    [done] = await driver.exchange(secretary.user_id, "Giấy khai sinh ghi năm 1943, đồng chí mang bản gốc đến chi bộ")
    assert "Đã từ chối" in plain(done)
    [told] = await driver.wait_for_bot_messages(elderly.user_id)
    assert "chưa được duyệt" in plain(told) and "Giấy khai sinh ghi năm 1943" in plain(told)
    async with sandbox_run.sessionmaker() as s:
        member = await s.get(Member, elderly.member_id)
        assert member.birth_date.year != 1940
    assert len(await audit_rows(sandbox_run, "correction_rejected")) == 1


async def test_party_data_is_refused_to_the_secretary_and_approved_by_the_committee(driver, personas, sandbox_run):
    young, secretary, officer = personas["young_member"], personas["secretary"], personas["committee_officer"]
    await ask_correction(driver, young.user_id, "Số thẻ đảng")
    [sent] = await driver.exchange(young.user_id, "07.123456")
    assert "cấp ủy cấp trên" in plain(sent)
    await sweep(sandbox_run)
    [summary] = await driver.wait_for_bot_messages(officer.user_id)  # the committee is told, not the secretary
    assert "đề nghị sửa hồ sơ" in plain(summary)
    card = await open_pending(driver, secretary.user_id)
    assert not [b for b in buttons(card) if "Duyệt" in b["text"]] and "cấp ủy cấp trên" in plain(card)
    correction_id = int(plain(card).split("số ")[1].split()[0])
    cb = await driver.press(secretary.user_id, card["message_id"], data=f"cra:{correction_id}")
    answer = await driver.callback_answer(cb)
    assert answer["show_alert"] and "cấp ủy cấp trên" in answer["text"]
    refused = await audit_rows(sandbox_run, "refused")
    assert any("committee_only" in (r.detail or "") for r in refused)
    card = await open_pending(driver, officer.user_id)
    await driver.press_button(officer.user_id, card, "Duyệt")
    await driver.wait_for_edit(officer.user_id, card["message_id"])
    [told] = await driver.wait_for_bot_messages(young.user_id)
    assert "đã được duyệt" in plain(told)
    async with sandbox_run.sessionmaker() as s:
        assert (await s.get(Member, young.member_id)).card_number == "07.123456"


async def test_cancel_leaves_the_step_and_a_menu_button_is_not_taken_as_feedback(driver, personas, sandbox_run):
    elderly = personas["elderly_member"]
    await driver.exchange(elderly.user_id, "/start")
    await driver.exchange(elderly.user_id, "/feedback")
    [profile] = await driver.exchange(elderly.user_id, "👤 Hồ sơ của tôi")
    assert elderly.name in plain(profile)
    [other] = await driver.exchange(elderly.user_id, "xin chào")  # the step was left: not a draft
    assert "Ý kiến của đồng chí" not in plain(other)
    await driver.exchange(elderly.user_id, "/feedback")
    [cancelled] = await driver.exchange(elderly.user_id, "/cancel")
    assert "Đã hủy" in plain(cancelled)
    [after] = await driver.exchange(elderly.user_id, "một câu bất kỳ")
    assert "Ý kiến của đồng chí" not in plain(after)
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(FeedbackItem)) == 0


@pytest.mark.parametrize("lang, home_word", [("en", "Feedback"), ("bn", "মতামত")])
async def test_other_languages(driver, personas, sandbox_run, lang, home_word):
    young = personas["young_member"]
    [menu] = await driver.exchange(young.user_id, "/language")
    await driver.press(young.user_id, menu["message_id"], data=f"lang:{lang}")
    await driver.wait_for_bot_messages(young.user_id)
    [home] = await driver.exchange(young.user_id, "/feedback")
    assert home_word in plain(home)


async def test_feedback_begun_before_a_restart_is_sent_after_it(driver, personas, sandbox_run):
    """The feedback flow keeps its step in user_data: that too is in the database."""
    elderly = personas["elderly_member"]
    await driver.exchange(elderly.user_id, "/start")
    await driver.press_reply_button(elderly.user_id, FEEDBACK)
    await driver.wait_for_bot_messages(elderly.user_id)
    await sandbox_run.restart_bot()
    [card] = await driver.exchange(elderly.user_id, "Đèn đường kiệt 5 hỏng đã một tuần")
    assert "Về việc: Chung" in plain(card)  # taken as feedback by the new process
    await driver.press_button(elderly.user_id, card, "📨 Gửi")
    sent = await driver.wait_for_edit(elderly.user_id, card["message_id"])
    assert "Đã gửi ý kiến" in sent["text"]
    [item] = await items(sandbox_run)
    assert item.member_id == elderly.member_id and "Đèn đường" in item.body
