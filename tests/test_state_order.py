"""One person's updates are taken one at a time and in the order they came (handlers/state.py), without a database:
the state store is replaced by an empty one."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace

import pytest

from handlers import state as state_module
from handlers.state import SharedState
from handlers.turn import SERVICES

USER, CHAT = 4242, 4242


class _Reader:
    @asynccontextmanager
    async def connect(self):
        yield None


@pytest.fixture
def shared(monkeypatch):
    async def load_with_actor(conn, user_id, admin_ids):
        return ({}, 0, None), None
    monkeypatch.setattr(state_module.store, "load_with_actor", load_with_actor)
    shared = SharedState({})
    shared._reader = _Reader()
    return shared


def update(n: int):
    return SimpleNamespace(update_id=n, effective_user=SimpleNamespace(id=USER), effective_chat=SimpleNamespace(id=CHAT))


def context():
    return SimpleNamespace(user_data={}, bot_data={SERVICES: SimpleNamespace(admin_ids=frozenset())})


async def test_an_update_released_while_the_next_one_starts_waiting_keeps_the_third_behind_the_second(shared):
    ctx = context()
    await shared.restore(update(1), ctx)  # the first update holds the person's lock
    second = asyncio.create_task(shared.restore(update(2), ctx))
    await asyncio.sleep(0)  # the second has begun to wait, in this very turn of the loop
    await shared.persist(update(1), ctx)  # the first ends: the lock passes to the second
    third = asyncio.create_task(shared.restore(update(3), ctx))
    await asyncio.sleep(0.05)
    assert second.done() and not third.done(), "the third update ran beside the second"
    await shared.persist(update(2), ctx)
    await asyncio.wait_for(third, 1)
    await shared.persist(update(3), ctx)
    assert shared.locks == {} and shared.taken == {}


async def test_a_burst_of_updates_is_taken_in_the_order_it_came(shared):
    ctx, order = context(), []

    async def one(n: int):
        await shared.restore(update(n), ctx)
        order.append(n)
        await asyncio.sleep(0.001 * (n % 3))  # the handler's own work, of unequal length
        await shared.persist(update(n), ctx)

    await asyncio.gather(*(one(n) for n in range(1, 21)))
    assert order == list(range(1, 21))
    assert shared.locks == {}
