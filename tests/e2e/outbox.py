"""Waiting for the outbox: a broadcast reaches its members in the background, and a test that then talks to one of
them must not take a delivery for the answer to what it typed."""
from __future__ import annotations

import asyncio
import time

from sqlalchemy import or_, select

from models import clock
from models.deliveries import Delivery, DeliveryState


async def settled(run, *chat_ids: int, timeout: float = 20) -> None:
    """Returns once nothing due for these chats is waiting or being sent (later reminders may stay queued)."""
    deadline = time.monotonic() + timeout
    while True:
        async with run.sessionmaker() as s:
            busy = (await s.scalars(select(Delivery.id).where(
                Delivery.chat_id.in_(chat_ids),
                or_(Delivery.state == DeliveryState.sending,
                    (Delivery.state == DeliveryState.queued) & (Delivery.next_attempt_at <= clock.now())),
            ).limit(1))).first()
        if busy is None:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries to {chat_ids} still due after {timeout} s")
        await asyncio.sleep(0.1)
