"""kill -9 of the bot in the middle of a broadcast to 2,000 members, then a restart.

The bot runs as its own process (`python -m bot.cli run`) against the emulator served by this
test on a free port, with limits that make the broadcast last a few seconds. Every member must
get the notice; a member may get it twice only if their row was in flight (claimed, state
'sending') when the process died — and no more of them than that.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from models import migrate, notices
from models.db import make_engine, make_sessionmaker
from models.deliveries import Delivery, DeliveryState
from models.notices import NoticeKind

from .conftest import add_chats, bot_messages, make_crowd

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 2000
RATE = 400  # messages a second, for Telegram (the emulator) and for the bot alike


def delivered(emulator, chats) -> int:
    return sum(1 for c in chats if emulator.chats[c].messages)


async def start_bot(url: str, token: str, db_url: str, tmp_path: Path, n: int) -> asyncio.subprocess.Process:
    env = {**os.environ, "HANDBOOK_BOT_TOKEN": token, "HANDBOOK_TELEGRAM_API_URL": url,
           "HANDBOOK_DATABASE_URL": db_url, "HANDBOOK_CONFIG": str(tmp_path / "absent.toml"),
           "HANDBOOK_SEAL_KEY": "test-seal-key-" + "s" * 32,
           "HANDBOOK_DELIVERY_RATE_PER_S": str(RATE), "HANDBOOK_DELIVERY_PER_CHAT_PER_S": "1",
           "HANDBOOK_DELIVERY_LEASE_S": "2", "HANDBOOK_DELIVERY_POLL_S": "0.2",
           "HANDBOOK_DELIVERY_CONCURRENCY": "32"}
    log = open(tmp_path / f"bot-{n}.log", "wb")
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env,
                                                stdout=log, stderr=asyncio.subprocess.STDOUT)


async def wait_until(predicate, timeout: float, what: str, proc, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.returncode is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"waiting for {what}: bot exit code {proc.returncode}; its log ends:\n{tail}")
        await asyncio.sleep(0.02)


async def test_kill_9_mid_broadcast_then_restart_everyone_gets_it_duplicates_bounded(db_url, tmp_path, emulator_url):
    emulator, url = emulator_url
    await migrate.upgrade(db_url)
    engine = make_engine(db_url)
    sessionmaker = make_sessionmaker(engine)
    try:
        crowd = await make_crowd(sessionmaker, MEMBERS)
        add_chats(emulator, crowd)
        emulator.configure(global_limit_per_s=RATE, per_chat_limit_per_s=1, latency_ms=5)
        async with sessionmaker() as session:
            await notices.create_notice(session, await crowd.actor(session), kind=NoticeKind.notice,
                                        title="Thông báo khẩn", body="Kính gửi các đồng chí đảng viên.",
                                        audience_unit_ids=[crowd.cell_id])
            await session.commit()

        bot = await start_bot(url, emulator.token, db_url, tmp_path, 1)
        try:
            await wait_until(lambda: delivered(emulator, crowd.chats) >= MEMBERS // 2, 60, "half the broadcast", bot,
                             tmp_path / "bot-1.log")
        finally:
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
        await asyncio.sleep(0.2)  # requests already on the wire still land in the emulator
        at_kill = delivered(emulator, crowd.chats)
        async with sessionmaker() as session:
            by_state = dict((await session.execute(
                select(Delivery.state, func.count()).group_by(Delivery.state))).all())
        in_flight = by_state.get(DeliveryState.sending, 0)  # claimed by the dead process
        unrecorded = at_kill - by_state.get(DeliveryState.sent, 0)  # sent, but the process died before saying so
        assert MEMBERS // 2 <= at_kill < MEMBERS, "the kill came too late to test anything"

        bot = await start_bot(url, emulator.token, db_url, tmp_path, 2)
        try:
            await wait_until(lambda: delivered(emulator, crowd.chats) == MEMBERS, 60, "the rest of the broadcast", bot,
                             tmp_path / "bot-2.log")
            await asyncio.sleep(0.5)  # let the restarted bot record what it sent
        finally:
            bot.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(bot.wait(), 30) == 0

        counts = [len(bot_messages(emulator, c)) for c in crowd.chats]
        duplicates = sum(1 for n in counts if n == 2)
        print(f"\nkill -9 at {at_kill}/{MEMBERS} delivered: {in_flight} rows claimed ('sending'), "
              f"{unrecorded} sent but unrecorded; {duplicates} members got the notice twice")
        assert min(counts) == 1 and max(counts) <= 2
        # Exactly the messages in flight at the kill come twice; never more than the rows claimed.
        assert duplicates == unrecorded <= in_flight
        async with sessionmaker() as session:
            states = dict((await session.execute(
                select(Delivery.state, func.count()).group_by(Delivery.state))).all())
        assert states == {DeliveryState.sent: MEMBERS}
    finally:
        await engine.dispose()
