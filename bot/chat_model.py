"""An OpenAI-compatible chat endpoint (llama.cpp's server, Ollama, vLLM…): messages in, the reply's text out,
or None — whatever went wrong. Knows nothing of the library or of Telegram (models/library/answers.py
builds the prompt and checks what comes back; handlers/library puts them together).

    model = chat_model(settings)             # None unless HANDBOOK_LLM_URL is set: nothing is ever sent then
    text = await model.complete(messages)    # str, or None: HTTP error, timeout, too big, not JSON…

The URL is the API's base ("http://127.0.0.1:8080/v1", "http://127.0.0.1:11434/v1"): the request goes
to {url}/chat/completions; a URL already ending in /chat/completions is used as given. One request at a
time per call, cut off after the timeout (connecting, waiting and reading together), its body read at
most MAX_BODY_BYTES. Logs say only what kind of failure it was: never the key, the prompt or the reply.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from typing import Any

import aiohttp

from .settings import Settings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024  # a short answer is a few KB; a model that babbles on is cut off
MAX_TOKENS = 400  # a short answer; a draft (a notice, the minutes' prose) asks for more


class ChatModel:
    def __init__(self, url: str, model: str | None, api_key: str | None, timeout_s: float,
                 max_body: int = MAX_BODY_BYTES, draft_timeout_s: float | None = None):
        url = url.rstrip("/")
        self.url = url if url.endswith("/chat/completions") else f"{url}/chat/completions"
        self.model = model or "default"  # llama.cpp's server takes any name; Ollama and vLLM need theirs
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout_s = timeout_s
        self.draft_timeout_s = draft_timeout_s or timeout_s  # complete(…, draft=True): a longer text, asked for
        self.max_body = max_body
        self.outcomes: Counter[str] = Counter()  # answered, timeout, http_<status>, too_large, not_json…

    def __repr__(self) -> str:  # no key in a log or a traceback
        return f"ChatModel({self.url!r}, {self.model!r})"

    async def complete(self, messages: list[dict[str, str]], max_tokens: int = MAX_TOKENS, *,
                       draft: bool = False) -> str | None:
        """The reply's text, or None when the endpoint failed, was too slow or answered something else.
        `draft`: a secretary's draft, given draft_timeout_s rather than timeout_s."""
        body = {"model": self.model, "messages": messages, "temperature": 0, "max_tokens": max_tokens,
                "stream": False}
        try:
            async with asyncio.timeout(self.draft_timeout_s if draft else self.timeout_s):
                raw = await self._post(body)
        except TimeoutError:
            return self._failed("timeout")
        except _Failed as exc:
            return self._failed(exc.code)
        except (aiohttp.ClientError, OSError) as exc:
            return self._failed(f"unreachable:{type(exc).__name__}")
        try:
            reply = json.loads(raw)
            content = reply["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            return self._failed("not_openai_json")
        if not isinstance(content, str):
            return self._failed("not_openai_json")
        self.outcomes["answered"] += 1
        return content

    async def _post(self, body: dict[str, Any]) -> bytes:
        async with aiohttp.ClientSession() as session, session.post(self.url, json=body, headers=self._headers) as resp:
            if resp.status != 200:
                raise _Failed(f"http_{resp.status}")
            if (resp.content_length or 0) > self.max_body:
                raise _Failed("too_large")
            data = bytearray()
            async for chunk in resp.content.iter_chunked(16 * 1024):
                data += chunk
                if len(data) > self.max_body:
                    raise _Failed("too_large")
            return bytes(data)

    def _failed(self, code: str) -> None:
        self.outcomes[code] += 1
        log.warning("the language model gave no answer (%s)", code)
        return None


class _Failed(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def chat_model(settings: Settings) -> ChatModel | None:
    """The configured model, or None (HANDBOOK_LLM_URL unset): then nothing leaves the server."""
    if not settings.llm_url:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return ChatModel(settings.llm_url, settings.llm_model, key, settings.llm_timeout_s,
                     draft_timeout_s=settings.llm_draft_timeout_s)
