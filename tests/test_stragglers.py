"""tests/stragglers.py: what the end-to-end teardown does with tasks a bot run left behind."""
from __future__ import annotations

import asyncio

from tests.stragglers import end_stragglers


async def test_a_task_that_swallows_one_cancellation_is_ended_and_logged(caplog):
    before = asyncio.all_tasks()

    async def stubborn_once() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            pass  # swallowed: the loop's close would wait on the next sleep for ever
        await asyncio.sleep(60)

    task = asyncio.create_task(stubborn_once(), name="stubborn-once")
    await asyncio.sleep(0)
    assert await end_stragglers(before, grace_s=5) == []
    assert task.cancelled()
    assert "stubborn-once" in caplog.text


async def test_a_task_that_never_ends_is_named_with_where_it_waits():
    before = asyncio.all_tasks()
    done = False

    async def deaf() -> None:
        while not done:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                pass

    task = asyncio.create_task(deaf(), name="deaf-task")
    await asyncio.sleep(0)
    stuck = await end_stragglers(before, grace_s=1.2)
    done = True
    task.cancel()
    await task
    assert len(stuck) == 1 and stuck[0].startswith("deaf-task would not end") and "in deaf" in stuck[0]


async def test_nothing_left_is_nothing_said(caplog):
    before = asyncio.all_tasks()
    await asyncio.create_task(asyncio.sleep(0))
    assert await end_stragglers(before) == [] and caplog.text == ""
