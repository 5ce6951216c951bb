"""A live status refresh drawn before an officer's press never lands over what her press showed.

The dispatcher draws a sender's status (a vote's card) from the database, then sends it. If, meanwhile, her press
edited that very message (the close question in place of the card), the refresh drawn before must not be sent.
"""
from __future__ import annotations

import asyncio

from bot.dispatcher import Dispatcher
from bot.pacing import Pace


class _Session:
    async def rollback(self) -> None:
        pass


class _Sessions:
    def __call__(self):
        return self

    async def __aenter__(self) -> _Session:
        return _Session()

    async def __aexit__(self, *exc) -> None:
        return None


class _Api:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    async def call(self, method: str, params: dict) -> dict:
        self.calls.append((method, params))
        return {}


def _dispatcher(progress) -> tuple[Dispatcher, _Api]:
    api = _Api()
    d = Dispatcher(_Sessions(), api, progress={"vote": progress}, renderers={}, ticks=[])  # type: ignore[arg-type]
    d._pace = Pace(None, None)
    return d, api


def _card(chat: int, message: int) -> list[tuple[str, dict]]:
    return [("editMessageText", {"chat_id": chat, "message_id": message, "text": "card"})]


async def test_a_press_editing_the_card_while_a_refresh_is_drawn_wins() -> None:
    holder: list[Dispatcher] = []

    async def progress(session, ref_id, tz):
        holder[0].edited(42, 7)  # her press's edit leaves while the card is being drawn
        return _card(42, 7)

    d, api = _dispatcher(progress)
    holder.append(d)
    d.touch("vote", 1)
    await d._refresh_progress()
    assert api.calls == []


async def test_refreshes_go_out_when_no_press_came_after_or_another_message_was_edited() -> None:
    d, api = _dispatcher(lambda session, ref_id, tz: _async(_card(42, 7)))
    d.edited(42, 7)  # an edit before this refresh was drawn: the refresh is newer
    d.edited(42, 8)
    await asyncio.sleep(0.002)
    d.touch("vote", 1)
    await d._refresh_progress()
    assert [c[1]["message_id"] for c in api.calls] == [7]

    holder: list[Dispatcher] = []

    async def other(session, ref_id, tz):
        holder[0].edited(42, 9)  # a press on another message of the same chat
        return _card(42, 7)

    d2, api2 = _dispatcher(other)
    holder.append(d2)
    d2.touch("vote", 2)
    await d2._refresh_progress()
    assert [c[1]["message_id"] for c in api2.calls] == [7]


async def _async(value):
    return value
