"""models.paper: the members of a cell who get a message on paper (no Telegram account linked)."""
from __future__ import annotations

from datetime import UTC, datetime

from models.accounts import Account
from models.members import Member
from models.paper import PaperMember, members_without_telegram
from models.units import UnitKind, add_unit


async def _cells(session):
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
    cell = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    other = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, ward)
    return ward, cell, other


async def _member(session, name, cell, *, telegram_id=None, unreachable=False):
    member = Member(full_name=name, cell_id=cell.id)
    session.add(member)
    await session.flush()
    if telegram_id is not None:
        session.add(Account(telegram_user_id=telegram_id, member_id=member.id,
                            unreachable_at=datetime(2026, 1, 1, tzinfo=UTC) if unreachable else None))
    return member


async def test_the_members_without_an_account_in_vietnamese_order(session):
    ward, cell, other = await _cells(session)
    duc = await _member(session, "Trần Văn Đức", cell)
    await _member(session, "Phạm Minh Hùng", cell, telegram_id=200001)
    dung = await _member(session, "Nguyễn Văn Dũng", cell)
    anh = await _member(session, "Lê Thị Ánh", cell)
    nhung = await _member(session, "Nguyễn Thị Hồng Nhung", cell)
    await _member(session, "Hoàng Văn An", other)  # another cell
    await _member(session, "Võ Thị Bích", ward)  # the committee above, not the cell
    session.add(Account(telegram_user_id=200009))  # an account linked to nobody changes nothing
    await session.commit()

    got = await members_without_telegram(session, cell.id)
    # By given name: Ánh, Dũng, Đức (đ after d), Nhung.
    assert got == [PaperMember(anh.id, "Lê Thị Ánh"), PaperMember(dung.id, "Nguyễn Văn Dũng"),
                   PaperMember(duc.id, "Trần Văn Đức"), PaperMember(nhung.id, "Nguyễn Thị Hồng Nhung")]
    assert [m.full_name for m in await members_without_telegram(session, other.id)] == ["Hoàng Văn An"]


async def test_a_linked_member_who_blocked_the_bot_is_still_linked(session):
    _, cell, _ = await _cells(session)
    await _member(session, "Lê Thị Thu", cell, telegram_id=200002, unreachable=True)
    await session.commit()
    assert await members_without_telegram(session, cell.id) == []


async def test_a_cell_of_nobody_and_an_unknown_cell_give_nobody(session):
    _, cell, _ = await _cells(session)
    await session.commit()
    assert await members_without_telegram(session, cell.id) == []
    assert await members_without_telegram(session, 987654) == []


async def test_it_only_reads(session):
    _, cell, _ = await _cells(session)
    await _member(session, "Lê Thị Thu", cell)
    await session.commit()
    await members_without_telegram(session, cell.id)
    assert not session.new and not session.dirty and not session.deleted
