"""models.invitations: a whole cell invited from the panel, the codes shown again while they last."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models import clock
from models.accounts import Account, Invite, LinkOutcome, create_invite, hash_code, link_by_invite
from models.invitations import REUSE_MARGIN, cell_invites, derived_code, invite_cells, unlinked_count
from models.members import Member
from models.permissions import load_actor
from models.roles import RoleKind, grant
from models.units import UnitKind, add_unit

KEY = b"k" * 32
SECRETARY, OTHER_SECRETARY, WARD_OFFICER, MEMBER = 300001, 300002, 300003, 300004


async def _world(session):
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
    cell = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    other = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, ward)
    people = {}
    for name, unit in (("Nguyễn Thị Hồng Nhung", cell), ("Trần Văn Đức", cell), ("Lê Thị Ánh", cell),
                       ("Phạm Văn Hùng", cell), ("Hoàng Văn An", other), ("Võ Thị Bích", other),
                       ("Đỗ Văn Mạnh", cell)):
        member = Member(full_name=name, cell_id=unit.id)
        session.add(member)
        await session.flush()
        people[name] = member
    for telegram_id, name in ((SECRETARY, "Nguyễn Thị Hồng Nhung"), (OTHER_SECRETARY, "Hoàng Văn An"),
                              (WARD_OFFICER, "Võ Thị Bích"), (MEMBER, "Phạm Văn Hùng")):
        session.add(Account(telegram_user_id=telegram_id, member_id=people[name].id))
    await grant(session, people["Nguyễn Thị Hồng Nhung"].id, cell.id, RoleKind.secretary)
    await grant(session, people["Hoàng Văn An"].id, other.id, RoleKind.secretary)
    await grant(session, people["Võ Thị Bích"].id, ward.id, RoleKind.committee)
    # Unlinked, and a deputy of the ward: the cell's secretary may not hand the ward's role to a new account.
    await grant(session, people["Đỗ Văn Mạnh"].id, ward.id, RoleKind.deputy)
    await session.commit()
    return ward, cell, other, people


async def test_the_cell_secretary_invites_her_unlinked_members_and_sees_them_again(session):
    _, cell, other, people = await _world(session)
    sec = await load_actor(session, SECRETARY)
    assert [u.id for u in await invite_cells(session, sec)] == [cell.id]
    assert await unlinked_count(session, sec) == 3  # Ánh, Đức, Mạnh

    who = await cell_invites(session, sec, cell.id, key=KEY)
    assert [m.full_name for m in who.members] == ["Lê Thị Ánh", "Trần Văn Đức"]  # Vietnamese order
    assert who.withheld == 1 and who.invites == []  # Mạnh holds a ward role; nothing made when only asked who
    assert await session.scalar(select(func.count(Invite.id))) == 0

    first = await cell_invites(session, sec, cell.id, key=KEY, limit=30, ttl=timedelta(days=7))
    await session.commit()
    codes = {i.full_name: i.code for i in first.invites}
    assert set(codes) == {"Lê Thị Ánh", "Trần Văn Đức"} and not any(i.reused for i in first.invites)
    stored = (await session.scalars(select(Invite).order_by(Invite.id))).all()
    assert [i.code_hash for i in stored] == [hash_code(codes["Lê Thị Ánh"]), hash_code(codes["Trần Văn Đức"])]
    assert all(codes[name] not in i.code_hash for name, i in zip(codes, stored, strict=True))  # only hashes

    # Asked again (the QR sheet after the messages): the same codes, nothing revoked, nothing new.
    clock.advance(timedelta(days=2))
    again = await cell_invites(session, sec, cell.id, key=KEY, limit=30)
    await session.commit()
    assert {i.full_name: i.code for i in again.invites} == codes and all(i.reused for i in again.invites)
    assert await session.scalar(select(func.count(Invite.id))) == 2
    assert await session.scalar(select(func.count(Invite.id)).where(Invite.revoked_at.is_not(None))) == 0

    # A page: the second member only.
    page = await cell_invites(session, sec, cell.id, key=KEY, start=1, limit=1)
    assert [(i.full_name, i.code) for i in page.invites] == [("Trần Văn Đức", codes["Trần Văn Đức"])]

    # The code works; the member is then linked and no longer invited or counted.
    result = await link_by_invite(session, 400001, codes["Lê Thị Ánh"])
    await session.commit()
    assert result.outcome is LinkOutcome.linked and result.member_id == people["Lê Thị Ánh"].id
    assert [m.full_name for m in (await cell_invites(session, sec, cell.id, key=KEY)).members] == ["Trần Văn Đức"]
    assert await unlinked_count(session, sec) == 2


async def test_a_code_near_its_end_or_made_elsewhere_is_replaced(session):
    _, cell, _, people = await _world(session)
    sec = await load_actor(session, SECRETARY)
    duc = people["Trần Văn Đức"].id
    made = await cell_invites(session, sec, cell.id, key=KEY, limit=30, ttl=timedelta(days=7))
    old = {i.member_id: i.code for i in made.invites}
    clock.advance(timedelta(days=7) - REUSE_MARGIN + timedelta(minutes=1))  # less than a day left
    renewed = await cell_invites(session, sec, cell.id, key=KEY, limit=30, ttl=timedelta(days=7))
    await session.commit()
    assert all(not i.reused and i.code != old[i.member_id] for i in renewed.invites)
    assert (await link_by_invite(session, 400002, old[duc])).outcome is LinkOutcome.revoked

    # /invite made a random code since: it cannot be shown again, so the panel replaces it.
    random_code = await create_invite(session, duc)
    after = await cell_invites(session, sec, cell.id, key=KEY, start=1, limit=1)
    await session.commit()
    assert after.invites[0].member_id == duc and after.invites[0].code != random_code
    assert (await link_by_invite(session, 400003, random_code)).outcome is LinkOutcome.revoked
    # Another key (a new HANDBOOK_SEAL_KEY): the old derived code cannot be worked out, a new one is made.
    other_key = await cell_invites(session, sec, cell.id, key=b"x" * 32, start=1, limit=1)
    assert other_key.invites[0].code != after.invites[0].code and not other_key.invites[0].reused


async def test_without_a_key_every_ask_makes_new_codes(session):
    _, cell, _, _ = await _world(session)
    sec = await load_actor(session, SECRETARY)
    first = await cell_invites(session, sec, cell.id, key=None, limit=1)
    second = await cell_invites(session, sec, cell.id, key=None, limit=1)
    assert first.invites[0].code != second.invites[0].code and not second.invites[0].reused


async def test_only_the_cells_the_officer_covers(session):
    ward, cell, other, _ = await _world(session)
    sec, other_sec = await load_actor(session, SECRETARY), await load_actor(session, OTHER_SECRETARY)
    member, officer = await load_actor(session, MEMBER), await load_actor(session, WARD_OFFICER)
    assert await cell_invites(session, other_sec, cell.id, key=KEY, limit=30) is None  # forged: not her cell
    assert await cell_invites(session, member, cell.id, key=KEY, limit=30) is None
    assert await cell_invites(session, sec, ward.id, key=KEY, limit=30) is None  # not a cell
    assert await cell_invites(session, sec, 987654, key=KEY, limit=30) is None
    assert await unlinked_count(session, member) == 0 and await invite_cells(session, member) == []
    assert await session.scalar(select(func.count(Invite.id))) == 0
    # The ward's committee covers both cells, and the ward deputy's record too.
    assert [u.id for u in await invite_cells(session, officer)] == [cell.id, other.id]
    whole = await cell_invites(session, officer, cell.id, key=KEY)
    assert [m.full_name for m in whole.members] == ["Lê Thị Ánh", "Trần Văn Đức", "Đỗ Văn Mạnh"]
    assert whole.withheld == 0
    assert (await cell_invites(session, other_sec, other.id, key=KEY)).members == []  # everyone linked


def test_derived_codes_use_the_code_alphabet_and_depend_on_every_part():
    at = clock.now()
    code = derived_code(KEY, 1, 2, at)
    assert len(code) == 12 and set(code) <= set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    others = {derived_code(KEY, 2, 2, at), derived_code(KEY, 1, 3, at), derived_code(KEY, 1, 2, at + timedelta(seconds=1)),
              derived_code(b"y" * 32, 1, 2, at)}
    assert code not in others and len(others) == 4
