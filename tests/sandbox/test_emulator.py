"""The sandbox behaves like Telegram where our bot depends on it: raw HTTP and a real PTB Bot."""
from __future__ import annotations

import asyncio
import datetime as dtm
import json
import struct
import time
import warnings
import zlib

import aiohttp
import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    KeyboardButton,
    MenuButtonCommands,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter

from sandbox import SandboxTimeout, default_spec, validate
from sandbox.emulator import audio_duration, image_size
from sandbox.entities import EntityParseError, parse_html, to_html, with_bot_commands

UID = 100001


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def tiny_ogg_opus(seconds: int) -> bytes:
    """Just enough of an Ogg Opus stream for the duration: OpusHead (pre-skip 312) and a last granule."""
    head = b"OggS\x00\x02" + (0).to_bytes(8, "little") + b"\x00" * 12 + b"OpusHead\x01\x01" + (312).to_bytes(2, "little")
    last = b"OggS\x00\x04" + (48000 * seconds + 312).to_bytes(8, "little") + b"\x00" * 12
    return head + b"\x00" * 20 + last


async def api(url: str, method: str, *, token: str, **kw) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{url}/bot{token}/{method}", **kw) as r:
            return r.status, await r.json()


def seconds(obj, attr: str) -> float:
    """A PTB time period (int now, timedelta later) in seconds, without PTB's deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = getattr(obj, attr)
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


# -- the reference and the HTML parser, without a server ---------------------------------------
def test_spec_validation_reports_every_kind_of_departure():
    assert validate("sendMessage", {"chat_id": "1", "text": "hi"}) == []
    assert validate("SENDMESSAGE", {"chat_id": "1", "text": "hi"}) == []  # case-insensitive like Telegram
    assert validate("sendMessagez", {}) == ["sendMessagez: unknown method 'sendMessagez'"]
    assert validate("sendMessage", {"chat_id": "1"}) == ["sendMessage: missing required field 'text'"]
    assert validate("sendMessage", {"chat_id": "1", "text": "x", "colour": "red"}) == [
        "sendMessage: unknown field 'colour'"]
    markup = json.dumps({"inline_keyboard": [[{"text": "a", "callback_data": "b", "extra": 1}]]})
    assert validate("sendMessage", {"chat_id": "1", "text": "x", "reply_markup": markup}) == [
        "sendMessage: reply_markup.inline_keyboard[0][0]: InlineKeyboardButton has no field 'extra'"]
    assert validate("getUpdates", {"timeout": "soon"}) == ["getUpdates: timeout: expected Integer, got str"]
    scope = json.dumps({"type": "chat_member", "chat_id": 1})
    assert validate("setMyCommands", {"commands": '[{"command": "a", "description": "b"}]', "scope": scope}) == [
        "setMyCommands: scope: BotCommandScopeChatMember is missing required field 'user_id'"]
    media = json.dumps([{"type": "photo", "media": "x"}, {"type": "video", "media": "y"}])
    assert validate("sendMediaGroup", {"chat_id": 1, "media": media})  # photo+video mixed is not one array type


@pytest.mark.parametrize("source, text, entities", [
    ("<b>đậm</b> và <i>nghiêng</i>", "đậm và nghiêng",
     [{"type": "bold", "offset": 0, "length": 3}, {"type": "italic", "offset": 7, "length": 7}]),
    ("👍 <u>x</u>", "👍 x", [{"type": "underline", "offset": 3, "length": 1}]),  # the emoji is 2 UTF-16 units
    ('<pre><code class="language-python">x = 1</code></pre>', "x = 1",
     [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]),
    ('<a href="https://example.org/a?b=1&amp;c=2">link</a>', "link",
     [{"type": "text_link", "offset": 0, "length": 4, "url": "https://example.org/a?b=1&c=2"}]),
    ("<blockquote expandable>q</blockquote><span class=\"tg-spoiler\">s</span>", "qs",
     [{"type": "expandable_blockquote", "offset": 0, "length": 1}, {"type": "spoiler", "offset": 1, "length": 1}]),
    ("1 &lt; 2 &amp;&amp; &#x1F600; &quot;", '1 < 2 && 😀 "', []),
])
def test_html_parsing_matches_telegram(source, text, entities):
    assert parse_html(source) == (text, entities)
    assert parse_html(to_html(text, entities)) == (text, entities)  # the re-rendered HTML is equivalent


def test_commands_in_a_bot_s_text_get_the_entities_telegram_detects():
    text, found = parse_html("🌐 Bấm /language hoặc /help@handbook_bot.\nKhông: 05/12/2026, a/b, //x, <code>/cancel</code>")
    commands = [text[e["offset"] - 1:e["offset"] - 1 + e["length"]] for e in with_bot_commands(text, found)
                if e["type"] == "bot_command"]  # -1: the 🌐 before them takes two UTF-16 units
    assert commands == ["/language", "/help@handbook_bot"]
    assert with_bot_commands("Không có lệnh", []) == []


@pytest.mark.parametrize("source, reason", [
    ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
    ("Đây <b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    ("Đây <b>x</i>", 'Unmatched end tag at byte offset 10, expected "</b>", found "</i>"'),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("Tom & Jerry", 'Unescaped "&" at byte offset 4; it must be written as "&amp;"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
])
def test_malformed_html_is_refused_with_telegrams_reason(source, reason):
    with pytest.raises(EntityParseError) as e:
        parse_html(source)
    assert str(e.value) == reason


def test_media_sniffing():
    assert image_size(tiny_png(3, 2)) == (3, 2)
    assert image_size(b"%PDF-1.4") == (0, 0)
    assert audio_duration(tiny_ogg_opus(7)) == 7


# -- the Bot API over HTTP -------------------------------------------------------------------
async def test_get_me_raw_and_with_ptb(emulator, sandbox_url, bot):
    status, body = await api(sandbox_url, "getMe", token=emulator.token)
    assert status == 200 and body["ok"] is True
    assert body["result"]["id"] == 7000000001 and body["result"]["is_bot"] is True
    assert bot.username == "handbook_sandbox_bot"
    assert (await bot.get_me()).first_name == "Sổ tay đảng viên"
    status, body = await api(sandbox_url, "getMe", token="1:wrong")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})


async def test_json_body_and_query_string_are_accepted(emulator, sandbox_url, user):
    status, body = await api(sandbox_url, "sendMessage", token=emulator.token, json={"chat_id": UID, "text": "json"})
    assert status == 200 and body["result"]["text"] == "json"
    status, body = await api(sandbox_url, "sendMessage", token=emulator.token,
                             params={"chat_id": str(UID), "text": "query"})
    assert status == 200 and body["result"]["text"] == "query"


async def test_long_polling_returns_as_soon_as_an_update_arrives_and_offset_drops_it(bot, driver, user):
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    await driver.send(UID, "/start abc")
    updates = await poll
    assert time.monotonic() - started < 1.5
    [update] = updates
    assert update.message.text == "/start abc"
    assert update.message.from_user.id == UID and update.message.chat.type == "private"
    assert update.message.entities[0].type == "bot_command" and update.message.entities[0].length == 6
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert (await driver.stats())["pending_updates"] == 0


async def test_allowed_updates_filter_what_polling_delivers(bot, driver, user):
    sent = await bot.send_message(UID, "Bỏ phiếu", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Đồng ý", callback_data="v")]]))
    await driver.send(UID, "text is filtered out")
    await driver.press(UID, sent.message_id, button_text="Đồng ý")
    [update] = await bot.get_updates(allowed_updates=["callback_query"])
    assert update.callback_query.data == "v"
    await driver.send(UID, "still filtered: allowed_updates is remembered")
    assert await bot.get_updates(offset=update.update_id + 1) == ()


async def test_updates_and_messages_are_valid_bot_api_objects(emulator, bot, driver, user):
    await driver.send(UID, "xin chào")
    await driver.send_file(UID, tiny_png(), "anh.png", kind="photo", caption="ảnh")
    sent = await bot.send_message(UID, "<b>ok</b>", parse_mode="HTML",
                                  reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]))
    await driver.press(UID, sent.message_id, button_text="A")
    spec = default_spec()
    assert len(emulator.updates) == 3
    for update in emulator.updates:
        assert spec.check_object("Update", update) == []
    for msg in emulator.chats[UID].messages.values():
        assert spec.check_object("Message", emulator._to_api(msg)) == []


async def test_html_entities_with_non_bmp_emoji(bot, user):
    msg = await bot.send_message(UID, "🇻🇳 <b>Chi bộ</b> 😀 <i>họp</i> <code>19:30</code>", parse_mode="HTML")
    assert msg.text == "🇻🇳 Chi bộ 😀 họp 19:30"
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [
        ("bold", 5, 6), ("italic", 15, 3), ("code", 19, 5)]
    assert list(msg.parse_entities().values()) == ["Chi bộ", "họp", "19:30"]


async def test_malformed_html_is_a_bad_request(emulator, sandbox_url, bot, user):
    status, body = await api(sandbox_url, "sendMessage", token=emulator.token,
                             data={"chat_id": str(UID), "text": "<foo>x</foo>", "parse_mode": "HTML"})
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description":
                                    'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 0'})
    with pytest.raises(BadRequest, match="(?i)can't find end tag corresponding to start tag"):
        await bot.send_message(UID, "<b>chưa đóng", parse_mode="HTML")


async def test_text_length_limits(emulator, sandbox_url, bot, user):
    assert len((await bot.send_message(UID, "ư" * 4096)).text) == 4096
    status, body = await api(sandbox_url, "sendMessage", token=emulator.token, data={"chat_id": str(UID), "text": "a" * 4097})
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    # 4096 characters after entity parsing: the tags do not count.
    assert len((await bot.send_message(UID, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")).text) == 4096
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(UID, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(UID, b"x", filename="x.txt", caption="c" * 1025)


async def test_callback_data_over_64_bytes_is_refused(emulator, sandbox_url, bot, user):
    ok = "đ" * 32  # 64 bytes in UTF-8
    await bot.send_message(UID, "ok", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=ok)]]))
    markup = json.dumps({"inline_keyboard": [[{"text": "x", "callback_data": "a" * 65}]]})
    status, body = await api(sandbox_url, "sendMessage", token=emulator.token,
                             data={"chat_id": str(UID), "text": "t", "reply_markup": markup})
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(UID, "t", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]]))


async def test_unknown_chat_and_blocked_user(bot, driver, user):
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hi")
    await driver.block(UID)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(UID, "hi")
    [update] = await bot.get_updates()
    assert update.my_chat_member.new_chat_member.status == "kicked"
    await driver.send(UID, "/start")  # writing to the bot again restarts it
    assert (await bot.send_message(UID, "hi")).text == "hi"
    await driver.create_user("Never started", id=100002, started=False)
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(100002, "hi")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB reads retry_after itself
async def test_flood_control_answers_429_with_retry_after(emulator, sandbox_url, bot, driver, user):
    await driver.configure(per_chat_limit_per_s=1)
    await bot.send_message(UID, "1")
    with pytest.raises(RetryAfter) as e:
        await bot.send_message(UID, "2")
    assert seconds(e.value, "retry_after") == 1
    await driver.create_user("Hùng", id=100002)
    await bot.send_message(100002, "another chat is not limited")
    await driver.configure(per_chat_limit_per_s=None, global_limit_per_s=2)
    status, body = await api(sandbox_url, "sendMessage", token=emulator.token, data={"chat_id": str(UID), "text": "3"})
    assert status == 429
    assert body == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1}}
    assert len(await driver.bot_messages(UID)) == 1  # refused sends leave no message
    assert (await driver.stats())["throttled"] == 2  # the 429s answered, counted (bench/instances.py)


async def test_latency_and_fault_injection(bot, driver, user):
    await driver.configure(fail_next={"chat_id": UID, "count": 2, "code": 500})
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(UID, "retry me")
    assert (await bot.send_message(UID, "retry me")).text == "retry me"
    await driver.configure(latency_ms=150)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.15


async def test_unknown_field_is_recorded_but_the_request_proceeds(emulator, sandbox_url, bot, driver, user):
    msg = await bot.send_message(UID, "hi", api_kwargs={"colour": "red"})
    assert msg.text == "hi"
    [violation] = await driver.violations()
    assert violation == {"method": "sendMessage", "kind": "unknown_field", "path": "colour",
                         "detail": "unknown field 'colour'"}
    assert (await driver.stats())["violations"] == 1
    assert await driver.clear_violations() == [violation]
    assert emulator.violations == []


async def test_unknown_method_and_missing_field(emulator, sandbox_url, driver, user):
    status, body = await api(sandbox_url, "sendTelepathy", token=emulator.token, data={"chat_id": "1"})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    status, body = await api(sandbox_url, "sendmessage", token=emulator.token, data={"chat_id": str(UID)})
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = await api(sandbox_url, "setMyName", token=emulator.token, data={"name": "x"})
    assert (status, body) == (200, {"ok": True, "result": True})  # a real method the sandbox does not emulate
    kinds = [(v["method"], v["kind"]) for v in await driver.clear_violations()]
    assert kinds == [("sendTelepathy", "unknown_method"), ("sendMessage", "missing")]
    assert (await driver.stats())["requests"] == {"sendTelepathy": 1, "sendMessage": 1, "setMyName": 1}


async def test_edits_and_not_modified(bot, driver, user):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="yes")]])
    msg = await bot.send_message(UID, "Họp lúc 19:00", reply_markup=keyboard)
    await driver.wait_for_bot_messages(UID)
    edited = await msg.edit_text("Họp lúc <b>19:30</b>", parse_mode="HTML", reply_markup=keyboard)
    assert edited.text == "Họp lúc 19:30" and edited.edit_date is not None
    view = await driver.wait_for_edit(UID, msg.message_id, timeout=2)
    assert view["html"] == "Họp lúc <b>19:30</b>" and view["edited"] and view["reply_markup"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await msg.edit_text("Họp lúc <b>19:30</b>", parse_mode="HTML", reply_markup=keyboard)
    await msg.edit_reply_markup(None)
    assert (await driver.bot_messages(UID))[0]["reply_markup"] is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await msg.edit_reply_markup(None)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=UID, message_id=999)
    # An edit without reply_markup removes the inline keyboard, as on Telegram.
    msg2 = await bot.send_message(UID, "a", reply_markup=keyboard)
    assert (await msg2.edit_text("b")).reply_markup is None


async def test_caption_edit_and_delete(bot, driver, user):
    doc = await bot.send_document(UID, b"%PDF-1.4", filename="nghi-quyet.pdf", caption="Nghị quyết")
    assert (await doc.edit_caption("Nghị quyết <i>số 5</i>", parse_mode="HTML")).caption == "Nghị quyết số 5"
    assert await doc.delete() is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await doc.delete()
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await doc.edit_caption("again")
    [view] = await driver.bot_messages(UID)
    assert view["deleted"] and view["caption"] == "Nghị quyết số 5"


async def test_callback_press_and_answer(bot, driver, user):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Tham dự", callback_data="att:1:yes"),
                                      InlineKeyboardButton("Vắng", callback_data="att:1:no")]])
    await bot.send_message(UID, "Bạn có tham dự?", reply_markup=keyboard)
    [msg] = await driver.wait_for_bot_messages(UID)
    query_id = await driver.press_button(UID, msg, "Vắng")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert (query.id, query.data, query.from_user.id) == (query_id, "att:1:no", UID)
    assert query.message.message_id == msg["message_id"] and query.message.reply_markup == keyboard
    waiting = asyncio.create_task(driver.callback_answer(query_id, timeout=3))
    await asyncio.sleep(0.05)
    await query.answer("Đã ghi nhận", show_alert=True)
    assert await waiting == {"text": "Đã ghi nhận", "show_alert": True, "url": None, "cache_time": 0}
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("twice")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")
    forged = await driver.press(UID, msg["message_id"], data="att:999:yes")
    [update] = await bot.get_updates(offset=update.update_id + 1)
    assert update.callback_query.data == "att:999:yes"
    assert driver.session and forged == update.callback_query.id
    with pytest.raises(BadRequest, match="Message_too_long"):
        await update.callback_query.answer("x" * 201)


async def test_upload_then_resend_by_file_id_and_download(bot, driver, user):
    data = "Biên bản họp chi bộ".encode() * 100
    first = await bot.send_document(UID, data, filename="bien-ban.txt")
    doc = first.document
    assert (doc.file_name, doc.mime_type, doc.file_size) == ("bien-ban.txt", "text/plain", len(data))
    second = await bot.send_document(UID, doc.file_id)
    assert second.document.file_id == doc.file_id
    stats = await driver.stats()
    assert (stats["uploads"], stats["sends_by_file_id"]) == (1, 1)
    file = await bot.get_file(doc.file_id)
    assert file.file_size == len(data) and file.file_path.endswith("documents/file_1.txt")
    assert bytes(await file.download_as_bytearray()) == data
    [view, _] = await driver.bot_messages(UID)
    assert await driver.download(view["document"]) == data
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_document(UID, "no-such-file-id")
    with pytest.raises(BadRequest, match="Type of file mismatch"):
        await bot.send_voice(UID, doc.file_id)


async def test_photo_and_voice_objects(bot, user):
    photo = await bot.send_photo(UID, tiny_png(4, 3), caption="<b>Ảnh</b>", parse_mode="HTML")
    [size] = photo.photo
    assert (size.width, size.height, photo.caption, photo.caption_entities[0].type) == (4, 3, "Ảnh", "bold")
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(UID, b"not an image")
    voice = await bot.send_voice(UID, tiny_ogg_opus(3), filename="ban-tin.ogg")
    assert (seconds(voice.voice, "duration"), voice.voice.mime_type) == (3, "audio/ogg")
    again = await bot.send_voice(UID, voice.voice.file_id)
    assert again.voice.file_unique_id == voice.voice.file_unique_id
    audio = await bot.send_audio(UID, b"ID3fake", filename="b.mp3", duration=61, title="Bản tin")
    assert (seconds(audio.audio, "duration"), audio.audio.title) == (61, "Bản tin")


async def test_user_files_reach_the_bot(bot, driver, user):
    await driver.send_file(UID, tiny_ogg_opus(2), "y-kien.ogg", kind="voice")
    await driver.send_file(UID, b"a;b\n1;2\n", "danh-sach.csv", caption="Danh sách")
    voice_update, doc_update = await bot.get_updates()
    assert seconds(voice_update.message.voice, "duration") == 2
    doc = doc_update.message.document
    assert (doc.file_name, doc_update.message.caption) == ("danh-sach.csv", "Danh sách")
    file = await bot.get_file(doc.file_id)
    assert bytes(await file.download_as_bytearray()) == b"a;b\n1;2\n"
    assert (await driver.stats())["user_files"] == 2


async def test_contacts_own_forged_and_without_id(bot, driver, user):
    await driver.send_contact(UID)
    await driver.send_contact(UID, "+84900000000", user_id_in_contact=424242)
    await driver.send_contact(UID, "+84900000001", user_id_in_contact=None)
    own, forged, anonymous = [u.message.contact for u in await bot.get_updates()]
    assert (own.phone_number, own.user_id) == ("+84905111222", UID)
    assert (forged.phone_number, forged.user_id) == ("+84900000000", 424242)
    assert anonymous.user_id is None


async def test_reply_keyboard_buttons(bot, driver, user):
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("📇 Chia sẻ số điện thoại", request_contact=True)],
                                    [KeyboardButton("Cuộc họp")]], resize_keyboard=True)
    await bot.send_message(UID, "Chọn", reply_markup=keyboard)
    shown = await driver.reply_keyboard(UID)
    assert [b["text"] for row in shown["keyboard"] for b in row] == ["📇 Chia sẻ số điện thoại", "Cuộc họp"]
    await driver.press_reply_button(UID, "📇 Chia sẻ số điện thoại")
    await driver.press_reply_button(UID, "Cuộc họp")
    contact_update, text_update = await bot.get_updates()
    assert contact_update.message.contact.user_id == UID and text_update.message.text == "Cuộc họp"
    await bot.send_message(UID, "Xong", reply_markup=ReplyKeyboardRemove())
    assert await driver.reply_keyboard(UID) is None
    with pytest.raises(AssertionError, match="no reply keyboard button"):
        await driver.press_reply_button(UID, "Cuộc họp")


async def test_commands_resolve_by_scope_and_language(bot, driver, user):
    await driver.create_user("John", id=100002, language_code="en")
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")])
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await bot.set_my_commands([BotCommand("start", "Bắt đầu"), BotCommand("meetings", "Cuộc họp")],
                              scope=BotCommandScopeAllPrivateChats(), language_code="vi")
    await bot.set_my_commands([BotCommand("start", "Bắt đầu"), BotCommand("members", "Đảng viên")],
                              scope=BotCommandScopeChat(UID))
    assert [c["command"] for c in await driver.commands(UID)] == ["start", "members"]
    assert [c["command"] for c in await driver.commands(100002)] == ["start"]
    assert (await driver.commands(100002))[0]["description"] == "Start"
    assert [c["command"] for c in await driver.commands(100002, language_code="vi")] == ["start", "meetings"]
    await bot.delete_my_commands(scope=BotCommandScopeChat(UID))
    assert [c["command"] for c in await driver.commands(UID)] == ["start", "meetings"]
    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["start"]
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.set_my_commands([BotCommand("x", "y")], scope=BotCommandScopeChat(5))


async def test_chat_info_actions_and_menu_button(bot, driver, user):
    chat = await bot.get_chat(UID)
    assert (chat.id, chat.type, chat.first_name) == (UID, "private", "Nguyễn Thị Lan")
    assert await bot.send_chat_action(UID, "record_voice") is True
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(UID, "dancing")
    await bot.set_chat_menu_button(UID, MenuButtonCommands())
    assert isinstance(await bot.get_chat_menu_button(UID), MenuButtonCommands)
    assert (await driver.events(0, types="chat_action"))["events"][0]["action"] == "record_voice"


async def test_media_group_uploads_by_attach_names(bot, driver, user):
    sent = await bot.send_media_group(UID, [InputMediaDocument(b"one", filename="1.txt", caption="Tài liệu"),
                                            InputMediaDocument(b"two", filename="2.txt")])
    assert [m.document.file_name for m in sent] == ["1.txt", "2.txt"]
    assert sent[0].media_group_id == sent[1].media_group_id and sent[0].caption == "Tài liệu"
    assert (await driver.stats())["uploads"] == 2


async def test_control_api_errors(sandbox_url, driver, user):
    with pytest.raises(AssertionError, match="404: no user 555"):
        await driver.send(555, "hi")
    message_id = await driver.send(UID, "x")
    with pytest.raises(AssertionError, match="no callback button 'Nope'"):
        await driver.press(UID, message_id, button_text="Nope")
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{sandbox_url}/_sandbox/users", json={"last_name": "no first name"}) as r:
            assert r.status == 400
    assert [u["id"] for u in await driver.users()] == [UID]
    assert (await driver.create_user("Tự động"))["id"] == UID + 1  # ids are handed out from 100001 up


async def test_webhook_and_polling_conflict(emulator, sandbox_url, bot):
    await bot.set_webhook("https://handbook.example.org/hook", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "https://handbook.example.org/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    status, _ = await api(sandbox_url, "getUpdates", token=emulator.token)  # a second bot instance polling
    assert status == 200
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_driver_waits(bot, driver, user):
    async def reply_later():
        await asyncio.sleep(0.1)
        await bot.send_message(UID, "một")
        await bot.send_message(UID, "hai")

    await driver.send(UID, "xin chào")
    task = asyncio.create_task(reply_later())
    replies = await driver.wait_for_bot_messages(UID, count=2, timeout=3)
    await task
    assert [m["text"] for m in replies] == ["một", "hai"]
    with pytest.raises(SandboxTimeout, match="1 bot message"):
        await driver.wait_for_bot_messages(UID, timeout=0.2)  # the cursor moved past "hai"
    assert [m["text"] for m in await driver.wait_for_bot_messages(UID, after_seq=0)] == ["một", "hai"]
    events = await driver.events(0, types="message_new", chat_id=UID)
    assert [e["message"]["text"] for e in events["events"]] == ["xin chào", "một", "hai"]


async def test_exchange_with_a_real_ptb_application(emulator, sandbox_url, driver, user):
    from telegram.ext import Application, CallbackQueryHandler, CommandHandler

    async def start(update, context):
        await update.message.reply_html(f"Chào <b>{update.effective_user.first_name}</b>!",
                                        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Hồ sơ", callback_data="profile")]]))

    async def profile(update, context):
        await update.callback_query.answer("Đang mở")
        await update.callback_query.edit_message_text("Hồ sơ của bạn")

    app = (Application.builder().token(emulator.token).base_url(f"{sandbox_url}/bot")
           .base_file_url(f"{sandbox_url}/file/bot").build())
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(profile))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=2)
        try:
            [reply] = await driver.exchange(UID, "/start", timeout=5)
            assert reply["html"] == "Chào <b>Nguyễn Thị Lan</b>!"
            query_id = await driver.press_button(UID, reply, "Hồ sơ")
            assert (await driver.callback_answer(query_id))["text"] == "Đang mở"
            assert (await driver.wait_for_edit(UID, reply["message_id"], timeout=5))["text"] == "Hồ sơ của bạn"
        finally:
            await app.updater.stop()
            await app.stop()


async def test_event_stream_and_reset(emulator, sandbox_url, bot, driver, user):
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{sandbox_url}/_sandbox/stream", params={"after_seq": 0}) as resp:
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            await driver.send(UID, "qua luồng")
            lines = []
            while len(lines) < 3:
                lines.append((await resp.content.readline()).decode().strip())
    assert lines[1] == "event: message_new" and json.loads(lines[2][len("data: "):])["message"]["text"] == "qua luồng"
    [update] = await bot.get_updates()
    await driver.reset()
    assert await driver.stats() == {"requests": {}, "uploads": 0, "sends_by_file_id": 0, "throttled": 0, "user_files": 0,
                                    "violations": 0, "pending_updates": 0, "seq": emulator.seq}
    await driver.create_user("Lan", id=UID)
    await driver.send(UID, "sau reset")
    [after] = await bot.get_updates(offset=update.update_id + 1)
    assert after.update_id > update.update_id  # ids never restart, or a running bot would skip updates


async def test_quiz_poll_answered_by_the_user_reaches_the_bot_and_can_be_stopped(emulator, bot, driver, user):
    sent = await bot.send_poll(UID, "Đại hội XIV của Đảng họp năm nào?", ["2021", "2026", "2031"], type="quiz",
                               is_anonymous=False, correct_option_ids=[1], explanation="Đầu năm <b>2026</b>.",
                               explanation_parse_mode="HTML")
    assert sent.poll.type == "quiz" and sent.poll.correct_option_ids == (1,) and not sent.poll.is_anonymous
    assert sent.poll.explanation == "Đầu năm 2026." and sent.poll.explanation_entities[0].type == "bold"
    [view] = await driver.bot_messages(UID)
    assert view["poll"]["explanation"] is None and {o["correct"] for o in view["poll"]["options"]} == {None}
    answered = await driver.answer_poll(UID, sent.message_id, 0)
    assert answered == {"poll_id": sent.poll.id, "option_ids": [0], "update_id": answered["update_id"],
                        "seq": answered["seq"]}
    poll_update, answer_update = await bot.get_updates()
    assert poll_update.poll.id == sent.poll.id and poll_update.poll.total_voter_count == 1
    answer = answer_update.poll_answer
    assert (answer.poll_id, answer.user.id, answer.option_ids) == (sent.poll.id, UID, (0,))
    spec = default_spec()
    for update in emulator.updates:
        assert spec.check_object("Update", update) == []
    # The client now shows the chosen option, the right one and the explanation; a quiz is answered once.
    [view] = await driver.bot_messages(UID)
    assert [(o["chosen"], o["correct"]) for o in view["poll"]["options"]] == [
        (True, False), (False, True), (False, False)]
    assert view["poll"]["explanation"] == "Đầu năm 2026." and not view["poll"]["can_answer"]
    with pytest.raises(AssertionError, match="does not allow changing"):
        await driver.answer_poll(UID, sent.message_id, 1)
    stopped = await bot.stop_poll(UID, sent.message_id)
    assert stopped.is_closed and stopped.options[0].voter_count == 1
    [_, closed] = await bot.get_updates(offset=answer_update.update_id)
    assert closed.poll.is_closed
    with pytest.raises(BadRequest, match="already been closed"):
        await bot.stop_poll(UID, sent.message_id)


async def test_polls_are_checked_like_telegram(emulator, bot, driver, user):
    with pytest.raises(BadRequest, match="correct option ids"):
        await bot.send_poll(UID, "Câu hỏi?", ["A", "B"], type="quiz", correct_option_ids=[2])
    with pytest.raises(BadRequest, match="1-100 characters"):
        await bot.send_poll(UID, "Câu hỏi?", ["A", "B" * 101])
    with pytest.raises(BadRequest, match="quizzes only"):
        await bot.send_poll(UID, "Câu hỏi?", ["A", "B"], explanation="vì")
    anonymous = await bot.send_poll(UID, "Thăm dò?", ["Có", "Không"])
    await driver.answer_poll(UID, anonymous.message_id, [1])
    await driver.answer_poll(UID, anonymous.message_id, [0])  # a regular poll allows changing the vote
    updates = await bot.get_updates()
    assert [u.poll.options[0].voter_count for u in updates] == [0, 1] and not any(u.poll_answer for u in updates)
    with pytest.raises(AssertionError, match="one answer"):
        await driver.answer_poll(UID, anonymous.message_id, [0, 1])
    with pytest.raises(AssertionError, match="no poll"):
        await driver.answer_poll(UID, anonymous.message_id + 5, [0])
