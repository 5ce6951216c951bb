"""The dispatcher's Bot API client: JSON in, JSON out, files as multipart; Telegram's refusals as SendError."""
from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram import InputFile

from models import deliveries


class SendError(Exception):
    """Telegram said no (code, description, retry_after), or the request never got an answer (code None)."""

    def __init__(self, code: int | None, description: str, retry_after: float | None = None):
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    @property
    def short(self) -> str:
        return f"{self.code or 'network'} {self.description}"[: deliveries.MAX_ERROR]


class BotApi:
    """A lean Bot API client for the dispatcher: JSON in, JSON out, one pooled connection set.

    Never logs or raises the URL: it holds the token.
    """

    def __init__(self, base_url: str, token: str, *, connections: int = 64, timeout_s: float = 30.0):
        self._url = f"{base_url.rstrip('/')}/bot{token}/"
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout,
                                                  json_serialize=lambda o: json.dumps(o, ensure_ascii=False))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, params: dict) -> Any:
        await self.start()
        # A file to upload (bytes, e.g. a vote's chart) goes as multipart/form-data, the rest as JSON.
        body = {"data": _form(params)} if carries_file(params) else {"json": params}
        try:
            async with self._session.post(self._url + method, **body) as resp:
                try:
                    body = await resp.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    raise SendError(resp.status, f"HTTP {resp.status}") from None
        except TimeoutError:
            raise SendError(None, "timeout") from None
        except aiohttp.ClientError as exc:
            raise SendError(None, type(exc).__name__) from None
        if isinstance(body, dict) and body.get("ok"):
            return body.get("result")
        body = body if isinstance(body, dict) else {}
        retry = (body.get("parameters") or {}).get("retry_after")
        raise SendError(body.get("error_code") or resp.status, str(body.get("description") or "")[:150], retry)


def carries_file(params: dict) -> bool:
    return any(isinstance(v, (bytes, InputFile)) for v in params.values())


def _form(params: dict) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for key, value in params.items():
        if isinstance(value, bytes):
            form.add_field(key, value, filename=key)
        elif isinstance(value, InputFile):
            form.add_field(key, value.input_file_content, filename=value.filename or key,
                           content_type=value.mimetype)
        elif value is not None:
            form.add_field(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return form


def keep_file_ids(params: dict, result: dict) -> bool:
    """After an upload, the rendered call (shared by every member of that language) sends the file_id."""
    kept = False
    for key, value in list(params.items()):
        if isinstance(value, (bytes, InputFile)):
            media = result.get(key)
            media = media[-1] if isinstance(media, list) and media else media
            if isinstance(media, dict) and media.get("file_id"):
                params[key] = media["file_id"]
                kept = True
    return kept
