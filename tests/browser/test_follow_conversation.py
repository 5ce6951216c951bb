"""A page that follows the conversation (issue 15): the newest message in view after a persona switch,
a new message or an edit, unless the user scrolled up (then a "↓ N tin mới" pill); unread counts on
the personas; at 390×844 the messages keep 55 % of the height with the reply keyboard open; every
persona reachable; the linked state, "đã sửa" and the placeholder true to what happened."""
from __future__ import annotations

import io
import wave

import pytest
from playwright.async_api import expect

from .conftest import PHONE, ChatPage, _chat_page, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
LAPTOP = {"width": 1280, "height": 800}
SLACK = 48  # px from the bottom that the page counts as "at the newest message"


async def distance_to_end(pane) -> float:
    return await pane.locator(".messages").evaluate("n => n.scrollHeight - n.scrollTop - n.clientHeight")


async def newest_in_view(pane) -> bool:
    box = await pane.locator(".messages").bounding_box()
    last = await pane.locator(".msg").last.bounding_box()
    bottom, end = last["y"] + last["height"], box["y"] + box["height"]
    whole = box["y"] - 1 <= last["y"] or last["height"] > box["height"]  # a tall one: its end in view
    return whole and box["y"] < bottom <= end + 1


async def scroll_up(chat: ChatPage, pane) -> None:
    """The user drags the conversation down to read older messages (a mouse wheel here)."""
    messages = pane.locator(".messages")
    await messages.hover()
    await chat.page.mouse.wheel(0, -5000)
    await eventually(lambda: messages.evaluate("n => n.scrollTop === 0"))


async def start(chat: ChatPage, key: str):
    """Opens the persona's chat and sends /start: the bot's welcome and its big buttons."""
    pane = await chat.open(key)
    await chat.type(key, "/start")
    await expect(chat.reply_button(key, "👤 Hồ sơ của tôi")).to_be_visible()
    return pane


async def send(chat: ChatPage, key: str, count: int, label: str = "Tin") -> None:
    bot = chat.run.runtime.app.bot
    for i in range(count):
        await bot.send_message(chat.user_id(key), f"{label} {i + 1}: thông báo của chi bộ\ncó hai dòng")


async def test_phone_switch_new_messages_pill_and_edit_keep_the_newest_in_view(phone_chat: ChatPage):
    chat = phone_chat
    elderly = await start(chat, "elderly_member")
    await start(chat, "secretary")

    # Messages for people out of sight: a count on their chips.
    await send(chat, "elderly_member", 10, "Khi đang xem bí thư")
    await send(chat, "young_member", 2)
    badge = chat.page.locator(".persona[data-key='elderly_member'] .unread")
    await expect(badge).to_have_text("10")
    await expect(chat.page.locator(".persona[data-key='young_member'] .unread")).to_have_text("2")
    await expect(chat.page.locator(".persona[data-key='secretary'] .unread")).to_be_hidden()
    await expect(elderly.locator(".msg.bot")).to_have_count(11)
    await chat.shoot(chat.page, "follow-phone-unread.png")

    # Switching to the member: the newest message is in view, the count gone.
    await chat.open("elderly_member")
    await expect(badge).to_be_hidden()
    await eventually(lambda: newest_in_view(elderly))
    await expect(elderly.locator(".msg").last).to_contain_text("Khi đang xem bí thư 10")

    # At the bottom, a new message scrolls into view.
    await send(chat, "elderly_member", 1, "Mới")
    await expect(elderly.locator(".msg").last).to_contain_text("Mới 1")
    await eventually(lambda: newest_in_view(elderly))

    # Scrolled up to read: new messages wait below, counted on a pill; the reply keyboard folds away.
    await scroll_up(chat, elderly)
    await expect(elderly).to_contain_class("keyboard-hidden")
    await send(chat, "elderly_member", 2, "Trong lúc đọc")
    pill = elderly.locator(".new-pill")
    await expect(pill).to_have_text("↓ 2 tin mới")
    assert not await newest_in_view(elderly)
    assert await elderly.locator(".messages").evaluate("n => n.scrollTop") == 0
    await chat.shoot(chat.page, "follow-phone-pill.png")

    await pill.click()
    await expect(pill).to_be_hidden()
    await eventually(lambda: newest_in_view(elderly))
    assert await distance_to_end(elderly) < SLACK
    await expect(elderly).not_to_contain_class("keyboard-hidden")  # back at the newest: the big buttons are back

    # An edit that makes the newest message longer keeps it whole in view, marked "đã sửa".
    bot = chat.run.runtime.app.bot
    last_id = int(await elderly.locator(".msg").last.get_attribute("data-message-id"))
    await bot.edit_message_text("Trong lúc đọc 2 (bổ sung):\n" + "\n".join(f"dòng {i}" for i in range(12)),
                                chat_id=chat.user_id("elderly_member"), message_id=last_id)
    await expect(elderly.locator(".msg").last.locator(".edited")).to_have_text("đã sửa")
    await eventually(lambda: newest_in_view(elderly))
    await chat.shoot(chat.page, "follow-phone-after-edit.png")


async def test_phone_messages_keep_55_percent_with_the_reply_keyboard_open(phone_chat: ChatPage):
    chat = phone_chat
    pane = await chat.open("secretary")  # the longest menu: five rows of big buttons
    await chat.type("secretary", "/start")
    first = chat.reply_button("secretary", "Công tác chi bộ")
    await expect(first).to_be_visible()
    keyboard = pane.locator(".reply-keyboard")
    await expect(keyboard).to_be_visible()

    messages = await pane.locator(".messages").bounding_box()
    assert messages["height"] / PHONE["height"] >= 0.55, messages
    box = await first.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"] and box["height"] >= 48, box
    page_height = await chat.page.evaluate("document.documentElement.scrollHeight")
    assert page_height <= PHONE["height"]  # nothing pushed below the screen
    await chat.shoot(chat.page, "follow-phone-keyboard-open.png")

    # The rest of the menu scrolls inside the keyboard, every button a finger's size.
    last = chat.reply_button("secretary", "Hướng dẫn")
    await last.scroll_into_view_if_needed()
    box = await last.bounding_box()
    assert box["y"] >= messages["y"] + messages["height"] and box["y"] + box["height"] <= PHONE["height"] + 1
    await last.click()
    await expect(chat.bot_messages("secretary")).to_have_count(2)

    # ⌨ folds the keyboard away and brings it back.
    toggle = pane.locator(".keyboard-toggle")
    await toggle.click()
    await expect(keyboard).to_be_hidden()
    folded = await pane.locator(".messages").bounding_box()
    assert folded["height"] > messages["height"]
    await toggle.click()
    await expect(keyboard).to_be_visible()


async def test_phone_every_persona_is_reachable_and_named(phone_chat: ChatPage):
    chat = phone_chat
    strip = chat.page.locator(".personas")
    overflows = await strip.evaluate("n => n.scrollWidth > n.clientWidth")
    if overflows:  # a strip that scrolls says so: the chips fade out at the edge that has more
        await expect(strip).to_contain_class("more-right")
    for key in ["elderly_member", "young_member", "secretary", "committee_officer", "newcomer"]:
        chip = chat.page.locator(f".persona[data-key='{key}']")
        short = chip.locator(".persona-short")
        await expect(short).to_be_visible()
        assert await short.evaluate("n => n.scrollWidth <= n.clientWidth"), key  # the name is not cut
        await chip.click()
        await expect(chat.pane(key)).to_be_visible()
        box = await chip.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, (key, box)
    if overflows:
        await expect(strip).to_contain_class("more-left")
        await expect(strip).not_to_contain_class("more-right")
    await chat.shoot(chat.page, "follow-phone-last-persona.png")


async def test_phone_placeholder_is_not_cut(phone_chat: ChatPage):
    chat = phone_chat
    pane = await start(chat, "elderly_member")
    box = pane.locator(".text-input")
    placeholder = await box.get_attribute("placeholder")
    assert placeholder and len(placeholder) > 15
    fits = await box.evaluate("""n => {
      const style = getComputedStyle(n, "::placeholder");
      const own = getComputedStyle(n);
      const ctx = document.createElement("canvas").getContext("2d");
      ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const inner = n.clientWidth - parseFloat(own.paddingLeft) - parseFloat(own.paddingRight);
      const high = n.clientHeight - parseFloat(own.paddingTop) - parseFloat(own.paddingBottom);
      const width = ctx.measureText(n.placeholder).width;
      const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
      if (width <= inner) return true;
      const lines = Math.ceil(width / (inner * 0.9)); // words wrap a little before the edge
      return style.whiteSpace !== "nowrap" && lines * line <= high + 1;
    }""")
    assert fits, placeholder
    await chat.shoot(pane.locator(".composer"), "follow-phone-placeholder.png")


async def test_laptop_pill_and_unread_count(browser, sandbox_web):
    context, chat = await _chat_page(browser, sandbox_web, LAPTOP)
    try:
        await chat.load()
        elderly = await start(chat, "elderly_member")

        await send(chat, "young_member", 2)  # no pane open for him: counted on his chip
        badge = chat.page.locator(".persona[data-key='young_member'] .unread")
        await expect(badge).to_have_text("2")
        await send(chat, "elderly_member", 12)
        await expect(elderly.locator(".msg").last).to_contain_text("Tin 12")
        await eventually(lambda: newest_in_view(elderly))
        await expect(chat.page.locator(".persona[data-key='elderly_member'] .unread")).to_be_hidden()

        await scroll_up(chat, elderly)
        await send(chat, "elderly_member", 1, "Mới")
        pill = elderly.locator(".new-pill")
        await expect(pill).to_have_text("↓ 1 tin mới")
        await chat.shoot(chat.page, "follow-laptop-pill.png")
        await pill.click()
        await expect(pill).to_be_hidden()
        await eventually(lambda: newest_in_view(elderly))

        young = await chat.open("young_member")
        await expect(badge).to_be_hidden()
        await expect(young.locator(".msg.bot")).to_have_count(2)
        assert chat.errors == [], chat.errors
    finally:
        await context.close()


async def test_linked_label_follows_the_account_and_old_edits_are_not_marked(chat: ChatPage):
    chip_role = chat.page.locator(".persona[data-key='newcomer'] .persona-role")
    await expect(chip_role).to_have_text("Người mới, chưa kết nối")
    pane = await chat.open("newcomer")
    code = await chat.invite_code("newcomer")
    await chat.type("newcomer", f"/start {code}")
    await expect(chat.reply_button("newcomer", "👤 Hồ sơ của tôi")).to_be_visible()
    await expect(chip_role).not_to_contain_text("chưa kết nối")
    await expect(pane.locator(".pane-role")).not_to_contain_text("chưa kết nối")

    # Edited before the member opened the chat: nothing changed under her eyes, no "đã sửa".
    bot = chat.run.runtime.app.bot
    sent = await bot.send_message(chat.user_id("young_member"), "Lịch họp: thứ Hai")
    await bot.edit_message_text("Lịch họp: thứ Ba", chat_id=sent.chat_id, message_id=sent.message_id)
    young = await chat.open("young_member")
    message = young.locator(f".msg[data-message-id='{sent.message_id}']")
    await expect(message.locator(".text")).to_have_text("Lịch họp: thứ Ba")
    await expect(message.locator(".edited")).to_have_count(0)
    # Edited while on screen: marked.
    await bot.edit_message_text("Lịch họp: thứ Tư", chat_id=sent.chat_id, message_id=sent.message_id)
    await expect(message.locator(".edited")).to_have_text("đã sửa")


def wav(seconds: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(2 * 8000 * seconds))
    return out.getvalue()


async def test_phone_audio_shows_its_length_and_a_big_play_button_and_comes_into_view(phone_chat: ChatPage):
    chat = phone_chat
    pane = await start(chat, "elderly_member")
    await send(chat, "elderly_member", 6)
    bot = chat.run.runtime.app.bot
    await bot.send_audio(chat.user_id("elderly_member"), wav(3), filename="ban-tin.wav", title="Bản tin tháng")
    audio = pane.locator(".audio").last
    await expect(audio.locator(".audio-title")).to_contain_text("0:03")  # read from the file: not 0:00
    play = audio.locator(".audio-play")
    await expect(play).to_have_text("▶ Phát")
    box = await play.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 120, box
    await eventually(lambda: newest_in_view(pane))
    await chat.shoot(chat.page, "follow-phone-audio.png")


async def test_the_clock_shows_from_the_start(chat: ChatPage):
    await expect(chat.page.locator("#clock")).to_contain_text("Giờ phòng thử:")


async def test_phone_a_member_who_only_received_broadcasts_can_start(phone_chat: ChatPage):
    chat = phone_chat
    await send(chat, "young_member", 1, "Thông báo chung")
    pane = await chat.open("young_member")
    await expect(pane.locator(".msg.bot")).to_have_count(1)
    await expect(pane.locator(".start-hint")).to_be_hidden()
    start = pane.locator(".start-bar-button")
    await expect(start).to_have_text("▶ Bắt đầu")
    await chat.shoot(chat.page, "follow-phone-start-bar.png")
    await start.click()
    await expect(chat.reply_button("young_member", "👤 Hồ sơ của tôi")).to_be_visible()
    await expect(start).to_be_hidden()
    await eventually(lambda: newest_in_view(pane))  # the welcome not hidden under its keyboard


async def test_emoji_come_from_the_bundled_colour_font(chat: ChatPage):
    loaded = await chat.page.evaluate("""async () => {
      const faces = await document.fonts.load('20px "Handbook Emoji"', "🆕");
      return faces.map((face) => face.status);
    }""")
    assert loaded == ["loaded"], loaded
    response = await chat.page.request.get(f"{chat.run.web_url}/static/emoji.ttf")
    assert response.status == 200 and response.headers["content-type"] == "font/ttf"


async def test_phone_a_notice_and_its_voice_note_come_into_view(phone_chat: ChatPage):
    chat = phone_chat
    elderly = await start(chat, "elderly_member")
    await chat.open("secretary")
    body = " ".join(["Kính mời các đồng chí dự sinh hoạt chi bộ tháng 12 tại nhà văn hoá tổ dân phố."] * 4)
    await chat.type("secretary", f"/notice Sinh hoạt chi bộ tháng 12 | {body}")
    await expect(chat.page.locator(".persona[data-key='elderly_member'] .unread")).to_have_text("1")

    await chat.open("elderly_member")
    notice = chat.bot_messages("elderly_member").last
    await expect(notice).to_contain_text("Sinh hoạt chi bộ tháng 12")
    listen = notice.locator(".inline-button", has_text="🔊 Nghe")
    await eventually(lambda: newest_in_view(elderly))  # its ✅/🔊 buttons above the fold
    for button in (notice.locator(".inline-button", has_text="Đã đọc"), listen):
        await expect(button).to_be_in_viewport(ratio=1)

    await listen.click()
    await expect(elderly.locator(".audio")).to_have_count(1, timeout=20000)
    await eventually(lambda: newest_in_view(elderly))  # the voice note is not left below the fold
    await expect(elderly.locator(".audio .audio-play")).to_be_in_viewport(ratio=1)
    await chat.shoot(chat.page, "follow-phone-notice-voice.png")


async def test_laptop_the_notice_tracker_stays_whole_in_view_when_it_is_edited(browser, sandbox_web):
    context, chat = await _chat_page(browser, sandbox_web, LAPTOP)
    try:
        await chat.load()
        elderly = await start(chat, "elderly_member")
        secretary = await start(chat, "secretary")
        await chat.type("secretary", "/notice Sinh hoạt chi bộ tháng 12 | Họp lúc 19 giờ tại nhà văn hoá.")
        tracker = chat.bot_messages("secretary").last
        await expect(tracker).to_contain_text("📊")
        await expect(tracker).to_contain_text("Đã nhận: 2")

        notice = chat.bot_messages("elderly_member").last
        await notice.locator(".inline-button", has_text="Đã đọc").click()
        await expect(tracker.locator(".edited")).to_have_text("đã sửa")
        await eventually(lambda: newest_in_view(secretary))
        # A tracker taller than the view shows its end: the last button whole, not cut off.
        await expect(tracker.locator(".inline-button").last).to_be_in_viewport(ratio=1)
        messages = await secretary.locator(".messages").bounding_box()
        assert messages["height"] / (await secretary.bounding_box())["height"] >= 0.5, messages
        await eventually(lambda: newest_in_view(elderly))
        await chat.shoot(chat.page, "follow-laptop-tracker.png")
        assert chat.errors == [], chat.errors
    finally:
        await context.close()
