"""Webhook delivery: the emulator POSTs updates like Telegram does — with the secret header, retried
on failure, in turn to several URLs when a test stands for a load balancer."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiohttp import web
from telegram.error import BadRequest, Conflict

UID = 100001


class Receiver:
    """A webhook endpoint: records what arrives; `fail` answers that many requests with 500."""

    def __init__(self, fail: int = 0, delay: float = 0.0):
        self.got: list[tuple[dict, str | None]] = []
        self.fail = fail
        self.delay = delay
        self.concurrent: dict[int, int] = {}  # chat → requests on the wire now
        self.max_concurrent_per_chat = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat = body["message"]["chat"]["id"] if "message" in body else 0
        self.concurrent[chat] = self.concurrent.get(chat, 0) + 1
        self.max_concurrent_per_chat = max(self.max_concurrent_per_chat, self.concurrent[chat])
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.fail > 0:
                self.fail -= 1
                return web.Response(status=500)
            self.got.append((body, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
            return web.Response(text="ok")
        finally:
            self.concurrent[chat] -= 1

    @property
    def texts(self) -> list[str]:
        return [body["message"]["text"] for body, _ in self.got]


@pytest.fixture
async def receivers():
    started: list[web.AppRunner] = []

    async def start(receiver: Receiver) -> str:
        app = web.Application()
        app.router.add_post("/hook", receiver.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        started.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}/hook"

    yield start
    for runner in started:
        await runner.cleanup()


async def control(url: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s:
        async with s.request(method, f"{url}/_sandbox/{path}", json=body) as r:
            return r.status, await r.json()


async def until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_updates_are_posted_with_the_secret_and_leave_the_queue(emulator, bot, driver, receivers):
    receiver = Receiver()
    hook = await receivers(receiver)
    assert await bot.set_webhook(hook, secret_token="s3cret_Token-1", allowed_updates=["message", "callback_query"])
    await driver.create_user("Lan", id=UID)
    await driver.send(UID, "xin chào")
    await until(lambda: receiver.got)
    body, secret = receiver.got[0]
    assert secret == "s3cret_Token-1"
    assert body["message"]["text"] == "xin chào" and body["update_id"] >= 1
    info = await bot.get_webhook_info()
    assert info.url == hook and info.pending_update_count == 0
    with pytest.raises(Conflict):
        await bot.get_updates()


async def test_a_secret_with_unallowed_characters_is_refused(bot):
    with pytest.raises(BadRequest, match="unallowed characters"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="no spaces allowed")


async def test_several_urls_in_turn_and_a_dead_one_is_skipped_by_retries(emulator, sandbox_url, bot, driver, receivers):
    first, second = Receiver(), Receiver()
    urls = [await receivers(first), await receivers(second)]
    status, view = await control(sandbox_url, "POST", "webhooks", {"urls": urls, "secret": "shared", "retry_s": 0.05})
    assert status == 200 and view["urls"] == urls and view["secret_set"]
    await bot.set_webhook(urls[0], secret_token="ignored-when-the-test-sets-one")
    for i in range(10):
        await driver.create_user(f"Đảng viên {i}", id=UID + i)
        await driver.send(UID + i, f"tin {i}")
    await until(lambda: len(first.got) + len(second.got) == 10)
    assert len(first.got) == 5 and len(second.got) == 5
    assert {secret for _, secret in first.got + second.got} == {"shared"}

    # One instance gone (nothing listens there): every update still arrives, at the other.
    dead = "http://127.0.0.1:9/hook"
    await control(sandbox_url, "POST", "webhooks", {"urls": [dead, urls[1]], "retry_s": 0.05})
    for i in range(10):
        await driver.send(UID + i, f"lần hai {i}")
    await until(lambda: len(second.got) == 15)
    _, view = await control(sandbox_url, "GET", "webhooks")
    assert view["failed"].get(dead, 0) >= 1 and view["pending"] == 0 and view["delivered"][urls[1]] == 15
    info = await bot.get_webhook_info()
    assert info.last_error_message.startswith("Connection failed")


async def test_a_failed_update_is_retried_and_one_chat_keeps_its_order(emulator, sandbox_url, bot, driver, receivers):
    receiver = Receiver(fail=2, delay=0.02)
    hook = await receivers(receiver)
    await control(sandbox_url, "POST", "webhooks", {"urls": [], "retry_s": 0.05})
    await bot.set_webhook(hook)
    await driver.create_user("Lan", id=UID)
    for i in range(5):
        await driver.send(UID, f"tin {i}")
    await until(lambda: len(receiver.got) == 5)
    assert receiver.texts == [f"tin {i}" for i in range(5)]
    assert receiver.max_concurrent_per_chat == 1
    assert receiver.got[0][1] is None  # no secret_token given: no header
    info = await bot.get_webhook_info()
    assert "500" in info.last_error_message and info.last_error_date


async def test_delete_webhook_stops_pushing_and_get_updates_works_again(emulator, bot, driver, receivers):
    receiver = Receiver(fail=10**6)  # never accepts
    hook = await receivers(receiver)
    await bot.set_webhook(hook)
    await driver.create_user("Lan", id=UID)
    await driver.send(UID, "còn chờ")
    await until(lambda: emulator.webhook_targets.failed)
    await bot.delete_webhook()
    updates = await bot.get_updates(timeout=1)
    assert [u.message.text for u in updates] == ["còn chờ"]


@pytest.mark.parametrize("body", [{"urls": "http://x"}, {"urls": ["ftp://x"]}, {"urls": [], "colour": 1}])
async def test_control_api_refuses_bad_webhook_settings(sandbox_url, body):
    status, answer = await control(sandbox_url, "POST", "webhooks", body)
    assert status == 400 and answer["error"]
