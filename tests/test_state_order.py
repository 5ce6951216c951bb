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
    async def load_many_with_actor(conn, user_ids, admin_ids):
        return {user_id: (({}, 0, None), None) for user_id in user_ids}
    monkeypatch.setattr(state_module.store, "load_many_with_actor", load_many_with_actor)
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


async def test_replies_wait_for_the_step_to_be_saved_and_go_before_the_next_update_is_taken(shared):
    ctx, events = context(), []
    await shared.restore(update(1), ctx)

    async def reply():
        events.append("reply sent")
        await asyncio.sleep(0.01)

    assert shared.defer(update(1), reply)
    assert not shared.defer(update(99), reply)  # no state taken for it: the turn sends at once
    second = asyncio.create_task(shared.restore(update(2), ctx))
    await asyncio.sleep(0.02)
    assert events == [] and not second.done()
    await shared.persist(update(1), ctx)
    await asyncio.wait_for(second, 1)
    events.append("next update taken")
    assert events == ["reply sent", "next update taken"]
    await shared.persist(update(2), ctx)


async def test_a_reply_that_fails_does_not_keep_back_the_others_nor_the_lock(shared):
    ctx, sent = context(), []
    await shared.restore(update(1), ctx)

    async def broken():
        raise RuntimeError("network")

    async def fine():
        sent.append("fine")

    shared.defer(update(1), broken)
    shared.defer(update(1), fine)
    with pytest.raises(RuntimeError):
        await shared.persist(update(1), ctx)
    assert sent == ["fine"] and shared.locks == {}


async def test_the_updates_of_many_people_coming_together_are_read_in_one_query(monkeypatch):
    batches: list[list[int]] = []

    async def load_many_with_actor(conn, user_ids, admin_ids):
        batches.append(list(user_ids))
        return {u: (({"user": {"who": u}}, 1, None), SimpleNamespace(member_id=u)) for u in user_ids}
    monkeypatch.setattr(state_module.store, "load_many_with_actor", load_many_with_actor)
    shared = SharedState({})
    shared._reader = _Reader()

    def update_of(n: int, person: int):
        return SimpleNamespace(update_id=n, effective_user=SimpleNamespace(id=person),
                               effective_chat=SimpleNamespace(id=person))

    people = range(5000, 5030)
    contexts = {p: context() for p in people}
    await asyncio.gather(*(shared.restore(update_of(i, p), contexts[p]) for i, p in enumerate(people)))
    assert batches == [list(people)]  # thirty people, one query
    for i, p in enumerate(people):  # each update has its own person's state and caller
        assert contexts[p].user_data == {"who": p}
        assert shared.prefetched_actor(update_of(i, p)).member_id == p
        await shared.persist(update_of(i, p), contexts[p])
    await shared.restore(update_of(99, 5000), contexts[5000])  # alone later: a query of its own
    assert batches[-1] == [5000] and len(batches) == 2
    await shared.persist(update_of(99, 5000), contexts[5000])
    assert shared.locks == {} and shared.taken == {}
