"""What the benchmarks racing our bot against a bare echo bot share (bench/updates.py, bench/votes.py,
bench/instances.py): a database to spoil, the echo bot, our bot as a process of its own, percentiles, logging
and a time budget.

The scripts put the repository on sys.path before importing this module (`from bench.common import …`).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text

# The libraries whose own loggers say too much at INFO while a benchmark runs.
CHATTY = ("httpx", "httpcore", "telegram", "aiohttp", "sqlalchemy")
ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def percentile_ms(latencies: Sequence[float], q: float) -> float:
    """The q-th percentile of `latencies` (seconds) in milliseconds, nearest rank; NaN when there are none."""
    if not latencies:
        return float("nan")
    data = sorted(latencies)
    k = max(0, min(len(data) - 1, int(round(q / 100 * len(data) + 0.5)) - 1))
    return data[k] * 1000


async def reset_postgres(url: str) -> None:
    from models.db import make_engine

    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def add_database_url(parser: argparse.ArgumentParser) -> None:
    """--database-url, as bench_database takes it."""
    parser.add_argument("--database-url", default=None,
                        help="default: a temporary SQLite file; e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test "
                             "(its public schema is dropped and recreated: the database is the benchmark's to spoil)")


@asynccontextmanager
async def bench_database(prefix: str, database_url: str | None) -> AsyncIterator[tuple[str, str]]:
    """(url, "SQLite" or "PostgreSQL"): a temporary SQLite file, or the PostgreSQL given with its public schema
    dropped and recreated. No config.toml leaks in while it lasts (HANDBOOK_CONFIG names an absent file)."""
    from models.db import is_sqlite

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        os.environ["HANDBOOK_CONFIG"] = str(Path(tmp) / "absent.toml")
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        backend = "SQLite" if is_sqlite(url) else "PostgreSQL"
        if not is_sqlite(url):
            await reset_postgres(url)
        yield url, backend


async def start_echo_bot(stack: AsyncExitStack, shape: dict, handler, *, poll_timeout: int = 5):
    """A bare PTB Application with one handler, long polling its own emulator with our bot's builder settings
    (`shape`: token, defaults, concurrent_updates; "transport": "aiohttp" for our bot's Bot API transport instead of
    PTB's default httpx) and no background work. Stopped, and its emulator's server
    cleaned up, when `stack` closes. Returns the emulator."""
    from telegram.ext import Application, ApplicationBuilder

    from bot.serve import run_polling
    from handlers.turn import SERVICES, Services
    from sandbox import Emulator
    from sandbox.server import start_server

    emulator = Emulator(token=shape["token"])
    runner, url = await start_server(emulator)
    stack.push_async_callback(runner.cleanup)
    builder = (ApplicationBuilder().token(shape["token"]).base_url(f"{url}/bot").base_file_url(f"{url}/file/bot")
               .concurrent_updates(shape["concurrent_updates"]))
    if shape["defaults"] is not None:
        builder = builder.defaults(shape["defaults"])
    if shape.get("transport") == "aiohttp":  # the echo on our bot's transport (bot/request.py) instead of PTB's httpx
        from bot.request import AiohttpRequest

        builder = builder.request(AiohttpRequest(64)).get_updates_request(AiohttpRequest(1))
    app: Application = builder.build()
    app.add_handler(handler)
    # bot/serve.py reads its workers and leadership from the Services: none here (no database either).
    app.bot_data[SERVICES] = Services(sessionmaker=None)  # type: ignore[arg-type]
    stop = asyncio.Event()
    polling = asyncio.create_task(run_polling(app, stop, poll_timeout=poll_timeout, workers=[]))

    async def halt() -> None:
        stop.set()
        await polling

    stack.push_async_callback(halt)
    while not (app.running and app.updater.running):
        if polling.done():
            await polling
        await asyncio.sleep(0.01)
    return emulator


# Settings a bot process must not take from the bench's own environment: each bench says what it wants.
_NOT_INHERITED = ("HANDBOOK_REDIS_URL", "HANDBOOK_METRICS_PORT", "HANDBOOK_WEBHOOK_SECRET")


def bot_env(*, api: str, token: str, database_url: str, seal_key: str, tmp: Path, **settings: str) -> dict[str, str]:
    """The whole environment of a BotProcess: this process's but for _NOT_INHERITED, the emulator's Bot API and
    token, the database, the seal key, no config file (an absent one in `tmp`), and `settings` (webhook_port="8443"
    becomes HANDBOOK_WEBHOOK_PORT)."""
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update({"HANDBOOK_TELEGRAM_API_URL": api, "HANDBOOK_BOT_TOKEN": token, "HANDBOOK_DATABASE_URL": database_url,
                "HANDBOOK_SEAL_KEY": seal_key, "HANDBOOK_CONFIG": str(tmp / "absent.toml")})
    env.update({f"HANDBOOK_{name.upper()}": value for name, value in settings.items()})
    return env


class BotProcess:
    """Our bot as deployed: `python -m bot.cli run ARGS…` in a process of its own, with `env` (the whole
    environment) and its output in `log`. Its CPU time and peak RSS are read from /proc while it runs."""

    def __init__(self, env: dict[str, str], log: Path, *args: str):
        self.env = env
        self.log = log
        self.args = args
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", *self.args, cwd=ROOT, env=self.env,
            stdout=open(self.log, "wb"), stderr=asyncio.subprocess.STDOUT)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def cpu_s(self) -> float:
        """User and system CPU seconds so far (/proc/<pid>/stat); NaN once it is gone."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
        except (AttributeError, OSError, IndexError, ValueError):
            return float("nan")

    def peak_rss_mb(self) -> float:
        """The process's peak resident set so far (/proc/<pid>/status VmHWM); NaN once it is gone."""
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
            line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
            return int(line.split()[1]) / 1024  # kB
        except (AttributeError, OSError, StopIteration, IndexError, ValueError):
            return float("nan")

    def tail(self, chars: int = 2000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


def log_warnings(*quiet: str) -> None:
    """Warnings and worse on stderr; the loggers named in `quiet` (e.g. CHATTY) held to warnings too."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)


def run_within(main: Coroutine[Any, Any, None], budget: float, script: str) -> None:
    """Run `main`, giving up (with a message, not a traceback) after `budget` seconds."""
    try:
        asyncio.run(asyncio.wait_for(main, budget))
    except TimeoutError:
        raise SystemExit(f"{script}: gave up after {budget:.0f} s") from None
