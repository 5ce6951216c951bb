"""Linking a Telegram account to a member: invite codes and shared contacts."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import audit, clock
from models.accounts import (
    WRONG_CODE_LIMIT,
    WRONG_CODE_WINDOW,
    Account,
    Invite,
    LinkAttempt,
    LinkOutcome,
    account_of_member,
    create_invite,
    ensure_account,
    link_by_contact,
    link_by_invite,
    revoke_invites,
)
from models.members import Member
from models.units import UnitKind, add_unit

ALICE, BOB, CAROL = 1001, 1002, 1003


@pytest.fixture
async def people(session):
    """A cell with three members; two of them share a landline."""
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
    cell = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    members = [
        Member(full_name="Nguyễn Thị Hồng Nhung", phone="+84905111222", cell_id=cell.id),
        Member(full_name="Lê Văn Bảy", phone="+84234382212", cell_id=cell.id),
        Member(full_name="Lê Thị Bảy", phone="+84234382212", cell_id=cell.id),
        Member(full_name="Trần Văn Lâm", phone="+84905111333", cell_id=cell.id),
    ]
    session.add_all(members)
    await session.flush()
    return members


async def linked_member(session, telegram_user_id: int) -> int | None:
    return await session.scalar(select(Account.member_id).where(Account.telegram_user_id == telegram_user_id))


# ---------------------------------------------------------------- invites


async def test_invite_stores_only_the_hash(session, people):
    clock.freeze(clock.now())
    nhung = people[0]
    code = await create_invite(session, nhung.id)
    assert len(code) == 12
    invite = (await session.scalars(select(Invite))).one()
    assert invite.code_hash == hashlib.sha256(code.encode()).hexdigest()
    stored = [str(v) for row in await session.execute(select(Invite.__table__)) for v in row]
    stored += [str(v) for row in await session.execute(select(audit.AuditEntry.__table__)) for v in row]
    assert not any(code in value for value in stored)
    assert invite.expires_at - invite.created_at == timedelta(days=7)


async def test_link_by_invite(session, people):
    nhung = people[0]
    code = await create_invite(session, nhung.id)
    # Read aloud and retyped: case, spaces and dashes do not matter.
    typed = f" {code[:4].lower()}-{code[4:8]} {code[8:]} "
    result = await link_by_invite(session, ALICE, typed)
    assert (result.outcome, result.member_id) == (LinkOutcome.linked, nhung.id)
    assert await linked_member(session, ALICE) == nhung.id
    assert (await session.get(Invite, 1)).used_by_telegram_id == ALICE
    assert [e.subject_member_id for e in await audit.entries(session, "linked_by_invite")] == [nhung.id]
    again = await link_by_invite(session, ALICE, code)
    assert again.outcome is LinkOutcome.already_linked


async def test_wrong_code(session, people):
    await create_invite(session, people[0].id)
    result = await link_by_invite(session, ALICE, "AAAABBBBCCCC")
    assert result.outcome is LinkOutcome.wrong_code and result.member_id is None
    assert await linked_member(session, ALICE) is None
    assert await session.scalar(select(func.count()).select_from(LinkAttempt)) == 1
    assert len(await audit.entries(session, "link_refused")) == 1


async def test_expired_code(session, people):
    code = await create_invite(session, people[0].id)
    clock.advance(timedelta(days=8))
    assert (await link_by_invite(session, ALICE, code)).outcome is LinkOutcome.expired
    assert await linked_member(session, ALICE) is None


async def test_code_used_by_another_account(session, people):
    code = await create_invite(session, people[0].id)
    assert (await link_by_invite(session, ALICE, code)).outcome is LinkOutcome.linked
    assert (await link_by_invite(session, BOB, code)).outcome is LinkOutcome.used
    assert await linked_member(session, BOB) is None
    assert await linked_member(session, ALICE) == people[0].id


async def test_revoked_code(session, people):
    code = await create_invite(session, people[0].id)
    assert await revoke_invites(session, people[0].id) == 1
    assert (await link_by_invite(session, ALICE, code)).outcome is LinkOutcome.revoked


async def test_a_new_invite_revokes_older_ones(session, people):
    old = await create_invite(session, people[0].id)
    new = await create_invite(session, people[0].id)
    assert (await link_by_invite(session, ALICE, old)).outcome is LinkOutcome.revoked
    assert (await link_by_invite(session, ALICE, new)).outcome is LinkOutcome.linked


async def test_throttled_after_five_wrong_codes_then_free_after_the_window(session, people):
    code = await create_invite(session, people[0].id)
    for _ in range(WRONG_CODE_LIMIT):
        assert (await link_by_invite(session, ALICE, "WRONGWRONG22")).outcome is LinkOutcome.wrong_code
        clock.advance(timedelta(minutes=1))
    # Even the right code waits: guessing must not pay.
    blocked = await link_by_invite(session, ALICE, code)
    assert blocked.outcome is LinkOutcome.throttled
    assert timedelta(minutes=50) < blocked.retry_after <= WRONG_CODE_WINDOW
    # Another account is not slowed down by Alice's mistakes.
    assert (await link_by_invite(session, BOB, "WRONGWRONG22")).outcome is LinkOutcome.wrong_code
    clock.advance(blocked.retry_after - timedelta(seconds=30))
    assert (await link_by_invite(session, ALICE, code)).outcome is LinkOutcome.throttled
    clock.advance(timedelta(minutes=1))
    assert (await link_by_invite(session, ALICE, code)).outcome is LinkOutcome.linked


# ---------------------------------------------------------------- shared contacts


async def test_link_by_own_contact(session, people):
    result = await link_by_contact(session, ALICE, ALICE, "+84905111222")
    assert (result.outcome, result.member_id) == (LinkOutcome.linked, people[0].id)
    assert await linked_member(session, ALICE) == people[0].id
    assert len(await audit.entries(session, "linked_by_contact")) == 1


async def test_forged_contact_is_refused_and_audited(session, people):
    result = await link_by_contact(session, ALICE, BOB, "+84905111222")
    assert result.outcome is LinkOutcome.forged_contact
    assert await linked_member(session, ALICE) is None
    assert await account_of_member(session, people[0].id) is None
    forged = await audit.entries(session, "forged_contact")
    assert [e.actor_telegram_id for e in forged] == [ALICE]
    # A contact without a user id (someone else's card from the address book) is forged too.
    assert (await link_by_contact(session, ALICE, None, "+84905111222")).outcome is LinkOutcome.forged_contact


async def test_phone_not_in_the_list(session, people):
    assert (await link_by_contact(session, ALICE, ALICE, "+84909999999")).outcome is LinkOutcome.phone_unknown
    assert (await link_by_contact(session, ALICE, ALICE, None)).outcome is LinkOutcome.phone_unknown
    assert await linked_member(session, ALICE) is None


async def test_two_members_with_one_phone_are_ambiguous(session, people):
    result = await link_by_contact(session, ALICE, ALICE, "+84234382212")
    assert result.outcome is LinkOutcome.phone_ambiguous and result.member_id is None
    assert await linked_member(session, ALICE) is None


async def test_member_taken_by_contact_but_an_invite_relinks(session, people):
    nhung = people[0]
    assert (await link_by_contact(session, ALICE, ALICE, nhung.phone)).outcome is LinkOutcome.linked
    # A new phone: the contact alone may not take the member from the old account...
    taken = await link_by_contact(session, BOB, BOB, nhung.phone)
    assert (taken.outcome, taken.member_id) == (LinkOutcome.member_taken, nhung.id)
    assert await linked_member(session, BOB) is None
    # ...nor does a plain invite (made for a first link)...
    plain = await create_invite(session, nhung.id)
    assert (await link_by_invite(session, BOB, plain)).outcome is LinkOutcome.member_linked
    assert await linked_member(session, ALICE) == nhung.id
    # ...but an invite made as a confirmed re-link is proof enough, and the old account is unlinked.
    code = await create_invite(session, nhung.id, relink=True)
    assert (await link_by_invite(session, BOB, code)).outcome is LinkOutcome.linked
    assert await linked_member(session, BOB) == nhung.id
    assert await linked_member(session, ALICE) is None
    assert (await account_of_member(session, nhung.id)).telegram_user_id == BOB


async def test_one_account_cannot_hold_two_members(session, people):
    nhung, lam = people[0], people[3]
    assert (await link_by_contact(session, ALICE, ALICE, nhung.phone)).outcome is LinkOutcome.linked
    code = await create_invite(session, lam.id)
    refused = await link_by_invite(session, ALICE, code)
    assert (refused.outcome, refused.member_id) == (LinkOutcome.account_taken, nhung.id)
    by_contact = await link_by_contact(session, ALICE, ALICE, lam.phone)
    assert (by_contact.outcome, by_contact.member_id) == (LinkOutcome.already_linked, nhung.id)
    assert await linked_member(session, ALICE) == nhung.id
    assert await account_of_member(session, lam.id) is None
    # The refused invite is still good for Lâm's own account.
    assert (await link_by_invite(session, CAROL, code)).outcome is LinkOutcome.linked


async def test_ensure_account_is_idempotent(session):
    first = await ensure_account(session, ALICE, "vi")
    second = await ensure_account(session, ALICE, "en")
    assert first is second and second.language == "vi"
    assert await session.scalar(select(func.count()).select_from(Account)) == 1
