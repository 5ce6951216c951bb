"""bot/request.py: PTB's Bot API calls over aiohttp — what goes out, what comes back, and how failures read."""
from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.request import AiohttpRequest

TOKEN = "123456:SECRET-token"


@pytest.fixture
async def server():
    """A tiny Bot API: getMe, sendMessage (echoes its fields), sendDocument (echoes the file), slow, refused."""
    seen: list[dict] = []

    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "multipart/form-data":
            fields = {}
            async for part in await request.multipart():
                fields[part.name] = {"filename": part.filename, "bytes": (await part.read()).decode()} \
                    if part.filename else (await part.text())
        elif request.content_type == "application/json":
            fields = await request.json()
        else:
            fields = dict(await request.post())
        seen.append({"method": method, "fields": fields, "agent": request.headers.get("User-Agent", ""),
                     "type": request.content_type})
        if method == "getMe":
            result = {"id": 123456, "is_bot": True, "first_name": "Sổ tay", "username": "handbook_bot"}
        elif method == "sendMessage":
            if fields.get("text") == "slow":
                await asyncio.sleep(0.5)
            if fields.get("text") == "bad":
                return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: no"}, status=400)
            result = {"message_id": 7, "date": 0, "chat": {"id": int(fields["chat_id"]), "type": "private"},
                      "text": fields["text"]}
        elif method == "sendDocument":
            doc = fields["document"]
            result = {"message_id": 8, "date": 0, "chat": {"id": int(fields["chat_id"]), "type": "private"},
                      "document": {"file_id": "F1", "file_unique_id": "U1", "file_name": doc["filename"]},
                      "caption": doc["bytes"]}
        else:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


def _bot(base: str, request: AiohttpRequest) -> Bot:
    return Bot(TOKEN, base_url=f"{base}/bot", request=request, get_updates_request=AiohttpRequest(1))


async def test_calls_fields_uploads_and_refusals_go_through(server):
    base, seen = server
    async with _bot(base, AiohttpRequest(4)) as bot:
        assert bot.username == "handbook_bot"
        sent = await bot.send_message(42, "Xin chào đồng chí", reply_markup=None)
        assert (sent.message_id, sent.text) == (7, "Xin chào đồng chí")
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Đồng ý", callback_data="v:1:1")]])
        await bot.send_message(42, "<b>Biểu quyết</b> & \"trích\"", reply_markup=keyboard)
        doc = await bot.send_document(42, InputFile(b"ballots", filename="Phiếu bầu.txt"))
        assert (doc.document.file_name, doc.caption) == ("Phiếu bầu.txt", "ballots")
        with pytest.raises(BadRequest, match="(?i)no"):
            await bot.send_message(42, "bad")
    # Without files, a JSON body of PTB's fields as the form would carry them (nested objects as JSON strings).
    assert seen[1]["type"] == "application/json"
    assert seen[1]["fields"]["chat_id"] == "42" and seen[1]["fields"]["text"] == "Xin chào đồng chí"
    assert seen[2]["fields"]["text"] == '<b>Biểu quyết</b> & "trích"'
    assert json.loads(seen[2]["fields"]["reply_markup"]) == {
        "inline_keyboard": [[{"text": "Đồng ý", "callback_data": "v:1:1"}]]}
    assert seen[3]["type"] == "multipart/form-data"  # an upload stays multipart
    assert seen[3]["fields"]["document"] == {"filename": "Phiếu bầu.txt", "bytes": "ballots"}
    assert all("python-telegram-bot" in s["agent"] for s in seen)


async def test_a_slow_answer_times_out_and_a_refused_connection_is_a_network_error(server):
    base, _ = server
    async with _bot(base, AiohttpRequest(4, read_timeout=0.1)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(42, "slow")
        assert (await bot.send_message(42, "after")).text == "after"  # the session still works
    async with _bot(base, AiohttpRequest(4)) as bot:  # the default 5 s; a timeout given with the call wins
        with pytest.raises(TimedOut):
            await bot.send_message(42, "slow", read_timeout=0.1)
    closed = AiohttpRequest(1)
    await closed.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await closed.post(f"http://127.0.0.1:9/bot{TOKEN}/getMe")
        assert TOKEN not in str(caught.value) and "SECRET" not in json.dumps(str(caught.value))
    finally:
        await closed.shutdown()
