"""A transfer started from a member's card on a phone (390×844): the secretary's panel, 👥 Đảng viên, the member,
🔁 Chuyển sinh hoạt, the kind — buttons only."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from .conftest import ChatPage

pytestmark = pytest.mark.asyncio(loop_scope="session")
PHONE_WIDTH = 390


async def test_the_secretary_starts_a_transfer_from_a_members_card(phone_chat: ChatPage):
    chat = phone_chat
    await chat.open("secretary")
    await chat.type("secretary", "/start")
    await chat.reply_button("secretary", "🗂 Công tác chi bộ").click()
    panel = chat.bot_messages("secretary").last
    await panel.locator(".inline-button").filter(has_text="👥 Đảng viên").first.click()
    listing = chat.bot_messages("secretary").last
    await expect(listing.locator(".inline-button").first).to_be_visible()
    await listing.locator(".inline-button").filter(has_text="Lê Văn Bảy").first.click()
    card = chat.bot_messages("secretary").last
    await expect(card).to_contain_text("Lê Văn Bảy")
    await card.locator(".inline-button").filter(has_text="🔁 Chuyển sinh hoạt").click()
    asked = chat.bot_messages("secretary").last
    await expect(asked).to_contain_text("Chọn hình thức")
    buttons = asked.locator(".inline-button")
    for label in ("Chính thức", "Tạm thời (đi công tác)", "Tạm thời (đi học)"):
        await expect(buttons.filter(has_text=label)).to_have_count(1)
    for i in range(await buttons.count()):
        b = await buttons.nth(i).bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE_WIDTH and b["height"] >= 36, (i, b)
    await asked.scroll_into_view_if_needed()
    await chat.shoot(chat.page, "transfer-kind-phone.png")
