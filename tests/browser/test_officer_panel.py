"""The officer's panel on a phone (390×844), as a secretary uses it: one big button, then buttons only."""
from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from .conftest import ChatPage

pytestmark = pytest.mark.asyncio(loop_scope="session")
PHONE_WIDTH = 390


async def test_the_secretary_opens_her_panel_and_starts_a_meeting_with_taps(phone_chat: ChatPage):
    chat = phone_chat
    await chat.open("secretary")
    await chat.type("secretary", "/start")
    panel_button = chat.reply_button("secretary", "🗂 Công tác chi bộ")
    await expect(panel_button).to_be_visible()
    box = await panel_button.bounding_box()
    assert box["height"] >= 48 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH

    await panel_button.click()
    panel = chat.bot_messages("secretary").last
    await expect(panel).to_contain_text("Công tác chi bộ")
    buttons = panel.locator(".inline-button")
    await expect(buttons.filter(has_text="📅 Cuộc họp")).to_be_visible()
    for label in ("➕ Thông báo", "🗳 Biểu quyết", "✅ Điểm danh", "👥 Đảng viên", "📊 Báo cáo", "🔊 Bản tin"):
        await expect(buttons.filter(has_text=label)).to_have_count(1)
    for i in range(await buttons.count()):  # every button fits the phone's width and is big enough to tap
        b = await buttons.nth(i).bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE_WIDTH and b["height"] >= 36, (i, b)
    await chat.shoot(chat.page, "officer-panel-phone.png")

    await buttons.filter(has_text="📅 Cuộc họp").click()
    await expect(chat.bot_messages("secretary").last).to_contain_text("chọn loại buổi sinh hoạt")
    await chat.shoot(chat.page, "officer-panel-phone-meeting.png")


async def test_an_elderly_member_has_no_panel_button(phone_chat: ChatPage):
    chat = phone_chat
    await chat.open("elderly_member")
    await chat.type("elderly_member", "/start")
    await expect(chat.reply_button("elderly_member", "👤 Hồ sơ của tôi")).to_be_visible()
    await expect(chat.reply_button("elderly_member", "Công tác")).to_have_count(0)


async def panel_of(chat: ChatPage):
    await chat.open("secretary")
    await chat.type("secretary", "/start")
    await chat.reply_button("secretary", "🗂 Công tác chi bộ").click()
    panel = chat.bot_messages("secretary").last
    await expect(panel).to_contain_text("Công tác chi bộ")
    return panel


async def test_the_meeting_calendar_is_a_month_a_page_that_fits_a_phone(phone_chat: ChatPage):
    chat = phone_chat
    panel = await panel_of(chat)
    await panel.locator(".inline-button", has_text="📅 Cuộc họp").click()
    await expect(chat.bot_messages("secretary").last).to_contain_text("chọn loại buổi sinh hoạt")
    await chat.bot_messages("secretary").last.locator(".inline-button", has_text="thường kỳ").click()
    calendar = chat.bot_messages("secretary").last
    await expect(calendar).to_contain_text("Ngày sinh hoạt")
    buttons = calendar.locator(".inline-button")
    await expect(buttons.filter(has_text="Tháng ")).not_to_have_count(0)
    for weekday in ("T2", "T3", "T4", "T5", "T6", "T7", "CN"):
        await expect(buttons.filter(has_text=re.compile(rf"^{weekday}$"))).to_have_count(1)
    for i in range(await buttons.count()):  # seven days a row still fit the phone's width
        b = await buttons.nth(i).bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE_WIDTH, (i, b)
    await expect(buttons.filter(has_text="Quay lại")).to_have_count(1)
    await expect(buttons.filter(has_text="Hủy")).to_have_count(1)
    await chat.shoot(chat.page, "officer-calendar-phone.png")

    month_title = await buttons.filter(has_text="Tháng ").first.inner_text()
    await buttons.filter(has_text="▶").first.click()  # the next month, in place
    await expect(calendar.locator(".inline-button").filter(has_text="Tháng ").first).not_to_have_text(month_title)
    day = calendar.locator(".inline-button").filter(has_text=re.compile(r"^15★?$"))
    await day.click()
    await expect(chat.bot_messages("secretary").last.locator(".inline-button", has_text="19:30")).to_be_visible()


async def test_the_weekly_to_do_opens_from_the_panel_and_can_be_turned_on(phone_chat: ChatPage):
    chat = phone_chat
    panel = await panel_of(chat)
    await panel.locator(".inline-button", has_text="🗓 Việc cần làm").click()
    todo = chat.bot_messages("secretary").last
    await expect(todo).to_contain_text("Việc cần làm")
    on = todo.locator(".inline-button", has_text="Bật nhắc hằng tuần")  # the tests run with it off by default
    await expect(on).to_be_visible()
    for i in range(await todo.locator(".inline-button").count()):
        b = await todo.locator(".inline-button").nth(i).bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE_WIDTH, (i, b)
    await chat.shoot(chat.page, "officer-todo-phone.png")
    await on.click()
    await expect(chat.pane("secretary").locator(".inline-button", has_text="Tắt nhắc hằng tuần").last).to_be_visible()
