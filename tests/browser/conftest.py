"""Browser fixtures: Debian's Chromium, driven by Playwright, against the sandbox web chat page.

The browser is started once per session; every test gets a fresh sandbox (SQLite: the page is
what is under test here, the bot's database code has its own tests on both backends).
"""
from __future__ import annotations

import asyncio
import inspect
import io
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import Page, async_playwright, expect

from bot.sandbox_mode import SandboxRun
from bot.settings import Settings
from models import accounts

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 8000

expect.set_options(timeout=TIMEOUT_MS)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
                    "(apt-get install -y chromium fonts-noto-core fonts-noto-color-emoji)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox_web(tmp_path, monkeypatch):
    """The bot, the emulator and the web page (on a second port), with the demo data."""
    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    url = f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}"
    async with SandboxRun(Settings(database_url=url), url, web_port=0) as run:
        yield run
        assert run.emulator.violations == [], run.emulator.violations


class ChatPage:
    """The web chat as a trainer uses it: personas, panes, a text box, buttons."""

    def __init__(self, page: Page, run: SandboxRun):
        self.page = page
        self.run = run
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)

    async def load(self, query: str = "") -> None:
        await self.page.goto(f"{self.run.web_url}/{query}")
        await self.page.wait_for_selector("body[data-ready='1']")

    def user_id(self, key: str) -> int:
        return self.run.persona(key).user_id

    def pane(self, key: str):
        return self.page.locator(f".pane[data-chat-id='{self.user_id(key)}']")

    async def open(self, key: str):
        await self.page.click(f".persona[data-key='{key}']")
        pane = self.pane(key)
        await expect(pane).to_be_visible()
        return pane

    async def type(self, key: str, text: str) -> None:
        box = self.pane(key).locator(".text-input")
        await box.fill(text)
        await box.press("Enter")
        await expect(box).to_have_value("")

    def bot_messages(self, key: str):
        return self.pane(key).locator(".msg.bot")

    def reply_button(self, key: str, text: str):
        return self.pane(key).locator(".reply-button", has_text=text)

    async def invite_code(self, key: str) -> str:
        async with self.run.sessionmaker() as session:
            code = await accounts.create_invite(session, self.run.persona(key).member_id)
            await session.commit()
        return code

    async def shoot(self, target, name: str) -> Path:
        """A screenshot under test-artifacts/, checked to show more than a blank area."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        await target.screenshot(path=str(path))
        assert_not_blank(path.read_bytes())
        return path


async def eventually(check, timeout: float = TIMEOUT_MS / 1000):
    """Waits until the async or plain callable check() is truthy; returns its value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value or asyncio.get_running_loop().time() > deadline:
            assert value, f"still false after {timeout}s: {check}"
            return value
        await asyncio.sleep(0.05)


def assert_not_blank(png: bytes) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert image.width > 100 and image.height > 100, image.size
    assert len(colours) > 50, f"the screenshot looks blank: {len(colours)} colours"


async def _chat_page(browser, run: SandboxRun, viewport: dict):
    context = await browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(TIMEOUT_MS)
    chat = ChatPage(await context.new_page(), run)
    return context, chat


@pytest_asyncio.fixture(loop_scope="session")
async def chat(browser, sandbox_web):
    """The page at desktop size; closed before the sandbox stops (its event stream ends first)."""
    context, chat = await _chat_page(browser, sandbox_web, DESKTOP)
    await chat.load()
    yield chat
    await context.close()
    assert chat.errors == [], chat.errors


@pytest_asyncio.fixture(loop_scope="session")
async def phone_chat(browser, sandbox_web):
    context, chat = await _chat_page(browser, sandbox_web, PHONE)
    await chat.load()
    yield chat
    await context.close()
    assert chat.errors == [], chat.errors
