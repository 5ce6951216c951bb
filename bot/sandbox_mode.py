"""`handbook sandbox`: the real bot against the built-in emulator, with demo data and a movable clock.

The same runner serves the end-to-end tests, so what a trainer shows is what the tests check.
"""
from __future__ import annotations

import asyncio
import logging
import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from sqlalchemy import delete, select, update

from models import clock, load_all, migrate
from models.accounts import Account
from models.db import make_engine, make_sessionmaker, sqlite_path
from models.demo import load_demo
from models.demo_history import BLOCKED, BLOCKED_USER_ID, load_history
from models.units import Unit
from sandbox import Emulator
from sandbox.exercises import add_exercise_routes
from sandbox.server import make_app
from sandbox.web import add_web_routes

from .app import build_application, feedback_keys
from .serve import run_polling
from .settings import Settings

log = logging.getLogger(__name__)
SANDBOX_TOKEN = "7000000001:SANDBOX-not-a-real-token-000000000"
PERSONA_ORDER = ("elderly_member", "young_member", "secretary", "committee_officer", "newcomer")
FIRST_USER_ID = 200001


@dataclass
class Persona:
    key: str
    user_id: int
    member_id: int
    name: str
    role: str
    cell: str
    phone: str | None
    linked: bool


@dataclass
class SandboxRun:
    """Emulator + bot + demo data, started and stopped together."""

    settings: Settings
    database_url: str
    host: str = "127.0.0.1"
    port: int = 0
    web_port: int | None = None  # the web chat page; None: no page (the tests of the bot alone)
    personas: list[Persona] = field(default_factory=list)
    url: str = ""
    # The demo's past quarter too (models/demo_history.py): `handbook sandbox` has it; the tests of the
    # bot start from the bare demo, whose counts they assert, unless they ask.
    lived_in: bool = False
    # False: the Application is built (its settings, its sessionmaker) but never started — the bot runs in a
    # process of its own against this emulator (bench/votes.py --bot-process).
    poll: bool = True

    async def __aenter__(self) -> SandboxRun:
        # Anonymous feedback's seal key: HANDBOOK_SEAL_KEY if set, else one for this run (the demo
        # database is new at every start too); kept across restart_bot, as a real key would be.
        given = self.settings.seal_key
        self.seal_key = given.get_secret_value() if given else secrets.token_urlsafe(32)
        self.emulator = Emulator(token=SANDBOX_TOKEN)
        app = make_app(self.emulator)
        app.router.add_get("/_sandbox/personas", self._personas_route)
        app.router.add_post("/_sandbox/clock", self._clock_route)
        app.router.add_get("/_sandbox/clock", self._clock_now_route)
        app.router.add_post("/_sandbox/demo/reset", self._reset_route)
        # 📋 Bài tập: each persona's exercises, ticked from the emulator's event log (sandbox/exercises.toml).
        add_exercise_routes(app, self.emulator, lambda: [asdict(p) for p in self.personas])
        if self.web_port is not None:
            add_web_routes(app)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0, handler_cancellation=True)
        await self.runner.setup()
        await web.TCPSite(self.runner, self.host, self.port).start()
        self.url = f"http://{self.host}:{self.runner.addresses[0][1]}"
        self.web_url = None
        if self.web_port is not None:
            # The page and the control API it calls share one app: same origin, no CORS.
            await web.TCPSite(self.runner, self.host, self.web_port).start()
            self.web_url = f"http://{self.host}:{self.runner.addresses[-1][1]}"

        self.engine = make_engine(self.database_url)
        if not await migrate.is_up_to_date(self.engine):
            await migrate.upgrade(self.database_url)
        await self.load_demo_if_empty()
        await self._start_bot()
        return self

    async def _start_bot(self) -> None:
        settings = self.settings.model_copy(update={"telegram_api_url": self.url, "database_url": self.database_url})
        self.runtime = build_application(settings, self.engine, token=SANDBOX_TOKEN, seal_key=self.seal_key)
        self.stop = asyncio.Event()
        if not self.poll:
            return
        self.polling = asyncio.create_task(run_polling(self.runtime.app, self.stop, poll_timeout=5))
        while not (self.runtime.app.running and self.runtime.app.updater.running):
            if self.polling.done():
                await self.polling  # raises what went wrong
            await asyncio.sleep(0.01)

    async def restart_bot(self) -> None:
        """Stop the bot and start a new Application on the same database and emulator, as a restart
        of the process would: nothing the old one held in memory survives."""
        self.stop.set()
        await self.polling
        await self._start_bot()

    async def __aexit__(self, *exc) -> None:
        self.stop.set()
        if self.poll:
            await self.polling
        await self.runner.cleanup()
        await self.engine.dispose()

    @property
    def sessionmaker(self):
        return self.runtime.services.sessionmaker if hasattr(self, "runtime") else make_sessionmaker(self.engine)

    def persona(self, key: str) -> Persona:
        return next(p for p in self.personas if p.key == key)

    async def load_demo_if_empty(self) -> None:
        async with make_sessionmaker(self.engine)() as session:
            demo = await load_demo(session)
            self.personas = []
            for i, key in enumerate(PERSONA_ORDER):
                p = getattr(demo, key)
                linked = key != "newcomer"
                persona = Persona(key, FIRST_USER_ID + i, p.member_id, p.full_name, p.role, p.cell, p.phone, linked)
                if linked:
                    session.add(Account(telegram_user_id=persona.user_id, member_id=p.member_id, language="vi",
                                        linked_at=clock.now()))
                self.personas.append(persona)
            if self.lived_in:
                await session.flush()
                await load_history(session, demo, feedback_keys(self.settings, SANDBOX_TOKEN, self.seal_key))
            await session.commit()
        for p in self.personas:
            first, _, last = p.name.rpartition(" ")
            self.emulator.add_user(last or p.name, id=p.user_id, last_name=first or None, language_code="vi",
                                   phone_number=p.phone)
        if self.lived_in:  # the member of the history who blocked the bot
            first, _, last = BLOCKED.rpartition(" ")
            self.emulator.add_user(last, id=BLOCKED_USER_ID, last_name=first, language_code="vi").blocked = True

    async def reset_demo(self) -> None:
        """Empty every table and the chats, then load the demo again."""
        async with self.engine.begin() as conn:
            # units.parent_id is ON DELETE RESTRICT: cut the tree first, or the delete fails.
            await conn.execute(update(Unit).values(parent_id=None))
            for table in reversed(load_all().metadata.sorted_tables):
                await conn.execute(delete(table))
        self.emulator.reset()
        clock.reset()
        await self.load_demo_if_empty()

    # --- control routes a trainer (or the web page) uses ----------------------------------
    async def _personas_route(self, request: web.Request) -> web.Response:
        # Linked as the accounts are now: the newcomer who used an invite code is no longer "not linked".
        ids = [p.user_id for p in self.personas]
        async with self.sessionmaker() as session:
            linked = set((await session.scalars(select(Account.telegram_user_id).where(
                Account.telegram_user_id.in_(ids), Account.member_id.is_not(None)))).all())
        return web.json_response([{**asdict(p), "linked": p.user_id in linked} for p in self.personas])

    async def _clock_route(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        delta = parse_duration(str(body.get("advance", "0m")))
        if delta is None:
            return web.json_response({"ok": False, "error": "advance must look like 30m, 2h or 3d"}, status=400)
        now = clock.advance(delta)
        return web.json_response({"ok": True, "now": now.isoformat()})

    async def _clock_now_route(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "now": clock.now().isoformat()})

    async def _reset_route(self, request: web.Request) -> web.Response:
        await self.reset_demo()
        return web.json_response({"ok": True})


def parse_duration(text: str) -> timedelta | None:
    match = re.fullmatch(r"\s*(\d{1,5})\s*([mhd])\s*", text)
    if not match:
        return None
    amount, unit = int(match[1]), match[2]
    return {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]


async def run_sandbox(settings: Settings, *, host: str, port: int, web_port: int) -> None:
    url = settings.sandbox_database_url
    path = sqlite_path(url)
    if path is not None:  # every start is a fresh demo
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    async with SandboxRun(settings, url, host=host, port=port, web_port=web_port, lived_in=True) as run:
        print_banner(run, path)
        await run.polling


def print_banner(run: SandboxRun, db_path: Path | None) -> None:
    lines = [
        "Sandbox running — no token, no internet.",
        f"  Web chat page: {run.web_url}" if run.web_url else "  Web chat page: off",
        f"  Bot API emulator and control API: {run.url}",
        f"  Sandbox database (never the production one): {db_path or run.database_url}",
        "  Personas (Telegram user id — name — role):",
    ]
    lines += [f"    {p.user_id} — {p.name} — {p.role}{'' if p.linked else ' (not linked yet)'}" for p in run.personas]
    lines += [
        "  Try:",
        f"    curl -s -XPOST {run.url}/_sandbox/users/{run.personas[0].user_id}/text -H 'content-type: application/json' -d '{{\"text\": \"/profile\"}}'",
        f"    curl -s {run.url}/_sandbox/chats/{run.personas[0].user_id}/messages",
        f"    curl -s -XPOST {run.url}/_sandbox/clock -d '{{\"advance\": \"2h\"}}'    # move the clock",
        f"    curl -s -XPOST {run.url}/_sandbox/demo/reset                          # restore the demo",
        "  Stop with Ctrl+C.",
    ]
    print("\n".join(lines), flush=True)
