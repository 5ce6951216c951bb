"""PTB's requests over aiohttp instead of httpx: the same Bot API calls for a fraction of the CPU.

Measured on this bot (bench/votes.py, py-spy): during a burst of taps the two Bot API calls of every tap
(the toast and the edit) took most of the event loop, and most of that was httpx/httpcore — the pool looks at
every open connection on every request. aiohttp's client, already a dependency (the dispatcher's
bot/botapi.py, the sandbox), does the same request for about a tenth of the CPU. PTB still builds every
request and reads every answer (RequestData in, status and bytes out); only the transport changes.

Never puts the URL in an error: it holds the token.
"""
from __future__ import annotations

import json

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]

_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # what a timeout not given is (PTB's DefaultValue)
_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A telegram.request.BaseRequest over one aiohttp session; timeouts as HTTPXRequest's (seconds, None: none)."""

    def __init__(self, connections: int = 64, *, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read_timeout if isinstance(read_timeout, _DEFAULT) else read_timeout
        write = ((self._media_write_timeout if files else self._write_timeout)
                 if isinstance(write_timeout, _DEFAULT) else write_timeout)
        connect = self._connect_timeout if isinstance(connect_timeout, _DEFAULT) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, _DEFAULT) else pool_timeout
        # aiohttp has no write timeout of its own: the write counts against the whole request's time.
        total = None if read is None or write is None else read + write + (connect or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(total=total, connect=None if connect is None or pool is None else connect + pool,
                                        sock_connect=connect, sock_read=read)
        data: aiohttp.FormData | bytes | None = None
        headers = None
        if fields and not files:
            data = json.dumps(fields, ensure_ascii=False).encode()
            headers = _JSON
        elif files:
            # Names as they are (UTF-8), as PTB's httpx sends them: not percent-encoded ("Bản in - …pdf").
            data = aiohttp.FormData(quote_fields=False)
            for name, value in (fields or {}).items():
                data.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                data.add_field(name, content, filename=filename, content_type=mimetype)
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # The class name only: aiohttp's messages may carry the URL, and with it the token.
            raise NetworkError(f"aiohttp.{type(err).__name__}") from err
