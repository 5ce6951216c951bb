"""Cell meetings end to end: the real bot and its dispatcher over HTTP against the sandbox.

Demo personas: the secretary, the elderly and the young member are in cell 1 (the only linked
members of it); the committee officer of the ward is in cell 5; the newcomer (cell 2) is not linked.
The clock the bot reads is moved (models.clock), never slept on.
"""
from __future__ import annotations

import asyncio
import io
import time
from datetime import datetime, timedelta

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.app import build_application
from bot.sandbox_mode import SANDBOX_TOKEN
from bot.serve import run_polling
from handlers.meetings.render import status_edits
from models import clock, meetings
from models.audit import AuditEntry
from models.dates import VIETNAM
from models.deliveries import Delivery
from models.meetings import Meeting, MeetingKind, MeetingReminder, ReminderState
from models.permissions import load_actor, managed_cells

PLACE = "Nhà văn hóa tổ 3"
TITLE = "Sinh hoạt thường kỳ tháng 12"


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


def buttons(msg: dict) -> list[str]:
    return [b["text"] for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def data_of(msg: dict, text: str) -> str:
    return next(b["callback_data"] for row in msg["reply_markup"]["inline_keyboard"] for b in row if text in b["text"])


def day_buttons(msg: dict) -> list[str]:
    """The data of the days that can be chosen on a calendar, in order."""
    return [b["callback_data"] for row in msg["reply_markup"]["inline_keyboard"] for b in row
            if b["callback_data"].startswith("gd:")]


def local_day(days: int) -> str:
    return (clock.now().astimezone(VIETNAM) + timedelta(days=days)).strftime("%d/%m/%Y")


async def latest_meeting(run) -> Meeting:
    async with run.sessionmaker() as s:
        return await s.scalar(select(Meeting).order_by(Meeting.id.desc()).limit(1))


async def audit_rows(run, action: str) -> list[AuditEntry]:
    async with run.sessionmaker() as s:
        return list((await s.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def wait_until(predicate, timeout: float = 15, what: str = "a condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def wait_text(driver, chat_id: int, message_id: int, needle: str, timeout: float = 15) -> dict:
    async def found():
        msg = next(m for m in await driver.messages(chat_id) if m["message_id"] == message_id)
        return msg if needle in plain(msg) else None

    return await wait_until(found, timeout, f"{needle!r} in message {message_id}")


async def texts_after(driver, chat_id: int, seq: int) -> list[str]:
    return [plain(m) for m in await driver.bot_messages(chat_id, seq)]


def move_clock_to(at: datetime) -> None:
    clock.advance(at - clock.now())


async def schedule_one_line(driver, run, secretary, days: int = 5, at: str = "19:30", title: str = TITLE) -> Meeting:
    replies = await driver.exchange(secretary.user_id, f"/meeting {local_day(days)} {at} | {PLACE} | {title}", count=2)
    assert "Đã lên lịch" in plain(replies[0])
    assert "Sẽ tham dự" in plain(replies[1])  # the secretary's live status message
    return await latest_meeting(run)


async def restart_bot(run, while_down=None) -> None:
    """Stop the bot (polling and its dispatcher), let time pass, start a fresh one on the same database."""
    run.stop.set()
    await run.polling
    if while_down is not None:
        while_down()
    settings = run.settings.model_copy(update={"telegram_api_url": run.url, "database_url": run.database_url})
    run.runtime = build_application(settings, run.engine, token=SANDBOX_TOKEN, seal_key=run.seal_key)
    run.stop = asyncio.Event()
    run.polling = asyncio.create_task(run_polling(run.runtime.app, run.stop, poll_timeout=5))
    while not (run.runtime.app.running and run.runtime.app.updater.running):
        if run.polling.done():
            await run.polling
        await asyncio.sleep(0.01)


# --- the whole life of a meeting --------------------------------------------------------------------------
async def test_schedule_answer_remind_roll_call_close_minutes_and_report(driver, personas, sandbox_run):
    secretary, elderly, young, officer = (personas[k] for k in ("secretary", "elderly_member", "young_member",
                                                                "committee_officer"))
    meeting = await schedule_one_line(driver, sandbox_run, secretary)
    status = (await driver.bot_messages(secretary.user_id))[-1]

    # Every linked member of the cell receives the notice with the two answers.
    [notice] = await driver.wait_for_bot_messages(elderly.user_id, timeout=15)
    assert TITLE in plain(notice) and PLACE in plain(notice) and "19:30" in plain(notice)
    assert buttons(notice) == ["✅ Tôi sẽ tham dự", "🙏 Vắng, có lý do"]
    assert len(plain(notice).splitlines()) <= 3  # three short lines before the first button
    [young_notice] = await driver.wait_for_bot_messages(young.user_id, timeout=15)

    # The elderly member will be absent and types the reason; the young one will come.
    await driver.press_button(elderly.user_id, notice, "Vắng")
    [ask] = await driver.wait_for_bot_messages(elderly.user_id)
    assert "lý do" in plain(ask) and "Ốm đau, sức khỏe yếu" in buttons(ask)
    [thanks] = await driver.exchange(elderly.user_id, "Đi khám bệnh ở Bệnh viện Trung ương Huế")
    assert "Đi khám bệnh" in plain(thanks)
    cb = await driver.press_button(young.user_id, young_notice, "Tôi sẽ tham dự")
    assert "sẽ tham dự" in (await driver.callback_answer(cb))["text"]
    ticked = await driver.wait_for_edit(young.user_id, young_notice["message_id"])
    assert "✅ Tôi sẽ tham dự ✔" in buttons(ticked)

    # The secretary sees the counts and names live.
    live = await wait_text(driver, secretary.user_id, status["message_id"], "Đi khám bệnh")
    assert "Sẽ tham dự: 2" in plain(live) and young.name in plain(live) and elderly.name in plain(live)

    # Three days before: a reminder to those who have not declined.
    seq_elderly = driver.cursor(elderly.user_id)
    move_clock_to(meeting.starts_at - timedelta(days=3) + timedelta(minutes=1))
    [reminder] = await driver.wait_for_bot_messages(young.user_id, timeout=15)
    assert "Còn 3 ngày nữa" in plain(reminder) and TITLE in plain(reminder)
    await asyncio.sleep(1.5)
    assert await texts_after(driver, elderly.user_id, seq_elderly) == []

    # At the meeting: the roll-call, everyone present but the elderly member (excused).
    move_clock_to(meeting.starts_at - timedelta(minutes=20))
    [roll] = await driver.exchange(secretary.user_id, "/attendance")
    assert "Điểm danh" in plain(roll) and f"🙏 {elderly.name} 📝" in buttons(roll)
    await driver.press_button(secretary.user_id, roll, "còn lại đều có mặt")
    roll = await driver.wait_for_edit(secretary.user_id, roll["message_id"])
    assert "Có mặt 9" in plain(roll) and f"✅ {young.name}" in buttons(roll)
    # One tap cycles a member: present → excused.
    await driver.press(secretary.user_id, roll["message_id"], data=data_of(roll, young.name))
    roll = await driver.wait_for_edit(secretary.user_id, roll["message_id"])
    assert f"🙏 {young.name}" in buttons(roll)
    for _ in range(3):  # → unexcused → exempt → present
        await driver.press(secretary.user_id, roll["message_id"], data=data_of(roll, young.name))
        roll = await driver.wait_for_edit(secretary.user_id, roll["message_id"])
    assert f"✅ {young.name}" in buttons(roll)
    marks = await audit_rows(sandbox_run, "attendance_marked")
    assert len(marks) == 4 and {m.actor_member_id for m in marks} == {secretary.member_id}

    # After the meeting: content, decisions, close; the draft minutes; approve → a Word file.
    move_clock_to(meeting.starts_at + timedelta(minutes=90))
    await driver.press_button(secretary.user_id, roll, "Ghi nội dung")
    [ask] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "nội dung" in plain(ask)
    [ask] = await driver.exchange(secretary.user_id, "Quán triệt Nghị quyết 57-NQ/TW; bàn công tác vệ sinh môi trường.")
    assert "mỗi dòng một ý" in plain(ask)
    [confirm] = await driver.exchange(secretary.user_id, "- Tổng vệ sinh khu phố ngày 15/12\n- Vận động quỹ khuyến học")
    assert "2 quyết định" in plain(confirm)
    await driver.press_button(secretary.user_id, confirm, "Kết thúc buổi sinh hoạt")
    [draft] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "DỰ THẢO BIÊN BẢN" in plain(draft) and "Có mặt 9/11" in plain(draft) and "Đi khám bệnh" in plain(draft)
    await driver.press_button(secretary.user_id, draft, "Thư ký")
    await driver.wait_for_bot_messages(secretary.user_id)
    replies = await driver.exchange(secretary.user_id, "Phan Minh Khôi", count=2)
    draft = replies[-1]
    assert "Thư ký: Phan Minh Khôi" in plain(draft)
    await driver.press_button(secretary.user_id, draft, "Duyệt")
    [word] = await driver.wait_for_bot_messages(secretary.user_id, timeout=15)
    assert word["document"]["file_name"].endswith(".docx")
    doc = Document(io.BytesIO(await driver.download(word["document"])))
    body = "\n".join(p.text for p in doc.paragraphs)
    header = " ".join(c.text for c in doc.tables[0].rows[0].cells)
    signatures = " ".join(c.text for c in doc.tables[1].rows[0].cells)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in header and "CHI BỘ TỔ DÂN PHỐ 1" in header
    assert "BIÊN BẢN" in body and "Sinh hoạt chi bộ thường kỳ tháng" in body
    assert "19 giờ 30 phút" in body and PLACE in body
    assert "có mặt: 9 đồng chí" in body and f"Đồng chí {elderly.name}: Vắng có lý do (lý do: Đi khám bệnh" in body
    assert "Quán triệt Nghị quyết 57-NQ/TW" in body
    assert "1. Tổng vệ sinh khu phố ngày 15/12" in body and "2. Vận động quỹ khuyến học" in body
    assert "IV. KẾT QUẢ BIỂU QUYẾT" in body and "không có biểu quyết" in body
    assert "Phan Minh Khôi" in signatures and secretary.name in signatures
    run = doc.paragraphs[1].runs[0]
    assert run.font.name == "Times New Roman" and 13 <= run.font.size.pt <= 15
    async def kept():  # the file_id is kept just after the file is sent
        stored = await latest_meeting(sandbox_run)
        return stored.minutes_approved_at is not None and stored.minutes_file_id == word["document"]["file_id"]

    await wait_until(kept, what="the minutes' file_id kept with the meeting")

    # The committee officer, without being there: the day's report, then the month's chart and spreadsheet.
    day = meeting.starts_at.astimezone(VIETNAM)
    [report] = await driver.exchange(officer.user_id, f"/report {day:%d/%m/%Y}")
    text = plain(report)
    assert "Chi bộ Tổ dân phố 1" in text and "Có mặt 9/11 (82%; cơ sở tính: 11 đảng viên" in text
    assert "Quán triệt Nghị quyết 57-NQ/TW" in text and "Tổng vệ sinh khu phố" in text
    assert "không có biểu quyết" in text
    await driver.press_button(officer.user_id, report, "Biên bản")
    [again] = await driver.wait_for_bot_messages(officer.user_id)
    assert again["document"]["file_id"] == word["document"]["file_id"]  # re-sent by file_id
    replies = await driver.exchange(officer.user_id, f"/report {day:%m/%Y}", count=3, timeout=20)
    summary, photo, sheet = replies
    assert "Chi bộ đã sinh hoạt: 1/3" in plain(summary) and "82%" in plain(summary)
    assert "kể cả đảng viên miễn sinh hoạt" in plain(summary)
    assert photo.get("photo") and (await driver.download(photo["photo"][-1]))[:8] == b"\x89PNG\r\n\x1a\n"
    book = load_workbook(io.BytesIO(await driver.download(sheet["document"])))
    rows = list(book.active.iter_rows(values_only=True))
    row = next(r for r in rows if r and r[0] == "Chi bộ Tổ dân phố 1")
    assert row[1:6] == (1, 0, 9, 11, 82)

    # The member's own calendar: the past meeting with their attendance.
    [mine] = await driver.exchange(elderly.user_id, "/meetings")
    assert "Đã qua" in plain(mine) and "Vắng có lý do" in plain(mine)


# --- bad input ---------------------------------------------------------------------------------------------
async def test_step_by_step_with_bad_input_gets_a_second_chance(driver, personas, sandbox_run):
    secretary, young = personas["secretary"], personas["young_member"]
    [kind] = await driver.exchange(secretary.user_id, "/meeting")
    await driver.press_button(secretary.user_id, kind, "thường kỳ")
    [ask_day] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "T2" in buttons(ask_day) and "CN" in buttons(ask_day)  # a month's calendar
    for typed, expected in ((f"31/02/{clock.now().year + 1} 19:30", "Không có ngày này"),
                            ("01/01/2020 19:30", "đã qua"),
                            ("hôm nay", "Không đọc được ngày"),
                            (f"{local_day(3)} 25:00", "Không có giờ này")):
        [reply] = await driver.exchange(secretary.user_id, typed)
        assert expected in plain(reply), (typed, plain(reply))
    await driver.press(secretary.user_id, ask_day["message_id"], data=day_buttons(ask_day)[2])
    [ask_time] = await driver.wait_for_bot_messages(secretary.user_id)
    [reply] = await driver.exchange(secretary.user_id, "7 rưỡi tối")
    assert "Không đọc được giờ" in plain(reply)
    await driver.press_button(secretary.user_id, ask_time, "19:30")
    [ask_title] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "Sinh hoạt chi bộ thường kỳ tháng" in buttons(ask_title)[0]
    title = "<b>Họp</b> & <script>x</script>"
    [ask_place] = await driver.exchange(secretary.user_id, title)
    [ask_agenda] = await driver.exchange(secretary.user_id, "Hội trường <i>tổ 3</i>")
    # A 10,000-character agenda: a Telegram client sends it as three messages. The first is refused
    # with the limit stated; the rest of the paste is not taken for the agenda.
    pasted = ("Chương trình " * 800)[:10_000]
    [reply] = await driver.exchange(secretary.user_id, pasted[:4096])
    assert "2000 ký tự" in plain(reply)
    seq = driver.cursor(secretary.user_id)
    await driver.send(secretary.user_id, pasted[4096:8192])
    await driver.send(secretary.user_id, pasted[8192:])
    await asyncio.sleep(1)
    assert await texts_after(driver, secretary.user_id, seq) == []
    await asyncio.sleep(2)  # a new answer, typed after the paste
    [ask_docs] = await driver.exchange(secretary.user_id, "1. Quán triệt Nghị quyết\n2. Công tác vệ sinh")
    assert "Xong" in buttons(ask_docs)[0]
    await driver.send_file(secretary.user_id, b"%PDF-1.4 tai lieu", "nghi-quyet-57.pdf")
    [got] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "nghi-quyet-57.pdf" in plain(got)
    await driver.press_button(secretary.user_id, got, "Xong")
    preview, confirm = await driver.wait_for_bot_messages(secretary.user_id, 2)
    assert title in plain(preview)  # shown as text, not markup
    assert "3 đảng viên" not in plain(confirm) and "11 đảng viên" in plain(confirm)
    await driver.press_button(secretary.user_id, confirm, "Gửi thông báo")
    received = await driver.wait_for_bot_messages(young.user_id, 3, timeout=15)
    assert received[0]["document"]["file_name"] == "nghi-quyet-57.pdf"
    assert "Quán triệt Nghị quyết" in plain(received[1])
    assert title in plain(received[2]) and "Hội trường <i>tổ 3</i>" in plain(received[2])
    assert not any(e["type"] == "italic" for e in received[2].get("entities", []))
    meeting = await latest_meeting(sandbox_run)
    assert meeting.title == title and meeting.kind is MeetingKind.regular
    assert meeting.starts_at.astimezone(VIETNAM).strftime("%H:%M") == "19:30"


async def test_one_line_mistakes_are_explained(driver, personas, sandbox_run):
    secretary = personas["secretary"]
    for line, expected in ((f"/meeting 31/02/{clock.now().year + 1} 19:30 | {PLACE} | {TITLE}", "Không có ngày này"),
                           (f"/meeting 01/01/2020 19:30 | {PLACE} | {TITLE}", "đã qua"),
                           (f"/meeting {local_day(3)} | {PLACE} | {TITLE}", "thiếu giờ"),
                           (f"/meeting {local_day(3)} 19:30 | {PLACE}", "Cách gõ trên một dòng"),
                           (f"/meeting {local_day(3)} 19:30 | {PLACE} | {TITLE} | {'x' * 3_000}", "2000 ký tự")):
        [reply] = await driver.exchange(secretary.user_id, line)
        assert expected in plain(reply), (line[:60], plain(reply))
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Meeting)) == 0


async def test_members_and_strangers_cannot_schedule(driver, personas):
    for who in ("elderly_member", "young_member"):
        [reply] = await driver.exchange(personas[who].user_id, f"/meeting {local_day(3)} 19:30 | {PLACE} | {TITLE}")
        assert "không có quyền" in plain(reply)


# --- forged callbacks ----------------------------------------------------------------------------------------
async def test_forged_callbacks_on_another_cells_meeting_are_refused_and_logged(driver, personas, sandbox_run):
    secretary, young, officer = personas["secretary"], personas["young_member"], personas["committee_officer"]
    # The committee officer calls a meeting of cell 2, which the secretary of cell 1 does not manage.
    async with sandbox_run.sessionmaker() as s:
        actor = await load_actor(s, officer.user_id)
        cell2 = next(c for c in await managed_cells(s, actor) if c.name == "Chi bộ Tổ dân phố 2")
        other = await meetings.schedule_meeting(s, actor, cell_id=cell2.id, kind=MeetingKind.regular, title="Họp tổ 2",
                                                starts_at=clock.now() + timedelta(minutes=30), place="Nhà bà Lan")
        await s.commit()
    [listing] = await driver.exchange(secretary.user_id, "/meetings")
    forged = [f"gs:{other.id}", f"gr:{other.id}:0", f"gl:{other.id}:{personas['newcomer'].member_id}:0",
              f"gL:{other.id}:0", f"gx:{other.id}", f"gX:{other.id}", f"gv:{other.id}", f"ge:{other.id}",
              f"gA:{other.id}", f"gD:{other.id}", f"gW:{other.id}:n", f"gQ:{other.id}:{personas['newcomer'].member_id}:1",
              "gs:abc", "gl:1", "gr:99999:0"]
    for data in forged:
        cb = await driver.press(secretary.user_id, listing["message_id"], data=data)
        answer = await driver.callback_answer(cb)
        assert answer["show_alert"] is True and "không có quyền" in answer["text"], data
    # A member answering a meeting of a cell not theirs.
    [own] = await driver.exchange(young.user_id, "/meetings")
    for data in (f"ga:{other.id}", f"gn:{other.id}", f"gz:{other.id}:0", f"go:{other.id}"):
        cb = await driver.press(young.user_id, own["message_id"], data=data)
        assert (await driver.callback_answer(cb))["show_alert"] is True, data
    refused = await audit_rows(sandbox_run, "refused")
    assert len(refused) >= len(forged) + 4
    async with sandbox_run.sessionmaker() as s:
        fresh = await s.get(Meeting, other.id)
        assert fresh.state.value == "scheduled" and fresh.roll_call_at is None
        assert await meetings.answer_of(s, other.id, young.member_id) is None
    assert not any("Họp tổ 2" in plain(m) for m in await driver.bot_messages(secretary.user_id))


# --- moving and cancelling ---------------------------------------------------------------------------------------
async def test_moving_and_cancelling_tell_the_members(driver, personas, sandbox_run):
    secretary, young = personas["secretary"], personas["young_member"]
    meeting = await schedule_one_line(driver, sandbox_run, secretary)
    status = (await driver.bot_messages(secretary.user_id))[-1]
    await driver.wait_for_bot_messages(young.user_id, timeout=15)
    await driver.press_button(secretary.user_id, status, "Dời lịch")
    [ask] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "ngày giờ mới" in plain(ask)
    [reply] = await driver.exchange(secretary.user_id, "01/01/2020 19:30")
    assert "đã qua" in plain(reply)
    replies = await driver.exchange(secretary.user_id, f"{local_day(6)} 20:00 | Hội trường tổ 3", count=2)
    assert "Đã dời lịch" in plain(replies[0])
    [moved] = await driver.wait_for_bot_messages(young.user_id, timeout=15)
    assert "20:00" in plain(moved) and "19:30" in plain(moved) and "Hội trường tổ 3" in plain(moved)
    assert buttons(moved) == ["✅ Tôi sẽ tham dự", "🙏 Vắng, có lý do"]
    async with sandbox_run.sessionmaker() as s:
        pending = (await s.scalars(select(MeetingReminder.due_at).where(
            MeetingReminder.meeting_id == meeting.id, MeetingReminder.state == ReminderState.pending))).all()
        starts = (await s.get(Meeting, meeting.id)).starts_at
    assert sorted(pending) == [starts - timedelta(days=3), starts - timedelta(days=1), starts - timedelta(hours=2)]
    status = replies[1]
    await driver.press_button(secretary.user_id, status, "Hủy buổi họp")
    confirm = await driver.wait_for_edit(secretary.user_id, status["message_id"])
    await driver.press_button(secretary.user_id, confirm, "Đồng ý hủy")
    [cancelled] = await driver.wait_for_bot_messages(young.user_id, timeout=15)
    assert "đã được hủy" in plain(cancelled)
    # No reminder comes for a cancelled meeting.
    move_clock_to(starts - timedelta(hours=1))
    await asyncio.sleep(2.5)
    assert not any("Còn" in t for t in await texts_after(driver, young.user_id, driver.cursor(young.user_id)))


# --- a restart loses no reminder and repeats none ------------------------------------------------------------------
async def test_a_reminder_due_while_the_bot_was_down_is_sent_once_at_start_up(driver, personas, sandbox_run):
    secretary, young = personas["secretary"], personas["young_member"]
    meeting = await schedule_one_line(driver, sandbox_run, secretary)
    await driver.wait_for_bot_messages(young.user_id, timeout=15)
    seq = driver.cursor(young.user_id)
    # Down across both the 3-day and the 1-day reminder: one reminder (the latest) at start-up.
    await restart_bot(sandbox_run, while_down=lambda: move_clock_to(meeting.starts_at - timedelta(hours=20)))
    [reminder] = await driver.wait_for_bot_messages(young.user_id, timeout=15)
    assert "Còn 1 ngày nữa" in plain(reminder)
    await asyncio.sleep(2.5)
    assert len(await texts_after(driver, young.user_id, seq)) == 1
    # Restarting again repeats nothing.
    await restart_bot(sandbox_run)
    await asyncio.sleep(2.5)
    assert len(await texts_after(driver, young.user_id, seq)) == 1
    # Down across the 2-hour reminder and the start: dropped, not sent late.
    await restart_bot(sandbox_run, while_down=lambda: move_clock_to(meeting.starts_at + timedelta(minutes=10)))
    await asyncio.sleep(2.5)
    assert len(await texts_after(driver, young.user_id, seq)) == 1
    async with sandbox_run.sessionmaker() as s:
        states = [(r.label, r.state.value) for r in await meetings.reminders_of(s, meeting.id)]
        reminded = await s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.kind == meetings.REMINDER_DELIVERY))
    assert states == [("3d", "dropped"), ("1d", "sent"), ("2h", "dropped")]
    assert reminded == 3  # the secretary, the elderly and the young member (the cell's linked members), once each


# --- proxy answers and the member's calendar ------------------------------------------------------------------------
async def test_secretary_answers_for_a_member_without_a_phone(driver, personas, sandbox_run):
    secretary, elderly = personas["secretary"], personas["elderly_member"]
    meeting = await schedule_one_line(driver, sandbox_run, secretary)
    status = (await driver.bot_messages(secretary.user_id))[-1]
    assert "📵" in plain(status)
    await driver.press_button(secretary.user_id, status, "Trả lời thay")
    listing = await driver.wait_for_edit(secretary.user_id, status["message_id"])
    phoneless = next(b for b in buttons(listing) if "📵" in b)
    name = phoneless.replace("✅ ", "").replace("📵 ", "")
    await driver.press_button(secretary.user_id, listing, phoneless)
    listing = await driver.wait_for_edit(secretary.user_id, status["message_id"])
    assert not any(name in b for b in buttons(listing))
    async with sandbox_run.sessionmaker() as s:
        rows = (await meetings.answers(s, meeting.id)).attend
    [proxied] = [a for a in rows if a.name == name]
    assert proxied.by_proxy and not proxied.reachable
    [calendar] = await driver.exchange(elderly.user_id, "📅 Lịch sinh hoạt")
    assert TITLE in plain(calendar) and "chưa trả lời" in plain(calendar)
    await driver.press_button(elderly.user_id, calendar, "Xem, trả lời")
    [again] = await driver.wait_for_bot_messages(elderly.user_id)
    assert buttons(again) == ["✅ Tôi sẽ tham dự", "🙏 Vắng, có lý do"]


async def test_a_members_answer_does_not_put_the_card_back_over_the_secretarys_list(driver, personas, sandbox_run):
    """The card refreshes itself as answers come in — but not while the secretary is using its message for
    something else (the proxy list, the roll call, a question): her list stays until she goes back."""
    secretary, young = personas["secretary"], personas["young_member"]
    meeting = await schedule_one_line(driver, sandbox_run, secretary)
    status = (await driver.bot_messages(secretary.user_id))[-1]
    await driver.press_button(secretary.user_id, status, "Trả lời thay")
    listing = await driver.wait_for_edit(secretary.user_id, status["message_id"])
    assert "✅" in " ".join(buttons(listing))
    async with sandbox_run.sessionmaker() as s:
        assert (await s.get(Meeting, meeting.id)).status_message_id is None  # the message is not the card now
        assert await status_edits(s, meeting.id, VIETNAM) == []

    invitation = await wait_until(lambda: _invitation(driver, young.user_id), what="the young member's invitation")
    await driver.press_button(young.user_id, invitation, "Tôi sẽ tham dự")
    await wait_until(lambda: _answered(sandbox_run, meeting.id, young.name), what="the answer stored")
    await asyncio.sleep(3 * sandbox_run.runtime.dispatcher.progress_interval_s)  # refreshes would have come by now
    now = next(m for m in await driver.messages(secretary.user_id) if m["message_id"] == status["message_id"])
    assert now["reply_markup"] == listing["reply_markup"] and plain(now) == plain(listing)

    # Back on the card: it is the card again that answers keep up to date.
    await driver.press_button(secretary.user_id, now, "Quay lại")
    card = await wait_text(driver, secretary.user_id, status["message_id"], young.name)
    async with sandbox_run.sessionmaker() as s:
        assert (await s.get(Meeting, meeting.id)).status_message_id == status["message_id"]
    elderly = personas["elderly_member"]
    invitation = await wait_until(lambda: _invitation(driver, elderly.user_id), what="the elderly member's invitation")
    await driver.press_button(elderly.user_id, invitation, "Tôi sẽ tham dự")
    card = await wait_text(driver, secretary.user_id, status["message_id"], elderly.name)
    assert "Trả lời thay" in " ".join(buttons(card))


async def _invitation(driver, user_id: int) -> dict | None:
    return next((m for m in reversed(await driver.bot_messages(user_id)) if TITLE in plain(m)
                 and "Tôi sẽ tham dự" in " ".join(buttons(m))), None)


async def _answered(run, meeting_id: int, name: str) -> bool:
    async with run.sessionmaker() as s:
        return any(a.name == name for a in (await meetings.answers(s, meeting_id)).attend)


# --- the Word file, with votes, in every language -----------------------------------------------------------------
def test_minutes_word_file_shows_vote_results_and_the_base():
    from zoneinfo import ZoneInfo

    from handlers.meetings.minutes import minutes_text
    from handlers.meetings.minutes_docx import render_docx
    from models.minutes import Absent, Minutes, VoteResult

    m = Minutes(meeting_id=7, unit_name="Chi bộ Tổ dân phố 1", parent_name="Đảng bộ phường Phú Hội", kind="thematic",
                title="Chuyên đề học tập và làm theo tư tưởng Hồ Chí Minh",
                starts_at=datetime(2026, 12, 5, 12, 30, tzinfo=ZoneInfo("UTC")), ended_at=None, place=PLACE,
                chair="Nguyễn Thị Hồng Nhung", recorder=None, members=11, present=8, excused=1, unexcused=1, exempt=1,
                base=10, exempt_counted=False, absent=[Absent("Lê Văn Bảy", "excused", "Ốm đau")], agenda="",
                content="Nội dung", decisions=[],
                votes=[VoteResult("Thông qua nghị quyết chuyên đề", [("", 7, "agree"), ("", 1, "disagree"),
                                                                      ("", 0, "other")], 8, 9, True, "members", 9)],
                votes_known=True)
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    doc = Document(io.BytesIO(render_docx(m, "vi", tz)))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "Sinh hoạt chi bộ chuyên đề tháng 12 năm 2026" in body
    assert "Đồng ý: 7; Không đồng ý: 1; Ý kiến khác: 0" in body and "8/9" in body
    assert "Thông qua (cần quá nửa trong 9 đảng viên chính thức)" in body
    assert "không tính 1 đồng chí miễn sinh hoạt vắng mặt" in body and "(80%" in body
    assert "Không có quyết định." in body and "……" in body  # no recorder named yet
    text = minutes_text(m, "en", tz)
    assert "Agree: 7" in text and "Passed (more than half of 9 full members needed)" in text
    assert "leaving out 1 exempt" in text
    assert render_docx(m, "bn", tz)[:2] == b"PK"


async def test_month_report_says_which_cells_leave_exempt_members_out(driver, personas, sandbox_run):
    from models.meetings import Presence
    from models.units import Unit

    secretary, officer = personas["secretary"], personas["committee_officer"]
    async with sandbox_run.sessionmaker() as s:
        sec = await load_actor(s, secretary.user_id)
        cell = await s.get(Unit, sec.cell_id)
        cell.exempt_counted = False  # this cell's guidance: exempt members who stay away leave the base
        meeting = await meetings.schedule_meeting(s, sec, cell_id=cell.id, kind=MeetingKind.regular, title=TITLE,
                                                  starts_at=clock.now() + timedelta(hours=1), place=PLACE)
        await s.commit()
        clock.advance(timedelta(hours=2))
        await meetings.open_roll_call(s, sec, meeting.id)
        await meetings.mark_all_present(s, sec, meeting.id)
        exempt = [e for e in await meetings.roll(s, meeting.id) if e.status is Presence.exempt]
        await meetings.close_meeting(s, sec, meeting.id, content="Nội dung", decisions=[])
        await s.commit()
    assert exempt  # the demo's cell 1 has a member exempt from activities
    start = meeting.starts_at.astimezone(VIETNAM)
    replies = await driver.exchange(officer.user_id, f"/report {start:%m/%Y}", count=3, timeout=20)
    text = plain(replies[0])
    assert "theo cách tính của từng chi bộ" in text
    line = next(x for x in text.splitlines() if x.startswith("• Chi bộ Tổ dân phố 1"))
    assert "100% (10/10)" in line and "không tính đảng viên miễn sinh hoạt vắng mặt" in line
    [day] = await driver.exchange(officer.user_id, f"/report {start:%d/%m/%Y}")
    assert "Có mặt 10/10 (100%; cơ sở tính: 10 đảng viên, không tính 1 đồng chí miễn sinh hoạt vắng mặt)" in plain(day)
