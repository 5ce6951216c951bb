"""📋 Bài tập done by clicking only (issue 15): at 390×844 and at 1280×800 a class does every exercise of every
persona on the page as a trainer shows it — reply keyboard buttons, inline buttons, the calendar, the text box
and ➤, ⚙ Công cụ's clock — and each tick appears in the persona's 📋 count as it is done; at the end every
persona's sheet and the trainer's board show them all. One sandbox and one page per viewport."""
from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from .conftest import PHONE, ChatPage, _chat_page, eventually
from .test_follow_conversation import newest_in_view

pytestmark = pytest.mark.asyncio(loop_scope="session")
LAPTOP = {"width": 1280, "height": 800}
VOICE_MS = 20000  # the voice note of 🔊 Nghe is synthesised first
EVERY = {"elderly_member": 7, "young_member": 0, "secretary": 5, "committee_officer": 1, "newcomer": 3}
TOTAL = {"elderly_member": 7, "young_member": 7, "secretary": 5, "committee_officer": 1, "newcomer": 3}


def exactly(label: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(label)}\s*$")


class Trainee:
    """One persona's thumb on the page: its chip, the buttons it sees, the text box and ➤."""

    def __init__(self, chat: ChatPage, key: str):
        self.chat, self.key = chat, key
        self.pane = chat.pane(key)
        self.done = 0

    async def show(self) -> None:
        await self.chat.open(self.key)

    async def press(self, label: str | re.Pattern) -> None:
        """The inline button of that label on the newest message that has one."""
        await self.pane.locator(".msg.bot .inline-button").filter(has_text=label).last.click()

    async def reply(self, label: str) -> None:
        await self.chat.reply_button(self.key, label).click()

    async def say(self, text: str) -> None:
        box = self.pane.locator(".text-input")
        await box.fill(text)
        await self.pane.locator(".send").click()
        await expect(box).to_have_value("")
        await expect(self.pane.locator(".msg.me").last).to_contain_text(text)

    async def sees(self, text: str | re.Pattern) -> None:
        """A message of the bot says it (the newest that does: others, the bot's broadcasts, may come after)."""
        await expect(self.chat.bot_messages(self.key).filter(has_text=text).last).to_be_visible()

    async def ticked(self, exercise: str) -> None:
        """The exercise's tick: the count of 📋 Bài tập in the top bar goes up by one."""
        self.done += 1
        await expect(self.chat.page.locator("#exercises-count"), exercise).to_have_text(
            f"{self.done}/{TOTAL[self.key]}")


async def open_sheet(chat: ChatPage):
    await chat.page.locator("#exercises-toggle").click()
    sheet = chat.page.locator("#exercises")
    await expect(sheet).to_be_visible()
    return sheet


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
async def test_every_exercise_is_done_by_clicking_and_ticks(browser, sandbox_web, viewport):
    context, chat = await _chat_page(browser, sandbox_web, viewport)
    size = f"{viewport['width']}x{viewport['height']}"
    try:
        page = chat.page
        await chat.load()
        newcomer, officer, sec, old = (Trainee(chat, k) for k in
                                       ("newcomer", "committee_officer", "secretary", "elderly_member"))

        # The newcomer: ▶ Bắt đầu, 📱 his number (Telegram asks first), then his profile and the meetings.
        await newcomer.show()
        await expect(page.locator("#exercises-count")).to_have_text("0/3")
        await newcomer.pane.locator(".start-button").click()
        await newcomer.reply("📱 Chia sẻ số điện thoại")
        await page.locator("#dialog-ok").click()
        await newcomer.sees("Kính chào đồng chí")
        await newcomer.ticked("link")
        await newcomer.reply("👤 Hồ sơ của tôi")
        await newcomer.sees("👤")
        await newcomer.ticked("profile")
        await newcomer.reply("📅 Lịch sinh hoạt")
        await newcomer.sees("📅")
        await newcomer.ticked("meetings")

        # The committee officer: his panel, 📊 Báo cáo.
        await officer.show()
        await officer.pane.locator(".start-button").click()
        await officer.reply("🗂 Công tác đảng bộ")
        await officer.press("📊 Báo cáo")
        await officer.ticked("report")

        # The elderly member starts and sees his profile.
        await old.show()
        await old.pane.locator(".start-button").click()
        await old.reply("👤 Hồ sơ của tôi")
        await old.sees("Đồng chí")
        await old.ticked("profile")

        # The secretary sends a notice step by step: kind, title, text, no file, now, ✅ Gửi.
        await sec.show()
        await sec.pane.locator(".start-button").click()
        await sec.reply("🗂 Công tác chi bộ")
        await sec.press("➕ Thông báo")
        await sec.press(exactly("📢 Thông báo"))
        await sec.sees("tiêu đề")
        await sec.say("Thu đảng phí quý IV")
        await sec.sees("nội dung")
        await sec.say("Các đồng chí nộp đảng phí trước ngày 20/12.")
        await sec.press("Không đính kèm")
        await sec.press("Gửi ngay")
        await sec.press(exactly("✅ Gửi"))
        await sec.sees("📊")
        await sec.ticked("send_notice")

        # The member finds it in view as he comes back, confirms it, listens to it: the voice note comes into view.
        await old.show()
        notice = chat.bot_messages("elderly_member").filter(has_text="Thu đảng phí quý IV").last
        await expect(notice).to_be_visible()
        await eventually(lambda: newest_in_view(old.pane))
        await notice.locator(".inline-button", has_text="Đã đọc").click()
        await old.ticked("read_notice")
        await notice.locator(".inline-button", has_text="🔊 Nghe").click()
        await expect(old.pane.locator(".audio")).to_have_count(1, timeout=VOICE_MS)
        await eventually(lambda: newest_in_view(old.pane))
        await expect(old.pane.locator(".audio .audio-play")).to_be_in_viewport(ratio=1)
        await old.ticked("listen")
        await chat.shoot(page, f"exercises-clicks-{size}-listen.png")

        # The secretary opens a vote: the question typed, the two usual options, the first closing time offered.
        await sec.show()
        await sec.reply("🗂 Công tác chi bộ")
        await sec.press("🗳 Biểu quyết")
        await sec.sees("nội dung cần biểu quyết")
        await sec.say("Đồng ý tổ chức sinh hoạt chuyên đề vào tháng 1?")
        await sec.press("Đồng ý / Không đồng ý")
        await sec.sees("Khi nào kết thúc biểu quyết")
        await sec.press(exactly("1 ngày"))
        await sec.press("Mở biểu quyết")
        await expect(sec.pane.locator(".inline-button", has_text="Kết thúc biểu quyết ngay")).to_have_count(1)

        # The member votes on his ballot; the secretary closes the vote.
        await old.show()
        ballot = chat.bot_messages("elderly_member").filter(has_text="sinh hoạt chuyên đề vào tháng 1").last
        await ballot.locator(".inline-button", has_text=exactly("Đồng ý")).click()
        await old.ticked("vote")
        await sec.show()
        # Her card counts his ballot first: the refresh his tap set off has landed, so it cannot come after her
        # press and put the card back over the close question (a race of the live card, noted, not this exercise's).
        await sec.sees(re.compile(r"Đã biểu quyết: 1/"))
        await sec.press("Kết thúc biểu quyết ngay")
        await sec.press("Kết thúc ngay")
        await sec.ticked("open_close_vote")

        # The secretary schedules a meeting on the calendar: its first day, 19:30, the usual title and agenda.
        await sec.reply("🗂 Công tác chi bộ")
        await sec.press("📅 Cuộc họp")
        await sec.press("thường kỳ")
        calendar = chat.bot_messages("secretary").filter(has_text="Ngày sinh hoạt?").last
        await calendar.locator(".inline-button").filter(has_text=re.compile(r"^\d+★?$")).first.click()  # tomorrow
        await sec.press("19:30")
        await sec.press("✔")
        await sec.sees("Địa điểm sinh hoạt?")
        await sec.say("Nhà văn hóa tổ 3")
        await sec.press("Dùng mẫu")
        await sec.press(exactly("✅ Xong"))
        await sec.press("Gửi thông báo")
        await sec.ticked("schedule_meeting")

        # The member answers the invitation.
        await old.show()
        await old.press("Tôi sẽ tham dự")
        await expect(page.locator("#dialog")).to_contain_text("Đã ghi nhận")  # the bot answers with an alert: OK
        await page.locator("#dialog-ok").click()
        await old.ticked("meeting_answer")

        # The member writes feedback and sends it; the secretary answers it from her panel.
        await old.reply("💬 Góp ý")
        await old.sees("Đồng chí gõ ý kiến")
        await old.say("Đèn đường kiệt 5 bị hỏng")
        await old.press("📨 Gửi")
        await old.ticked("feedback")
        await sec.show()
        await sec.reply("🗂 Công tác chi bộ")
        await sec.press("📨 Góp ý chờ trả lời (1)")
        await sec.press("Đèn đường kiệt 5 bị hỏng")
        await sec.press(exactly("↩️ Trả lời"))
        await sec.sees("gõ câu trả lời")
        await sec.say("Chi bộ đã báo Điện lực, tuần sau sửa xong.")
        await sec.ticked("reply_feedback")

        # The meeting's day comes (⚙ Công cụ: +1 ngày, twice): the secretary takes the roll from her panel.
        tools = page.locator("#trainer-toggle")  # on a phone the tools fold behind ⚙ Công cụ
        folded = await tools.is_visible()
        if folded:
            await tools.click()
        clock = page.locator("#clock")
        for _ in range(2):
            before = await clock.text_content()
            await page.locator("[data-advance='1d']").click()
            await expect(clock).not_to_have_text(before)
        if folded:
            await tools.click()
        await sec.reply("🗂 Công tác chi bộ")
        await sec.press("✅ Điểm danh (1)")
        await sec.press("còn lại đều có mặt")
        await sec.ticked("roll_call")

        # Last, the member changes the language: ❓ Hướng dẫn, the /language in it, English.
        await old.show()
        await old.reply("❓ Hướng dẫn")
        await old.pane.locator(".msg.bot a.command", has_text="/language").last.click()
        await old.press("English")
        await old.ticked("language")
        await expect(chat.reply_button("elderly_member", "👤 My profile")).to_be_visible()
        await chat.shoot(page, f"exercises-clicks-{size}-member.png")

        # Each persona's 📋 sheet: every exercise ticked (the young member, who did nothing, none).
        for key, done in EVERY.items():
            await chat.open(key)
            sheet = await open_sheet(chat)
            await expect(sheet.locator(".exercise")).to_have_count(TOTAL[key])
            await expect(sheet.locator(".exercise.done .exercise-tick")).to_have_text(["✅"] * done)
            if key == "secretary":
                await chat.shoot(page, f"exercises-clicks-{size}-secretary-sheet.png")
            await page.locator("#exercises-close").click()
            await expect(sheet).to_be_hidden()

        # The trainer's board: everyone's progress on one screen.
        board = await context.new_page()
        await board.goto(f"{sandbox_web.web_url}/?view=trainer")
        await expect(board.locator(".board-score")).to_have_text(
            [f"{EVERY[k]}/{TOTAL[k]}" for k in EVERY])
        for key, done in EVERY.items():
            card = board.locator(f".board-card[data-key='{key}']")
            await expect(card.locator(".exercise.done")).to_have_count(done)
            if viewport == LAPTOP:  # projected: the whole class on one screen
                await expect(card).to_be_in_viewport(ratio=1)
        await chat.shoot(board, f"exercises-clicks-{size}-board.png")
        assert chat.errors == [], chat.errors
    finally:
        await context.close()
