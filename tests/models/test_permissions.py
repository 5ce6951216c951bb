"""The one permission rule: a role on a unit covers that unit and everything below it."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from models.accounts import Account, ensure_account
from models.members import Member
from models.permissions import Action, load_actor, may, may_view_member
from models.roles import RoleKind, grant
from models.units import Unit, UnitKind, add_unit

SECRETARY, OFFICER, MEMBER, NESTED, ADMIN, STRANGER = 11, 12, 13, 14, 99, 77


@dataclass
class Ward:
    city: Unit
    ward: Unit
    cell1: Unit
    cell2: Unit
    other_ward: Unit
    other_cell: Unit
    members: dict[str, Member]


@pytest.fixture
async def ward(session) -> Ward:
    """City → Phú Hội (cells 1 and 2) and Vĩnh Ninh (cell 3); a secretary, an officer, members."""
    city = await add_unit(session, "Đảng bộ thành phố Huế", UnitKind.city)
    phu_hoi = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward, city)
    cell1 = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, phu_hoi)
    cell2 = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, phu_hoi)
    vinh_ninh = await add_unit(session, "Đảng bộ phường Vĩnh Ninh", UnitKind.ward, city)
    cell3 = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, vinh_ninh)
    members = {
        "secretary": Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell1.id),
        "neighbour": Member(full_name="Lê Văn Bảy", cell_id=cell1.id),
        "cell2": Member(full_name="Trần Văn Lâm", cell_id=cell2.id),
        "officer": Member(full_name="Huỳnh Thị Mai", cell_id=cell2.id),
        "elsewhere": Member(full_name="Võ Văn Tùng", cell_id=cell3.id),
        "nested": Member(full_name="Phan Minh Khôi", cell_id=cell3.id),
    }
    session.add_all(members.values())
    await session.flush()
    await grant(session, members["secretary"].id, cell1.id, RoleKind.secretary)
    await grant(session, members["officer"].id, phu_hoi.id, RoleKind.committee)
    # Several roles, one inside another: committee on Phú Hội, deputy of its cell 1, secretary in Vĩnh Ninh.
    await grant(session, members["nested"].id, phu_hoi.id, RoleKind.committee)
    await grant(session, members["nested"].id, cell1.id, RoleKind.deputy)
    await grant(session, members["nested"].id, cell3.id, RoleKind.secretary)
    for telegram_id, key in ((SECRETARY, "secretary"), (OFFICER, "officer"), (MEMBER, "neighbour"), (NESTED, "nested")):
        session.add(Account(telegram_user_id=telegram_id, member_id=members[key].id))
    await session.flush()
    return Ward(city, phu_hoi, cell1, cell2, vinh_ninh, cell3, members)


async def views(session, telegram_id: int, w: Ward, admin_ids=frozenset()) -> dict[str, bool]:
    actor = await load_actor(session, telegram_id, admin_ids)
    return {key: await may_view_member(session, actor, m.id) for key, m in w.members.items()}


async def test_secretary_sees_her_cell_only(session, ward):
    seen = await views(session, SECRETARY, ward)
    assert seen == {"secretary": True, "neighbour": True, "cell2": False, "officer": False,
                    "elsewhere": False, "nested": False}
    actor = await load_actor(session, SECRETARY)
    assert may(actor, Action.manage_cell, ward.cell1.path)
    assert not may(actor, Action.manage_cell, ward.cell2.path)
    assert not may(actor, Action.send_to_subtree, ward.cell1.path)


async def test_committee_officer_sees_every_cell_below(session, ward):
    seen = await views(session, OFFICER, ward)
    assert seen == {"secretary": True, "neighbour": True, "cell2": True, "officer": True,
                    "elsewhere": False, "nested": False}
    actor = await load_actor(session, OFFICER)
    assert may(actor, Action.send_to_subtree, ward.ward.path)
    assert not may(actor, Action.send_to_subtree, ward.city.path)
    assert not may(actor, Action.grant_roles, ward.cell1.path)


async def test_member_sees_only_themself(session, ward):
    seen = await views(session, MEMBER, ward)
    assert seen == {"secretary": False, "neighbour": True, "cell2": False, "officer": False,
                    "elsewhere": False, "nested": False}
    actor = await load_actor(session, MEMBER)
    assert actor.linked and not actor.is_officer and actor.roles == []
    assert actor.cell_id == ward.cell1.id and actor.cell_path == ward.cell1.path
    assert not may(actor, Action.list_members, ward.cell1.path)


async def test_admin_by_admin_ids(session, ward):
    seen = await views(session, ADMIN, ward, admin_ids=frozenset({ADMIN}))
    assert all(seen.values())
    actor = await load_actor(session, ADMIN, frozenset({ADMIN}))
    assert actor.is_admin and actor.is_officer and not actor.linked
    assert may(actor, Action.grant_roles, ward.city.path)
    # The list only counts for the ids it names.
    assert not (await load_actor(session, STRANGER, frozenset({ADMIN}))).is_admin


async def test_admin_role_in_the_database(session, ward):
    await grant(session, ward.members["neighbour"].id, ward.city.id, RoleKind.admin)
    actor = await load_actor(session, MEMBER)
    assert actor.is_admin and all((await views(session, MEMBER, ward)).values())


async def test_officer_units_drops_nested_units(session, ward):
    actor = await load_actor(session, NESTED)
    assert {(r.kind, r.unit_id) for r in actor.roles} == {
        (RoleKind.committee, ward.ward.id), (RoleKind.deputy, ward.cell1.id), (RoleKind.secretary, ward.other_cell.id)}
    # Cell 1 lies inside Phú Hội: listing it again would show its members twice.
    assert [r.unit_id for r in actor.officer_units()] == [ward.ward.id, ward.other_cell.id]
    # Sending to a subtree is a committee's right only.
    assert [r.unit_id for r in actor.officer_units(Action.send_to_subtree)] == [ward.ward.id]


async def test_sibling_paths_are_not_nested(session, ward):
    # "/1/2/" must not cover "/1/23/": paths end with a slash for that reason.
    units = [await add_unit(session, f"Chi bộ {n}", UnitKind.cell, ward.ward) for n in range(30)]
    near = next(u for u in units if u.path.startswith(ward.cell1.path.rstrip("/")) and u.id != ward.cell1.id)
    actor = await load_actor(session, SECRETARY)
    assert not may(actor, Action.manage_cell, near.path)


async def test_unlinked_account(session, ward):
    await ensure_account(session, STRANGER, "vi")
    actor = await load_actor(session, STRANGER)
    assert (actor.telegram_user_id, actor.member_id, actor.language) == (STRANGER, None, "vi")
    assert not actor.linked and not actor.is_officer and not actor.is_admin and actor.roles == []
    assert actor.officer_units() == []
    assert not await may_view_member(session, actor, ward.members["neighbour"].id)
    # An account the bot has never met: the same, without a language.
    unknown = await load_actor(session, 123456)
    assert not unknown.linked and unknown.language is None and unknown.roles == []


async def test_missing_member(session, ward):
    actor = await load_actor(session, OFFICER)
    assert not await may_view_member(session, actor, 987654)
