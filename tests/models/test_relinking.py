"""Moving a member's record to another Telegram account (lost phone, new account), and who may do it.

Issue 12 §1: a cell secretary could take over any member's account, even a ward officer's, by
inviting them again; a stranger redeeming the code became that officer. These tests hold the
rule without Telegram: who may re-link whom, what an invite for a linked member asks first, what
redemption refuses, and what the old account is told.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import delete, select

from models import audit, clock, conversations, deliveries
from models.accounts import Account, Invite, LinkOutcome, create_invite, link_by_contact, link_by_invite
from models.deliveries import Delivery
from models.members import Member
from models.permissions import load_actor, may_relink
from models.relinking import (
    ACCOUNT_MOVED_DELIVERY,
    AccountMove,
    InviteStep,
    move_notice,
    request_invite,
)
from models.roles import RoleKind, grant
from models.units import Unit, UnitKind, add_unit

# Telegram ids of the officers who ask, and of the members' own accounts.
SECRETARY, DEPUTY, COMMITTEE, ADMIN, ENV_ADMIN = 11, 12, 13, 14, 15
PLAIN, WARD_OFFICER, OTHER_CELL, OTHER_WARD = 21, 22, 23, 24
STRANGER, NEW_PHONE = 77, 78


@dataclass
class City:
    ward: Unit
    cell1: Unit
    cell2: Unit
    cell3: Unit
    m: dict[str, Member]


@pytest.fixture
async def city(session) -> City:
    """Huế → Phú Hội (cells 1, 2) and Vĩnh Ninh (cell 3). Cell 1 has a secretary, a deputy, a plain
    member and a member who is also a ward committee officer; the ward has a committee officer."""
    huế = await add_unit(session, "Đảng bộ thành phố Huế", UnitKind.city)
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward, huế)
    cell1 = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    cell2 = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, ward)
    other_ward = await add_unit(session, "Đảng bộ phường Vĩnh Ninh", UnitKind.ward, huế)
    cell3 = await add_unit(session, "Chi bộ Tổ dân phố 3", UnitKind.cell, other_ward)
    m = {
        "secretary": Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell1.id),
        "deputy": Member(full_name="Hoàng Văn Dũng", cell_id=cell1.id),
        "committee": Member(full_name="Huỳnh Thị Mai", cell_id=cell2.id),
        "admin": Member(full_name="Trần Quốc Toản", cell_id=cell3.id),
        "env_admin": Member(full_name="Lê Thị Hoa", cell_id=cell3.id),
        "plain": Member(full_name="Lê Văn Bảy", cell_id=cell1.id, phone="+84905111222"),
        "ward_officer": Member(full_name="Phan Văn Khải", cell_id=cell1.id, card_number="07.023234"),
        "other_cell": Member(full_name="Trần Văn Lâm", cell_id=cell2.id),
        "other_ward": Member(full_name="Võ Văn Tùng", cell_id=cell3.id),
    }
    session.add_all(m.values())
    await session.flush()
    await grant(session, m["secretary"].id, cell1.id, RoleKind.secretary)
    await grant(session, m["deputy"].id, cell1.id, RoleKind.deputy)
    await grant(session, m["committee"].id, ward.id, RoleKind.committee)
    await grant(session, m["admin"].id, huế.id, RoleKind.admin)
    await grant(session, m["ward_officer"].id, ward.id, RoleKind.committee)
    for tid, key in ((SECRETARY, "secretary"), (DEPUTY, "deputy"), (COMMITTEE, "committee"), (ADMIN, "admin"),
                     (ENV_ADMIN, "env_admin"), (PLAIN, "plain"), (WARD_OFFICER, "ward_officer"),
                     (OTHER_CELL, "other_cell"), (OTHER_WARD, "other_ward")):
        session.add(Account(telegram_user_id=tid, member_id=m[key].id, language="vi", linked_at=clock.now()))
    await session.flush()
    return City(ward, cell1, cell2, cell3, m)


ASKERS = {"secretary": SECRETARY, "deputy": DEPUTY, "committee": COMMITTEE, "admin": ADMIN, "env_admin": ENV_ADMIN}
# Who may move whose record: the asker's roles must cover the member's cell and every unit where
# the member holds a role.
MATRIX = {
    ("secretary", "plain"): True, ("secretary", "ward_officer"): False,
    ("secretary", "other_cell"): False, ("secretary", "other_ward"): False,
    ("deputy", "plain"): True, ("deputy", "ward_officer"): False,
    ("deputy", "other_cell"): False, ("deputy", "other_ward"): False,
    ("committee", "plain"): True, ("committee", "ward_officer"): True,
    ("committee", "other_cell"): True, ("committee", "other_ward"): False,
    ("admin", "plain"): True, ("admin", "ward_officer"): True,
    ("admin", "other_cell"): True, ("admin", "other_ward"): True,
    ("env_admin", "plain"): True, ("env_admin", "ward_officer"): True,
    ("env_admin", "other_cell"): True, ("env_admin", "other_ward"): True,
}


async def actor(session, key: str):
    return await load_actor(session, ASKERS[key], frozenset({ENV_ADMIN}))


@pytest.mark.parametrize(("asker", "subject"), sorted(MATRIX))
async def test_who_may_relink_whom(session, city, asker, subject):
    assert await may_relink(session, await actor(session, asker), city.m[subject].id) is MATRIX[(asker, subject)]


@pytest.mark.parametrize(("asker", "subject"), sorted(MATRIX))
async def test_an_invite_for_a_linked_member_asks_first_or_is_refused(session, city, asker, subject):
    member = city.m[subject]
    first = await request_invite(session, await actor(session, asker), member.id)
    assert first.code is None, "no code before the re-link is confirmed"
    if not MATRIX[(asker, subject)]:
        assert first.step is InviteStep.refused
        again = await request_invite(session, await actor(session, asker), member.id, confirmed=True)
        assert again.step is InviteStep.refused and again.code is None
        assert (await session.scalars(select(Invite))).all() == []
        refused = await audit.entries(session, "relink_refused")
        assert [(e.actor_member_id, e.subject_member_id) for e in refused] == [(city.m[asker].id, member.id)] * 2
        return
    assert first.step is InviteStep.confirm
    assert first.linked_at == (await session.get(Account, {"plain": PLAIN, "ward_officer": WARD_OFFICER,
                                                            "other_cell": OTHER_CELL,
                                                            "other_ward": OTHER_WARD}[subject])).linked_at
    assert (await session.scalars(select(Invite))).all() == []
    confirmed = await request_invite(session, await actor(session, asker), member.id, confirmed=True)
    assert confirmed.step is InviteStep.created and confirmed.code
    invite = (await session.scalars(select(Invite))).one()
    assert invite.relink is True and invite.created_by_member_id == city.m[asker].id
    created = await audit.entries(session, "relink_invite_created")
    assert [(e.actor_member_id, e.subject_member_id) for e in created] == [(city.m[asker].id, member.id)]


async def test_an_unlinked_member_gets_the_invite_directly(session, city):
    newcomer = Member(full_name="Đặng Thị Thu Hà", cell_id=city.cell1.id)
    session.add(newcomer)
    await session.flush()
    result = await request_invite(session, await actor(session, "secretary"), newcomer.id)
    assert result.step is InviteStep.created and result.code
    invite = (await session.scalars(select(Invite))).one()
    assert invite.relink is False
    assert (await link_by_invite(session, STRANGER, result.code)).outcome is LinkOutcome.linked


async def test_an_invite_outside_the_askers_units_is_refused(session, city):
    result = await request_invite(session, await actor(session, "secretary"), city.m["other_ward"].id)
    assert result.step is InviteStep.refused
    unlinked = Member(full_name="Ngô Văn Tài", cell_id=city.cell2.id)
    session.add(unlinked)
    await session.flush()
    result = await request_invite(session, await actor(session, "secretary"), unlinked.id)
    assert result.step is InviteStep.refused and result.code is None
    assert [e.subject_member_id for e in await audit.entries(session, "invite_refused")] == [unlinked.id]
    assert (await session.scalars(select(Invite))).all() == []


@pytest.mark.parametrize(("asker", "subject"), sorted(MATRIX))
async def test_a_first_invite_hands_over_the_members_roles_only_when_the_asker_covers_them(
        session, city, asker, subject):
    """Not yet on Telegram makes no difference: whoever redeems the code acts with the member's roles,
    so a cell secretary cannot invite a ward officer of her cell into the ward either."""
    member = city.m[subject]
    await session.execute(delete(Account).where(Account.member_id == member.id))
    result = await request_invite(session, await actor(session, asker), member.id)
    if MATRIX[(asker, subject)]:
        assert result.step is InviteStep.created and result.code and not result.relink
        return
    assert result.step is InviteStep.refused and result.code is None and not result.linked
    assert result.role_outside is (subject == "ward_officer")
    assert (await session.scalars(select(Invite))).all() == []
    assert [e.subject_member_id for e in await audit.entries(session, "invite_refused")] == [member.id]


# ---------------------------------------------------------------- redemption


async def linked_to(session, member: Member) -> list[int]:
    return list((await session.scalars(
        select(Account.telegram_user_id).where(Account.member_id == member.id))).all())


async def test_a_plain_invite_redeemed_after_the_member_got_linked_does_not_take_the_account(session, city):
    newcomer = Member(full_name="Đặng Thị Thu Hà", cell_id=city.cell1.id, phone="+84905999888")
    session.add(newcomer)
    await session.flush()
    code = await create_invite(session, newcomer.id, created_by_member_id=city.m["secretary"].id)
    # Meanwhile the newcomer links by her own phone number.
    assert (await link_by_contact(session, NEW_PHONE, NEW_PHONE, newcomer.phone)).outcome is LinkOutcome.linked
    result = await link_by_invite(session, STRANGER, code)
    assert result.outcome is LinkOutcome.member_linked
    assert await linked_to(session, newcomer) == [NEW_PHONE]
    assert (await session.get(Account, STRANGER)).member_id is None
    invite = (await session.scalars(select(Invite))).one()
    assert invite.used_at is None and invite.used_by_telegram_id is None
    assert (await session.scalars(select(AccountMove))).all() == []
    refused = await audit.entries(session, "link_refused")
    assert [e.detail for e in refused] == ['{"reason": "member_linked"}']


async def test_a_plain_invite_from_the_shell_does_not_take_a_linked_account_either(session, city):
    code = await create_invite(session, city.m["ward_officer"].id)
    assert (await link_by_invite(session, STRANGER, code)).outcome is LinkOutcome.member_linked
    assert await linked_to(session, city.m["ward_officer"]) == [WARD_OFFICER]


async def relink_code(session, asker: str, member: Member) -> str:
    result = await request_invite(session, await actor(session, asker), member.id, confirmed=True)
    assert result.step is InviteStep.created
    return result.code


async def test_an_authorised_relink_moves_the_record_and_tells_the_old_account(session, city):
    officer = city.m["ward_officer"]
    # The old account was in the middle of something, and had messages queued for it.
    await conversations.save(session, WARD_OFFICER, {"user": {"draft": "nửa chừng"}}, 0)
    await deliveries.queue(session, "notice", 5, [(officer.id, WARD_OFFICER)])
    code = await relink_code(session, "committee", officer)
    result = await link_by_invite(session, NEW_PHONE, code, account_name="Khải mới", admin_ids=frozenset())
    assert (result.outcome, result.member_id) == (LinkOutcome.linked, officer.id)
    assert await linked_to(session, officer) == [NEW_PHONE]
    old = await session.get(Account, WARD_OFFICER)
    assert old.member_id is None and old.linked_at is None
    # Its conversation is over.
    assert (await conversations.load(session, WARD_OFFICER))[0] == {}
    # What was queued for the member now goes to the member's new account.
    notice = (await session.scalars(select(Delivery).where(Delivery.kind == "notice"))).one()
    assert notice.chat_id == NEW_PHONE
    move = (await session.scalars(select(AccountMove))).one()
    assert (move.member_id, move.from_telegram_id, move.to_telegram_id) == (officer.id, WARD_OFFICER, NEW_PHONE)
    assert move.inviter_member_id == city.m["committee"].id
    told = (await session.scalars(select(Delivery).where(Delivery.kind == ACCOUNT_MOVED_DELIVERY))).one()
    assert (told.ref_id, told.chat_id) == (move.id, WARD_OFFICER)
    view = await move_notice(session, move.id)
    assert view.member_name == officer.full_name
    assert view.new_account_name == "Khải mới"
    assert view.inviter_name == city.m["committee"].full_name
    assert view.contacts == [city.m["committee"].full_name]
    moved = await audit.entries(session, "account_moved")
    assert [(e.actor_telegram_id, e.subject_member_id) for e in moved] == [(NEW_PHONE, officer.id)]


async def test_a_relink_whose_inviter_no_longer_covers_the_member_is_refused_at_redemption(session, city):
    plain = city.m["plain"]
    code = await relink_code(session, "secretary", plain)
    # Before the code is used, the member becomes a ward officer: the secretary's code no longer suffices.
    await grant(session, plain.id, city.ward.id, RoleKind.committee)
    assert (await link_by_invite(session, STRANGER, code)).outcome is LinkOutcome.member_linked
    assert await linked_to(session, plain) == [PLAIN]
    assert (await session.get(Account, STRANGER)).member_id is None


async def test_an_env_admins_relink_holds_at_redemption(session, city):
    code = await relink_code(session, "env_admin", city.m["ward_officer"])
    assert (await link_by_invite(session, NEW_PHONE, code)).outcome is LinkOutcome.member_linked
    code = await relink_code(session, "env_admin", city.m["ward_officer"])
    result = await link_by_invite(session, NEW_PHONE, code, admin_ids=frozenset({ENV_ADMIN}))
    assert result.outcome is LinkOutcome.linked
    assert await linked_to(session, city.m["ward_officer"]) == [NEW_PHONE]


async def test_a_relink_from_the_shell_names_the_cell_officers_to_call(session, city):
    plain = city.m["plain"]
    code = await create_invite(session, plain.id, relink=True)
    assert (await link_by_invite(session, NEW_PHONE, code, account_name="Bảy")).outcome is LinkOutcome.linked
    move = (await session.scalars(select(AccountMove))).one()
    view = await move_notice(session, move.id)
    assert view.inviter_name is None
    assert view.contacts == [city.m["secretary"].full_name, city.m["deputy"].full_name]


async def test_a_relink_invite_for_a_member_no_longer_linked_just_links(session, city):
    plain = city.m["plain"]
    code = await relink_code(session, "secretary", plain)
    (await session.get(Account, PLAIN)).member_id = None
    await session.flush()
    assert (await link_by_invite(session, NEW_PHONE, code)).outcome is LinkOutcome.linked
    assert (await session.scalars(select(AccountMove))).all() == []


async def test_a_shared_contact_never_moves_a_linked_record(session, city):
    plain = city.m["plain"]
    result = await link_by_contact(session, NEW_PHONE, NEW_PHONE, plain.phone)
    assert (result.outcome, result.member_id) == (LinkOutcome.member_taken, plain.id)
    assert await linked_to(session, plain) == [PLAIN]
    assert (await session.scalars(select(AccountMove))).all() == []
    assert (await session.scalars(select(Delivery))).all() == []

