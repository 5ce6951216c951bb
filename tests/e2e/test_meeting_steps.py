"""Scheduling a meeting by buttons (issue 14): the calendar, preset times, the last places, ◀ Quay lại and
✖ Hủy on every step, the usual cell first. Over the sandbox, as a secretary on a phone would."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from models import clock
from models.dates import VIETNAM
from models.meetings import Meeting

from .test_meetings import PLACE, TITLE, buttons, latest_meeting, plain, schedule_one_line

CELL_PANEL = "🗂 Công tác chi bộ"
BACK, CANCEL = "◀️ Quay lại", "✖️ Hủy"


def today() -> date:
    return clock.now().astimezone(VIETNAM).date()


def rows(msg: dict) -> list[list[str]]:
    return [[b["text"] for b in row] for row in (msg.get("reply_markup") or {}).get("inline_keyboard", [])]


def days(msg: dict) -> dict[str, str]:
    """The days that can be chosen on a calendar page: label → data."""
    return {b["text"]: b["callback_data"] for row in msg["reply_markup"]["inline_keyboard"] for b in row
            if b["callback_data"].startswith("gd:")}


class Taps:
    """The driver's taps, counted (the issue asks how many a task takes)."""

    def __init__(self, driver, user_id: int):
        self.driver, self.user_id, self.count = driver, user_id, 0

    async def button(self, msg: dict, text: str) -> str:
        self.count += 1
        return await self.driver.press_button(self.user_id, msg, text)

    async def reply_button(self, text: str) -> None:
        self.count += 1
        await self.driver.press_reply_button(self.user_id, text)

    async def next(self, count: int = 1) -> list[dict]:
        return await self.driver.wait_for_bot_messages(self.user_id, count, timeout=20)

    async def edited(self, msg: dict) -> dict:
        return await self.driver.wait_for_edit(self.user_id, msg["message_id"], timeout=20)


async def answer_to(driver, user_id: int, msg: dict, data: str) -> str:
    cb = await driver.press(user_id, msg["message_id"], data=data)
    answer = await driver.callback_answer(cb, timeout=20)
    return answer.get("text") or ""


async def meeting_count(run) -> int:
    async with run.sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(Meeting))


async def test_a_secretary_schedules_from_the_panel_with_taps_only(driver, personas, sandbox_run):
    sec = personas["secretary"]
    before = await schedule_one_line(driver, sandbox_run, sec, days=5)  # the cell's place and its usual day
    usual = before.starts_at.astimezone(VIETNAM).date()
    await driver.exchange(sec.user_id, "/start")
    taps = Taps(driver, sec.user_id)

    await taps.reply_button(CELL_PANEL)
    [panel] = await taps.next()
    await taps.button(panel, "📅 Cuộc họp")
    [ask_kind] = await taps.next()
    assert rows(ask_kind)[-1] == [CANCEL]  # the first step: nothing to go back to
    await taps.button(ask_kind, "thường kỳ")
    [ask_day] = await taps.next()
    # The calendar opens on the month of the cell's usual day, that day starred; Vietnamese weekdays.
    assert f"Tháng {usual.month}/{usual.year}" in buttons(ask_day)
    assert rows(ask_day)[1] == ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]
    assert f"{usual.day}★" in days(ask_day) and "★ là ngày chi bộ thường sinh hoạt." in plain(ask_day)
    assert rows(ask_day)[-1] == [BACK, CANCEL]
    await taps.button(ask_day, "★")
    [ask_time] = await taps.next()
    assert rows(ask_time)[0] == ["07:30", "14:00", "19:30"] and rows(ask_time)[-1] == [BACK, CANCEL]
    await taps.button(ask_time, "19:30")
    [ask_title] = await taps.next()
    await taps.button(ask_title, "✔")
    [ask_place] = await taps.next()
    assert f"📍 {PLACE}" in buttons(ask_place)  # the last place offered again
    await taps.button(ask_place, PLACE)
    [ask_agenda] = await taps.next()
    await taps.button(ask_agenda, "Chưa có chương trình")
    [ask_docs] = await taps.next()
    await taps.button(ask_docs, "Xong")
    preview, confirm = await taps.next(2)
    assert rows(confirm) == [["✅ Gửi thông báo"], [BACK, CANCEL]]
    await taps.button(confirm, "Gửi thông báo")
    done = await taps.edited(confirm)
    assert "Đã lên lịch" in plain(done)

    meeting = await latest_meeting(sandbox_run)
    assert meeting.id != before.id and meeting.place == PLACE
    assert meeting.starts_at.astimezone(VIETNAM).date() == usual
    assert meeting.starts_at.astimezone(VIETNAM).strftime("%H:%M") == "19:30"
    assert taps.count == 10, taps.count  # 🗂, 📅, kind, day, time, title, place, agenda, documents, send


async def test_back_keeps_what_was_chosen_and_cancel_ends(driver, personas, sandbox_run):
    sec = personas["secretary"]
    taps = Taps(driver, sec.user_id)
    [ask_kind] = await driver.exchange(sec.user_id, "/meeting")
    await taps.button(ask_kind, "chuyên đề")
    [ask_day] = await taps.next()
    await taps.button(ask_day, BACK)  # the question before, in place, what was chosen said
    again = await taps.edited(ask_day)
    assert "Loại: 📘 Sinh hoạt chuyên đề" in plain(again) and "chọn loại" in plain(again)
    await taps.button(again, "thường kỳ")
    [ask_day] = await taps.next()
    tomorrow = today() + timedelta(days=1)
    await driver.press(sec.user_id, ask_day["message_id"], data=f"gd:{tomorrow:%Y%m%d}")
    [ask_time] = await taps.next()
    await taps.button(ask_time, BACK)
    calendar = await taps.edited(ask_time)
    assert f"Ngày: {tomorrow:%d/%m/%Y}" in plain(calendar) and days(calendar)
    assert f"gd:{tomorrow:%Y%m%d}" in days(calendar).values()  # it opens on the day chosen
    await driver.press(sec.user_id, calendar["message_id"], data=f"gd:{tomorrow:%Y%m%d}")
    [ask_time] = await taps.next()
    await taps.button(ask_time, "19:30")
    [ask_title] = await taps.next()
    [ask_place] = await driver.exchange(sec.user_id, "Họp bàn việc sửa nhà văn hóa")
    await taps.button(ask_place, BACK)
    title_again = await taps.edited(ask_place)
    assert "Tên: Họp bàn việc sửa nhà văn hóa" in plain(title_again)
    await taps.button(title_again, "✔ Họp bàn việc sửa nhà văn hóa")  # what was typed, one tap away
    [ask_place] = await taps.next()
    [ask_agenda] = await driver.exchange(sec.user_id, "Sân nhà bác Tư")
    [ask_docs] = await driver.exchange(sec.user_id, "1. Dự toán\n2. Phân công")
    await taps.button(ask_docs, BACK)
    agenda_again = await taps.edited(ask_docs)
    assert "Dự toán" in plain(agenda_again)
    await taps.button(agenda_again, "Giữ chương trình")
    [ask_docs] = await taps.next()
    await taps.button(ask_docs, "Xong")
    preview, confirm = await taps.next(2)
    await taps.button(confirm, BACK)  # from the preview back to the documents
    docs_again = await taps.edited(confirm)
    assert "tài liệu" in plain(docs_again)
    await taps.button(docs_again, "Xong")
    preview, confirm = await taps.next(2)
    assert "Họp bàn việc sửa nhà văn hóa" in plain(preview) and "Sân nhà bác Tư" in plain(preview)
    await taps.button(confirm, "Gửi thông báo")
    await taps.edited(confirm)
    [card] = await taps.next()  # the secretary's live card
    assert "Sẽ tham dự" in plain(card)
    meeting = await latest_meeting(sandbox_run)
    assert (meeting.title, meeting.place, meeting.agenda) == ("Họp bàn việc sửa nhà văn hóa", "Sân nhà bác Tư",
                                                              "1. Dự toán\n2. Phân công")
    assert meeting.kind.value == "regular" and meeting.starts_at.astimezone(VIETNAM).date() == tomorrow

    # ✖ Hủy at the day, at the time, at the place: the conversation ends, nothing is made.
    count = await meeting_count(sandbox_run)
    for stop_at in ("day", "time", "place"):
        [ask_kind] = await driver.exchange(sec.user_id, "/meeting")
        await taps.button(ask_kind, "thường kỳ")
        [step] = await taps.next()
        if stop_at in ("time", "place"):
            await driver.press(sec.user_id, step["message_id"], data=f"gd:{tomorrow:%Y%m%d}")
            [step] = await taps.next()
        if stop_at == "place":
            await taps.button(step, "19:30")
            [ask_title] = await taps.next()
            [step] = await driver.exchange(sec.user_id, TITLE)
        await taps.button(step, CANCEL)
        cancelled = await taps.edited(step)
        assert "Đã hủy" in plain(cancelled) and not buttons(cancelled), stop_at
        # What is typed next is not taken for the step; its old buttons are over.
        [reply] = await driver.exchange(sec.user_id, "Nhà văn hóa tổ 3")
        assert "Đã lên lịch" not in plain(reply)
        assert "hết hạn" in await answer_to(driver, sec.user_id, step, f"gbk:{3}")
    assert await meeting_count(sandbox_run) == count


async def test_a_back_button_of_an_older_step_does_not_move_the_conversation(driver, personas):
    sec = personas["secretary"]
    [ask_kind] = await driver.exchange(sec.user_id, "/meeting")
    await driver.press_button(sec.user_id, ask_kind, "thường kỳ")
    [ask_day] = await driver.wait_for_bot_messages(sec.user_id)
    [ask_time] = await driver.exchange(sec.user_id, (today() + timedelta(days=3)).strftime("%d/%m/%Y"))
    # The calendar, answered by typing, still shows its ◀: it is not the current step any more.
    assert "hết hạn" in await answer_to(driver, sec.user_id, ask_day, next(
        b["callback_data"] for row in ask_day["reply_markup"]["inline_keyboard"] for b in row if b["text"] == BACK))
    for forged in ("gbk:99", "gbk:x", "gbk:"):
        assert "hết hạn" in await answer_to(driver, sec.user_id, ask_time, forged), forged
    await driver.press_button(sec.user_id, ask_time, "14:00")  # still at the time
    [ask_title] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Tên buổi sinh hoạt" in plain(ask_title)


async def test_forged_and_impossible_calendar_days_are_answered_and_the_step_stays(driver, personas, sandbox_run):
    sec = personas["secretary"]
    [ask_kind] = await driver.exchange(sec.user_id, "/meeting")
    await driver.press_button(sec.user_id, ask_kind, "thường kỳ")
    [ask_day] = await driver.wait_for_bot_messages(sec.user_id)
    year = today().year + 1
    far = today() + timedelta(days=200)
    for data, said in ((f"gd:{year}0231", "Không có ngày này"),
                       (f"gd:{year}1399", "Không có ngày này"),
                       ("gd:20200101", "chỉ chọn được từ"),
                       (f"gd:{today():%Y%m%d}", "chỉ chọn được từ"),
                       (f"gd:{far:%Y%m%d}", "chỉ chọn được từ"),
                       ("gd:abc", "không còn hiệu lực"),
                       ("gmo:202001", "chỉ chọn được từ"),
                       (f"gmo:{today() + timedelta(days=250):%Y%m}", "chỉ chọn được từ"),
                       (f"gmo:{year}13", "chỉ chọn được từ")):
        assert said in await answer_to(driver, sec.user_id, ask_day, data), data
    assert await meeting_count(sandbox_run) == 0
    # Still at the day: a real day goes on to the time.
    await driver.press(sec.user_id, ask_day["message_id"], data=next(iter(days(ask_day).values())))
    [ask_time] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Mấy giờ" in plain(ask_time)


async def test_the_calendar_pages_a_month_at_a_time_for_six_months(driver, personas):
    sec = personas["secretary"]
    [ask_kind] = await driver.exchange(sec.user_id, "/meeting")
    await driver.press_button(sec.user_id, ask_kind, "thường kỳ")
    [page] = await driver.wait_for_bot_messages(sec.user_id)
    first, last = today() + timedelta(days=1), today() + timedelta(days=183)
    assert f"Tháng {first.month}/{first.year}" in buttons(page)
    assert not any(b.startswith("◀ Tháng") for b in buttons(page))  # nothing before this month
    if first.month == today().month:
        assert f"•{today().day}•" in buttons(page)  # today marked, not to be chosen
    pages = 1
    while nxt := next((b for b in buttons(page) if b.endswith("▶")), None):
        await driver.press_button(sec.user_id, page, nxt)
        page = await driver.wait_for_edit(sec.user_id, page["message_id"])
        pages += 1
        assert rows(page)[-1] == [BACK, CANCEL]
    assert pages in (6, 7), pages
    assert f"Tháng {last.month}/{last.year}" in buttons(page)
    assert max(int(k.rstrip("★")) for k in days(page)) == last.day  # the last day offered
    prev = next(b for b in buttons(page) if b.startswith("◀ Tháng"))
    await driver.press_button(sec.user_id, page, prev)
    page = await driver.wait_for_edit(sec.user_id, page["message_id"])
    day = next(iter(days(page).values()))
    await driver.press(sec.user_id, page["message_id"], data=day)
    [ask_time] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Mấy giờ" in plain(ask_time)


async def test_an_officer_of_several_cells_is_asked_once_the_usual_first(driver, personas, sandbox_run):
    officer = personas["committee_officer"]
    [ask_cell] = await driver.exchange(officer.user_id, "/meeting")
    assert buttons(ask_cell)[0] == officer.cell  # her own cell first
    assert rows(ask_cell)[-1] == [CANCEL]
    await driver.press_button(officer.user_id, ask_cell, "Chi bộ Tổ dân phố 1")
    [ask_kind] = await driver.wait_for_bot_messages(officer.user_id)
    assert rows(ask_kind)[-1] == [BACK, CANCEL]
    await driver.press_button(officer.user_id, ask_kind, BACK)
    cells = await driver.wait_for_edit(officer.user_id, ask_kind["message_id"])
    assert "Chi bộ: Chi bộ Tổ dân phố 1" in plain(cells)
    await driver.press_button(officer.user_id, cells, "Chi bộ Tổ dân phố 1")
    [ask_kind] = await driver.wait_for_bot_messages(officer.user_id)
    await driver.exchange(officer.user_id, "/cancel")
    # Once she has scheduled for cell 1, cell 1 comes first; the one-line form asks the cell too.
    day = (today() + timedelta(days=4)).strftime("%d/%m/%Y")
    [ask_cell] = await driver.exchange(officer.user_id, f"/meeting {day} 19:30 | {PLACE} | {TITLE}")
    await driver.press_button(officer.user_id, ask_cell, "Chi bộ Tổ dân phố 1")
    await driver.wait_for_bot_messages(officer.user_id, 2)
    [ask_cell] = await driver.exchange(officer.user_id, "/meeting")
    assert buttons(ask_cell)[0] == "Chi bộ Tổ dân phố 1"
