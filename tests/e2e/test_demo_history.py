"""`handbook sandbox`'s lived-in demo (issue 15): the bot starts on a past quarter without sending any of it
again, /report of last month draws real figures, and ↺ Reset brings the same quarter back with every chat
empty (▶ Bắt đầu shows, and gives each linked persona its menu)."""
from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func, or_, select

from bot.sandbox_mode import SandboxRun
from bot.settings import Settings
from models import clock
from models.dates import VIETNAM
from models.deliveries import Delivery, DeliveryState
from models.demo_history import BLOCKED_USER_ID, month_start
from models.meetings import Meeting
from sandbox import SandboxDriver

from .conftest import undecodable


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


@pytest.fixture
async def lived_in(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    started = time.perf_counter()
    async with SandboxRun(Settings(database_url=db_url), db_url, lived_in=True) as run:
        run.start_seconds = time.perf_counter() - started
        async with SandboxDriver(run.url) as driver:
            yield run, driver
        assert run.emulator.violations == [], run.emulator.violations
        assert undecodable(run.emulator.callback_data_sent) == []


async def due(run) -> int:
    async with run.sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(Delivery).where(or_(
            Delivery.state == DeliveryState.sending,
            (Delivery.state == DeliveryState.queued) & (Delivery.next_attempt_at <= clock.now()))))


async def quiet_chats(run, driver) -> None:
    """Nothing of the past reaches any chat: the outbox has nothing due, and the dispatcher sent nothing."""
    await asyncio.sleep(1.5)  # a few of the dispatcher's rounds
    assert await due(run) == 0
    for user_id in [p.user_id for p in run.personas] + [BLOCKED_USER_ID]:
        assert [plain(m)[:150] for m in await driver.bot_messages(user_id)] == [], user_id


async def test_the_past_is_not_sent_again_and_the_report_draws_it(lived_in):
    run, driver = lived_in
    async with run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Meeting)) == 3 * 3 + 1 + 3
    await quiet_chats(run, driver)
    last = month_start(clock.now().astimezone(VIETNAM).date(), 1)
    summary, photo, sheet = await driver.exchange(run.persona("committee_officer").user_id,
                                                  f"/report {last:%m/%Y}", count=3, timeout=20)
    assert "Chi bộ đã sinh hoạt: 3/3; số buổi: 3." in plain(summary)
    assert "Tỷ lệ dự sinh hoạt: —" not in plain(summary)
    assert photo.get("photo") and sheet.get("document")


async def test_reset_brings_the_same_quarter_back(lived_in):
    run, driver = lived_in
    async with run.sessionmaker() as s:
        before = (await s.execute(select(Meeting.title, Meeting.present_count).order_by(Meeting.id))).all()
    await driver.send(run.persona("secretary").user_id, "/start")
    await driver.wait_for_bot_messages(run.persona("secretary").user_id)
    await driver._request("POST", "/demo/reset")
    async with run.sessionmaker() as s:
        after = (await s.execute(select(Meeting.title, Meeting.present_count).order_by(Meeting.id))).all()
    assert after == before
    await quiet_chats(run, driver)
    # Every chat is empty again, so the page shows ▶ Bắt đầu; what it sends gives every linked persona its menu.
    for persona in run.personas:
        if persona.linked:
            await driver.exchange(persona.user_id, "/start")
            keyboard = await driver.reply_keyboard(persona.user_id)
            assert keyboard and keyboard.get("keyboard"), persona.key
