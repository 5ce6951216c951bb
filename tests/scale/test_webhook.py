"""Webhook mode against the real Application over HTTP: the secret token decides, /healthz and /metrics tell."""
from __future__ import annotations

import asyncio
import json
import logging
import socket

import aiohttp
import pytest

from bot.app import build_application
from bot.metrics import install
from bot.settings import Settings
from bot.webhook import SECRET_HEADER, make_web_app, run_webhook, start_web
from models import migrate
from models.db import make_engine, make_sessionmaker
from sandbox import Emulator, SandboxDriver, start_server

SECRET = "webhook-Secret_0123456789abcdef"
UID = 100001


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def webhook_bot(db_url, tmp_path, monkeypatch, caplog):
    """The bot in webhook mode on a free port, registered with the emulator, which delivers to it."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    emulator = Emulator()
    runner, api = await start_server(emulator)
    await migrate.upgrade(db_url)
    engine = make_engine(db_url)
    settings = Settings(database_url=db_url, telegram_api_url=api)
    runtime = build_application(settings, engine, token=emulator.token)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_webhook(runtime.app, runtime.services.sessionmaker, url=url, secret=SECRET,
                                           listen="127.0.0.1", port=port, stop=stop, ready=ready))
    done, _ = await asyncio.wait([task, asyncio.ensure_future(ready.wait())], timeout=15,
                                 return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        await task  # raises what went wrong
    driver = SandboxDriver(api)
    await driver.__aenter__()
    try:
        yield emulator, driver, url, f"http://127.0.0.1:{port}"
    finally:
        await driver.__aexit__(None, None, None)
        stop.set()
        await asyncio.wait_for(task, 60)  # a stop that never ends fails here instead of hanging the run
        await runner.cleanup()
        await engine.dispose()
    assert emulator.violations == [], emulator.violations
    assert SECRET not in caplog.text, "the webhook secret was logged"


def closed_port() -> int:
    """A port nothing listens on: bound a moment ago and closed, so a connection is refused at once."""
    return free_port()


def forged_update(update_id: int, text: str = "/help") -> dict:
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": 1_700_000_000, "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        "chat": {"id": UID, "type": "private", "first_name": "Lan"},
        "from": {"id": UID, "is_bot": False, "first_name": "Lan", "language_code": "vi"}}}


def sample(text: str, name: str, **labels: str) -> float | None:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


async def post(url: str, body: dict, secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as s:
        async with s.post(url, json=body, headers=headers) as r:
            return r.status


async def webhooks(driver: SandboxDriver, body: dict) -> None:
    """The emulator's control API: where and with which secret Telegram posts the updates."""
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{driver.base_url}/_sandbox/webhooks", json=body) as r:
            assert r.status == 200, await r.text()


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as s:
        async with s.get(url) as r:
            return r.status, r.headers.get("Content-Type", ""), await r.text()


async def test_right_secret_processed_wrong_or_missing_refused_and_never_processed(webhook_bot):
    emulator, driver, url, base = webhook_bot
    assert emulator.webhook.url == url and emulator.webhook.secret_token == SECRET
    await driver.create_user("Lan", id=UID)

    # Through Telegram (the emulator posts with the secret given to setWebhook): answered.
    replies = await driver.exchange(UID, "/help")
    assert replies and replies[0]["text"]

    # Anyone else who finds the URL: refused, and nothing reaches the handlers.
    before = len(emulator.chats[UID].messages)
    assert await post(url, forged_update(900_001), "not-the-secret") == 403
    assert await post(url, forged_update(900_002), None) == 403
    assert await post(url, forged_update(900_003), SECRET[:-1]) == 403
    assert await post(url, forged_update(900_004), SECRET + "x") == 403
    await asyncio.sleep(1.0)
    assert len(emulator.chats[UID].messages) == before

    # Telegram itself with a stale secret: refused too, and Telegram keeps the update to retry.
    await webhooks(driver, {"urls": [], "secret": "stale", "retry_s": 0.1})
    seq = driver.cursor(UID)
    await driver.send(UID, "/help")
    await asyncio.sleep(1.0)
    assert [m for m in await driver.messages(UID, seq) if m["from_bot"]] == []
    assert "403" in emulator.webhook_targets.last_error_message
    # The right secret again: the kept update is handled now.
    await webhooks(driver, {"urls": [], "secret": SECRET})
    assert await driver.wait_for_bot_messages(UID, 1, after_seq=seq)

    # A request with the secret that is not an update: 400, not a crash.
    assert await post(url, {"no": "update"}, SECRET) == 400

    status, content_type, text = await get(f"{base}/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    assert sample(text, "handbook_updates_total", type="message") == 2
    assert sample(text, "handbook_webhook_rejected_total") >= 4 + 1  # ours, and the emulator's stale tries
    assert sample(text, "handbook_handler_seconds_count", handler="help_") == 2
    assert sample(text, "handbook_handler_seconds_bucket", handler="help_", le="+Inf") == 2


async def test_healthz_and_metrics_content(webhook_bot, db_url):
    emulator, driver, url, base = webhook_bot
    # SQLite: the one instance leads; PostgreSQL: alone, it wins the election (a moment after start).
    for _ in range(100):
        status, content_type, text = await get(f"{base}/healthz")
        body = json.loads(text)
        if body["role"] == "leader":
            break
        await asyncio.sleep(0.05)
    assert status == 200 and content_type.startswith("application/json")
    assert body == {"status": "ok", "database": "ok", "role": "leader", "backlog": 0}

    status, _, text = await get(f"{base}/metrics")
    for name in ("handbook_deliveries_queued 0.0", "handbook_deliveries_sent_total", "handbook_deliveries_failed_total",
                 "handbook_dispatcher_429_total", "handbook_handler_429_total", "handbook_tts_syntheses_total",
                 "handbook_tts_cache_hits_total", "handbook_leader 1.0", "handbook_webhook_rejected_total 0.0"):
        assert name in text, name
    assert "# TYPE handbook_handler_seconds histogram" in text
    # The send budget shared by the instances: on PostgreSQL (the database), none on SQLite (one instance).
    shared = not db_url.startswith("sqlite")
    assert ("handbook_send_budget_shared 1.0" in text) is shared
    assert ("handbook_send_budget_outages_total 0.0" in text) is shared


async def test_healthz_says_503_when_the_database_is_gone(tmp_path):
    from telegram.ext import ApplicationBuilder

    from handlers.turn import SERVICES, Services

    app = ApplicationBuilder().token("123456:" + "A" * 35).updater(None).build()
    engine = make_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{closed_port()}/nothing")
    app.bot_data[SERVICES] = Services(sessionmaker=make_sessionmaker(engine))
    install(app)
    runner, port = await start_web(make_web_app(app, make_sessionmaker(engine)), "127.0.0.1", 0)
    try:
        status, _, text = await get(f"http://127.0.0.1:{port}/healthz")
        assert status == 503 and '"database": "unreachable' in text
        status, _, text = await get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200  # metrics still answer: the backlog keeps its last value
        status, _, _ = await get(f"http://127.0.0.1:{port}/telegram/hook")
        assert status == 404  # no webhook on the polling-mode server
    finally:
        await runner.cleanup()
        await engine.dispose()


def test_run_webhook_without_a_secret_names_the_setting(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bot.cli import main

    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("HANDBOOK_BOT_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("HANDBOOK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    monkeypatch.delenv("HANDBOOK_WEBHOOK_SECRET", raising=False)
    result = CliRunner().invoke(main, ["run", "--webhook", "https://bot.example.org/telegram"])
    assert result.exit_code != 0 and "HANDBOOK_WEBHOOK_SECRET is missing" in str(result.exception)
    assert not (tmp_path / "h.db").exists()  # stopped before touching anything

    monkeypatch.setenv("HANDBOOK_WEBHOOK_SECRET", "short secret!")
    result = CliRunner().invoke(main, ["run", "--webhook", "https://bot.example.org/telegram"])
    message = str(result.exception)
    assert result.exit_code != 0 and "HANDBOOK_WEBHOOK_SECRET is invalid" in message
    assert "short secret!" not in message  # a secret is never shown, even a wrong one


async def post_raw(url: str, body: bytes, secret: str) -> int:
    async with aiohttp.ClientSession() as s:
        async with s.post(url, data=body, headers={SECRET_HEADER: secret, "Content-Type": "application/json"}) as r:
            return r.status


NOT_UPDATES = [
    b"[]", b"1", b'"x"', b"null", b"true", b"{not json", b"", b'{"update_id": 1, "message": 5}',
    "{\"update_id\": 7, \"message\": {\"text\": \"Ch\xe0o\"}}".encode("latin-1"),  # not UTF-8
    b'{"message": {"message_id": 1}}', b'{"update_id": "7"}', b'{"update_id": true}',
]


async def test_a_body_that_is_not_an_update_is_400_and_the_bot_keeps_serving(webhook_bot):
    emulator, driver, url, base = webhook_bot
    await driver.create_user("Lan", id=UID)
    assert {body: await post_raw(url, body, SECRET) for body in NOT_UPDATES} == {body: 400 for body in NOT_UPDATES}
    replies = await driver.exchange(UID, "/help")
    assert replies and replies[0]["text"]
