"""Fixtures: a running sandbox per test, a driver, and a real PTB Bot pointed at it."""
from __future__ import annotations

import pytest
import telegram

from sandbox import Emulator, SandboxDriver, start_server


@pytest.fixture
def emulator():
    return Emulator()


@pytest.fixture
async def sandbox_url(emulator):
    runner, url = await start_server(emulator)
    yield url
    await runner.cleanup()
    # A request that broke the Bot API reference fails the test that made it; tests that
    # provoke violations on purpose assert them and clear the list.
    assert emulator.violations == [], f"Bot API violations: {emulator.violations}"


@pytest.fixture
async def driver(sandbox_url):
    async with SandboxDriver(sandbox_url) as d:
        yield d


@pytest.fixture
async def bot(emulator, sandbox_url):
    b = telegram.Bot(emulator.token, base_url=f"{sandbox_url}/bot", base_file_url=f"{sandbox_url}/file/bot")
    async with b:
        yield b


@pytest.fixture
async def user(driver):
    return await driver.create_user("Nguyễn Thị Lan", id=100001, phone_number="+84905111222")
