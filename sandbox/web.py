"""The web chat page over the emulator: plain files from sandbox/static, served by the same
aiohttp app as the control API so the page calls it same-origin (no CORS, no build step)."""
from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\.(html|css|js|svg|png|ttf)")
_CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ttf": "font/ttf",  # emoji.ttf: the colour emoji, bundled (sandbox/emoji_font.py)
}
# Only our own files may run or load: even a rendering bug cannot execute what a chat contains.
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; font-src 'self'; form-action 'none'; "
        "base-uri 'none'; frame-ancestors 'none'")
_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # a trainer who updates the checkout sees the new page at once
}


def add_web_routes(app: web.Application) -> None:
    """Serve the page from sandbox/static on the same app as the control API."""
    app.router.add_get("/", index)
    app.router.add_get("/static/{name}", static_file)


async def index(request: web.Request) -> web.StreamResponse:
    return _serve("index.html")


async def static_file(request: web.Request) -> web.StreamResponse:
    return _serve(request.match_info["name"])


def _serve(name: str) -> web.StreamResponse:
    # A flat folder and a strict name pattern: nothing outside sandbox/static can be asked for.
    match = _SAFE_NAME.fullmatch(name)
    path = STATIC_DIR / name
    if match is None or not path.is_file():
        raise web.HTTPNotFound(text="not found")
    headers = {**_HEADERS, "Content-Type": _CONTENT_TYPES[match[1]]}
    return web.FileResponse(path, headers=headers)
