"""The Party badges on a phone (390×844): the ward committee officer finds who is due at the next award day and
records one with taps; the elderly member reads their party age and next badge on /profile."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from .conftest import ChatPage

pytestmark = pytest.mark.asyncio(loop_scope="session")
PHONE_WIDTH = 390
DUE = "Trần Thị Bích Liên"  # the demo's member due the 50-year badge at the next award day


async def test_the_committee_officer_records_a_badge_with_taps(phone_chat: ChatPage):
    chat = phone_chat
    await chat.open("committee_officer")
    await chat.type("committee_officer", "/start")
    await chat.reply_button("committee_officer", "🗂 Công tác đảng bộ").click()
    panel = chat.bot_messages("committee_officer").last
    await panel.locator(".inline-button").filter(has_text="🎖 Huy hiệu Đảng").click()
    listing = chat.bot_messages("committee_officer").last
    await expect(listing).to_contain_text(DUE)
    buttons = listing.locator(".inline-button")
    for i in range(await buttons.count()):  # every button fits the phone and is big enough to tap
        b = await buttons.nth(i).bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE_WIDTH and b["height"] >= 36, (i, b)
    await chat.shoot(chat.page, "badges-list-phone.png")
    await buttons.filter(has_text=DUE).first.click()
    await expect(listing).to_contain_text("Huy hiệu 50 năm tuổi Đảng")
    await listing.locator(".inline-button").filter(has_text="✅ Ghi nhận").click()
    await expect(listing).to_contain_text("Đã ghi nhận")
    await chat.shoot(chat.page, "badges-recorded-phone.png")


async def test_the_elderly_member_reads_party_age_and_next_badge_on_the_profile(phone_chat: ChatPage):
    chat = phone_chat
    await chat.open("elderly_member")
    await chat.type("elderly_member", "/profile")
    profile = chat.bot_messages("elderly_member").last
    await expect(profile).to_contain_text("Tuổi Đảng:")
    await expect(profile).to_contain_text("Huy hiệu tiếp theo:")
    await chat.shoot(chat.page, "badges-profile-phone.png")
