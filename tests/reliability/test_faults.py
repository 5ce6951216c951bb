"""The dispatcher against a Telegram that answers 429, 403 and 500: nothing lost, nothing sent twice,
blocked members marked and reported, retries bounded. Two dispatchers on one database share the work."""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from bot.dispatcher import BotApi, Dispatcher
from models import deliveries, notices
from models.accounts import Account
from models.deliveries import Delivery, DeliveryState
from models.notices import NoticeKind

from .conftest import SECRETARY_CHAT, add_chats, bot_messages, make_crowd


def dispatcher(sessionmaker, url: str, token: str, **kw) -> Dispatcher:
    options = dict(rate_per_s=None, per_chat_per_s=1.0, max_attempts=3, concurrency=16,
                   lease=timedelta(seconds=5), backoff=timedelta(milliseconds=50), poll_s=0.05,
                   progress_interval_s=0.2)
    options.update(kw)
    return Dispatcher(sessionmaker, BotApi(url, token), **options)


async def queue_notice(sessionmaker, crowd, title: str = "Thông báo họp chi bộ") -> int:
    async with sessionmaker() as session:
        notice = await notices.create_notice(session, await crowd.actor(session), kind=NoticeKind.notice,
                                             title=title, body="Kính mời các đồng chí dự họp.",
                                             audience_unit_ids=[crowd.cell_id])
        await session.commit()
        return notice.id


async def until_settled(sessionmaker, timeout: float = 30) -> None:
    """Until no delivery is waiting or being sent."""
    deadline = time.monotonic() + timeout
    while True:
        async with sessionmaker() as session:
            open_rows = await session.scalar(
                select(func.count()).select_from(Delivery)
                .where(Delivery.state.in_([DeliveryState.queued, DeliveryState.sending])))
        if not open_rows:
            return
        assert time.monotonic() < deadline, f"{open_rows} deliveries still open"
        await asyncio.sleep(0.05)


async def test_429_403_500_nothing_lost_blocked_reported_retries_bounded(sessionmaker, emulator_url):
    emulator, url = emulator_url
    crowd = await make_crowd(sessionmaker, 60)
    add_chats(emulator, crowd)
    blocked, flaky, broken, throttled = crowd.chats[:3], crowd.chats[3:6], crowd.chats[6], crowd.chats[7]
    for chat in blocked:
        emulator.set_blocked(chat)
    for chat in flaky:  # two 500s, then it works
        emulator.configure(fail_next={"chat_id": chat, "count": 2, "code": 500})
    emulator.configure(fail_next={"chat_id": broken, "count": 100, "code": 502})
    emulator.configure(fail_next={"chat_id": throttled, "count": 1, "code": 429})  # a 429 without retry_after
    # Telegram allows 40/s, we try 100/s: real 429s with retry_after.
    emulator.configure(global_limit_per_s=40, per_chat_limit_per_s=1, latency_ms=5)
    notice_id = await queue_notice(sessionmaker, crowd)

    d = dispatcher(sessionmaker, url, emulator.token, rate_per_s=100)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run(stop))
    await until_settled(sessionmaker)
    await asyncio.sleep(0.2)  # the reports to the secretary are queued as the 403s are recorded
    await until_settled(sessionmaker)
    stop.set()
    await task

    assert d.stats.throttled >= 2  # the injected one and at least one of the emulator's own
    reachable = [c for c in crowd.chats if c not in blocked and c != broken]
    assert all(len(bot_messages(emulator, c)) == 1 for c in reachable), "lost or duplicated"
    assert all(len(bot_messages(emulator, c)) == 0 for c in blocked + [broken])
    async with sessionmaker() as session:
        rows = {r.chat_id: r for r in (await session.scalars(
            select(Delivery).where(Delivery.kind == notices.NOTICE_DELIVERY))).all()}
        assert all(rows[c].state is DeliveryState.unreachable and rows[c].attempts == 1 for c in blocked)
        assert all(rows[c].state is DeliveryState.sent and rows[c].attempts == 3 for c in flaky)
        assert rows[broken].state is DeliveryState.failed and rows[broken].attempts == 3
        assert rows[broken].last_error.startswith("502")
        accounts = {a.telegram_user_id: a for a in (await session.scalars(select(Account))).all()}
        assert all(accounts[c].unreachable_at is not None for c in blocked)
        assert all(accounts[c].unreachable_at is None for c in reachable)
        s = await notices.status(session, notice_id)
    assert emulator.config.fail_next[broken].count == 100 - 3  # exactly max_attempts tries
    assert (s.recipients, s.delivered, s.unreachable, s.failed, s.queued) == (60, 56, 3, 1, 0)
    reports = bot_messages(emulator, SECRETARY_CHAT)
    assert len(reports) == 3 and all("đã chặn" in m.text for m in reports)


async def test_two_dispatchers_on_one_database_never_send_a_row_twice(sessionmaker, emulator_url):
    emulator, url = emulator_url
    crowd = await make_crowd(sessionmaker, 300)
    add_chats(emulator, crowd)
    emulator.configure(latency_ms=50)  # 300 sends take the pair ~1 s: long enough that both claim, on a loaded machine too
    first = dispatcher(sessionmaker, url, emulator.token, concurrency=8)
    second = dispatcher(sessionmaker, url, emulator.token, concurrency=8)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(first.run(stop)), asyncio.create_task(second.run(stop))]
    # Both are polling before the rows appear: on a loaded machine the one started first could otherwise send
    # all 300 before the other had begun, and the test would not see two claimers race.
    while not (first.running and second.running):
        await asyncio.sleep(0.01)
    await queue_notice(sessionmaker, crowd)
    await until_settled(sessionmaker)
    stop.set()
    await asyncio.gather(*tasks)
    # On failure, say which way: a chat with none or two, and what each dispatcher did (retries, failures).
    received = Counter(len(bot_messages(emulator, c)) for c in crowd.chats)
    assert received == {1: 300}, (received, first.stats, second.stats)
    assert first.stats.sent + second.stats.sent == 300 and first.stats.sent and second.stats.sent, (
        first.stats, second.stats)


async def test_a_clean_stop_gives_back_what_it_holds_and_a_restart_finishes(sessionmaker, emulator_url):
    emulator, url = emulator_url
    crowd = await make_crowd(sessionmaker, 60)
    add_chats(emulator, crowd)
    emulator.configure(latency_ms=5)
    await queue_notice(sessionmaker, crowd)
    d = dispatcher(sessionmaker, url, emulator.token, rate_per_s=40, concurrency=4)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run(stop))
    while d.stats.sent < 15:
        await asyncio.sleep(0.02)
    stop.set()
    await task
    async with sessionmaker() as session:
        counts = await deliveries.counts(session, notices.NOTICE_DELIVERY, 1)
    assert counts[DeliveryState.sending] == 0  # nothing left claimed: no lease to wait for
    assert 15 <= counts[DeliveryState.sent] < 60 and counts[DeliveryState.queued] == 60 - counts[DeliveryState.sent]
    again = dispatcher(sessionmaker, url, emulator.token, rate_per_s=200)
    stop = asyncio.Event()
    task = asyncio.create_task(again.run(stop))
    await until_settled(sessionmaker)
    stop.set()
    await task
    assert all(len(bot_messages(emulator, c)) == 1 for c in crowd.chats)
