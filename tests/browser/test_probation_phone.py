"""Probation deadlines on a phone (390×844): the secretary finds the probationary member due from her panel."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from .conftest import ChatPage

pytestmark = pytest.mark.asyncio(loop_scope="session")
PHONE_WIDTH = 390


async def test_the_secretary_sees_the_probationary_member_due_from_her_panel(phone_chat: ChatPage):
    chat = phone_chat
    await chat.open("secretary")
    await chat.type("secretary", "/start")
    await chat.reply_button("secretary", "🗂 Công tác chi bộ").click()
    panel = chat.bot_messages("secretary").last
    await expect(panel).not_to_contain_text("xét chuyển chính thức")
    await panel.locator(".inline-button").filter(has_text="🌱 Hạn đảng viên dự bị").click()
    listing = chat.bot_messages("secretary").last
    await expect(listing).to_contain_text("xét chuyển chính thức")
    await listing.scroll_into_view_if_needed()
    buttons = listing.locator(".inline-button")
    for i in range(await buttons.count()):
        b = await buttons.nth(i).bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE_WIDTH and b["height"] >= 36, (i, b)
    await chat.shoot(chat.page, "probation-list-phone.png")
