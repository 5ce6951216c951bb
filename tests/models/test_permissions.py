"""The one permission rule: a role on a unit covers that unit and everything below it."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from models.accounts import Account, ensure_account
from models.members import Member
from models.permissions import (
    Action,
    committee_paths,
    load_actor,
    managed_cells,
    may,
    may_act_on_unit,
    may_manage_cell,
    may_send_to,
    may_view_member,
    scope_paths,
    sending_units,
    units_for,
)
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


# --- the table: every action, every role, every unit --------------------------------------------------------------
# Each persona is a member of cell 1 of Phú Hội ("own cell"); the units are that cell, its sibling cell 2,
# the ward Phú Hội above them, and the other ward Vĩnh Ninh.
UNIT_KEYS = ("own_cell", "sibling_cell", "parent_ward", "other_ward")
OFFICER_ACTIONS = frozenset({Action.view_profile, Action.list_members, Action.invite_member, Action.manage_cell,
                             Action.view_reports, Action.award_badges, Action.review_proxy,
                             Action.decide_conversion, Action.appraise_review})  # badges and conversions: committee_paths narrows them
EVERY_ACTION = frozenset(Action)
NOTHING: frozenset = frozenset()


def _cell_only(actions):
    return {"own_cell": actions, "sibling_cell": NOTHING, "parent_ward": NOTHING, "other_ward": NOTHING}


WARD_ACTIONS = OFFICER_ACTIONS | {Action.send_to_subtree, Action.open_review, Action.decide_review}
# role → unit → the actions may() allows there.
MAY = {
    "member": {k: NOTHING for k in UNIT_KEYS},
    "secretary": _cell_only(OFFICER_ACTIONS),
    "deputy": _cell_only(OFFICER_ACTIONS),
    "ward_committee": {"own_cell": WARD_ACTIONS, "sibling_cell": WARD_ACTIONS, "parent_ward": WARD_ACTIONS,
                       "other_ward": NOTHING},
    "city_admin": {k: EVERY_ACTION for k in UNIT_KEYS},
    "ids_admin": {k: EVERY_ACTION for k in UNIT_KEYS},
}
# role → (units it may send notices and bulletins to, cells it may manage), from the same four units.
SEND_AND_MANAGE = {
    "member": (set(), set()),
    "secretary": ({"own_cell"}, {"own_cell"}),
    "deputy": ({"own_cell"}, {"own_cell"}),
    "ward_committee": ({"own_cell", "sibling_cell", "parent_ward"}, {"own_cell", "sibling_cell"}),
    "city_admin": (set(UNIT_KEYS), {"own_cell", "sibling_cell"}),
    "ids_admin": (set(UNIT_KEYS), {"own_cell", "sibling_cell"}),
}
# role → (the topmost unit of units_for() for the officer actions, for send_to_subtree, for grant_roles;
#         sending_units(); managed_cells()). "city" is the root; "other_cell" the cell of Vĩnh Ninh.
TOPS = {
    "member": ([], [], [], [], []),
    "secretary": (["own_cell"], [], [], ["own_cell"], ["own_cell"]),
    "deputy": (["own_cell"], [], [], ["own_cell"], ["own_cell"]),
    "ward_committee": (["parent_ward"], ["parent_ward"], [], ["parent_ward"], ["own_cell", "sibling_cell"]),
    "city_admin": (["city"], ["city"], ["city"], ["city"], ["own_cell", "sibling_cell", "other_cell"]),
    "ids_admin": (["city"], ["city"], ["city"], ["city"], ["own_cell", "sibling_cell", "other_cell"]),
}
PERSONA_ID = 500
ROLE_OF = {"secretary": RoleKind.secretary, "deputy": RoleKind.deputy, "ward_committee": RoleKind.committee,
           "city_admin": RoleKind.admin}


async def persona(session, w: Ward, role: str):
    """A member of the own cell holding `role` (ids_admin: named by HANDBOOK_ADMIN_IDS, no role in the database)."""
    member = Member(full_name="Đặng Thị Thu", cell_id=w.cell1.id)
    session.add(member)
    await session.flush()
    session.add(Account(telegram_user_id=PERSONA_ID, member_id=member.id))
    unit = {"secretary": w.cell1, "deputy": w.cell1, "ward_committee": w.ward, "city_admin": w.city}.get(role)
    if unit is not None:
        await grant(session, member.id, unit.id, ROLE_OF[role])
    await session.flush()
    return await load_actor(session, PERSONA_ID, frozenset({PERSONA_ID}) if role == "ids_admin" else frozenset())


@pytest.mark.parametrize("role", list(MAY))
async def test_every_action_by_role_and_unit(session, ward, role):
    actor = await persona(session, ward, role)
    units = {"own_cell": ward.cell1, "sibling_cell": ward.cell2, "parent_ward": ward.ward, "other_ward": ward.other_ward}
    by_path = {u.path: k for k, u in units.items()} | {ward.city.path: "city", ward.other_cell.path: "other_cell"}
    name = lambda found: [by_path[u.path] for u in found]  # noqa: E731

    assert {k: {a for a in Action if may(actor, a, u.path)} for k, u in units.items()} == MAY[role]
    # The same answer from the unit's id, as a button carries it (an unknown id: nobody).
    on_unit = {k: {a for a in Action if await may_act_on_unit(session, actor, a, u.id) is not None}
               for k, u in units.items()}
    assert on_unit == MAY[role]
    assert [await may_act_on_unit(session, actor, a, 987654) for a in Action] == [None] * len(Action)

    send, manage = SEND_AND_MANAGE[role]
    assert {k for k, u in units.items() if may_send_to(actor, u)} == send
    assert {k for k, u in units.items() if may_manage_cell(actor, u)} == manage

    officer_top, subtree_top, grant_top, sending_top, cells = TOPS[role]
    for action in OFFICER_ACTIONS:
        assert name(await units_for(session, actor, action)) == officer_top, action
        paths = scope_paths(actor, action)
        expected_paths = None if role.endswith("admin") else [units[k].path for k in officer_top]
        assert paths == expected_paths, action
    assert name(await units_for(session, actor, Action.send_to_subtree)) == subtree_top
    assert name(await units_for(session, actor, Action.grant_roles)) == grant_top
    assert name(await sending_units(session, actor)) == sending_top
    assert name(await managed_cells(session, actor)) == cells
    # Badges are a committee's: a role on a cell gives no unit to award them in.
    badges = committee_paths(actor, Action.award_badges)
    assert badges == (None if role.endswith("admin") else [units[k].path for k in officer_top if k != "own_cell"])


async def test_an_administrator_with_a_role_still_acts_everywhere(session, ward):
    """HANDBOOK_ADMIN_IDS and a cell role: the scopes start at the roots, as may() and the cells managed do."""
    actor = await load_actor(session, SECRETARY, frozenset({SECRETARY}))
    assert actor.is_admin and [r.unit_id for r in actor.roles] == [ward.cell1.id]
    for action in Action:
        assert [u.id for u in await units_for(session, actor, action)] == [ward.city.id]
        assert scope_paths(actor, action) is None
    assert [u.id for u in await sending_units(session, actor)] == [ward.city.id]


async def test_sending_units_keep_a_cell_inside_a_ward_the_role_cannot_send_to(session, ward):
    """A ward's deputy may not send to the whole ward; as secretary of cell 2 they still send to that cell."""
    lam = ward.members["cell2"]
    await grant(session, lam.id, ward.ward.id, RoleKind.deputy)
    await grant(session, lam.id, ward.cell2.id, RoleKind.secretary)
    session.add(Account(telegram_user_id=SECRETARY + 100, member_id=lam.id))
    await session.flush()
    actor = await load_actor(session, SECRETARY + 100)
    assert [u.id for u in await sending_units(session, actor)] == [ward.cell2.id]
    # Where a choice of unit starts for everything else: the ward, which covers the cell.
    assert [u.id for u in await units_for(session, actor, Action.manage_cell)] == [ward.ward.id]


async def test_managed_cells_limit_counts_cells(session):
    """Units that are not cells, first in the tree's order, do not use up the limit."""
    city = await add_unit(session, "Đảng bộ thành phố Huế", UnitKind.city)
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward, city)
    for n in range(5):
        await add_unit(session, f"Đảng bộ cơ sở {n}", UnitKind.grassroots, ward)
    cell = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    admin = await load_actor(session, ADMIN, frozenset({ADMIN}))
    assert [u.id for u in await managed_cells(session, admin, limit=1)] == [cell.id]
