"""Meetings prepared the HD 42-HD/BTCTW way, end to end over the sandbox: a regular meeting's agenda starts from
the cell's template, the template is edited from the officer's panel, the panel warns of tomorrow's meeting
without documents, and the minutes show the meeting's length against 90 minutes."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from models.audit import AuditEntry
from models.meetings import AgendaTemplate
from models.units import Unit

from .test_meetings import (
    PLACE,
    buttons,
    data_of,
    latest_meeting,
    local_day,
    move_clock_to,
    plain,
    schedule_one_line,
    wait_until,
)
from .test_panel import CELL_PANEL, labels, open_panel

COMMON = ["Đánh giá tình hình thực hiện nhiệm vụ tháng", "Phương hướng, nhiệm vụ tháng tới",
          "Sinh hoạt chuyên đề (nếu có)", "Ý kiến đảng viên", "Biểu quyết, kết luận"]


async def said(driver, user_id: int, needle: str, seq: int) -> dict:
    """The first bot message after `seq` with `needle` in it: the outbox's notices come at their own pace."""
    async def found():
        return next((m for m in await driver.bot_messages(user_id, seq) if needle in plain(m)), None)

    return await wait_until(found, 15, repr(needle))


async def answer(driver, user_id: int, text: str, needle: str) -> dict:
    seq = driver.cursor(user_id)
    await driver.send(user_id, text)
    return await said(driver, user_id, needle, seq)


async def to_agenda_step(driver, user_id: int, kind: str = "thường kỳ") -> dict:
    """/meeting up to the agenda: kind by button, the rest typed."""
    ask_kind = await answer(driver, user_id, "/meeting", "chọn loại")
    seq = driver.cursor(user_id)
    await driver.press_button(user_id, ask_kind, kind)
    await said(driver, user_id, "Ngày sinh hoạt", seq)
    await answer(driver, user_id, f"{local_day(4)} 19:30", "Tên buổi")
    await answer(driver, user_id, "Sinh hoạt chi bộ tháng này", "Địa điểm")
    return await answer(driver, user_id, PLACE, "õ chương trình")  # "Gõ …" or "… gõ chương trình khác"


async def cell_id(run, name: str) -> int:
    async with run.sessionmaker() as s:
        return await s.scalar(select(Unit.id).where(Unit.name == name))


async def refusals(run) -> int:
    async with run.sessionmaker() as s:
        return len((await s.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))).all())


async def test_a_regular_meeting_starts_from_the_template_with_one_tap(driver, personas, sandbox_run):
    sec = personas["secretary"]
    ask = await to_agenda_step(driver, sec.user_id)
    assert all(f"{i}. {part}" in plain(ask) for i, part in enumerate(COMMON, 1)), plain(ask)
    assert buttons(ask) == ["📋 Dùng mẫu", "➡️ Chưa có chương trình", "◀️ Quay lại", "✖️ Hủy"]
    seq = driver.cursor(sec.user_id)
    await driver.press_button(sec.user_id, ask, "Dùng mẫu")
    edited = await said(driver, sec.user_id, "Chương trình (theo mẫu)", seq)
    assert edited["message_id"] == ask["message_id"] and "1. Đánh giá tình hình" in plain(edited)
    assert buttons(edited) == []
    ask_docs = await said(driver, sec.user_id, "Gửi tài liệu", seq)
    seq = driver.cursor(sec.user_id)
    await driver.press_button(sec.user_id, ask_docs, "Xong")
    preview = await said(driver, sec.user_id, "Thông báo đảng viên sẽ nhận", seq)
    assert "5. Biểu quyết, kết luận" in plain(preview)
    confirm = await said(driver, sec.user_id, "Gửi tới", preview["seq"])
    seq = driver.cursor(sec.user_id)
    await driver.press_button(sec.user_id, confirm, "Gửi thông báo")
    await said(driver, sec.user_id, "Sẽ tham dự", seq)  # the secretary's live card: the meeting is made
    meeting = await latest_meeting(sandbox_run)
    assert meeting.agenda == "\n".join(f"{i}. {p}" for i, p in enumerate(COMMON, 1))

    # Typed over, the template gives way; a thematic meeting is asked as before, without one.
    ask = await to_agenda_step(driver, sec.user_id)
    await answer(driver, sec.user_id, "Chỉ một việc: bầu tổ trưởng", "Gửi tài liệu")
    await driver.exchange(sec.user_id, "/cancel")
    ask = await to_agenda_step(driver, sec.user_id, "chuyên đề")
    assert "Dùng mẫu" not in " ".join(buttons(ask)) and "Đánh giá tình hình" not in plain(ask)


async def test_the_cell_keeps_its_own_template_from_the_panel(driver, personas, sandbox_run):
    sec, young = personas["secretary"], personas["young_member"]
    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    assert "🧾 Mẫu chương trình" in labels(panel)
    await driver.press_button(sec.user_id, panel, "Mẫu chương trình")
    [shown] = await driver.wait_for_bot_messages(sec.user_id)
    assert "mẫu chung theo HD 42" in plain(shown) and "1. Đánh giá tình hình" in plain(shown)
    assert "mỗi phần một dòng" in plain(shown) and buttons(shown) == []  # nothing to go back to yet

    # A 10,000-character paste comes as three messages: the first is refused with the limit, the rest ignored.
    pasted = ("Chương trình " * 800)[:10_000]
    [reply] = await driver.exchange(sec.user_id, pasted[:4096])
    assert "200 ký tự" in plain(reply)
    seq = driver.cursor(sec.user_id)
    await driver.send(sec.user_id, pasted[4096:8192])
    await driver.send(sec.user_id, pasted[8192:])
    await asyncio.sleep(1)
    assert await driver.bot_messages(sec.user_id, seq) == []
    await asyncio.sleep(2)  # a new answer, typed after the paste
    [saved] = await driver.exchange(sec.user_id, "1. Kiểm điểm việc tháng\n2. Việc tháng tới\n- Ý kiến đảng viên")
    assert "Đã lưu mẫu chương trình" in plain(saved) and "3. Ý kiến đảng viên" in plain(saved)

    ask = await to_agenda_step(driver, sec.user_id)
    assert "1. Kiểm điểm việc tháng" in plain(ask) and "Đánh giá tình hình" not in plain(ask)
    await driver.exchange(sec.user_id, "/cancel")

    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    await driver.press_button(sec.user_id, panel, "Mẫu chương trình")
    [shown] = await driver.wait_for_bot_messages(sec.user_id)
    assert "mẫu riêng của chi bộ" in plain(shown) and buttons(shown) == ["↩️ Về mẫu chung"]
    reset = data_of(shown, "Về mẫu chung")

    # Forged: a member presses the reset of the cell, or the panel's button; the secretary another cell's.
    before = await refusals(sandbox_run)
    await driver.exchange(young.user_id, "/start")
    young_msg = (await driver.bot_messages(young.user_id))[-1]
    other = await cell_id(sandbox_run, "Chi bộ Tổ dân phố 2")
    for who, message_id, data in ((young.user_id, young_msg["message_id"], reset),
                                  (young.user_id, young_msg["message_id"], "gtm"),
                                  (sec.user_id, shown["message_id"], f"gtr:{other}"),
                                  (sec.user_id, shown["message_id"], "gtc:999999")):
        answer = await driver.callback_answer(await driver.press(who, message_id, data=data))
        assert "không có quyền" in answer["text"], (data, answer)
    assert await refusals(sandbox_run) == before + 4
    async with sandbox_run.sessionmaker() as s:
        assert await s.get(AgendaTemplate, await cell_id(sandbox_run, "Chi bộ Tổ dân phố 1")) is not None

    await driver.press_button(sec.user_id, shown, "Về mẫu chung")
    back = await driver.wait_for_edit(sec.user_id, shown["message_id"])
    assert "dùng lại mẫu chung" in plain(back) and "1. Đánh giá tình hình" in plain(back)
    async with sandbox_run.sessionmaker() as s:
        assert (await s.scalars(select(AgendaTemplate))).all() == []


async def test_the_panel_warns_of_tomorrows_meeting_without_documents(driver, personas, sandbox_run):
    sec = personas["secretary"]
    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    assert "📎 Tài liệu họp" in labels(panel)  # nothing waits: no count
    await driver.press_button(sec.user_id, panel, "Tài liệu họp")
    [none] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Không có cuộc họp nào" in plain(none)

    meeting = await schedule_one_line(driver, sandbox_run, sec, days=1, title="Họp mai chưa có tài liệu")
    await schedule_one_line(driver, sandbox_run, sec, days=3, title="Họp tuần sau")
    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    assert "📎 Tài liệu họp (1)" in labels(panel)[:2]  # what waits comes first
    assert "Tài liệu họp: 1" in plain(panel)
    await driver.press_button(sec.user_id, panel, "Tài liệu họp")
    [due] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Họp mai chưa có tài liệu" in plain(due) and "Họp tuần sau" not in plain(due)
    assert "HD 42" in plain(due) and "ít nhất 1 ngày" in plain(due)
    await driver.press_button(sec.user_id, due, "Họp mai")
    card = await driver.wait_for_edit(sec.user_id, due["message_id"])
    assert "Họp mai chưa có tài liệu" in plain(card)

    # Once the meeting has begun there is nothing left to warn of.
    move_clock_to(meeting.starts_at + timedelta(minutes=1))
    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    assert "📎 Tài liệu họp" in labels(panel)


async def test_the_minutes_show_the_length_against_ninety_minutes(driver, personas, sandbox_run):
    sec = personas["secretary"]
    meeting = await schedule_one_line(driver, sandbox_run, sec, days=2)
    move_clock_to(meeting.starts_at - timedelta(minutes=10))
    roll = await answer(driver, sec.user_id, "/attendance", "Điểm danh")
    await driver.press_button(sec.user_id, roll, "còn lại đều có mặt")
    roll = await driver.wait_for_edit(sec.user_id, roll["message_id"])
    move_clock_to(meeting.starts_at + timedelta(minutes=95))  # the reminders due meanwhile come at their pace
    seq = driver.cursor(sec.user_id)
    await driver.press_button(sec.user_id, roll, "Ghi nội dung")
    await said(driver, sec.user_id, "nội dung chính", seq)
    await answer(driver, sec.user_id, "Kiểm điểm việc tháng; bàn việc tháng tới.", "mỗi dòng một ý")
    confirm = await answer(driver, sec.user_id, "Tổng vệ sinh khu phố", "1 quyết định")
    seq = driver.cursor(sec.user_id)
    await driver.press_button(sec.user_id, confirm, "Kết thúc buổi sinh hoạt")
    draft = await said(driver, sec.user_id, "DỰ THẢO BIÊN BẢN", seq)
    assert "Thời lượng: 1 giờ 35 phút (tối thiểu 90 phút theo HD 42)" in plain(draft)
    stored = await latest_meeting(sandbox_run)
    assert stored.started_at == meeting.starts_at  # the roll opened early: the meeting began at the time set
    assert timedelta(minutes=95) <= stored.ended_at - stored.started_at < timedelta(minutes=96)
