"""The officer's panel on a phone (390×844), as a secretary uses it: one big button, then buttons only."""
from __future__ import annotations

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
