"""End-to-end fixtures: the real PTB Application over HTTP against the sandbox emulator."""
from __future__ import annotations

import asyncio

import pytest

import handlers.buttons
from bot.sandbox_mode import SandboxRun
from bot.settings import Settings
from models import accounts
from models.callback_data import decoders
from sandbox import SandboxDriver
from tests.stragglers import end_stragglers

handlers.buttons.load_all()  # registers every codec

# Every callback data the end-to-end tests of this process saw the bot send (for a look at coverage).
SENT_CALLBACK_DATA: set[str] = set()


def undecodable(sent: list[str]) -> list[tuple[str, list[str]]]:
    """The callback data, of those sent, that no codec or several read, or that a codec reads but would write
    otherwise (a legacy prefix, a hand-written "007"), each with the prefixes that read it."""
    bad = []
    for data in dict.fromkeys(sent):
        codecs = decoders(data)
        if len(codecs) != 1 or codecs[0].data(*codecs[0].parse(data)) != data:
            bad.append((data, [c.prefix for c in codecs]))
    return bad


@pytest.fixture
async def sandbox_run(db_url, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    settings = Settings(database_url=db_url)
    before = asyncio.all_tasks()
    async with SandboxRun(settings, db_url) as run:
        yield run
        # Any request that broke the Bot API reference fails the test that made it.
        assert run.emulator.violations == [], run.emulator.violations
        # Every button the bot sent is read back by exactly one codec, in its current form (issue 13).
        SENT_CALLBACK_DATA.update(run.emulator.callback_data_sent)
        assert undecodable(run.emulator.callback_data_sent) == [], undecodable(run.emulator.callback_data_sent)
    # Every step of every conversation could be kept in the database (handlers/state.py).
    unkept = [r.getMessage() for r in caplog.records if r.getMessage().startswith("conversation state not stored")]
    assert unkept == [], unkept
    # Nothing of the run is left for the loop's close to wait on (tests/stragglers.py).
    stuck = await end_stragglers(before)
    assert stuck == [], "\n".join(stuck)


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
