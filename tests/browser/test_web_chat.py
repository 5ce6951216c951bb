"""The sandbox web chat in a real headless Chromium: personas, formatting, buttons, live updates."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from PIL import Image
from playwright.async_api import expect
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity

from models import clock
from sandbox import Emulator
from sandbox.server import make_app
from sandbox.web import add_web_routes

from .conftest import DESKTOP, ChatPage, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROLE_LABELS = ["Đảng viên cao tuổi", "Đảng viên trẻ", "Bí thư chi bộ", "Cán bộ đảng ủy phường",
               "Người mới, chưa kết nối"]


def png(width: int = 60, height: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


async def test_newcomer_links_by_invite_code_and_gets_the_big_buttons(chat: ChatPage):
    for label in ROLE_LABELS:
        await expect(chat.page.locator(".persona-role", has_text=label)).to_be_visible()
    newcomer = chat.run.persona("newcomer")
    pane = await chat.open("newcomer")
    await expect(pane.locator(".start-hint")).to_be_visible()

    code = await chat.invite_code("newcomer")
    await chat.type("newcomer", f"/start {code}")

    await expect(pane.locator(".msg.me .text").last).to_have_text(f"/start {code}")
    await expect(chat.bot_messages("newcomer").last.locator("b", has_text=newcomer.name)).to_be_visible()
    await expect(chat.reply_button("newcomer", "👤 Hồ sơ của tôi")).to_be_visible()
    await expect(chat.reply_button("newcomer", "📅 Lịch sinh hoạt")).to_be_visible()
    await expect(pane.locator(".start-hint")).to_be_hidden()


async def test_newcomer_shares_phone_number_with_the_contact_button(chat: ChatPage):
    pane = await chat.open("newcomer")
    await pane.locator(".start-button").click()
    share = chat.reply_button("newcomer", "Chia sẻ số điện thoại")
    await share.click()
    dialog = chat.page.locator("#dialog")
    await expect(dialog).to_be_visible()  # Telegram asks before it shares a number too
    await dialog.locator("#dialog-ok").click()

    await expect(pane.locator(".msg.me .contact-phone")).to_have_text(chat.run.persona("newcomer").phone)
    await expect(chat.reply_button("newcomer", "👤 Hồ sơ của tôi")).to_be_visible()


async def test_elderly_member_taps_profile_and_sees_bold_headings(chat: ChatPage):
    member = chat.run.persona("elderly_member")
    await chat.open("elderly_member")
    await chat.type("elderly_member", "/start")
    await chat.reply_button("elderly_member", "👤 Hồ sơ của tôi").click()

    profile = chat.bot_messages("elderly_member").last
    await expect(profile.locator("b", has_text=member.name)).to_be_visible()
    await expect(profile.locator("b", has_text="Thông tin đảng viên")).to_be_visible()
    font_px = await profile.locator(".text").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    assert font_px >= 18


async def test_language_button_edits_the_message_in_place_with_a_toast(chat: ChatPage):
    pane = await chat.open("elderly_member")
    await chat.type("elderly_member", "/start")
    await expect(chat.reply_button("elderly_member", "👤 Hồ sơ của tôi")).to_be_visible()
    await chat.type("elderly_member", "/language")
    chooser = chat.bot_messages("elderly_member").filter(has=chat.page.locator(".inline-button"))
    await expect(chooser).to_have_count(1)
    message_id = await chooser.get_attribute("data-message-id")

    await chooser.locator(".inline-button", has_text="English").click()

    edited = pane.locator(f".msg[data-message-id='{message_id}']")
    await expect(edited.locator(".edited")).to_have_text("đã sửa")
    await expect(edited.locator(".text")).to_have_text("Choose your language:")
    await expect(edited.locator(".inline-button", has_text="✅ 🇬🇧 English")).to_be_visible()
    await expect(pane.locator(".toast")).to_have_text("Switched to English.")
    await expect(chat.reply_button("elderly_member", "👤 My profile")).to_be_visible()


async def test_secretary_pages_the_member_list_in_place(chat: ChatPage):
    pane = await chat.open("secretary")
    await chat.type("secretary", "/members")
    listing = chat.bot_messages("secretary").last
    await expect(listing.locator(".inline-button", has_text="Sau ▶️")).to_be_visible()
    first_page = await listing.locator(".inline-button").all_inner_texts()
    message_id = await listing.get_attribute("data-message-id")

    await listing.locator(".inline-button", has_text="Sau ▶️").click()

    same = pane.locator(f".msg[data-message-id='{message_id}']")
    await expect(same.locator(".inline-button", has_text="◀️ Trước")).to_be_visible()
    await expect(same.locator(".edited")).to_be_visible()
    assert await same.locator(".inline-button").all_inner_texts() != first_page
    await expect(chat.bot_messages("secretary")).to_have_count(1)  # changed in place, nothing new


async def test_a_message_to_a_member_shows_in_their_pane_without_reload(chat: ChatPage):
    secretary = await chat.open("secretary")
    member = await chat.open("elderly_member")
    await chat.type("secretary", "/members")
    await expect(chat.bot_messages("secretary").last.locator("b")).to_have_text("Chi bộ Tổ dân phố 1")
    await chat.page.evaluate("window.__sameDocument = true")

    bot = chat.run.runtime.app.bot
    sent = await bot.send_message(chat.user_id("elderly_member"), "<b>Thông báo</b> thử")

    notice = chat.bot_messages("elderly_member").last
    await expect(notice.locator("b")).to_have_text("Thông báo")
    await expect(notice.locator(".text")).to_have_text("Thông báo thử")
    assert await chat.page.evaluate("window.__sameDocument") is True
    left, right = await secretary.bounding_box(), await member.bounding_box()
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 2  # side by side

    await chat.shoot(secretary, "web-chat-secretary.png")
    await chat.shoot(member, "web-chat-member.png")
    await chat.shoot(chat.page, "web-chat-desktop.png")

    await bot.edit_message_text("<b>Thông báo</b> đã cập nhật", chat_id=sent.chat_id, message_id=sent.message_id)
    await expect(notice.locator(".text")).to_have_text("Thông báo đã cập nhật")
    await expect(notice.locator(".edited")).to_be_visible()
    await bot.delete_message(sent.chat_id, sent.message_id)
    await expect(notice).to_contain_class("deleted")
    await expect(notice).to_contain_text("Tin nhắn đã bị xoá")


async def test_html_typed_by_a_user_is_shown_literally(chat: ChatPage):
    pane = await chat.open("young_member")
    typed = '<b>hi</b> <script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">'
    await chat.type("young_member", typed)

    mine = pane.locator(".msg.me").last
    await expect(mine.locator(".text")).to_have_text(typed)
    await expect(chat.bot_messages("young_member")).to_have_count(1)  # the bot answered after it
    assert await mine.locator("b, script, img").count() == 0
    assert await chat.page.evaluate("window.__pwned") is None


async def test_bot_formatting_is_built_from_the_entities(chat: ChatPage):
    pane = await chat.open("young_member")
    bot = chat.run.runtime.app.bot
    user_id = chat.user_id("young_member")
    # Emoji before the entities: offsets are UTF-16 units, a wrong count would shift every tag.
    await bot.send_message(user_id, (
        "👍🏽 <b>đậm <i>cả hai</i></b> <u>gạch chân</u> <s>gạch ngang</s> <tg-spoiler>bí mật</tg-spoiler> "
        "<code>mã</code>\n<pre>khối mã</pre>\n<a href=\"https://example.org/x\">liên kết</a>\n"
        "<blockquote>trích dẫn</blockquote>\n&lt;script&gt;alert(1)&lt;/script&gt;"))
    await bot.send_message(user_id, "bấm vào đây", parse_mode=None,
                           entities=[MessageEntity("text_link", 0, 11, url="javascript:alert(1)")])

    formatted = chat.bot_messages("young_member").first
    await expect(formatted.locator("b").first).to_have_text("đậm cả hai")
    await expect(formatted.locator("b i")).to_have_text("cả hai")
    await expect(formatted.locator("u")).to_have_text("gạch chân")
    await expect(formatted.locator("s")).to_have_text("gạch ngang")
    await expect(formatted.locator(".spoiler")).to_have_text("bí mật")
    await expect(formatted.locator(":not(pre) > code")).to_have_text("mã")
    await expect(formatted.locator("pre")).to_have_text("khối mã")
    await expect(formatted.locator("blockquote")).to_have_text("trích dẫn")
    link = formatted.locator("a", has_text="liên kết")
    await expect(link).to_have_attribute("href", "https://example.org/x")
    await expect(link).to_have_attribute("target", "_blank")
    await expect(formatted.locator(".text")).to_contain_text("<script>alert(1)</script>")
    assert await pane.locator(".messages script").count() == 0

    unsafe = chat.bot_messages("young_member").nth(1).locator("a")
    await expect(unsafe).to_have_text("bấm vào đây")
    assert await unsafe.get_attribute("href") is None


async def test_media_from_the_bot_and_a_file_from_the_picker(chat: ChatPage, tmp_path):
    pane = await chat.open("secretary")
    bot = chat.run.runtime.app.bot
    user_id = chat.user_id("secretary")
    await bot.send_photo(user_id, png(), caption="<b>Ảnh</b> họp chi bộ")
    await bot.send_voice(user_id, b"OggS" + bytes(200), filename="bantin.ogg")
    await bot.send_document(user_id, "Họ và tên;Số điện thoại\n".encode(), filename="danh-sach.csv")

    photo = pane.locator(".photo img")
    await expect(photo).to_be_visible()
    await eventually(lambda: photo.evaluate("img => img.naturalWidth === 60"))
    await expect(chat.bot_messages("secretary").first.locator("b")).to_have_text("Ảnh")
    await expect(pane.locator(".audio.voice audio")).to_have_attribute("src", re.compile(r"^/_sandbox/files/"))
    document = pane.locator("a.document")
    await expect(document).to_have_attribute("download", "danh-sach.csv")
    response = await chat.page.request.get(chat.run.web_url + await document.get_attribute("href"))
    assert (await response.body()).decode() == "Họ và tên;Số điện thoại\n"

    members = tmp_path / "dang-vien.csv"
    members.write_text("Họ và tên;Số điện thoại;Chi bộ\nNguyễn Văn Mới;0905 999 888;Chi bộ Tổ dân phố 1\n",
                       encoding="utf-8")
    await pane.locator(".file-input").set_input_files(str(members))
    await expect(pane.locator(".msg.me .doc-name")).to_have_text("dang-vien.csv")
    sent = [m for m in chat.run.emulator.messages_view(user_id) if not m["from_bot"]]
    assert sent[-1]["media_kind"] == "document"
    # The bot checked the list and answered.
    await eventually(lambda: _more_than(chat.bot_messages("secretary"), 3))


async def _more_than(locator, n: int) -> bool:
    return await locator.count() > n


async def test_an_alert_answer_opens_a_dialog(chat: ChatPage):
    pane = await chat.open("elderly_member")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Nút cũ", callback_data="old:1")]])
    await chat.run.runtime.app.bot.send_message(chat.user_id("elderly_member"), "Tin nhắn cũ", reply_markup=markup)

    await pane.locator(".inline-button", has_text="Nút cũ").click()

    dialog = chat.page.locator("#dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("#dialog-text")).to_have_text("Nút này không còn hiệu lực.")
    await dialog.locator("#dialog-ok").click()
    await expect(dialog).to_be_hidden()


async def test_trainer_moves_the_clock(chat: ChatPage):
    before = clock.now()
    await chat.page.get_by_role("button", name="+1 giờ").click()
    await expect(chat.page.locator("#clock")).to_contain_text("Giờ phòng thử:")
    await chat.page.get_by_role("button", name="+1 ngày").click()
    await eventually(lambda: clock.now() - before > timedelta(hours=24, minutes=59))


async def test_reset_demo_empties_the_panes(chat: ChatPage):
    pane = await chat.open("elderly_member")
    await chat.type("elderly_member", "/start")
    await expect(chat.bot_messages("elderly_member")).to_have_count(1)

    await chat.page.get_by_role("button", name="Khôi phục dữ liệu mẫu").click()
    await chat.page.locator("#dialog-ok").click()

    await expect(chat.page.locator("body")).to_have_attribute("data-resets", "1")
    await expect(pane.locator(".msg")).to_have_count(0)
    await expect(pane.locator(".start-hint")).to_be_visible()
    assert chat.run.emulator.messages_view(chat.user_id("elderly_member")) == []


async def test_long_polling_fallback_delivers_messages(chat: ChatPage):
    await chat.load("?transport=poll")
    await expect(chat.page.locator("body")).to_have_attribute("data-transport", "poll")
    await chat.open("young_member")
    await chat.run.runtime.app.bot.send_message(chat.user_id("young_member"), "Qua <i>long polling</i>")
    await expect(chat.bot_messages("young_member").last.locator("i")).to_have_text("long polling")


async def test_phone_shows_one_pane_at_a_time_with_tabs(phone_chat: ChatPage):
    chat = phone_chat
    elderly = await chat.open("elderly_member")
    await chat.type("elderly_member", "/start")
    await expect(chat.reply_button("elderly_member", "👤 Hồ sơ của tôi")).to_be_visible()
    secretary = await chat.open("secretary")
    await expect(elderly).to_be_hidden()
    await chat.type("secretary", "/members")
    await expect(chat.bot_messages("secretary").last.locator(".inline-button").first).to_be_visible()
    await chat.shoot(chat.page, "web-chat-phone-secretary.png")

    await chat.page.click(".persona[data-key='elderly_member']")  # back to the first tab: history kept
    await expect(secretary).to_be_hidden()
    await expect(elderly.locator(".msg.bot")).to_have_count(1)
    base = await chat.page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert base >= 18
    box = await chat.reply_button("elderly_member", "👤 Hồ sơ của tôi").bounding_box()
    assert box["height"] >= 48 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    await chat.shoot(chat.page, "web-chat-phone-member.png")


async def test_a_bare_emulator_lists_its_users_without_trainer_tools(browser):
    emulator = Emulator()
    emulator.add_user("Lan", last_name="Trần Thị", id=100001)
    app = make_app(emulator)
    add_web_routes(app)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    context = await browser.new_context(viewport=DESKTOP)
    try:
        page = await context.new_page()
        await page.goto(f"http://127.0.0.1:{runner.addresses[0][1]}/")
        persona = page.locator(".persona[data-user-id='100001']")
        await expect(persona).to_contain_text("Trần Thị Lan")
        await expect(persona).to_contain_text("Người dùng thử")
        await expect(page.locator(".trainer")).to_be_hidden()
        await persona.click()
        box = page.locator(".pane[data-chat-id='100001'] .text-input")
        await box.fill("xin chào")
        await box.press("Enter")
        await expect(page.locator(".msg.me .text")).to_have_text("xin chào")
    finally:
        await context.close()
        await runner.cleanup()


async def test_static_files_are_served_with_a_strict_policy(sandbox_web):
    async with aiohttp.ClientSession() as http:
        async with http.get(sandbox_web.web_url + "/") as page:
            assert page.status == 200
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
            assert "Sổ tay đảng viên điện tử" in await page.text()
        async with http.get(sandbox_web.web_url + "/static/chat.js") as script:
            assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
        for path in ("/static/..%2Fweb.py", "/static/.hidden.js", "/static/missing.css", "/static/web.py"):
            async with http.get(sandbox_web.web_url + path) as refused:
                assert refused.status == 404, path
