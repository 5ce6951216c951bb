"""Issue 12 §1 played over the Bot API: a cell secretary tries to take over a ward officer's account.

The demo's ward committee officer (Huỳnh Thị Mai) is a member of cell 5, whose secretary is Võ Văn
Tùng. Tùng links his own Telegram account, then asks for an invite for Mai; a stranger tries the
codes anybody could hold; the secretary of cell 1 re-links one of her own members properly.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from handlers.i18n import fmt_date, t
from models.accounts import Account, Invite
from models.audit import AuditEntry
from models.dates import VIETNAM
from models.members import Member

TUNG, STRANGER, NEW_PHONE = 300010, 300011, 300012


def plain(msg: dict) -> str:
    return msg.get("text") or ""


def buttons(msg: dict) -> list[dict]:
    return [b for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def member(run, name: str) -> Member:
    async with run.sessionmaker() as s:
        return (await s.scalars(select(Member).where(Member.full_name == name))).one()


async def account(run, telegram_user_id: int) -> Account | None:
    async with run.sessionmaker() as s:
        return await s.get(Account, telegram_user_id)


async def linked_since(run, telegram_user_id: int) -> str:
    return fmt_date((await account(run, telegram_user_id)).linked_at.astimezone(VIETNAM).date())


async def test_a_cell_secretary_cannot_take_over_the_ward_officer_in_her_cell(driver, personas, new_invite,
                                                                             sandbox_run):
    officer = personas["committee_officer"]
    tung = await member(sandbox_run, "Võ Văn Tùng")  # secretary of the officer's cell
    await driver.create_user("Tùng", id=TUNG)
    [hello] = await driver.exchange(TUNG, f"/start {await new_invite(tung.id)}")
    assert tung.full_name in plain(hello)
    card = (await member(sandbox_run, officer.name)).card_number

    [reply] = await driver.exchange(TUNG, f"/invite {card}")
    text = plain(reply)
    # He is told she is linked, since when, and that this is not his to do; no code, no button.
    assert officer.name in text and await linked_since(sandbox_run, officer.user_id) in text
    assert "cấp ủy cấp trên" in text
    assert officer.phone not in text
    assert buttons(reply) == []
    async with sandbox_run.sessionmaker() as s:
        assert (await s.scalars(select(Invite).where(Invite.member_id == officer.member_id))).all() == []
        refused = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "relink_refused"))).all()
    assert [(e.actor_member_id, e.subject_member_id) for e in refused] == [(tung.id, officer.member_id)]
    # A forged confirmation button changes nothing either.
    await driver.press(TUNG, reply["message_id"], data=f"rly:{officer.member_id}")
    [refusal] = await driver.wait_for_bot_messages(TUNG)
    assert "cấp ủy cấp trên" in plain(refusal)
    assert (await account(sandbox_run, officer.user_id)).member_id == officer.member_id


async def test_a_stranger_with_a_plain_invite_for_a_linked_member_cannot_take_it(driver, personas, new_invite,
                                                                               sandbox_run):
    officer = personas["committee_officer"]
    code = await new_invite(officer.member_id)  # e.g. made before she linked by her phone number
    await driver.create_user("Người lạ", id=STRANGER)
    [reply] = await driver.exchange(STRANGER, f"/start {code}")
    assert plain(reply) == t("vi", "link.member_linked")
    assert (await account(sandbox_run, officer.user_id)).member_id == officer.member_id
    assert (await account(sandbox_run, STRANGER)).member_id is None
    [refused] = await driver.exchange(STRANGER, "/members")
    assert officer.name not in plain(refused)
    # Nothing reached the officer: nothing happened to her.
    assert await driver.bot_messages(officer.user_id) == []


async def test_a_shared_contact_never_takes_a_linked_record(driver, personas, sandbox_run):
    elderly = personas["elderly_member"]
    await driver.create_user("Bảy", id=NEW_PHONE, phone_number=elderly.phone)
    await driver.send_contact(NEW_PHONE)
    [reply] = await driver.wait_for_bot_messages(NEW_PHONE)
    assert "mã mời" in plain(reply)
    assert (await account(sandbox_run, elderly.user_id)).member_id == elderly.member_id
    assert (await account(sandbox_run, NEW_PHONE)).member_id is None


async def test_the_secretary_relinks_a_member_who_lost_his_phone_and_the_old_account_is_told(driver, personas,
                                                                                          sandbox_run):
    secretary, elderly = personas["secretary"], personas["elderly_member"]
    # The old account reads English.
    [menu] = await driver.exchange(elderly.user_id, "/language")
    await driver.press_button(elderly.user_id, menu, "English")
    await driver.wait_for_bot_messages(elderly.user_id)

    [ask] = await driver.exchange(secretary.user_id, f"/invite {elderly.name}")
    text = plain(ask)
    assert elderly.name in text and await linked_since(sandbox_run, elderly.user_id) in text
    assert "mất điện thoại" in text and elderly.phone not in text
    assert [b["callback_data"] for b in buttons(ask)] == [f"rly:{elderly.member_id}", f"rln:{elderly.member_id}"]
    async with sandbox_run.sessionmaker() as s:
        assert (await s.scalars(select(Invite))).all() == []

    await driver.press_button(secretary.user_id, ask, "Xác nhận")
    edited = await driver.wait_for_edit(secretary.user_id, ask["message_id"])
    assert buttons(edited) == []
    [invite] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "tài khoản cũ sẽ bị ngắt kết nối" in plain(invite)
    code = next(e for e in invite["entities"] if e["type"] == "code")
    code = plain(invite)[code["offset"]:code["offset"] + code["length"]]

    await driver.create_user("Bảy mới", id=NEW_PHONE)
    [hello] = await driver.exchange(NEW_PHONE, f"/start {code}")
    assert elderly.name in plain(hello)
    assert (await account(sandbox_run, NEW_PHONE)).member_id == elderly.member_id
    assert (await account(sandbox_run, elderly.user_id)).member_id is None

    # The old account is told at once, in English: by whom, to which account, whom to call.
    [notice] = await driver.wait_for_bot_messages(elderly.user_id)
    told = plain(notice)
    assert "another Telegram account" in told
    assert "Bảy mới" in told and told.count(secretary.name) >= 1
    # The member's menu is gone with the record: the account is left with a newcomer's keyboard.
    keyboard = ((await driver.reply_keyboard(elderly.user_id)) or {}).get("keyboard")
    assert keyboard and [b.get("request_contact") for row in keyboard for b in row] == [True]
    # And it is a stranger now.
    [after] = await driver.exchange(elderly.user_id, "/profile")
    assert elderly.name not in plain(after)


async def test_cancelling_a_relink_makes_no_code(driver, personas, sandbox_run):
    secretary, elderly = personas["secretary"], personas["elderly_member"]
    [ask] = await driver.exchange(secretary.user_id, f"/invite {elderly.name}")
    await driver.press_button(secretary.user_id, ask, "Hủy")
    edited = await driver.wait_for_edit(secretary.user_id, ask["message_id"])
    assert buttons(edited) == [] and elderly.name in plain(edited)
    async with sandbox_run.sessionmaker() as s:
        assert (await s.scalars(select(Invite))).all() == []
    assert (await account(sandbox_run, elderly.user_id)).member_id == elderly.member_id


async def test_a_phone_shared_by_two_members_asks_for_the_invite_code(driver, personas, sandbox_run):
    newcomer, elderly = personas["newcomer"], personas["elderly_member"]
    async with sandbox_run.sessionmaker() as s:
        (await s.get(Member, elderly.member_id)).phone = newcomer.phone  # a shared landline
        await s.commit()
    await driver.send_contact(newcomer.user_id)
    [reply] = await driver.wait_for_bot_messages(newcomer.user_id)
    assert plain(reply) == t("vi", "link.phone_ambiguous") and "mã mời" in plain(reply)
    assert (await account(sandbox_run, newcomer.user_id)).member_id is None
    assert (await account(sandbox_run, elderly.user_id)).member_id == elderly.member_id


async def test_nor_can_she_invite_the_ward_officer_before_the_officer_is_on_telegram(driver, personas, new_invite,
                                                                                    sandbox_run):
    officer = personas["committee_officer"]
    async with sandbox_run.sessionmaker() as s:  # the officer has not linked yet
        await s.delete(await s.get(Account, officer.user_id))
        await s.commit()
    tung = await member(sandbox_run, "Võ Văn Tùng")
    await driver.create_user("Tùng", id=TUNG)
    await driver.exchange(TUNG, f"/start {await new_invite(tung.id)}")
    card = (await member(sandbox_run, officer.name)).card_number
    [reply] = await driver.exchange(TUNG, f"/invite {card}")
    assert plain(reply) == re.sub("<[^>]+>", "", t("vi", "invite.role_outside", name=officer.name))
    assert "start=" not in plain(reply) and buttons(reply) == []
    async with sandbox_run.sessionmaker() as s:
        assert (await s.scalars(select(Invite).where(Invite.member_id == officer.member_id))).all() == []
