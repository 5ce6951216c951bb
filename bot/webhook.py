"""Webhook mode, and the small HTTP server that tells the operator how the instance is.

Our own aiohttp server runs in our event loop (PTB's run_webhook would bring tornado and a loop of
its own): Telegram's POST is checked for the secret token, turned into an Update and put on
`application.update_queue`, where PTB handles it as it would a polled one.

    POST <path of the webhook URL>   Telegram's updates; 403 without the right
                                     X-Telegram-Bot-Api-Secret-Token, and nothing is processed
    GET  /healthz                    JSON: database reachable, leader or follower, outbox backlog;
                                     200 when the database answers, 503 otherwise
    GET  /metrics                    Prometheus text format (bot/metrics.py)

Several instances behind a load balancer each call setWebhook with the same URL and secret at
start (harmless: the last call wins and they are alike). None deletes the webhook when it stops:
the others still serve it. `handbook run` without --webhook deletes it (PTB does, to poll).
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import Application

from handlers.turn import retry_seconds, services_of

from . import metrics as metrics_module
from .serve import Worker, run_background, started, stop_on_signals

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # an update is JSON text; files are fetched separately
SET_WEBHOOK_ATTEMPTS = 5
SHUTDOWN_TIMEOUT_S = 5.0


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


def make_web_app(app: Application, sessionmaker: async_sessionmaker[AsyncSession], *,
                 path: str | None = None, secret: str | None = None) -> web.Application:
    """/healthz and /metrics; with `path` and `secret`, Telegram's webhook too."""
    metrics = metrics_module.install(app)
    server = web.Application(client_max_size=MAX_UPDATE_BYTES)
    expected = secret.encode() if secret else None

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if expected is None or not hmac.compare_digest(given, expected):
            metrics.webhook_rejected.inc()
            return web.Response(status=403, text="Forbidden")
        update = await _update_from(request, app)
        if update is None:
            log.warning("webhook: a request that is not an update was refused")
            return web.Response(status=400, text="Bad Request")
        await app.update_queue.put(update)
        return web.Response(text="OK")

    async def healthz(request: web.Request) -> web.Response:
        ok, body = await metrics_module.health(app, sessionmaker)
        return web.json_response(body, status=200 if ok else 503)

    async def metrics_page(request: web.Request) -> web.Response:
        await metrics.refresh(sessionmaker)
        return web.Response(body=metrics.render(), headers={"Content-Type": metrics_module.CONTENT_TYPE})

    server.router.add_get("/healthz", healthz)
    server.router.add_get("/metrics", metrics_page)
    if path is not None:
        if expected is None:
            raise ValueError("a webhook needs its secret token")
        server.router.add_post(path, receive)
    return server


async def _update_from(request: web.Request, app: Application) -> Update | None:
    """The Update in the body, or None for anything else (not UTF-8, not JSON, not an object, no
    integer update_id, fields of the wrong shape): a 400, never a 500 and never a queued half-update."""
    try:
        data = await request.json()
    except (ValueError, json.JSONDecodeError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        return None
    try:
        return Update.de_json(data, app.bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


async def start_web(server: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve on host:port (0: a free port); returns the runner and the port bound."""
    runner = web.AppRunner(server, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, runner.addresses[0][1]


async def run_webhook(app: Application, sessionmaker: async_sessionmaker[AsyncSession], *, url: str, secret: str,
                      listen: str = "127.0.0.1", port: int = 8443, stop: asyncio.Event | None = None,
                      workers: Iterable[Worker] | None = None, allowed_updates: list[str] | None = None,
                      ready: asyncio.Event | None = None) -> None:
    """Serve the webhook at `url` (its path, on listen:port) and run the background work while leading."""
    stop, workers = stop_on_signals(stop), list(services_of(app).workers if workers is None else workers)
    async with started(app):
        runner, bound = await start_web(make_web_app(app, sessionmaker, path=webhook_path(url), secret=secret),
                                        listen, port)
        background = None
        try:
            await _set_webhook(app, url, secret, allowed_updates or list(Update.ALL_TYPES))
            background = asyncio.create_task(run_background(app, workers, stop), name="background")
            log.info("the bot serves its webhook on %s:%d%s", listen, bound, webhook_path(url))
            if ready is not None:
                ready.set()
            await stop.wait()
        finally:
            stop.set()
            # No new updates from here (Telegram retries them at another instance); queued ones are handled.
            await runner.cleanup()
            if background is not None:
                await background
            await app.stop()


async def _set_webhook(app: Application, url: str, secret: str, allowed_updates: list[str]) -> None:
    for attempt in range(1, SET_WEBHOOK_ATTEMPTS + 1):
        try:
            await app.bot.set_webhook(url=url, secret_token=secret, allowed_updates=allowed_updates)
            return
        except RetryAfter as exc:
            delay = retry_seconds(exc.retry_after)
        except BadRequest:  # the URL or the secret is wrong: no retry makes it right
            raise
        except NetworkError as exc:
            if attempt == SET_WEBHOOK_ATTEMPTS:
                raise
            delay = min(2.0 ** attempt, 30.0)
            log.warning("setWebhook failed (%s); trying again in %.0f s", type(exc).__name__, delay)
        await asyncio.sleep(delay)
    raise RuntimeError("Telegram kept refusing setWebhook (429)")
