"""Leader election (bot/leader.py): one instance at a time runs the background work."""
from __future__ import annotations

import asyncio
import os
import random
import time

import pytest
from sqlalchemy import text

from bot.leader import Leadership
from models.db import make_engine

PG = os.environ.get("HANDBOOK_TEST_DATABASE_URL")
needs_pg = pytest.mark.skipif(not PG, reason="leader election needs PostgreSQL: set HANDBOOK_TEST_DATABASE_URL")


class Work:
    """Background work that records when it ran and was told to stop."""

    def __init__(self, name: str, log: list):
        self.name, self.log = name, log
        self.running = False

    async def __call__(self, resign: asyncio.Event) -> None:
        self.running = True
        self.log.append(("start", self.name, time.monotonic()))
        try:
            await resign.wait()
        finally:
            self.running = False
            self.log.append(("stop", self.name, time.monotonic()))


async def until(predicate, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


def fast(url: str, key: int) -> Leadership:
    return Leadership(url, key=key, retry_s=0.2, check_s=0.2, check_timeout_s=1.0)


async def test_with_sqlite_the_only_instance_leads_at_once(tmp_path):
    log: list = []
    leadership = Leadership(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    assert not leadership.shared
    stop = asyncio.Event()
    task = asyncio.create_task(leadership.run(stop, Work("only", log)))
    await until(lambda: leadership.is_leader and log, 2, "leadership")
    assert leadership.role == "leader"
    stop.set()
    await task
    assert [e[0] for e in log] == ["start", "stop"] and not leadership.is_leader


@needs_pg
async def test_one_leader_at_a_time_and_the_other_takes_over_when_it_stops(pg_url):
    key = random.getrandbits(62)
    log: list = []
    works = {"a": Work("a", log), "b": Work("b", log)}
    ships = {name: fast(pg_url, key) for name in works}
    stops = {name: asyncio.Event() for name in works}
    tasks = {name: asyncio.create_task(ships[name].run(stops[name], works[name])) for name in works}
    try:
        await until(lambda: any(w.running for w in works.values()), 5, "a leader")
        await asyncio.sleep(1.0)  # followers keep trying meanwhile
        assert sum(w.running for w in works.values()) == 1
        leader = next(n for n, w in works.items() if w.running)
        other = "b" if leader == "a" else "a"
        assert ships[leader].role == "leader" and ships[other].role == "follower"

        stops[leader].set()
        await tasks[leader]
        took = await until(lambda: works[other].running, 5, "the takeover")
        assert ships[other].is_leader and took < 1.5
        # The old leader's work had stopped before the new one's started.
        stopped = next(t for kind, n, t in log if kind == "stop" and n == leader)
        started = next(t for kind, n, t in log if kind == "start" and n == other)
        assert stopped <= started
    finally:
        for s in stops.values():
            s.set()
        await asyncio.gather(*tasks.values())


@needs_pg
async def test_a_leader_whose_connection_dies_stops_its_work_at_once(pg_url):
    key = random.getrandbits(62)
    log: list = []
    first, second = Work("first", log), Work("second", log)
    a, b = fast(pg_url, key), fast(pg_url, key)
    stop = asyncio.Event()
    task_a = asyncio.create_task(a.run(stop, first))
    await until(lambda: first.running, 5, "the first leader")
    task_b = asyncio.create_task(b.run(stop, second))
    await asyncio.sleep(0.5)
    assert not second.running

    # The database ends the leader's session (a restart, a network cut, an operator): its lock is gone.
    admin = make_engine(pg_url)
    try:
        async with admin.connect() as conn:
            pid = await conn.scalar(text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND ((classid::bigint << 32) | objid::bigint) = :key"), {"key": key})
            assert pid is not None
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await admin.dispose()
    await until(lambda: not first.running, 2, f"the old leader to stop {log}")
    await until(lambda: second.running, 5, "the new leader")
    assert a.lost == 1 and a.role == "follower" and b.role == "leader"
    await asyncio.sleep(0.5)
    assert not first.running  # the lock is held by the other: no way back meanwhile
    stop.set()
    await asyncio.gather(task_a, task_b)


async def test_repeating_jobs_and_workers_run_only_while_leading():
    """serve.run_background: the workers and the features' repeating jobs follow leadership; run_once jobs do not."""
    from telegram.ext import ApplicationBuilder

    from bot.serve import run_background
    from handlers.turn import SERVICES, Services
    from sandbox import Emulator, start_server

    class Baton:
        """A Leadership the test hands over by hand."""

        def __init__(self):
            self.turns: asyncio.Queue = asyncio.Queue()

        async def run(self, stop, lead):
            while not stop.is_set():
                resign = await self.turns.get()
                if resign is None:
                    return
                await lead(resign)

    emulator = Emulator()
    runner, url = await start_server(emulator)
    app = ApplicationBuilder().token(emulator.token).base_url(f"{url}/bot").updater(None).build()
    ticks: list[str] = []

    async def sweep(context):
        ticks.append("sweep")

    repeating = app.job_queue.run_repeating(sweep, interval=0.05, first=0.05)
    once = app.job_queue.run_once(sweep, when=60)
    baton = Baton()
    app.bot_data[SERVICES] = Services(sessionmaker=None, leadership=baton)
    worked: list[str] = []

    async def worker(stop: asyncio.Event) -> None:
        worked.append("start")
        await stop.wait()
        worked.append("stop")

    stop = asyncio.Event()
    try:
        async with app:
            await app.start()
            task = asyncio.create_task(run_background(app, [worker], stop))
            await asyncio.sleep(0.3)
            assert ticks == [] and worked == [] and repeating.job.next_run_time is None  # a follower
            assert once.job.next_run_time is not None
            resign = asyncio.Event()
            await baton.turns.put(resign)
            await until(lambda: len(ticks) >= 2 and worked == ["start"], 3, "the leader's work")
            resign.set()
            await until(lambda: worked == ["start", "stop"], 3, "the work to stop")
            seen = len(ticks)
            await asyncio.sleep(0.3)
            assert len(ticks) == seen and repeating.job.next_run_time is None
            stop.set()
            await baton.turns.put(None)
            await task
            await app.stop()
    finally:
        await runner.cleanup()
