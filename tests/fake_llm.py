"""A fake OpenAI-compatible chat server for the tests of the optional language model (bot/chat_model.py,
models/library/answers.py, handlers/library): POST /v1/chat/completions answers as `behave` says, and
every request is kept (headers, JSON body) so a test can check what left the server.

    async with FakeModel() as fake:                   # fake.url: "http://127.0.0.1:<port>/v1"
        fake.behave = lambda body: ("json", "Đảng viên … [1].")
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

# What a behaviour returns: ("json", content) a proper reply; ("status", code); ("raw", bytes) as the body;
# ("slow", seconds) an answer that never comes in time; ("huge", bytes) a proper reply that size;
# ("gate", (asyncio.Event, content)) a proper reply once the test sets the event.
Behaviour = Callable[[dict[str, Any]], tuple[str, Any]]


def completion(content: str) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}


def question_of(body: dict[str, Any]) -> str:
    """The question between <cau_hoi> markers of the prompt's last message."""
    found = re.search(r"<cau_hoi>\n(.*?)\n</cau_hoi>", body["messages"][-1]["content"], re.DOTALL)
    return found.group(1) if found else ""


def passages_of(body: dict[str, Any]) -> list[str]:
    """The texts between <doan …> markers, in order."""
    return re.findall(r"<doan so=\"\d+\"[^>]*>\n(.*?)\n</doan>", body["messages"][-1]["content"], re.DOTALL)


class FakeModel:
    def __init__(self, behave: Behaviour | None = None):
        self.behave: Behaviour = behave or (lambda body: ("json", "không tìm thấy trong tài liệu"))
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append((dict(request.headers), body))
        kind, value = self.behave(body)
        if kind == "status":
            return web.json_response({"error": {"message": "boom"}}, status=value)
        if kind == "raw":
            return web.Response(body=value, content_type="application/json")
        if kind == "gate":
            gate, content = value
            await gate.wait()
            return web.json_response(completion(content))
        if kind == "slow":
            await asyncio.sleep(value)
            return web.json_response(completion("Quá muộn [1]."))
        if kind == "huge":  # streamed without a length: the client must stop reading by itself
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await response.prepare(request)
            await response.write(b'{"choices": [{"message": {"content": "')
            for _ in range(value // 65536):
                await response.write(b"a" * 65536)
            await response.write(b'"}}]}')
            return response
        return web.json_response(completion(value))

    async def __aenter__(self) -> FakeModel:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

