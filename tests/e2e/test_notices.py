"""Notices end to end: the real bot and its dispatcher over HTTP against the sandbox.

Demo personas: the secretary, the elderly and the young member are in cell 1; the committee
officer of the ward is in cell 5; the newcomer (cell 2) is not linked.
"""
from __future__ import annotations

import asyncio
import time
from datetime import UTC, timedelta

from sqlalchemy import func, select

from models import clock
from models.audit import AuditEntry
from models.dates import VIETNAM
from models.deliveries import Delivery, DeliveryState
from models.notices import Notice, NoticeRecipient

TITLE = "Họp chi bộ tháng 12"
BODY = "Kính mời các đồng chí dự sinh hoạt chi bộ lúc 19 giờ 30, thứ Bảy, tại nhà văn hóa tổ dân phố."


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


def buttons(msg: dict) -> list[str]:
    return [b["text"] for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def latest_notice_id(run) -> int:
    async with run.sessionmaker() as s:
        return await s.scalar(select(func.max(Notice.id)))


async def wait_text(driver, chat_id: int, message_id: int, needle: str, timeout: float = 12) -> dict:
    """The message once its text (after edits) contains needle."""
    deadline = time.monotonic() + timeout
    while True:
        msg = next(m for m in await driver.messages(chat_id) if m["message_id"] == message_id)
        if needle in plain(msg):
            return msg
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} never appeared in: {plain(msg)}")
        await asyncio.sleep(0.1)


async def compose(driver, user_id: int, *, kind: str, title: str, body: str) -> dict:
    """/notice through the kind, title and text steps; returns the "attach a file?" question."""
    [ask] = await driver.exchange(user_id, "/notice")
    assert "loại nào" in plain(ask)
    await driver.press_button(user_id, ask, kind)
    [ask_title] = await driver.wait_for_bot_messages(user_id)
    assert "tiêu đề" in plain(ask_title)
    [ask_body] = await driver.exchange(user_id, title)
    assert "nội dung" in plain(ask_body)
    [ask_file] = await driver.exchange(user_id, body)
    assert "tệp đính kèm" in plain(ask_file)
    return ask_file


async def test_secretary_sends_step_by_step_members_read_and_the_status_follows(driver, personas, sandbox_run):
    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    ask_file = await compose(driver, sec.user_id, kind="Thông báo", title=TITLE, body=BODY)
    await driver.press_button(sec.user_id, ask_file, "Không đính kèm")
    [ask_when] = await driver.wait_for_bot_messages(sec.user_id)  # a cell secretary sends to her cell
    await driver.press_button(sec.user_id, ask_when, "Gửi ngay")
    preview, summary = await driver.wait_for_bot_messages(sec.user_id, 2)
    assert "Xem trước" in plain(preview) and TITLE in plain(preview) and BODY in plain(preview)
    assert "Chi bộ Tổ dân phố 1 — 10 đảng viên, trong đó 2 đồng chí dùng Telegram" in plain(summary)
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Notice)) == 0  # nothing before the confirmation
    await driver.press_button(sec.user_id, summary, "Gửi")
    [status] = await driver.wait_for_bot_messages(sec.user_id)
    assert "📊" in plain(status) and TITLE in plain(status)

    [got_old] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
    [got_young] = await driver.wait_for_bot_messages(young.user_id, timeout=10)
    for got in (got_old, got_young):
        assert TITLE in plain(got) and BODY in plain(got) and "Chi bộ Tổ dân phố 1" in plain(got)
        assert buttons(got) == ["✅ Đã đọc", "🔊 Nghe"]
    await wait_text(driver, sec.user_id, status["message_id"], "📬 Đã nhận: 2")

    press = await driver.press_button(old.user_id, got_old, "Đã đọc")
    assert "Đã ghi nhận" in (await driver.callback_answer(press))["text"]
    edited = await driver.wait_for_edit(old.user_id, got_old["message_id"])
    assert buttons(edited) == ["🔊 Nghe"]  # listening stays
    live = await wait_text(driver, sec.user_id, status["message_id"], "✅ Đã đọc: 1")
    # A secretary sees who has not read yet (the unlinked members too), and may remind them.
    assert "Chưa đọc (9)" in plain(live) and young.name in plain(live) and old.name not in plain(live)
    press = await driver.press_button(sec.user_id, live, "Nhắc người chưa đọc")
    assert "Đã nhắc 1 đồng chí" in (await driver.callback_answer(press))["text"]
    [reminder] = await driver.wait_for_bot_messages(young.user_id, timeout=10)
    assert "chưa xác nhận đã đọc" in plain(reminder) and TITLE in plain(reminder)
    press = await driver.press_button(young.user_id, reminder, "Đã đọc")
    await driver.callback_answer(press)
    await wait_text(driver, sec.user_id, status["message_id"], "✅ Đã đọc: 2")
    async with sandbox_run.sessionmaker() as s:
        reads = (await s.scalars(select(NoticeRecipient).where(NoticeRecipient.read_at.is_not(None)))).all()
        assert {r.member_id for r in reads} == {old.member_id, young.member_id}


async def test_one_line_notice_and_a_member_who_blocked_the_bot(driver, personas, sandbox_run):
    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    await driver.block(young.user_id)
    done, status = await driver.exchange(sec.user_id, f"/notice {TITLE} | {BODY}", count=2)
    assert "hàng gửi" in plain(done) and "📊" in plain(status)
    [got] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
    assert TITLE in plain(got) and BODY in plain(got)
    # The young member blocked the bot: marked, and reported to the secretary through the outbox.
    [report] = await driver.wait_for_bot_messages(sec.user_id, timeout=10)
    assert young.name in plain(report) and "chặn" in plain(report)
    await wait_text(driver, sec.user_id, status["message_id"], "🚫 Không liên lạc được: 1")
    async with sandbox_run.sessionmaker() as s:
        states = dict((await s.execute(select(Delivery.member_id, Delivery.state)
                                       .where(Delivery.kind == "notice"))).all())
    assert states == {old.member_id: DeliveryState.sent, young.member_id: DeliveryState.unreachable}
    [usage] = await driver.exchange(sec.user_id, "/notice chỉ có tiêu đề")
    assert "/notice Tiêu đề | Nội dung" in plain(usage)


async def test_scheduled_notice_gets_a_second_chance_and_goes_out_at_its_time(driver, personas, sandbox_run):
    sec, old = personas["secretary"], personas["elderly_member"]
    ask_file = await compose(driver, sec.user_id, kind="Thông báo", title=TITLE, body=BODY)
    await driver.press_button(sec.user_id, ask_file, "Không đính kèm")
    [ask_when] = await driver.wait_for_bot_messages(sec.user_id)
    await driver.press_button(sec.user_id, ask_when, "Hẹn giờ")
    await driver.wait_for_edit(sec.user_id, ask_when["message_id"])
    [reply] = await driver.exchange(sec.user_id, "01/01/2020 10:00")
    assert "đã qua" in plain(reply)
    [reply] = await driver.exchange(sec.user_id, "31/02/2030 10:00")
    assert "Không có ngày giờ này" in plain(reply)
    [reply] = await driver.exchange(sec.user_id, "ngày mai")
    assert "Chưa đúng mẫu" in plain(reply)
    when = (clock.now() + timedelta(days=1)).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
    preview, summary = await driver.exchange(sec.user_id, when, count=2)
    assert f"Sẽ gửi lúc {when}" in plain(summary)
    await driver.press_button(sec.user_id, summary, "Gửi")
    edited = await driver.wait_for_edit(sec.user_id, summary["message_id"])
    assert f"Đã hẹn gửi lúc {when}" in plain(edited)
    [status] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Chưa gửi" in plain(status)
    await asyncio.sleep(1.5)
    assert await driver.bot_messages(old.user_id, driver.cursor(old.user_id)) == []
    clock.advance(timedelta(days=1, minutes=1))
    [got] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
    assert TITLE in plain(got)
    await wait_text(driver, sec.user_id, status["message_id"], "📬 Đã nhận: 2")


async def test_inbox_newest_first_with_unread_marked(driver, personas, sandbox_run):
    sec, old = personas["secretary"], personas["elderly_member"]
    for n in (1, 2):
        await driver.exchange(sec.user_id, f"/notice Thông báo số {n} | Nội dung số {n}", count=2)
        await driver.wait_for_bot_messages(old.user_id, timeout=10)
    [inbox] = await driver.exchange(old.user_id, "📢 Thông báo")
    assert "chưa đọc 2" in plain(inbox)
    assert [b for b in buttons(inbox)][:2] == [
        b for b in buttons(inbox) if "Thông báo số" in b][:2]
    first, second = [b for b in buttons(inbox) if "Thông báo số" in b]
    assert "số 2" in first and "🆕" in first and "số 1" in second
    await driver.press_button(old.user_id, inbox, "Thông báo số 1")
    [opened] = await driver.wait_for_bot_messages(old.user_id)
    assert "Nội dung số 1" in plain(opened) and buttons(opened) == ["✅ Đã đọc", "🔊 Nghe"]
    press = await driver.press_button(old.user_id, opened, "Đã đọc")
    await driver.callback_answer(press)
    [inbox] = await driver.exchange(old.user_id, "/notices")
    assert "chưa đọc 1" in plain(inbox)
    assert "🆕" not in [b for b in buttons(inbox) if "số 1" in b][0]


async def test_committee_resolution_with_file_documents_search_and_study_rates(driver, personas, sandbox_run):
    officer, sec, old = personas["committee_officer"], personas["secretary"], personas["elderly_member"]
    title = "Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học, công nghệ"
    await compose(driver, officer.user_id, kind="Nghị quyết", title=title,
                             body="Đề nghị các chi bộ tổ chức học tập, quán triệt nghị quyết.")
    await driver.send_file(officer.user_id, b"%PDF-1.4 nghi quyet 57", "nq57.pdf")
    received, ask_study = await driver.wait_for_bot_messages(officer.user_id, 2)
    assert "nq57.pdf" in plain(received)
    await driver.press_button(officer.user_id, ask_study, "Có")
    [ask_units] = await driver.wait_for_bot_messages(officer.user_id)
    assert any("Chi bộ Tổ dân phố 2" in b for b in buttons(ask_units))
    await driver.press_button(officer.user_id, ask_units, "Toàn bộ")
    [ask_when] = await driver.wait_for_bot_messages(officer.user_id)
    await driver.press_button(officer.user_id, ask_when, "Gửi ngay")
    _, summary = await driver.wait_for_bot_messages(officer.user_id, 2)
    assert "nq57.pdf" in plain(summary) and "3 đồng chí dùng Telegram" in plain(summary)
    await driver.press_button(officer.user_id, summary, "Gửi")
    [status] = await driver.wait_for_bot_messages(officer.user_id)

    for persona in (sec, old, personas["young_member"]):
        [got] = await driver.wait_for_bot_messages(persona.user_id, timeout=10)
        assert got["media_kind"] == "document" and got["document"]["file_name"] == "nq57.pdf"
        assert title in plain(got) and buttons(got) == ["✅ Đã đọc", "📖 Đã học", "🔊 Nghe"]
    stats = await driver.stats()
    assert stats["sends_by_file_id"] == 3 and stats["uploads"] == 0  # forwarded by file_id

    [found] = await driver.exchange(old.user_id, "/documents nghi quyet khoa hoc")
    # Ranked passages of the library (handlers/library): the document, its number, and a button to open it.
    assert "Số 57-NQ/TW" in plain(found) and buttons(found) == ["📖 Mở văn bản 1", "🔊 Nghe đoạn 1"]
    [none] = await driver.exchange(old.user_id, "/documents ngân sách")
    assert "Không tìm thấy" in plain(none)
    [listed] = await driver.exchange(old.user_id, "/documents")
    await driver.press_button(old.user_id, listed, "57-NQ/TW")
    [opened] = await driver.wait_for_bot_messages(old.user_id)
    assert opened["media_kind"] == "document" and "📖 Đã học" in buttons(opened)
    press = await driver.press_button(old.user_id, opened, "Đã học")
    assert "học tập" in (await driver.callback_answer(press))["text"]

    live = await wait_text(driver, officer.user_id, status["message_id"], "📖 Đã học: 1/")
    assert "Chi bộ Tổ dân phố 1: đã đọc 1/11" in plain(live)  # a committee sees cells, not names
    await driver.press_button(officer.user_id, live, "Tỷ lệ học tập")
    [rates] = await driver.wait_for_bot_messages(officer.user_id)
    assert "Chi bộ Tổ dân phố 1: 1/11 đảng viên đã học (9%" in plain(rates)
    assert "Chi bộ Tổ dân phố 2: 0/" in plain(rates)


async def test_a_forged_read_button_of_another_cells_notice_is_refused(driver, personas, sandbox_run):
    sec, officer = personas["secretary"], personas["committee_officer"]
    await driver.exchange(sec.user_id, f"/notice {TITLE} | {BODY}", count=2)
    notice_id = await latest_notice_id(sandbox_run)
    [own] = await driver.exchange(officer.user_id, "/notices")  # any message of hers to press on
    for data in (f"nr:{notice_id}", f"ns:{notice_id}", "nr:abc"):
        press = await driver.press(officer.user_id, own["message_id"], data=data)
        answer = await driver.callback_answer(press)
        assert "không có quyền" in answer["text"] and answer["show_alert"]
    async with sandbox_run.sessionmaker() as s:
        assert await s.get(NoticeRecipient, (notice_id, officer.member_id)) is None
        reads = await s.scalar(select(func.count()).select_from(NoticeRecipient)
                               .where(NoticeRecipient.read_at.is_not(None)))
        refused = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))).all()
    assert reads == 0
    assert [r.detail for r in refused] == ['{"what": "notice_read"}', '{"what": "notice_studied"}',
                                           '{"what": "notice_read"}']
    # A plain member may not send notices at all.
    [reply] = await driver.exchange(personas["elderly_member"].user_id, "/notice Thử | nội dung")
    assert "không có quyền" in plain(reply)


async def test_a_forged_audience_button_is_refused_not_a_crash(driver, personas, sandbox_run):
    """Regression: "na:u:²" passed str.isdigit() and int("²") raised ValueError in the audience step."""
    officer = personas["committee_officer"]
    ask_file = await compose(driver, officer.user_id, kind="Thông báo", title=TITLE, body=BODY)
    await driver.press_button(officer.user_id, ask_file, "Không đính kèm")
    [ask_audience] = await driver.wait_for_bot_messages(officer.user_id)
    for data in ("na:u:²", "na:c:①", "na:u:99999999999"):
        press = await driver.press(officer.user_id, ask_audience["message_id"], data=data)
        answer = await driver.callback_answer(press)
        assert "không có quyền" in answer["text"] and answer["show_alert"], data


def test_a_long_notice_is_split_at_paragraphs_with_the_file_first_and_the_buttons_last():
    from datetime import datetime

    from handlers.notices import notice_calls
    from handlers.render import visible_length
    from models.notices import Notice, NoticeKind
    from models.units import Unit, UnitKind

    unit = Unit(id=3, name="Chi bộ <Tổ dân phố 1>", kind=UnitKind.cell, path="/1/3/")
    paragraphs = [f"Đoạn {i}: " + "nội dung nghị quyết & hướng dẫn thực hiện " * 20 for i in range(12)]
    notice = Notice(id=42, kind=NoticeKind.resolution, title="Nghị quyết <số 57>", body="\n\n".join(paragraphs),
                    unit=unit, file_id="BQACAgIAAxkBAAI00001abc", file_kind="document", file_name="nq57.pdf",
                    study_required=True, send_at=datetime(2026, 12, 5, 1, 0, tzinfo=UTC))
    calls = notice_calls(notice, "vi", None)
    (first_method, first), *texts = calls
    assert first_method == "sendDocument" and first["document"] == notice.file_id
    assert visible_length(first["caption"]) <= 1024 and "&lt;số 57&gt;" in first["caption"]
    assert "&lt;Tổ dân phố 1&gt;" in first["caption"] and "reply_markup" not in first
    assert len(texts) >= 2 and all(m == "sendMessage" for m, _ in texts)
    assert all(visible_length(p["text"]) <= 4096 for _, p in texts)
    assert all(p["text"].startswith("Đoạn ") for _, p in texts)  # cut between paragraphs
    assert all("reply_markup" not in p for _, p in texts[:-1])
    keyboard = texts[-1][1]["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in keyboard] == [["nr:42"], ["ns:42"], ["bh:42"]]
    assert "&amp;" in texts[0][1]["text"]


async def test_a_restart_in_the_middle_of_a_notice_loses_neither_the_step_nor_the_draft(driver, personas, sandbox_run):
    """The step and the draft are in the database: a new process (or another instance) goes on."""
    sec, old = personas["secretary"], personas["elderly_member"]
    [ask] = await driver.exchange(sec.user_id, "/notice")
    await driver.press_button(sec.user_id, ask, "Thông báo")
    await driver.wait_for_bot_messages(sec.user_id)
    [ask_body] = await driver.exchange(sec.user_id, TITLE)
    assert "nội dung" in plain(ask_body)

    first_app = sandbox_run.runtime.app
    await sandbox_run.restart_bot()
    assert sandbox_run.runtime.app is not first_app

    [ask_file] = await driver.exchange(sec.user_id, BODY)  # the new process knows the step: this is the text
    assert "tệp đính kèm" in plain(ask_file)
    await driver.press_button(sec.user_id, ask_file, "Không đính kèm")
    [ask_when] = await driver.wait_for_bot_messages(sec.user_id)
    await driver.press_button(sec.user_id, ask_when, "Gửi ngay")
    preview, summary = await driver.wait_for_bot_messages(sec.user_id, 2)
    assert TITLE in plain(preview) and BODY in plain(preview)  # the title typed before the restart
    await driver.press_button(sec.user_id, summary, "Gửi")
    await driver.wait_for_bot_messages(sec.user_id)
    [got] = await driver.wait_for_bot_messages(old.user_id, timeout=10)
    assert TITLE in plain(got) and BODY in plain(got)


async def test_a_conversation_idle_past_its_timeout_is_not_restored(driver, personas, sandbox_run):
    sec = personas["secretary"]
    [ask] = await driver.exchange(sec.user_id, "/notice")
    await driver.press_button(sec.user_id, ask, "Thông báo")
    await driver.wait_for_bot_messages(sec.user_id)
    await sandbox_run.restart_bot()
    clock.advance(timedelta(minutes=31))  # /notice gives up after 30 idle minutes
    replies = await driver.exchange(sec.user_id, TITLE)
    assert replies and not any("nội dung" in plain(r) for r in replies)  # not taken as the title any more
