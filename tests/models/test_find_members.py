"""find_members: what /invite and `handbook invite` look a member up by (card number, id or name)."""
from __future__ import annotations

import pytest

from models.members import Member, find_members
from models.units import UnitKind, add_unit


async def _one_member(session) -> Member:
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
    cell = await add_unit(session, "Chi bộ Tổ 1", UnitKind.cell, ward)
    member = Member(full_name="Lê Thị Thu", cell_id=cell.id, card_number="07.023234")
    session.add(member)
    await session.commit()
    return member


async def test_a_member_is_found_by_card_id_or_name(session):
    member = await _one_member(session)
    for query in ("07.023234", str(member.id), "thị thu", " Lê Thị "):
        assert [m.id for m in await find_members(session, query)] == [member.id], query


@pytest.mark.parametrize("query", ["²", "①", "1²"])
async def test_a_query_of_digits_int_refuses_finds_nobody(session, query):
    """Regression: "/invite ²" passed str.isdigit() and int("²") raised ValueError."""
    await _one_member(session)
    assert await find_members(session, query) == []


@pytest.mark.parametrize("query", ["2147483648", "99999999999"])
async def test_a_number_past_the_id_column_finds_nobody(session, query):
    """Regression: "/invite 99999999999" was compared with members.id; PostgreSQL refused the query
    (value out of int32 range)."""
    await _one_member(session)
    assert await find_members(session, query) == []
