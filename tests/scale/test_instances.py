"""Two real bot processes (`python -m bot.cli run --webhook …`) on one PostgreSQL, behind the emulator
delivering the webhook to both in turn, as a load balancer would.

* both answer users: each process's /metrics counts updates it handled;
* one leads (runs the dispatcher), the other follows; kill -9 of the leader in the middle of a
  broadcast to 2,000 members: the other takes over (within ~15 s: followers retry every 5 s), users
  keep being answered meanwhile (Telegram's retries reach the live instance), every member gets the
  notice, and no more members get it twice than the rows the dead leader had claimed.

Runs only with HANDBOOK_TEST_DATABASE_URL (several instances need PostgreSQL).
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from models import migrate, notices
from models.db import make_engine, make_sessionmaker
from models.deliveries import Delivery, DeliveryState
from models.feedback import FeedbackItem
from models.notices import NoticeKind
from sandbox import Emulator, start_server
from tests.conftest import reset_postgres
from tests.reliability.conftest import FIRST_CHAT, add_chats, bot_messages, make_crowd

pytestmark = pytest.mark.skipif(not os.environ.get("HANDBOOK_TEST_DATABASE_URL"),
                                reason="several instances need PostgreSQL: set HANDBOOK_TEST_DATABASE_URL")

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 2000
RATE = 400  # messages a second Telegram (the emulator) allows
# The dispatcher's pace, with room left for the answers to users (they share Telegram's limit).
SEND_RATE = 320
SECRET = "instances-test-secret-0123456789"
TAKEOVER_LIMIT_S = 15.0
STRANGERS = 800001  # users outside the broadcast
TITLE = "Thông báo khẩn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    def __init__(self, n: int, api: str, token: str, db_url: str, tmp_path: Path):
        self.n = n
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.hook = f"{self.base}/telegram/hook"
        self.log = tmp_path / f"bot-{n}.log"
        self.env = {**os.environ, "HANDBOOK_BOT_TOKEN": token, "HANDBOOK_TELEGRAM_API_URL": api,
                    "HANDBOOK_DATABASE_URL": db_url, "HANDBOOK_CONFIG": str(tmp_path / "absent.toml"),
                    "HANDBOOK_SEAL_KEY": "test-seal-key-" + "s" * 32,
                    "HANDBOOK_WEBHOOK_SECRET": SECRET, "HANDBOOK_WEBHOOK_PORT": str(self.port),
                    "HANDBOOK_DELIVERY_RATE_PER_S": str(SEND_RATE), "HANDBOOK_DELIVERY_PER_CHAT_PER_S": "1",
                    "HANDBOOK_DELIVERY_LEASE_S": "2", "HANDBOOK_DELIVERY_POLL_S": "0.2",
                    "HANDBOOK_DELIVERY_CONCURRENCY": "32"}
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        out = open(self.log, "wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", "--webhook", self.hook, cwd=ROOT, env=self.env,
            stdout=out, stderr=asyncio.subprocess.STDOUT)

    def tail(self) -> str:
        return f"bot {self.n} (exit {self.proc.returncode if self.proc else None}), its log ends:\n" + \
            self.log.read_text(errors="replace")[-3000:]

    async def health(self) -> dict | None:
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as s:
                async with s.get(f"{self.base}/healthz") as r:
                    return json.loads(await r.text()) if r.status == 200 else None
        except (TimeoutError, aiohttp.ClientError):
            return None

    async def metric(self, name: str, **labels: str) -> float:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s:
            async with s.get(f"{self.base}/metrics") as r:
                text = await r.text()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return sample.value
        return 0.0

    async def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        return await asyncio.wait_for(self.proc.wait(), 30)


async def until(predicate, timeout: float, what: str, instances=()) -> float:
    start = time.monotonic()
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return time.monotonic() - start
        dead = [i for i in instances if i.proc and i.proc.returncode is not None and i.proc.returncode != -9]
        if dead or time.monotonic() - start > timeout:
            raise AssertionError(f"waiting for {what}\n" + "\n".join(i.tail() for i in instances))
        await asyncio.sleep(0.05)


def notices_in(emulator, chat: int) -> int:
    return sum(1 for m in bot_messages(emulator, chat) if TITLE in (m.text or ""))


def delivered(emulator, chats) -> int:
    return sum(1 for c in chats if notices_in(emulator, c))


async def test_two_instances_share_updates_and_survive_kill_9_of_the_leader(pg_url, tmp_path):
    await reset_postgres(pg_url)
    await migrate.upgrade(pg_url)
    engine = make_engine(pg_url)
    sessionmaker = make_sessionmaker(engine)
    emulator = Emulator()
    runner, api = await start_server(emulator)
    instances = [Instance(n, api, emulator.token, pg_url, tmp_path) for n in (1, 2)]
    try:
        crowd = await make_crowd(sessionmaker, MEMBERS)
        add_chats(emulator, crowd)
        # The emulator stands for the load balancer: updates go to both instances in turn.
        emulator.set_webhook_targets([i.hook for i in instances], retry_s=0.2)
        for i in instances:
            await i.start()
        healths: list = []

        async def up_one_leader():
            healths[:] = [await i.health() for i in instances]
            return all(healths) and emulator.webhook.url and sum(h["role"] == "leader" for h in healths) == 1
        await until(up_one_leader, 60, "both instances up, one of them leading", instances)
        assert sorted(h["role"] for h in healths) == ["follower", "leader"], healths

        # Both answer users.
        users = crowd.chats[:40]
        for chat in users:
            emulator.user_send_text(chat, "/help")
        await until(lambda: all(bot_messages(emulator, c) for c in users), 20, "answers to /help", instances)
        handled = [await i.metric("handbook_updates_total", type="message") for i in instances]
        assert all(n > 0 for n in handled) and sum(handled) == len(users), handled

        # A conversation whose steps land on both instances in turn: each knows where the member is
        # (the step and the draft are in the database, handlers/state.py).
        writer = crowd.chats[40]
        before = [await i.metric("handbook_updates_total", type="message") for i in instances]
        emulator.user_send_text(writer, "/feedback")
        await until(lambda: bot_messages(emulator, writer), 20, "the feedback prompt", instances)
        emulator.user_send_text(writer, "Đèn đường kiệt 5 hỏng đã một tuần")
        await until(lambda: any("Về việc" in (m.text or "") for m in bot_messages(emulator, writer)), 20,
                    "the feedback card", instances)
        card = next(m for m in bot_messages(emulator, writer) if "Về việc" in (m.text or ""))
        emulator.user_press(writer, card.message_id, button_text="📨 Gửi")
        async def stored():
            async with sessionmaker() as session:
                return await session.scalar(select(func.count()).select_from(FeedbackItem)
                                            .where(FeedbackItem.body.contains("Đèn đường")))
        await until(stored, 20, "the feedback item", instances)
        steps = [await i.metric("handbook_updates_total", type="message") - b for i, b in zip(instances, before, strict=True)]
        assert sorted(steps) == [1, 1], steps  # one step on each instance

        # A broadcast to 2,000 members; kill -9 of the leader half way.
        emulator.configure(global_limit_per_s=RATE, per_chat_limit_per_s=1, latency_ms=5)
        async with sessionmaker() as session:
            await notices.create_notice(session, await crowd.actor(session), kind=NoticeKind.notice,
                                        title=TITLE, body="Kính gửi các đồng chí đảng viên.",
                                        audience_unit_ids=[crowd.cell_id])
            await session.commit()
        leader, follower = (instances if healths[0]["role"] == "leader" else instances[::-1])
        await until(lambda: delivered(emulator, crowd.chats) >= MEMBERS // 2, 60, "half the broadcast", instances)
        leader.proc.send_signal(signal.SIGKILL)
        await leader.proc.wait()
        killed_at = time.monotonic()
        async with sessionmaker() as session:
            in_flight = await session.scalar(select(func.count()).select_from(Delivery)
                                             .where(Delivery.state == DeliveryState.sending))
        at_kill = delivered(emulator, crowd.chats)

        # Users keep being answered: Telegram's retries find the live instance. (Newcomers, outside the
        # broadcast: a member's chat is busy with the notice, one message a second.)
        asking = [STRANGERS + i for i in range(20)]
        for chat in asking:
            emulator.add_user(f"Người mới {chat}", id=chat)
            emulator.user_send_text(chat, "/help")

        async def took_over():
            h = await follower.health()
            return h and h["role"] == "leader"
        await until(took_over, TAKEOVER_LIMIT_S + 5, "the follower to take over", [follower])
        takeover = time.monotonic() - killed_at
        await until(lambda: delivered(emulator, crowd.chats) == MEMBERS, 60, "the rest of the broadcast", [follower])
        finished = time.monotonic() - killed_at
        await until(lambda: all(bot_messages(emulator, c) for c in asking), 30,
                    "answers while one instance is dead", [follower])
        await asyncio.sleep(0.5)  # let the new leader record what it sent

        counts = [notices_in(emulator, c) for c in crowd.chats]
        duplicates = sum(1 for n in counts if n > 1)
        print(f"\ntwo instances: kill -9 of the leader at {at_kill}/{MEMBERS} delivered, {in_flight} rows claimed; "
              f"takeover after {takeover:.1f} s, broadcast complete {finished:.1f} s after the kill; "
              f"{duplicates} members got the notice twice; updates handled before the kill {handled}")
        assert min(counts) == 1, "a member never got the notice"
        assert max(counts) <= 2 and duplicates <= in_flight
        assert takeover < TAKEOVER_LIMIT_S
        async with sessionmaker() as session:
            states = dict((await session.execute(select(Delivery.state, func.count())
                                                 .where(Delivery.chat_id >= FIRST_CHAT)
                                                 .group_by(Delivery.state))).all())
        assert states == {DeliveryState.sent: MEMBERS}
        assert await follower.stop() == 0
    finally:
        for i in instances:
            if i.proc is not None and i.proc.returncode is None:
                i.proc.kill()
                await i.proc.wait()
        await runner.cleanup()
        await engine.dispose()
    assert emulator.violations == [], emulator.violations
