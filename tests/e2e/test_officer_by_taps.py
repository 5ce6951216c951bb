"""A secretary's tasks from the officer's panel with taps and short typed answers only — no command, no "|"
(issue 14). Each task's taps are counted (and printed: `pytest -s` shows them for the closing note)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import clock
from models.meetings import Attendance, Meeting

from .test_feedback import ask_correction, sweep

PANEL = "🗂 Công tác chi bộ"


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


def inline(msg: dict) -> list[dict]:
    return [b for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


class Officer:
    """The secretary's thumb: every tap and every typed answer goes through here and is counted."""

    def __init__(self, driver, user_id: int):
        self.driver, self.user_id = driver, user_id
        self.taps, self.typed = 0, []

    async def panel(self) -> dict:
        if not await self.driver.reply_keyboard(self.user_id):
            await self.driver.exchange(self.user_id, "/start")  # the menu arrives once, with /start (not counted)
        self.taps += 1
        await self.driver.press_reply_button(self.user_id, PANEL)
        [panel] = await self.driver.wait_for_bot_messages(self.user_id)
        return panel

    async def tap(self, message: dict, label: str) -> str:
        self.taps += 1
        return await self.driver.press_button(self.user_id, message, label)

    async def tap_data(self, message: dict, data: str) -> str:
        self.taps += 1
        return await self.driver.press(self.user_id, message["message_id"], data=data)

    async def type(self, text: str, replies: int = 1) -> list[dict]:
        assert not text.startswith("/") and "|" not in text, text
        self.typed.append(text)
        return await self.driver.exchange(self.user_id, text, replies)

    async def next(self, count: int = 1, timeout: float = 10) -> list[dict]:
        return await self.driver.wait_for_bot_messages(self.user_id, count, timeout=timeout)

    def tally(self, task: str) -> tuple[int, int]:
        print(f"{task}: {self.taps} taps, {len(self.typed)} typed answers {self.typed}")
        counted = (self.taps, len(self.typed))
        self.taps, self.typed = 0, []
        return counted


async def test_a_notice_is_sent_from_the_panel_with_taps(driver, personas):
    sec = Officer(driver, personas["secretary"].user_id)
    panel = await sec.panel()
    await sec.tap(panel, "➕ Thông báo")
    [ask_kind] = await sec.next()
    await sec.tap(ask_kind, "Thông báo")
    [ask_title] = await sec.next()
    assert "tiêu đề" in plain(ask_title)
    [ask_body] = await sec.type("Lịch thu đảng phí quý IV")
    [ask_file] = await sec.type("Các đồng chí nộp đảng phí trước ngày 20/12 tại nhà đồng chí bí thư.")
    await sec.tap(ask_file, "Không đính kèm")
    [ask_when] = await sec.next()
    await sec.tap(ask_when, "Gửi ngay")
    _preview, summary = await sec.next(2)
    await sec.tap(summary, "Gửi")
    [status] = await sec.next()
    assert "📊" in plain(status) and "Lịch thu đảng phí quý IV" in plain(status)
    [got] = await driver.wait_for_bot_messages(personas["elderly_member"].user_id, timeout=10)
    assert "Lịch thu đảng phí quý IV" in plain(got)
    taps, typed = sec.tally("notice")
    assert (taps, typed) == (6, 2)


async def test_a_vote_is_opened_and_closed_from_the_panel_with_taps(driver, personas):
    sec = Officer(driver, personas["secretary"].user_id)
    panel = await sec.panel()
    await sec.tap(panel, "🗳 Biểu quyết")
    [ask_question] = await sec.next()
    assert "nội dung cần biểu quyết" in plain(ask_question)
    [ask_options] = await sec.type("Đồng ý tổ chức sinh hoạt chuyên đề vào tháng 1?")
    await sec.tap(ask_options, "Đồng ý / Không đồng ý")
    [ask_closes] = await sec.next()
    preset = next(b["text"] for b in inline(ask_closes))  # the first preset closing time
    await sec.tap(ask_closes, preset)
    card = await driver.wait_for_edit(sec.user_id, ask_closes["message_id"])  # the settings card, in place
    await sec.tap(card, "Mở biểu quyết")
    await driver.wait_for_edit(sec.user_id, card["message_id"])
    status, _her_own_ballot = await sec.next(2)  # the secretary is a member of her cell too
    if "📊" not in plain(status):
        status, _her_own_ballot = _her_own_ballot, status
    assert "📊" in plain(status)
    opened = sec.tally("vote opened")
    await sec.tap(status, "Kết thúc biểu quyết ngay")
    ask_sure = await driver.wait_for_edit(sec.user_id, status["message_id"])
    await sec.tap(ask_sure, "Kết thúc ngay")
    seen = []
    for _ in range(4):
        seen += await driver.wait_for_bot_messages(sec.user_id, timeout=20)
        if any("Kết quả biểu quyết" in plain(m) for m in seen):
            break
    assert any("Kết quả biểu quyết" in plain(m) for m in seen)
    closed = sec.tally("vote closed")
    assert opened == (5, 1) and closed == (2, 0)


async def test_feedback_is_answered_and_a_correction_approved_from_the_panel(driver, personas, sandbox_run):
    old = personas["elderly_member"]
    [card] = await driver.exchange(old.user_id, "/feedback Đèn đường kiệt 5 bị hỏng")
    await driver.press_button(old.user_id, card, "📨 Gửi")
    await driver.wait_for_edit(old.user_id, card["message_id"])
    await ask_correction(driver, old.user_id, "Điện thoại")
    [sent] = await driver.exchange(old.user_id, "0914 222 333")
    assert "Đã gửi đề nghị" in plain(sent)
    await sweep(sandbox_run)
    sec = Officer(driver, personas["secretary"].user_id)
    await driver.wait_for_bot_messages(sec.user_id)  # the sweep's summary (not a task)

    panel = await sec.panel()
    await sec.tap(panel, "📨 Góp ý chờ trả lời (1)")
    [screen] = await sec.next()
    for _ in range(3):  # down to the item: a unit, a status, the item — whatever stands between
        item = next((b for b in inline(screen) if b["callback_data"].startswith("fbo:")), None)
        if item:
            break
        await sec.tap_data(screen, inline(screen)[0]["callback_data"])
        [screen] = await sec.next()
    await sec.tap_data(screen, item["callback_data"])
    [opened] = await sec.next()
    await sec.tap(opened, "Trả lời")
    await sec.next()
    await sec.type("Chi bộ đã báo Điện lực, tuần sau sửa xong.")
    [reply] = await driver.wait_for_bot_messages(old.user_id)
    assert "tuần sau sửa xong" in plain(reply)
    answered = sec.tally("feedback answered")

    panel = await sec.panel()
    await sec.tap(panel, "✏️ Đề nghị sửa hồ sơ (1)")
    [listing] = await sec.next()
    await sec.tap_data(listing, inline(listing)[0]["callback_data"])
    [card] = await sec.next()
    await sec.tap(card, "Duyệt")
    decided = await driver.wait_for_edit(sec.user_id, card["message_id"])
    assert "Đã duyệt" in decided["text"]
    approved = sec.tally("correction approved")
    assert answered[1] == 1 and answered[0] <= 6 and approved == (4, 0)


async def test_a_meeting_with_documents_a_paper_answer_and_the_roll_call_by_taps(driver, personas, sandbox_run):
    sec = Officer(driver, personas["secretary"].user_id)
    panel = await sec.panel()
    await sec.tap(panel, "📅 Cuộc họp")
    [ask_kind] = await sec.next()
    await sec.tap(ask_kind, "thường kỳ")
    [ask_day] = await sec.next()
    first_day = next(b["callback_data"] for b in inline(ask_day) if b["callback_data"].startswith("gd:"))
    await sec.tap_data(ask_day, first_day)  # the first day the calendar offers: tomorrow
    [ask_time] = await sec.next()
    await sec.tap(ask_time, "19:30")
    [ask_title] = await sec.next()
    await sec.tap(ask_title, "✔")
    [ask_place] = await sec.next()
    if any(b["callback_data"].startswith("gp:") for b in inline(ask_place)):
        await sec.tap_data(ask_place, next(b["callback_data"] for b in inline(ask_place) if b["callback_data"].startswith("gp:")))
        [ask_agenda] = await sec.next()
    else:
        [ask_agenda] = await sec.type("Nhà văn hóa tổ 3")
    await sec.tap(ask_agenda, "Dùng mẫu")  # the cell's agenda template (HD 42)
    [ask_docs] = await sec.next()
    await driver.send_file(sec.user_id, b"%PDF-1.4\n% du thao\n", "du-thao-nghi-quyet.pdf")  # a file: not a tap
    [got_doc] = await sec.next()
    await sec.tap(ask_docs, "Xong")
    _preview, confirm = await sec.next(2)
    await sec.tap(confirm, "Gửi thông báo")
    [card] = await sec.next()  # the secretary's live card of the meeting
    assert "Sinh hoạt thường kỳ" in plain(card)
    scheduled = sec.tally("meeting with documents")
    async with sandbox_run.sessionmaker() as s:
        meeting = (await s.scalars(select(Meeting).order_by(Meeting.id.desc()).options(
            selectinload(Meeting.documents)))).first()
        assert len(meeting.documents) == 1 and "Đánh giá" in (meeting.agenda or "")

    # An unlinked member answered on the printed invitation: recorded on paper, by proxy.
    await sec.tap(card, "✍️ Trả lời trên giấy")
    listing = await driver.wait_for_edit(sec.user_id, card["message_id"])
    unlinked = next(b for b in inline(listing) if b["text"].startswith("✅ 📵"))
    press = await sec.tap_data(listing, unlinked["callback_data"])
    assert (await driver.callback_answer(press)).get("text")
    on_paper = sec.tally("paper answer")

    # At the meeting: the roll call from the panel.
    clock.advance(meeting.starts_at - clock.now())
    panel = await sec.panel()
    await sec.tap(panel, "✅ Điểm danh (1)")
    [roll] = await sec.next()
    await sec.tap(roll, "còn lại đều có mặt")
    roll = await driver.wait_for_edit(sec.user_id, roll["message_id"])
    assert "có mặt" in plain(roll)
    roll_call = sec.tally("roll call")
    async with sandbox_run.sessionmaker() as s:
        marked = await s.scalar(select(func.count()).select_from(Attendance).where(Attendance.meeting_id == meeting.id))
    assert marked >= 1
    assert scheduled[0] <= 10 and on_paper == (2, 0) and roll_call == (3, 0)
