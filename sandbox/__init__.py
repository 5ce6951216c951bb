"""A Telegram Bot API emulator (aiohttp) and the driver end-to-end tests use to act as users.

    emulator = Emulator()                      # in-memory Telegram, checked against the Bot API 10.1 reference
    runner, url = await start_server(emulator)  # PTB: base_url=f"{url}/bot", base_file_url=f"{url}/file/bot"
    async with SandboxDriver(url) as tg: ...    # users, presses, waits, stats, violations
"""
from .driver import SandboxDriver, SandboxTimeout
from .emulator import DEFAULT_TOKEN, ApiError, Emulator
from .server import make_app, serve, start_server
from .spec import BotApiSpec, default_spec, validate

__all__ = [
    "DEFAULT_TOKEN", "ApiError", "BotApiSpec", "Emulator", "SandboxDriver", "SandboxTimeout",
    "default_spec", "make_app", "serve", "start_server", "validate",
]
