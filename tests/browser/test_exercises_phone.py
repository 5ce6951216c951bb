"""📋 Bài tập (issue 15): at 390×844 the elderly member does three exercises by tapping only — his profile, a
notice read and confirmed, another language — and sees their ticks appear; the trainer's board shows everyone's
progress, live, in large type at 1280×800, and a reset of the demo starts it again."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from .conftest import ChatPage, _chat_page

pytestmark = pytest.mark.asyncio(loop_scope="session")
LAPTOP = {"width": 1280, "height": 800}
NOTICE = "/notice Thu đảng phí quý | Đề nghị các đồng chí nộp đảng phí quý trước ngày 20."


def ticks(root):
    return root.locator(".exercise.done")


async def test_phone_the_elderly_member_ticks_three_exercises_by_tapping(phone_chat: ChatPage):
    chat = phone_chat
    page = chat.page
    elderly = await chat.open("elderly_member")
    await elderly.locator(".start-button").click()
    await expect(chat.reply_button("elderly_member", "👤 Hồ sơ của tôi")).to_be_visible()

    # 📋 Bài tập: his seven exercises, none done, each with how to do it; the sheet fits the phone.
    toggle = page.locator("#exercises-toggle")
    await expect(toggle).to_be_visible()
    await expect(page.locator("#exercises-count")).to_have_text("0/7")
    await toggle.click()
    panel = page.locator("#exercises")
    await expect(panel).to_be_visible()
    await expect(panel.locator(".exercise")).to_have_count(7)
    await expect(ticks(panel)).to_have_count(0)
    await expect(panel.locator("[data-exercise='profile']")).to_contain_text("Bấm 👤 Hồ sơ của tôi")
    box = await panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844, box
    await page.locator("#exercises-close").click()
    await expect(panel).to_be_hidden()

    # 1. His profile, with the big button.
    await chat.reply_button("elderly_member", "👤 Hồ sơ của tôi").click()
    await expect(chat.bot_messages("elderly_member").last).to_contain_text("Đồng chí")
    await expect(page.locator("#exercises-count")).to_have_text("1/7")

    # 2. A notice: the secretary sends one (in a line, as a trainer would), he reads it and taps ✅ Đã đọc.
    await chat.open("secretary")
    await chat.type("secretary", NOTICE)
    await expect(chat.bot_messages("secretary").last).to_contain_text("📊")
    await chat.open("elderly_member")
    notice = chat.bot_messages("elderly_member").filter(has_text="Thu đảng phí quý").last
    await notice.locator(".inline-button", has_text="✅ Đã đọc").click()
    await expect(page.locator("#exercises-count")).to_have_text("2/7")

    # 3. Another language: ❓ Hướng dẫn, then the /language in it, then English.
    await chat.reply_button("elderly_member", "❓ Hướng dẫn").click()
    await chat.bot_messages("elderly_member").last.locator("a.command", has_text="/language").click()
    picker = chat.bot_messages("elderly_member").last
    await picker.locator(".inline-button", has_text="English").click()
    await expect(chat.reply_button("elderly_member", "👤 My profile")).to_be_visible()

    # The ticks, live in the open sheet.
    await toggle.click()
    await expect(page.locator("#exercises-count")).to_have_text("3/7")
    await expect(ticks(panel)).to_have_count(3)
    for done in ("profile", "read_notice", "language"):
        item = panel.locator(f"[data-exercise='{done}']")
        await expect(item).to_have_class("exercise done")
        await expect(item.locator(".exercise-tick")).to_have_text("✅")
    await expect(panel.locator("[data-exercise='vote'] .exercise-tick")).to_have_text("⬜")
    await expect(page.locator("#exercises-who")).to_contain_text("đã xong 3/7")
    await chat.shoot(page, "exercises-phone-panel.png")

    # The secretary's panel is hers: the notice she sent is ticked.
    await page.locator("#exercises-close").click()
    await chat.open("secretary")
    await expect(page.locator("#exercises-count")).to_have_text("1/5")

    # The trainer's board on the same phone: everyone's progress.
    trainer = ChatPage(await page.context.new_page(), chat.run)
    board = trainer.page
    await board.goto(f"{chat.run.web_url}/?view=trainer")
    card = board.locator(".board-card[data-key='elderly_member']")
    await expect(card.locator(".board-score")).to_have_text("3/7")
    await expect(board.locator(".board-card[data-key='secretary'] .board-score")).to_have_text("1/5")
    await expect(board.locator(".layout")).to_be_hidden()
    await chat.shoot(board, "exercises-trainer-phone.png")
    await board.close()
    assert chat.errors == [] and trainer.errors == [], chat.errors + trainer.errors


async def test_laptop_the_trainer_s_board_follows_the_class_and_a_reset_starts_again(browser, sandbox_web):
    context, chat = await _chat_page(browser, sandbox_web, LAPTOP)
    try:
        trainer = ChatPage(await context.new_page(), sandbox_web)
        board = trainer.page
        await board.goto(f"{sandbox_web.web_url}/?view=trainer")
        cards = board.locator(".board-card")
        await expect(cards).to_have_count(5)  # two members, the secretary, the committee officer, the newcomer
        await expect(board.locator(".board-score")).to_have_text(["0/7", "0/7", "0/5", "0/1", "0/3"])
        # Projected: every card whole on the screen, its lines in large type.
        for i in range(5):
            await expect(cards.nth(i)).to_be_in_viewport(ratio=1)
        size = await board.locator(".board .exercise-title").first.evaluate(
            "n => parseFloat(getComputedStyle(n).fontSize)")
        assert size >= 18, size

        # The class works in the chat page; the board ticks without a reload.
        await chat.load()
        await chat.open("young_member")
        await chat.pane("young_member").locator(".start-button").click()
        await chat.reply_button("young_member", "👤 Hồ sơ của tôi").click()
        await chat.open("committee_officer")
        await chat.type("committee_officer", "/start")
        await chat.reply_button("committee_officer", "🗂 Công tác đảng bộ").click()
        await chat.bot_messages("committee_officer").last.locator(".inline-button", has_text="📊 Báo cáo").click()
        young = board.locator(".board-card[data-key='young_member']")
        await expect(young.locator(".board-score")).to_have_text("1/7")
        await expect(young.locator(".exercise.done")).to_have_count(1)
        await expect(young.locator(".exercise.done[data-exercise='profile']")).to_contain_text("Xem hồ sơ của mình")
        officer = board.locator(".board-card[data-key='committee_officer']")
        await expect(officer.locator(".board-score")).to_have_text("1/1")
        await expect(officer.locator(".board-score")).to_have_class("board-score all-done")
        await chat.shoot(board, "exercises-trainer-laptop.png")

        # ↺ Khôi phục dữ liệu mẫu: the exercises start again.
        await chat.page.locator("#reset").click()
        await chat.page.locator("#dialog-ok").click()
        await expect(board.locator(".board-score")).to_have_text(["0/7", "0/7", "0/5", "0/1", "0/3"])
        assert chat.errors == [] and trainer.errors == [], chat.errors + trainer.errors
    finally:
        await context.close()
