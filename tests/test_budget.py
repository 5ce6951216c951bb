"""The send budget shared by the bot's instances (bot/budget.py): never more than the rate in any window.

Counted on the grants' own times (a fake clock locally, the engine's clock for Redis and PostgreSQL):
no test here measures how long anything took. The shared stores run against the PostgreSQL of
HANDBOOK_TEST_DATABASE_URL and the Redis of HANDBOOK_TEST_REDIS_URL (.ci/run sets both; set and
unreachable, the Redis tests fail rather than skip), each skipped when its variable is unset.
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from bot import budget as budget_mod
from bot.budget import Grant, LocalStore, PgStore, RedisStore, RepliesWithinBudget, SendBudget, is_send, make_budget
from bot.settings import Settings

REDIS_URL = os.environ.get("HANDBOOK_TEST_REDIS_URL")
PG_URL = os.environ.get("HANDBOOK_TEST_DATABASE_URL")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def send(b: SendBudget, urgent: bool, clock, sent: list[float]) -> None:
    """One send as the bot makes it: a grant, the request (at once here), its answer."""
    grant = await b.acquire(urgent)
    assert grant is not None
    sent.append(clock())
    await b.answered(grant)


def most_in_a_window(grants: list[float], window: float) -> int:
    """The most grants in any half-open window of `window` seconds (as Telegram counts them)."""
    times = sorted(grants)
    best, first = 0, 0
    for last, t in enumerate(times):
        while times[first] <= t - window:
            first += 1
        best = max(best, last - first + 1)
    return best


async def test_replies_may_take_the_whole_window_the_dispatcher_leaves_some_to_them():
    clock = FakeClock()
    b = SendBudget(30, LocalStore(clock), clock=clock, sleep=clock.sleep)
    for _ in range(28):
        assert (await b.take(urgent=False))[1] is not None
    assert (await b.take(urgent=False))[1] is None  # the dispatcher stops at 28 of 30…
    assert (await b.take(urgent=True))[1] and (await b.take(urgent=True))[1]  # …replies get the last two
    assert (await b.take(urgent=True))[1] is None
    sent: list[float] = []
    for i in range(200):
        await send(b, bool(i % 3), clock, sent)
    assert most_in_a_window(sent, 1.0) == 30
    assert most_in_a_window(sent, b.window) == 30


async def test_a_send_counts_until_a_window_after_its_answer():
    clock = FakeClock()
    b = SendBudget(2, LocalStore(clock), clock=clock, sleep=clock.sleep)
    first, second = await b.acquire(True), await b.acquire(True)
    clock.now += 1.5  # both still in flight after more than a window: they still count
    assert (await b.take(True))[1] is None
    await b.answered(first)
    clock.now += 0.5
    assert (await b.take(True))[1] is None  # answered half a second ago
    clock.now += b.window - 0.5
    assert (await b.take(True))[1] is not None  # the first has left; the second is still in flight
    await b.answered(second)
    clock.now += b.window
    assert (await b.take(True))[1] is not None
    assert (await b.take(True))[1] is None  # two in flight
    clock.now += budget_mod.HOLD_S + b.window  # never answered: they count no longer than HOLD_S after their grant
    assert (await b.take(True))[1] is not None


async def test_a_rate_below_one_a_second_is_one_send_per_its_window():
    clock = FakeClock()
    b = SendBudget(0.5, LocalStore(clock), clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for _ in range(5):
        await send(b, False, clock, sent)
    assert most_in_a_window(sent, 2.0) == 1


async def test_stopping_while_refused_gives_up_the_send():
    clock = FakeClock()
    b = SendBudget(2, LocalStore(clock), clock=clock, sleep=clock.sleep)
    assert await b.acquire(False) and await b.acquire(False)
    assert await b.acquire(False, stopping=lambda: True) is None


class Outage:
    """A store that fails while `down`, else counts on a LocalStore (the shared engine, as this test sees it)."""

    def __init__(self, clock, error: Exception):
        self.inner = LocalStore(clock)
        self.error = error
        self.down = True
        self.asked = 0

    async def take(self, limit: int, window: float, n: int = 1):
        self.asked += 1
        if self.down:
            raise self.error
        return await self.inner.take(limit, window, n)

    async def answered(self, tokens) -> None:
        if self.down:
            raise self.error
        await self.inner.answered(tokens)

    async def pause(self, limit: int, window: float, seconds: float) -> None:
        if self.down:
            raise self.error
        await self.inner.pause(limit, window, seconds)

    async def close(self) -> None:
        pass


async def test_an_unreachable_engine_means_a_local_half_share_logged_once_then_the_engine_again(caplog):
    clock = FakeClock()
    store = Outage(clock, ConnectionRefusedError("connect to redis://:hunter2@10.0.0.9:6379 failed"))
    b = SendBudget(30, store, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    with caplog.at_level(logging.INFO, logger="handbook.budget"):
        for _ in range(60):  # never stops sending…
            await send(b, True, clock, sent)
        assert b.down and b.outages == 1
        assert most_in_a_window(sent, 1.0) == 15  # …at half the rate, counted here
        assert store.asked < 10  # asked again every RETRY_S, not at every send
        store.down = False
        clock.now += budget_mod.RETRY_S
        await send(b, True, clock, sent)
        assert not b.down
        asked = store.asked
        for _ in range(30):
            await send(b, True, clock, sent)
        assert store.asked >= asked + 30  # the engine counts again
        store.down = True
        await send(b, True, clock, sent)
        assert b.outages == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and "ConnectionRefusedError" in warnings[0].getMessage()
    assert "hunter2" not in caplog.text and "10.0.0.9" not in caplog.text
    assert "answers again" in caplog.text


def unreachable(store: str) -> RedisStore | PgStore:
    """A store whose engine does not answer (port 1), its address holding a password."""
    if store == "redis":
        return RedisStore("redis://:hunter2@127.0.0.1:1/0", "handbook:test")
    return PgStore("postgresql+asyncpg://postgres:hunter2@127.0.0.1:1/test", "1")


@pytest.mark.parametrize("store", ["redis", "postgresql"])
async def test_an_engine_that_cannot_be_reached_never_stops_the_sends_nor_shows_its_password(store, caplog):
    b = SendBudget(30, unreachable(store))
    with caplog.at_level(logging.INFO, logger="handbook.budget"):
        for _ in range(5):
            assert await b.acquire(urgent=True)
    assert b.down and b.outages == 1
    assert "hunter2" not in caplog.text
    await b.close()


@pytest.mark.parametrize("store", ["redis", "postgresql"])
async def test_a_pause_with_the_engine_down_pauses_the_local_share_and_never_raises(store, caplog):
    clock = FakeClock()  # the local share's (the engine's failure takes what time it takes)
    b = SendBudget(30, unreachable(store), clock=clock, sleep=clock.sleep)
    with caplog.at_level(logging.INFO, logger="handbook.budget"):
        await b.pause(2.0)
    assert b.down and b.outages == 1
    assert "hunter2" not in caplog.text and "127.0.0.1" not in caplog.text
    wait, grant = await b.take(True)
    assert grant is None and wait == pytest.approx(2.0)  # the local share waits the pause out
    await b.close()


# --- several sends a statement: grants for the sends queued behind, answers told together -----------------------

class Counted:
    """The engine as a LocalStore, each request written down; each take waits for the next of `gates`, if any."""

    def __init__(self, clock) -> None:
        self.inner = LocalStore(clock)
        self.takes: list[tuple[int, int]] = []  # (asked for, granted)
        self.granted_at: list[float] = []  # one a grant
        self.answers: list[list] = []
        self.gates: list[asyncio.Event] = []
        self.answer_gates: list[asyncio.Event] = []

    async def take(self, limit: int, window: float, n: int = 1):
        if self.gates:
            await self.gates.pop(0).wait()
        wait, tokens = await self.inner.take(limit, window, n)
        self.takes.append((n, len(tokens)))
        self.granted_at += [self.inner.clock()] * len(tokens)
        return wait, tokens

    async def answered(self, tokens) -> None:
        if self.answer_gates:
            await self.answer_gates.pop(0).wait()
        self.answers.append(list(tokens))
        await self.inner.answered(tokens)

    async def pause(self, limit: int, window: float, seconds: float) -> None:
        await self.inner.pause(limit, window, seconds)

    async def close(self) -> None:
        pass


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def queued_behind_a_slow_take(b: SendBudget, store: Counted, sends: int) -> list[asyncio.Task]:
    """`sends` acquire() at once, the first held at the engine until all the others queue behind it."""
    gate = asyncio.Event()
    store.gates = [gate]
    tasks = [asyncio.create_task(b.acquire(True)) for _ in range(sends)]
    await settle()
    gate.set()
    return tasks


async def one_grant_left_over(b: SendBudget, store: Counted) -> Grant:
    """Four sends at once; the fourth gives up while the second asks for it and the third: its grant is left over."""
    store.gates = [asyncio.Event(), asyncio.Event()]
    first, second = store.gates
    tasks = [asyncio.create_task(b.acquire(True)) for _ in range(4)]
    await settle()
    first.set()
    await settle()  # the second now asks for itself and the two behind it
    tasks[3].cancel()
    second.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(results[:3]) and isinstance(results[3], asyncio.CancelledError)
    assert store.takes == [(1, 1), (3, 3)] and len(b._spare[True]) == 1
    return b._spare[True][0][1]


async def test_the_send_that_asks_takes_grants_for_those_queued_behind_it_within_the_window():
    clock = FakeClock()
    store = Counted(clock)
    b = SendBudget(5, store, clock=clock, sleep=clock.sleep)
    grants = await asyncio.gather(*await queued_behind_a_slow_take(b, store, 7))
    assert all(grants) and len({g.token for g in grants}) == 7
    # the first asks for itself alone (nobody behind yet); the next for itself and the five queued behind it, of
    # which the window (5 a second) has room for four; the last two are refused until the window has room (none of
    # the sends was answered: they count from HOLD_S after their grants), then granted together
    assert store.takes[:3] == [(1, 1), (6, 4), (2, 0)] and store.takes[-1] == (2, 2)
    assert [granted for _, granted in store.takes if granted] == [1, 4, 2]
    assert b.granted == 7 and b.waited >= 1
    assert len(store.granted_at) == 7 and most_in_a_window(store.granted_at, 1.0) == 5


async def test_a_grant_taken_for_a_send_that_left_the_queue_is_given_back_not_used_late():
    clock = FakeClock()
    store = Counted(clock)
    b = SendBudget(30, store, clock=clock, sleep=clock.sleep)
    unused = await one_grant_left_over(b, store)
    clock.now += budget_mod.LEASE_S + 0.01
    later = await b.acquire(True)
    assert later is not None and later.token != unused.token and store.takes[-1] == (1, 1)  # asked anew
    assert [unused.token] in store.answers and store.inner.sends[unused.token] == clock.now  # given back: from now


async def test_a_grant_left_over_is_used_by_the_next_send_while_fresh():
    clock = FakeClock()
    store = Counted(clock)
    b = SendBudget(30, store, clock=clock, sleep=clock.sleep)
    unused = await one_grant_left_over(b, store)
    clock.now += budget_mod.LEASE_S - 0.01
    assert (await b.acquire(True)) is unused and len(store.takes) == 2  # no request to the engine


async def test_a_429_gives_back_the_grants_taken_for_sends_behind():
    clock = FakeClock()
    store = Counted(clock)
    b = SendBudget(30, store, clock=clock, sleep=clock.sleep)
    unused = await one_grant_left_over(b, store)
    await b.pause(2.0)
    assert not b._spare[True] and [unused.token] in store.answers
    wait, grant = await b.take(True)
    assert grant is None and wait == pytest.approx(2.0)  # nothing leaves before the pause ends, spare or not


async def test_answers_that_come_while_the_engine_is_told_are_told_together_each_once():
    clock = FakeClock()
    store = Counted(clock)
    b = SendBudget(30, store, clock=clock, sleep=clock.sleep)
    grants = [(await b.take(True))[1] for _ in range(10)]
    clock.now += 0.5
    gate = asyncio.Event()
    store.answer_gates = [gate]  # the first answer's statement is on its way while the nine others come
    tasks = [asyncio.create_task(b.answered(g)) for g in grants]
    await settle()
    assert not any(t.done() for t in tasks)  # none returns before its own answer was told
    gate.set()
    await asyncio.gather(*tasks)
    assert sorted(t for told in store.answers for t in told) == sorted(g.token for g in grants)  # each once
    assert len(store.answers) == 2 and store.answers[0] == [grants[0].token]  # the first, then the nine behind it
    assert all(at == clock.now for at in store.inner.sends.values())  # every one counts from its answer


# --- a 429: every holder of the budget waits Telegram's retry_after ------------------------------------------------

async def test_a_429_met_by_one_holder_pauses_them_all_a_shorter_one_shortens_nothing():
    clock = FakeClock()
    shared = LocalStore(clock)  # the engine, as three holders in this process see it
    holders = [SendBudget(30, shared, clock=clock, sleep=clock.sleep) for _ in range(3)]
    sent: list[float] = []
    await send(holders[2], True, clock, sent)
    start = clock.now
    await holders[0].pause(2.0)
    await holders[1].pause(0.5)
    for b in holders:
        for urgent in (True, False):
            wait, grant = await b.take(urgent)
            assert grant is None and wait == pytest.approx(2.0)
    clock.now = start + 1.999
    for b in holders:
        assert (await b.take(True))[1] is None
    for b in holders:
        for urgent in (True, False):
            await send(b, urgent, clock, sent)  # each waits the rest of the pause, no longer
    assert sent[1:] and all(start + 2.0 <= at < start + 2.01 for at in sent[1:])
    await holders[0].pause(1.0)
    await holders[0].pause(0.5)  # within its own pause: not asked again
    assert len(shared.sends) <= 30 + 6 + 1  # the sends of the window, one pause's (the first was trimmed)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # retry_after read as PTB 22 gives it
async def test_a_429_met_by_a_reply_pauses_every_holder_and_is_raised_again():
    clock = FakeClock()
    shared = LocalStore(clock)
    b, other = (SendBudget(30, shared, clock=clock, sleep=clock.sleep) for _ in range(2))
    limiter = RepliesWithinBudget(b)

    async def flooded(*args, **kwargs):
        raise RetryAfter(timedelta(seconds=3))

    with pytest.raises(RetryAfter):
        await limiter.process_request(flooded, (), {}, "sendMessage", {}, None)
    assert b.granted == 1 and not b.down
    for holder in (b, other):
        wait, grant = await holder.take(True)
        assert grant is None and wait == pytest.approx(3.0)


async def test_a_429_met_by_the_dispatcher_pauses_every_holder():
    from bot.pacing import Pace

    clock = FakeClock()
    shared = LocalStore(clock)
    b, other = (SendBudget(30, shared, clock=clock, sleep=clock.sleep) for _ in range(2))
    await Pace(30, 1, b).pause(7, 2.5)
    wait, grant = await other.take(True)
    assert grant is None and wait == pytest.approx(2.5)


async def everyone_waits_a_pause(stores: list) -> None:
    """One holder's pause(2.0): no holder, urgent or not, gets a grant for 2 s; all get one after."""
    holders = [SendBudget(30, s) for s in stores]
    try:
        sent: list[float] = []
        await send(holders[2], True, time.monotonic, sent)  # connected, counting
        start = time.monotonic()
        await holders[0].pause(2.0)
        await holders[1].pause(0.5)  # shorter: shortens nothing
        for b in holders:
            for urgent in (True, False):
                wait, grant = await b.take(urgent)
                assert grant is None and 0 < wait <= 2.0  # refused, for no longer than the pause
        await asyncio.gather(*(send(b, urgent, time.monotonic, sent) for b in holders for urgent in (True, False)))
        assert len(sent) == 7 and all(at >= start + 1.99 for at in sent[1:])  # none before the pause ends
        assert not any(b.down for b in holders)
    finally:
        for b in holders:
            await b.close()


async def test_a_pause_on_redis_holds_every_holder(redis_url):
    key = f"handbook-test:send-budget:{secrets.token_hex(4)}"
    await everyone_waits_a_pause([RedisStore(redis_url, key) for _ in range(3)])


async def test_a_pause_on_postgresql_holds_every_holder(budget_db):
    await everyone_waits_a_pause([PgStore(budget_db, "44") for _ in range(3)])


def test_the_settings_choose_the_engine_and_hide_the_redis_password(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    sqlite = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    assert make_budget(sqlite, "123:abc") is None  # one instance: its own pace
    pg = Settings(database_url="postgresql+asyncpg://u:p@db/h")
    assert isinstance(make_budget(pg, "123:abc").store, PgStore)
    assert make_budget(pg.model_copy(update={"delivery_rate_per_s": 0}), "123:abc") is None
    monkeypatch.setenv("HANDBOOK_REDIS_URL", "redis://:hunter2@cache:6379/0")
    with_redis = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    assert "hunter2" not in repr(with_redis) and "hunter2" not in str(with_redis.model_dump())
    store = make_budget(with_redis, "123:abc").store
    assert isinstance(store, RedisStore) and store.key.endswith(":123")  # the bot's id, never its token
    monkeypatch.setenv("HANDBOOK_REDIS_URL", "cache:6379")
    with pytest.raises(Exception, match="redis://"):
        Settings()


async def test_replies_take_a_grant_other_requests_do_not():
    clock = FakeClock()
    b = SendBudget(30, LocalStore(clock), clock=clock, sleep=clock.sleep)
    limiter = RepliesWithinBudget(b)

    async def call(*args, **kwargs):
        return {"ok": True}

    for endpoint in ("sendMessage", "sendPhoto", "copyMessage", "answerCallbackQuery", "editMessageText",
                     "sendChatAction", "getMe"):
        assert await limiter.process_request(call, (), {}, endpoint, {}, None) == {"ok": True}
    assert b.granted == 3 and not any(at > clock.now for at in b.local.sends.values())  # all three answered
    assert is_send("sendMediaGroup") and not is_send("setWebhook")


# --- the shared engines: several holders (instances), each with its own connection ----------------------------

async def hammer(stores: list, rate: float, sends: int, workers: int = 12) -> tuple[list[float], list[SendBudget]]:
    """`sends` sends made by `workers` tasks on each holder at once; when each was made (between its grant
    and its answer, on this process's clock: the engine's answer-to-grant order makes them comparable)."""
    sent: list[float] = []
    holders = [SendBudget(rate, s) for s in stores]
    left = [sends]

    async def worker(b: SendBudget, urgent: bool) -> None:
        while left[0] > 0:
            left[0] -= 1
            await send(b, urgent, time.monotonic, sent)

    try:
        await asyncio.gather(*(worker(b, bool(i % 2)) for b in holders for i in range(workers)))
    finally:
        for b in holders:
            await b.close()
    assert not any(b.down for b in holders)
    return sent, holders


@pytest.fixture
async def redis_url():
    if not REDIS_URL:
        pytest.skip("set HANDBOOK_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to test the budget on Redis")
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(f"HANDBOOK_TEST_REDIS_URL is set but Redis does not answer ({type(exc).__name__})")
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.fixture
async def budget_db(request):
    if not PG_URL:
        pytest.skip("set HANDBOOK_TEST_DATABASE_URL to test the budget on PostgreSQL")
    pg_url = request.getfixturevalue("pg_url")  # asked only now: without the variable it cannot be made
    import asyncpg
    from sqlalchemy.engine import make_url

    from models.send_budget import CREATE, TABLE

    conn = await asyncpg.connect(make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute(CREATE)
        await conn.execute(f"DELETE FROM {TABLE}")
    finally:
        await conn.close()
    return pg_url


async def test_three_instances_sharing_redis_never_send_more_than_the_rate_in_any_window(redis_url):
    key = f"handbook-test:send-budget:{secrets.token_hex(4)}"
    sent, holders = await hammer([RedisStore(redis_url, key) for _ in range(3)], rate=300, sends=450)
    assert len(sent) == 450 and all(b.granted for b in holders)
    assert sum(b.waited for b in holders) > 0  # they did run into the limit
    assert most_in_a_window(sent, 1.0) <= 300
    assert sum(b.asked for b in holders) < 2 * 450  # sends queued together asked and were answered together


async def test_three_instances_sharing_postgresql_never_send_more_than_the_rate_in_any_window(budget_db):
    sent, holders = await hammer([PgStore(budget_db, "42") for _ in range(3)], rate=300, sends=450)
    assert len(sent) == 450 and all(b.granted for b in holders)
    assert sum(b.waited for b in holders) > 0
    assert most_in_a_window(sent, 1.0) <= 300
    assert sum(b.asked for b in holders) < 2 * 450  # sends queued together asked and were answered together


async def several_at_once(store) -> None:
    """One request grants as many as the window has room for, each its own; one request answers them all."""
    window = 1.0 + budget_mod.SLACK
    try:
        wait, first = await store.take(5, window, 3)
        assert wait == 0 and len(first) == 3
        wait, more = await store.take(5, window, 8)
        assert wait == 0 and len(more) == 2  # the window's room, not the eight asked for
        assert len(set(first + more)) == 5
        wait, none = await store.take(5, window, 1)
        assert none == [] and wait > window  # unanswered, they count from HOLD_S after their grants
        await store.answered(first + more)
        wait, none = await store.take(5, window, 1)
        assert none == [] and 0 < wait <= window  # every one of them now counts from its answer
    finally:
        await store.close()


async def test_redis_grants_several_in_one_request_and_answers_them_in_one(redis_url):
    await several_at_once(RedisStore(redis_url, f"handbook-test:send-budget:{secrets.token_hex(4)}"))


async def test_postgresql_grants_several_in_one_statement_and_answers_them_in_one(budget_db):
    await several_at_once(PgStore(budget_db, "45"))


async def test_postgresql_budget_survives_its_connection_killed(budget_db):
    import asyncpg
    from sqlalchemy.engine import make_url

    clock_now = [0.0]
    b = SendBudget(1000, PgStore(budget_db, "43"), clock=lambda: clock_now[0])
    try:
        assert await b.acquire(True) and not b.down
        admin = await asyncpg.connect(make_url(budget_db).set(drivername="postgresql")
                                      .render_as_string(hide_password=False))
        try:
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE application_name = 'handbook-budget' AND datname = current_database()")
        finally:
            await admin.close()
        assert await b.acquire(True)  # a new connection at once, or a local grant meanwhile
        clock_now[0] += budget_mod.RETRY_S
        assert await b.acquire(True) and not b.down  # the engine counts again
    finally:
        await b.close()
