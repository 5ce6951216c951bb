"""Reliability fixtures: a crowd of members on Telegram and the Bot API emulator on a free port."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from models import clock
from models.accounts import Account
from models.members import Member
from models.permissions import Actor, load_actor
from models.roles import RoleKind, grant
from models.units import UnitKind, add_unit
from sandbox import Emulator, start_server

SECRETARY_CHAT = 600001
FIRST_CHAT = 700001


@dataclass
class Crowd:
    cell_id: int
    secretary_id: int
    chats: list[int]  # the members' chats, the secretary's excluded

    async def actor(self, session) -> Actor:
        return await load_actor(session, SECRETARY_CHAT)


async def make_crowd(sessionmaker, members: int) -> Crowd:
    """One ward, one cell of `members` members plus its secretary, everyone on Telegram."""
    async with sessionmaker() as session:
        ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
        cell = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
        secretary = Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell.id, phone="+84905111222")
        people = [Member(full_name=f"Đảng viên số {i}", cell_id=cell.id) for i in range(members)]
        session.add_all([secretary, *people])
        await session.flush()
        await grant(session, secretary.id, cell.id, RoleKind.secretary)
        session.add(Account(telegram_user_id=SECRETARY_CHAT, member_id=secretary.id, language="vi",
                            linked_at=clock.now()))
        session.add_all(Account(telegram_user_id=FIRST_CHAT + i, member_id=m.id, language="vi", linked_at=clock.now())
                        for i, m in enumerate(people))
        await session.commit()
        return Crowd(cell.id, secretary.id, [FIRST_CHAT + i for i in range(members)])


def add_chats(emulator: Emulator, crowd: Crowd) -> None:
    emulator.add_user("Nhung", id=SECRETARY_CHAT, last_name="Nguyễn Thị Hồng")
    for chat in crowd.chats:
        emulator.add_user(f"Đảng viên {chat}", id=chat)


def bot_messages(emulator: Emulator, chat_id: int) -> list:
    return [m for m in emulator.chats[chat_id].messages.values() if m.from_bot]


@pytest.fixture
async def emulator_url():
    emulator = Emulator()
    runner, url = await start_server(emulator)
    yield emulator, url
    await runner.cleanup()
    assert emulator.violations == [], emulator.violations
