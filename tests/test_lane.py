"""handlers/lane.py: edits behind the answers — each message ends with its latest edit, none overtakes another."""
from __future__ import annotations

import asyncio

from handlers.lane import EditLane


class Phone:
    """Messages as a member's phone shows them; each edit takes a moment to land."""

    def __init__(self) -> None:
        self.shown: dict[str, str] = {}
        self.landed: list[tuple[str, str]] = []
        self.at_once: dict[str, int] = {}
        self.most_at_once = 0
        self.overlapped: set[str] = set()  # messages with two edits on their way at the same time

    def edit(self, key: str, text: str, *, fail: bool = False):
        async def send() -> None:
            self.at_once[key] = self.at_once.get(key, 0) + 1
            if self.at_once[key] > 1:
                self.overlapped.add(key)
            self.most_at_once = max(self.most_at_once, sum(self.at_once.values()))
            try:
                await asyncio.sleep(0.002)
                if fail:
                    raise RuntimeError("Telegram said no")
                self.shown[key] = text
                self.landed.append((key, text))
            finally:
                self.at_once[key] -= 1

        return send


async def drain(lane: EditLane, tasks: list) -> None:
    while tasks:
        await asyncio.gather(*tasks)
        tasks[:] = [t for t in tasks if not t.done()]
    assert lane.idle


async def test_every_message_ends_with_its_latest_edit_and_none_is_overtaken():
    lane, phone, tasks = EditLane(workers=3), Phone(), []

    def spawn(coro):
        tasks.append(asyncio.ensure_future(coro))

    # Thirty members tap once; five of them tap again (twice) before their first edit went.
    for i in range(30):
        lane.put(f"m{i}", phone.edit(f"m{i}", "A"), spawn)
    for i in range(5):
        lane.put(f"m{i}", phone.edit(f"m{i}", "B"), spawn)
        lane.put(f"m{i}", phone.edit(f"m{i}", "C"), spawn)
    while not any(phone.at_once.values()):
        await asyncio.sleep(0)
    # Members whose edits are on their way by now tap again: the newer edit follows, never runs beside them.
    on_the_way = [k for k, n in phone.at_once.items() if n]
    assert on_the_way
    for key in on_the_way:
        lane.put(key, phone.edit(key, "D"), spawn)
    await drain(lane, tasks)

    assert phone.shown == {f"m{i}": ("C" if i < 5 else "A") for i in range(30)} | {k: "D" for k in on_the_way}
    assert phone.most_at_once <= 3 and not phone.overlapped
    assert lane.replaced == 10  # B and C of five members were never sent: only their latest went
    assert lane.sent == 30 + len(on_the_way)


async def test_one_edit_at_a_time_while_the_bot_is_busy_and_a_failed_edit_costs_the_others_nothing():
    lane, phone, tasks = EditLane(workers=4), Phone(), []
    busy = True
    for i in range(6):
        lane.put(i, phone.edit(str(i), "ok", fail=i == 2), lambda c: tasks.append(asyncio.ensure_future(c)),
                 lambda: busy)
    while len(phone.landed) < 3:
        await asyncio.sleep(0.001)
    assert phone.most_at_once == 1
    busy = False
    await drain(lane, tasks)
    assert phone.shown == {str(i): "ok" for i in range(6) if i != 2}
    assert lane.sent == 6 and phone.most_at_once > 1
