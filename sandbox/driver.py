"""What end-to-end tests use: Telegram users and assertions over the sandbox control API.

    async with SandboxDriver(url) as tg:
        await tg.create_user("Lan", id=100001)
        [reply] = await tg.exchange(100001, "/start")
        await tg.press_button(100001, reply, "Hồ sơ")

Each wait starts, unless told otherwise, after the last thing this driver did or saw in that
chat (its cursor), so "send, then wait for the answer" never picks up an older message.
"""
from __future__ import annotations

import json
import time
from typing import Any

import aiohttp

# How long a wait for the bot lasts by default: long enough for a loaded CI machine; a pass never waits it out.
WAIT_S = 20.0

_OWN = object()


class SandboxTimeout(AssertionError):
    """The bot did not do what a wait expected in time."""


class SandboxDriver:
    def __init__(self, base_url: str, *, session: aiohttp.ClientSession | None = None):
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self._cursors: dict[int, int] = {}  # chat id → event seq after which waits look
        self._press_seq: dict[str, int] = {}  # callback id → seq of the press

    async def __aenter__(self) -> SandboxDriver:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _request(self, method: str, path: str, *, timeout: float = 30, **kw: Any) -> Any:
        url = f"{self.base_url}/_sandbox{path}"
        async with self.session.request(method, url, timeout=aiohttp.ClientTimeout(total=timeout), **kw) as resp:
            text = await resp.text()
            if resp.status >= 400:
                try:
                    text = json.loads(text).get("error", text)
                except (ValueError, AttributeError):
                    pass
                raise AssertionError(f"sandbox {method} {path} → {resp.status}: {text}")
            return json.loads(text)

    def _advance(self, chat_id: int, seq: int) -> None:
        self._cursors[chat_id] = max(self._cursors.get(chat_id, 0), seq)

    def cursor(self, chat_id: int) -> int:
        return self._cursors.get(chat_id, 0)

    # -- users ------------------------------------------------------------------------------
    async def create_user(self, first_name: str, *, id: int | None = None, language_code: str | None = "vi",
                          phone_number: str | None = None, last_name: str | None = None,
                          username: str | None = None, started: bool = True) -> dict:
        body = {"first_name": first_name, "id": id, "language_code": language_code, "phone_number": phone_number,
                "last_name": last_name, "username": username, "started": started}
        return await self._request("POST", "/users", json=body)

    async def users(self) -> list[dict]:
        return await self._request("GET", "/users")

    async def send(self, user_id: int, text: str) -> int:
        """The user writes text; returns its message_id."""
        result = await self._request("POST", f"/users/{user_id}/text", json={"text": text})
        self._advance(user_id, result["seq"])
        return result["message_id"]

    async def send_contact(self, user_id: int, phone_number: str | None = None, user_id_in_contact: Any = _OWN) -> int:
        """Shares a contact: by default the user's own; user_id_in_contact=None omits the id, another id forges it."""
        body: dict[str, Any] = {"phone_number": phone_number}
        if user_id_in_contact is not _OWN:
            body["user_id"] = user_id_in_contact
        result = await self._request("POST", f"/users/{user_id}/contact", json=body)
        self._advance(user_id, result["seq"])
        return result["message_id"]

    async def send_file(self, user_id: int, data: bytes, filename: str, kind: str = "document",
                        caption: str | None = None) -> int:
        form = aiohttp.FormData()
        form.add_field("file", data, filename=filename)
        form.add_field("kind", kind)
        if caption:
            form.add_field("caption", caption)
        result = await self._request("POST", f"/users/{user_id}/file", data=form)
        self._advance(user_id, result["seq"])
        return result["message_id"]

    async def press(self, user_id: int, message_id: int, *, data: str | None = None,
                    button_text: str | None = None) -> str:
        """Taps an inline button (by text, or any data: forgery allowed); returns the callback query id."""
        result = await self._request("POST", f"/users/{user_id}/press",
                                     json={"message_id": message_id, "data": data, "button_text": button_text})
        self._advance(user_id, result["seq"])
        self._press_seq[result["callback_query_id"]] = result["seq"]
        return result["callback_query_id"]

    async def press_button(self, user_id: int, message: dict, text_contains: str) -> str:
        """Taps the first inline button of message whose text contains text_contains."""
        buttons = [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
        for button in buttons:
            if text_contains in button.get("text", ""):
                if "callback_data" not in button:
                    raise AssertionError(f"button {button['text']!r} is not a callback button: {button}")
                return await self.press(user_id, message["message_id"], data=button["callback_data"])
        raise AssertionError(f"no button containing {text_contains!r}; buttons: {[b.get('text') for b in buttons]}")

    async def answer_poll(self, user_id: int, message_id: int, option_ids: int | list[int]) -> dict:
        """Taps option(s) of a poll in the chat ([] retracts); the bot gets `poll` and, unless the poll
        is anonymous, `poll_answer` updates. Returns {poll_id, option_ids, seq}."""
        result = await self._request("POST", f"/users/{user_id}/poll-answer",
                                     json={"message_id": message_id, "option_ids": option_ids})
        self._advance(user_id, result["seq"])
        return result

    async def press_reply_button(self, user_id: int, text: str) -> int:
        result = await self._request("POST", f"/users/{user_id}/reply-button", json={"text": text})
        self._advance(user_id, result["seq"])
        return result["message_id"]

    async def block(self, user_id: int, blocked: bool = True) -> dict:
        result = await self._request("POST", f"/users/{user_id}/block", json={"blocked": blocked})
        return result["user"]

    # -- reading ------------------------------------------------------------------------------
    async def messages(self, chat_id: int, after_seq: int = 0) -> list[dict]:
        return await self._request("GET", f"/chats/{chat_id}/messages", params={"after_seq": after_seq})

    async def bot_messages(self, chat_id: int, after_seq: int = 0) -> list[dict]:
        return [m for m in await self.messages(chat_id, after_seq) if m["from_bot"]]

    async def reply_keyboard(self, chat_id: int) -> dict | None:
        return await self._request("GET", f"/chats/{chat_id}/keyboard")

    async def commands(self, chat_id: int, language_code: str | None = None) -> list[dict]:
        params = {"chat_id": chat_id, **({"language_code": language_code} if language_code else {})}
        return await self._request("GET", "/commands", params=params)

    async def download(self, file: dict | str) -> bytes:
        """The bytes of a file: a message's media dict (with url) or a file_id."""
        path = file["url"] if isinstance(file, dict) else f"/_sandbox/files/{file}"
        async with self.session.get(self.base_url + path) as resp:
            resp.raise_for_status()
            return await resp.read()

    async def events(self, after_seq: int = 0, timeout: float = 0, *, types: str | None = None,
                     chat_id: int | None = None) -> dict:
        params: dict[str, Any] = {"after_seq": after_seq, "timeout": timeout}
        if types:
            params["types"] = types
        if chat_id is not None:
            params["chat_id"] = chat_id
        return await self._request("GET", "/events", params=params, timeout=timeout + 10)

    # -- waiting --------------------------------------------------------------------------------
    async def _wait_events(self, after_seq: int, timeout: float, done, *, types: str, chat_id: int | None,
                           what: str) -> list[dict]:
        """Long-polls events after after_seq until done(collected) is true; raises SandboxTimeout."""
        deadline = time.monotonic() + timeout
        collected: list[dict] = []
        cursor = after_seq
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxTimeout(f"timed out after {timeout}s waiting for {what}; saw {collected}")
            result = await self.events(cursor, min(remaining, 30), types=types, chat_id=chat_id)
            for event in result["events"]:
                collected.append(event)
                cursor = event["seq"]
            if done(collected):
                return collected

    async def wait_for_bot_messages(self, chat_id: int, count: int = 1, after_seq: int | None = None,
                                    timeout: float = WAIT_S) -> list[dict]:
        """At least count new bot messages in the chat (as they are now), in order."""
        start = self.cursor(chat_id) if after_seq is None else after_seq
        events = await self._wait_events(
            start, timeout, lambda evs: sum(e["from_bot"] for e in evs) >= count,
            types="message_new", chat_id=chat_id, what=f"{count} bot message(s) in chat {chat_id}")
        new = [m for m in await self.messages(chat_id, start) if m["from_bot"]]
        self._advance(chat_id, max(e["seq"] for e in events))
        return new

    async def _wait_on_message(self, chat_id: int, message_id: int, types: str, what: str, timeout: float,
                               after_seq: int | None) -> list[dict]:
        """Events of `types` in the chat after its cursor (or after_seq), until one is about that message."""
        start = self.cursor(chat_id) if after_seq is None else after_seq
        return await self._wait_events(
            start, timeout, lambda evs: any(e["message_id"] == message_id for e in evs),
            types=types, chat_id=chat_id, what=f"{what} in chat {chat_id}")

    async def wait_for_edit(self, chat_id: int, message_id: int, timeout: float = WAIT_S,
                            after_seq: int | None = None) -> dict:
        """The message after its next edit (after the chat's cursor)."""
        events = await self._wait_on_message(chat_id, message_id, "message_edited", f"an edit of message {message_id}",
                                             timeout, after_seq)
        edit = next(e for e in events if e["message_id"] == message_id)
        self._advance(chat_id, edit["seq"])
        return next(m for m in await self.messages(chat_id) if m["message_id"] == message_id)

    async def wait_for_delete(self, chat_id: int, message_id: int, timeout: float = WAIT_S,
                              after_seq: int | None = None) -> None:
        events = await self._wait_on_message(chat_id, message_id, "message_deleted", f"deletion of message {message_id}",
                                             timeout, after_seq)
        self._advance(chat_id, events[-1]["seq"])

    async def callback_answer(self, callback_id: str, timeout: float = WAIT_S) -> dict:
        """The bot's answerCallbackQuery for this press, waiting for it."""
        answer = await self._request("GET", f"/callbacks/{callback_id}")
        if answer is not None:
            return answer
        events = await self._wait_events(
            self._press_seq.get(callback_id, 0), timeout,
            lambda evs: any(e["callback_query_id"] == callback_id for e in evs),
            types="callback_answered", chat_id=None, what=f"an answer to callback query {callback_id}")
        event = next(e for e in events if e["callback_query_id"] == callback_id)
        return {k: event[k] for k in ("text", "show_alert", "url", "cache_time")}

    async def exchange(self, user_id: int, text: str, count: int = 1, timeout: float = WAIT_S) -> list[dict]:
        """Sends text and returns the bot's next count messages."""
        await self.send(user_id, text)
        return await self.wait_for_bot_messages(user_id, count, timeout=timeout)

    # -- the sandbox itself -------------------------------------------------------------------------
    async def configure(self, **config: Any) -> dict:
        """global_limit_per_s, per_chat_limit_per_s, latency_ms, fail_next={chat_id, count, code}."""
        return await self._request("POST", "/config", json=config)

    async def stats(self) -> dict:
        return await self._request("GET", "/stats")

    async def violations(self) -> list[dict]:
        return await self._request("GET", "/violations")

    async def clear_violations(self) -> list[dict]:
        """Returns the violations recorded so far and forgets them (for tests that provoke them)."""
        return await self._request("DELETE", "/violations")

    async def reset(self) -> None:
        await self._request("POST", "/reset")
        self._cursors.clear()
        self._press_seq.clear()
