"""The emulator on HTTP: the Bot API at /bot<token>/<method>, files at /file/bot<token>/<path>,
and the JSON control API for tests and the web page under /_sandbox/."""
from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web

from .emulator import ControlError, ControlNotFound, Emulator, WebhookPush
from .spec import FilePart

MAX_UPLOAD = 50 * 1024 * 1024  # the cloud Bot API's upload limit
EMULATOR = web.AppKey("emulator", Emulator)
PUSHER = web.AppKey("webhook_pusher", asyncio.Task)
WEBHOOK_TIMEOUT_S = 10.0  # a webhook that does not answer in time counts as failed, and is retried
_dumps = partial(json.dumps, ensure_ascii=False)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _control_error(message: str, status: int = 400) -> web.Response:
    return _json({"error": message}, status)


@web.middleware
async def control_errors(request: web.Request, handler):
    """Control API mistakes become 400/404 JSON; the Bot API routes answer in Telegram's format."""
    try:
        return await handler(request)
    except ControlError as e:
        return _control_error(str(e), e.status)
    except (KeyError, ValueError, TypeError, json.JSONDecodeError) as e:
        if not request.path.startswith("/_sandbox/"):
            raise
        return _control_error(f"bad request: {e!r}")


# -- the Bot API ------------------------------------------------------------------------------
async def read_params(request: web.Request) -> dict[str, Any]:
    """Query string, then a JSON, urlencoded or multipart body (files become FilePart)."""
    params: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = FilePart(value.filename or "", value.content_type or "", value.file.read())
        elif isinstance(value, (bytes, bytearray)):
            params[key] = bytes(value).decode("utf-8", "replace")
        else:
            params[key] = value
    return params


async def bot_api(request: web.Request) -> web.Response:
    emulator = request.app[EMULATOR]
    if request.match_info["token"] != emulator.token:
        return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
    try:
        params = await read_params(request)
    except web.HTTPRequestEntityTooLarge:
        return _json({"ok": False, "error_code": 413, "description": "Request Entity Too Large"}, 413)
    except (ValueError, json.JSONDecodeError):
        return _json({"ok": False, "error_code": 400, "description": "Bad Request: can't parse request body"}, 400)
    status, body = await emulator.call(request.match_info["method"], params)
    return _json(body, status)


async def bot_file(request: web.Request) -> web.Response:
    emulator = request.app[EMULATOR]
    stored = emulator.files_by_path.get(request.match_info["path"])
    if request.match_info["token"] != emulator.token or stored is None:
        return _json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
    return web.Response(body=stored.data, content_type=stored.mime_type)


# -- the control API ----------------------------------------------------------------------------
async def _body(request: web.Request) -> dict:
    if not request.body_exists:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("a JSON object is expected")
    return body


def _emu(request: web.Request) -> Emulator:
    return request.app[EMULATOR]


def _user_id(request: web.Request) -> int:
    return int(request.match_info["user_id"])


def _action_result(emulator: Emulator, **extra: Any) -> web.Response:
    """What a user action answers: its ids and the event seq it ends at (a cursor for waiting)."""
    return _json({**extra, "update_id": emulator.last_update_id, "seq": emulator.seq})


async def bot_info(request: web.Request) -> web.Response:
    emulator = _emu(request)
    return _json({"bot": emulator.bot_user(), "seq": emulator.seq, "spec_version": emulator.spec.version})


async def create_user(request: web.Request) -> web.Response:
    body = await _body(request)
    user = _emu(request).add_user(
        body["first_name"], id=body.get("id"), last_name=body.get("last_name"), username=body.get("username"),
        language_code=body.get("language_code", "vi"), phone_number=body.get("phone_number"),
        started=body.get("started", True))
    return _json(user.view())


async def list_users(request: web.Request) -> web.Response:
    return _json([u.view() for u in _emu(request).users.values()])


async def user_text(request: web.Request) -> web.Response:
    emulator = _emu(request)
    msg = emulator.user_send_text(_user_id(request), str((await _body(request))["text"]))
    return _action_result(emulator, message_id=msg.message_id)


async def user_contact(request: web.Request) -> web.Response:
    emulator, user_id = _emu(request), _user_id(request)
    body = await _body(request)
    kwargs: dict[str, Any] = {"phone_number": body.get("phone_number"), "first_name": body.get("first_name"),
                              "last_name": body.get("last_name")}
    if "user_id" in body:
        kwargs["contact_user_id"] = body["user_id"]
    elif body.get("forged"):
        kwargs["contact_user_id"] = user_id + 1_000_000  # somebody else's contact
    msg = emulator.user_send_contact(user_id, **kwargs)
    return _action_result(emulator, message_id=msg.message_id, contact=msg.contact)


async def user_file(request: web.Request) -> web.Response:
    emulator = _emu(request)
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise ControlError("a multipart field 'file' is required")
    msg = emulator.user_send_file(
        _user_id(request), upload.file.read(), upload.filename or "file", kind=str(form.get("kind") or "document"),
        caption=str(form["caption"]) if form.get("caption") else None, mime_type=upload.content_type)
    file_id = msg.media[-1]["file_id"] if msg.media_kind == "photo" else msg.media["file_id"]
    return _action_result(emulator, message_id=msg.message_id, file_id=file_id)


async def user_press(request: web.Request) -> web.Response:
    emulator = _emu(request)
    body = await _body(request)
    query = emulator.user_press(_user_id(request), int(body["message_id"]), data=body.get("data"),
                                button_text=body.get("button_text"))
    return _action_result(emulator, callback_query_id=query.id, data=query.data, forged=query.forged)


async def user_poll_answer(request: web.Request) -> web.Response:
    emulator = _emu(request)
    body = await _body(request)
    option_ids = body.get("option_ids")
    poll = emulator.user_answer_poll(_user_id(request), int(body["message_id"]),
                                     [option_ids] if type(option_ids) is int else option_ids)
    return _action_result(emulator, poll_id=poll.id, option_ids=poll.chosen)


async def user_reply_button(request: web.Request) -> web.Response:
    emulator = _emu(request)
    msg = emulator.user_press_reply_button(_user_id(request), str((await _body(request))["text"]))
    return _action_result(emulator, message_id=msg.message_id)


async def user_block(request: web.Request) -> web.Response:
    emulator = _emu(request)
    user = emulator.set_blocked(_user_id(request), bool((await _body(request)).get("blocked", True)))
    return _action_result(emulator, user=user.view())


async def chat_messages(request: web.Request) -> web.Response:
    after = int(request.query.get("after_seq", 0))
    return _json(_emu(request).messages_view(int(request.match_info["chat_id"]), after))


async def chat_keyboard(request: web.Request) -> web.Response:
    chat = _emu(request).chats.get(int(request.match_info["chat_id"]))
    if chat is None:
        raise ControlNotFound(f"no chat {request.match_info['chat_id']}")
    return _json(chat.reply_keyboard)


async def callback_answer(request: web.Request) -> web.Response:
    query = _emu(request).callbacks.get(request.match_info["query_id"])
    if query is None:
        raise ControlNotFound(f"no callback query {request.match_info['query_id']}")
    return _json(query.answer)


async def commands(request: web.Request) -> web.Response:
    chat_id = int(request.query["chat_id"])
    return _json(_emu(request).commands_for(chat_id, request.query.get("language_code") or None))


def _event_filters(request: web.Request) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if request.query.get("types"):
        filters["types"] = set(request.query["types"].split(","))
    if request.query.get("chat_id"):
        filters["chat_id"] = int(request.query["chat_id"])
    return filters


async def events(request: web.Request) -> web.Response:
    """Long poll: events after after_seq, waiting up to timeout seconds for the first one."""
    emulator = _emu(request)
    after = int(request.query.get("after_seq", 0))
    timeout = min(float(request.query.get("timeout", 0)), 60.0)
    found = await emulator.wait_events(after, timeout, **_event_filters(request))
    return _json({"seq": emulator.seq, "events": found})


async def stream(request: web.Request) -> web.StreamResponse:
    """The same events as server-sent events (resumes after Last-Event-ID or after_seq)."""
    emulator = _emu(request)
    cursor = int(request.headers.get("Last-Event-ID") or request.query.get("after_seq", emulator.seq))
    filters = _event_filters(request)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    while not emulator.closing:
        found = await emulator.wait_events(cursor, 15.0, **filters)
        if not found:
            await response.write(b": keep-alive\n\n")
        for event in found:
            await response.write(f"id: {event['seq']}\nevent: {event['type']}\ndata: {_dumps(event)}\n\n".encode())
            cursor = event["seq"]
    return response


async def set_config(request: web.Request) -> web.Response:
    body = await _body(request)
    allowed = {"global_limit_per_s", "per_chat_limit_per_s", "latency_ms", "fail_next"}
    unknown = set(body) - allowed
    if unknown:
        raise ControlError(f"unknown config keys {sorted(unknown)}")
    return _json(_emu(request).configure(**body))


async def get_config(request: web.Request) -> web.Response:
    return _json(_emu(request).config.view())


async def stats(request: web.Request) -> web.Response:
    return _json(_emu(request).stats())


async def violations(request: web.Request) -> web.Response:
    return _json(_emu(request).violations)


async def clear_violations(request: web.Request) -> web.Response:
    emulator = _emu(request)
    cleared, emulator.violations = emulator.violations, []
    return _json(cleared)


async def reset(request: web.Request) -> web.Response:
    emulator = _emu(request)
    emulator.reset()
    return _json({"ok": True, "seq": emulator.seq})


async def set_webhooks(request: web.Request) -> web.Response:
    """{urls: [...], secret, retry_s}: deliver the webhook's updates to these URLs in turn."""
    body = await _body(request)
    unknown = set(body) - {"urls", "secret", "retry_s"}
    if unknown:
        raise ControlError(f"unknown keys {sorted(unknown)}")
    return _json(_emu(request).set_webhook_targets(body.get("urls") or [], body.get("secret"), body.get("retry_s")))


async def get_webhooks(request: web.Request) -> web.Response:
    return _json(_emu(request).webhook_view())


# -- webhook delivery: Telegram's side of setWebhook ---------------------------------------------
async def push_webhooks(emulator: Emulator) -> None:
    """POST every update to the webhook (several URLs: in turn), with the secret header; a failed
    update (no connection, a timeout, any status but 2xx) goes again after a growing delay,
    possibly to the next URL — as Telegram does when one instance behind a balancer is gone."""
    on_the_wire: set[asyncio.Task] = set()
    timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout, json_serialize=_dumps) as session:
        try:
            while not emulator.closing:
                room = emulator.webhook.max_connections - len(on_the_wire)
                if room <= 0:
                    await asyncio.wait(on_the_wire, return_when=asyncio.FIRST_COMPLETED)
                    continue
                pushes = emulator.take_webhook_pushes(room)
                for push in pushes:
                    task = asyncio.create_task(_push(session, emulator, push))
                    on_the_wire.add(task)
                    task.add_done_callback(on_the_wire.discard)
                if not pushes:
                    retry = emulator.webhook_next_retry()
                    await emulator.wait_for(emulator.webhook_has_due, 1.0 if retry is None else min(retry, 1.0))
        finally:
            for task in on_the_wire:
                task.cancel()
            await asyncio.gather(*on_the_wire, return_exceptions=True)


async def _push(session: aiohttp.ClientSession, emulator: Emulator, push: WebhookPush) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": push.secret_token} if push.secret_token else {}
    error: str | None = None
    try:
        async with session.post(push.url, json=push.update, headers=headers) as resp:
            await resp.read()
            if not 200 <= resp.status < 300:
                error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
    except TimeoutError:
        error = "Read timeout expired"
    except aiohttp.ClientError as exc:
        error = f"Connection failed: {type(exc).__name__}"
    emulator.webhook_pushed(push, error)


async def file_content(request: web.Request) -> web.Response:
    stored = _emu(request).files.get(request.match_info["file_id"])
    if stored is None:
        raise ControlNotFound(f"no file {request.match_info['file_id']}")
    headers = {"Content-Disposition": f'inline; filename="{stored.file_name or stored.file_path.rsplit("/", 1)[-1]}"'}
    return web.Response(body=stored.data, content_type=stored.mime_type, headers=headers)


def make_app(emulator: Emulator) -> web.Application:
    app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024, middlewares=[control_errors])
    app[EMULATOR] = emulator

    async def on_startup(app: web.Application) -> None:
        emulator.closing = False
        app[PUSHER] = asyncio.create_task(push_webhooks(emulator), name="sandbox-webhook-pusher")

    async def on_shutdown(app: web.Application) -> None:
        emulator.close()  # releases long polls and streams so shutdown does not wait for them

    async def on_cleanup(app: web.Application) -> None:
        pusher = app.get(PUSHER)
        if pusher is not None:
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pusher

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    r = app.router
    r.add_route("GET", "/bot{token}/{method}", bot_api)
    r.add_route("POST", "/bot{token}/{method}", bot_api)
    r.add_get("/file/bot{token}/{path:.*}", bot_file)
    s = "/_sandbox"
    r.add_get(f"{s}/bot", bot_info)
    r.add_post(f"{s}/users", create_user)
    r.add_get(f"{s}/users", list_users)
    r.add_post(f"{s}/users/{{user_id}}/text", user_text)
    r.add_post(f"{s}/users/{{user_id}}/contact", user_contact)
    r.add_post(f"{s}/users/{{user_id}}/file", user_file)
    r.add_post(f"{s}/users/{{user_id}}/press", user_press)
    r.add_post(f"{s}/users/{{user_id}}/poll-answer", user_poll_answer)
    r.add_post(f"{s}/users/{{user_id}}/reply-button", user_reply_button)
    r.add_post(f"{s}/users/{{user_id}}/block", user_block)
    r.add_get(f"{s}/chats/{{chat_id}}/messages", chat_messages)
    r.add_get(f"{s}/chats/{{chat_id}}/keyboard", chat_keyboard)
    r.add_get(f"{s}/callbacks/{{query_id}}", callback_answer)
    r.add_get(f"{s}/commands", commands)
    r.add_get(f"{s}/events", events)
    r.add_get(f"{s}/stream", stream)
    r.add_post(f"{s}/config", set_config)
    r.add_get(f"{s}/config", get_config)
    r.add_get(f"{s}/stats", stats)
    r.add_get(f"{s}/violations", violations)
    r.add_delete(f"{s}/violations", clear_violations)
    r.add_post(f"{s}/reset", reset)
    r.add_post(f"{s}/webhooks", set_webhooks)
    r.add_get(f"{s}/webhooks", get_webhooks)
    r.add_get(f"{s}/files/{{file_id}}", file_content)
    return app


async def start_server(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, str]:
    """Starts the emulator on host:port (0: a free port); returns the runner and the base URL."""
    runner = web.AppRunner(make_app(emulator), access_log=None, shutdown_timeout=2.0, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = runner.addresses[0][1]  # the port the OS picked when port=0
    return runner, f"http://{host}:{bound_port}"


@asynccontextmanager
async def serve(emulator: Emulator | None = None, host: str = "127.0.0.1",
                port: int = 0) -> AsyncIterator[tuple[Emulator, str]]:
    """``async with serve() as (emulator, url):`` — a running sandbox, stopped on exit."""
    emulator = emulator or Emulator()
    runner, url = await start_server(emulator, host, port)
    try:
        yield emulator, url
    finally:
        await runner.cleanup()
