"""A quiz poll on the web page, on a phone: the options are big tap targets; a tap marks the chosen one, the right
one and shows the explanation, as Telegram does — and the bot hears the answer (a poll it did not send: ignored)."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from handlers.turn import bot_api

from .conftest import ChatPage, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_phone_the_elderly_member_answers_a_quiz_poll_by_tapping(phone_chat: ChatPage):
    user_id = phone_chat.user_id("elderly_member")
    # As handlers/study sends it: PTB's send_poll would add the bot's default parse_mode, which sendPoll lacks.
    await bot_api(phone_chat.run.runtime.app.bot, "sendPoll", {
        "chat_id": user_id, "question": "1/2. Nghị quyết 57-NQ/TW bàn về lĩnh vực nào?",
        "options": [{"text": o} for o in ("Nông nghiệp", "Khoa học, công nghệ", "Du lịch")], "type": "quiz",
        "is_anonymous": False, "correct_option_ids": [1], "explanation": "Đột phá phát triển khoa học, công nghệ."})
    pane = await phone_chat.open("elderly_member")
    poll = pane.locator(".poll").last
    await expect(poll.locator(".poll-question")).to_have_text("1/2. Nghị quyết 57-NQ/TW bàn về lĩnh vực nào?")
    options = poll.locator(".poll-option")
    await expect(options).to_have_count(3)
    await expect(poll.locator(".poll-explanation")).to_have_count(0)
    box = await options.first.bounding_box()
    assert box is not None and box["height"] >= 48  # a finger's tap target

    await options.nth(0).click()
    await expect(options.nth(0)).to_have_class("poll-option chosen wrong")
    await expect(options.nth(1)).to_have_class("poll-option correct")
    await expect(poll.locator(".poll-explanation")).to_contain_text("Đột phá phát triển khoa học, công nghệ.")
    await expect(options.nth(2)).to_be_disabled()  # a quiz is answered once
    emulator = phone_chat.run.emulator
    await eventually(lambda: emulator.updates == [] and emulator.last_update_id > 0)  # the bot took the answer
    await phone_chat.shoot(pane, "quiz-phone.png")
