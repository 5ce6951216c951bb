"""End-to-end fixtures: the real PTB Application over HTTP against the sandbox emulator."""
from __future__ import annotations

import pytest

from bot.sandbox_mode import SandboxRun
from bot.settings import Settings
from models import accounts
from sandbox import SandboxDriver


@pytest.fixture
async def sandbox_run(db_url, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    settings = Settings(database_url=db_url)
    async with SandboxRun(settings, db_url) as run:
        yield run
        # Any request that broke the Bot API reference fails the test that made it.
        assert run.emulator.violations == [], run.emulator.violations
    # Every step of every conversation could be kept in the database (handlers/state.py).
    unkept = [r.getMessage() for r in caplog.records if r.getMessage().startswith("conversation state not stored")]
    assert unkept == [], unkept


@pytest.fixture
async def driver(sandbox_run):
    async with SandboxDriver(sandbox_run.url) as d:
        yield d


@pytest.fixture
def personas(sandbox_run):
    return {p.key: p for p in sandbox_run.personas}


@pytest.fixture
def new_invite(sandbox_run):
    async def make(member_id: int) -> str:
        async with sandbox_run.sessionmaker() as session:
            code = await accounts.create_invite(session, member_id)
            await session.commit()
        return code

    return make
