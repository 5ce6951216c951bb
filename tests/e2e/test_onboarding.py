"""Onboarding over the Bot API: strangers, invite codes, shared contacts, throttling."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import select

from handlers.i18n import t
from models import clock
from models.accounts import Account, LinkAttempt
from models.audit import AuditEntry

STRANGER = 300001


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


async def test_stranger_learns_how_to_link_and_sees_nothing_else(driver, sandbox_run):
    await driver.create_user("Khách", id=STRANGER, language_code="vi")
    [reply] = await driver.exchange(STRANGER, "/start")
    assert "Chia sẻ số điện thoại" in plain(reply)
    keyboard = await driver.reply_keyboard(STRANGER)
    button = keyboard["keyboard"][0][0]
    assert button.get("request_contact") is True
    for attempt in ("/profile", "/members", "xin chào", "👤 Hồ sơ của tôi"):
        [reply] = await driver.exchange(STRANGER, attempt)
        assert plain(reply) == t("vi", "start.stranger").replace("<b>", "").replace("</b>", "")


async def test_a_strangers_first_word_may_be_a_view_their_account_is_written_first(driver, sandbox_run):
    """/profile only reads (a read-only turn); a caller met for the first time is written down all the same."""
    await driver.create_user("Guest", id=STRANGER, language_code="en-US")
    [reply] = await driver.exchange(STRANGER, "/profile")
    assert plain(reply) == t("en", "start.stranger").replace("<b>", "").replace("</b>", "")
    async with sandbox_run.sessionmaker() as s:
        account = await s.get(Account, STRANGER)
        assert account is not None and account.language == "en"


async def test_english_telegram_user_is_answered_in_english(driver):
    await driver.create_user("Guest", id=STRANGER, language_code="en-US")
    [reply] = await driver.exchange(STRANGER, "/start")
    assert "Share my phone number" in plain(reply)


async def test_link_by_invite_code_gives_menu_and_member_commands(driver, personas, new_invite, sandbox_run):
    newcomer = personas["newcomer"]
    code = await new_invite(newcomer.member_id)
    [reply] = await driver.exchange(newcomer.user_id, f"/start {code}")
    assert newcomer.name in plain(reply)
    keyboard = await driver.reply_keyboard(newcomer.user_id)
    labels = [b["text"] for row in keyboard["keyboard"] for b in row]
    assert "👤 Hồ sơ của tôi" in labels and "📅 Lịch sinh hoạt" in labels
    commands = [c["command"] for c in await driver.commands(newcomer.user_id, "vi")]
    assert "profile" in commands and "members" not in commands
    async with sandbox_run.sessionmaker() as s:
        account = await s.get(Account, newcomer.user_id)
        assert account.member_id == newcomer.member_id


async def test_officer_gets_officer_commands_after_linking(driver, personas, sandbox_run):
    secretary = personas["secretary"]
    await driver.exchange(secretary.user_id, "/start")
    # The chat's menu is set after the welcome is sent (the turn's later calls): it may come a moment after it.
    deadline = time.monotonic() + 10
    while not {"members", "invite", "profile"} <= set(commands := [
            c["command"] for c in await driver.commands(secretary.user_id, "vi")]) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert {"members", "invite", "profile"} <= set(commands)


async def test_wrong_used_and_expired_codes_are_answered_kindly(driver, personas, new_invite):
    newcomer = personas["newcomer"]
    await driver.create_user("Người lạ", id=STRANGER)
    [reply] = await driver.exchange(STRANGER, "/start WRONGCODE1234")
    assert "Mã mời không đúng" in plain(reply)

    code = await new_invite(newcomer.member_id)
    await driver.exchange(newcomer.user_id, f"/start {code}")
    [reply] = await driver.exchange(STRANGER, f"/start {code}")
    assert "đã được sử dụng" in plain(reply)

    other = await new_invite(personas["young_member"].member_id)
    clock.advance(timedelta(days=8))
    [reply] = await driver.exchange(STRANGER, f"/start {other}")
    assert "hết hạn" in plain(reply)


async def test_five_wrong_codes_in_an_hour_then_wait(driver, personas, new_invite, sandbox_run):
    await driver.create_user("Người đoán mã", id=STRANGER)
    for i in range(5):
        [reply] = await driver.exchange(STRANGER, f"/start GUESS{i:07d}")
        assert "Mã mời không đúng" in plain(reply)
    good = await new_invite(personas["newcomer"].member_id)
    [reply] = await driver.exchange(STRANGER, f"/start {good}")
    assert "đợi" in plain(reply)
    async with sandbox_run.sessionmaker() as s:
        assert (await s.get(Account, STRANGER)).member_id is None
    clock.advance(timedelta(minutes=61))
    [reply] = await driver.exchange(STRANGER, f"/start {good}")
    assert personas["newcomer"].name in plain(reply)


async def test_link_by_own_contact(driver, personas, sandbox_run):
    newcomer = personas["newcomer"]
    await driver.send_contact(newcomer.user_id)
    [reply] = await driver.wait_for_bot_messages(newcomer.user_id)
    assert newcomer.name in plain(reply)
    async with sandbox_run.sessionmaker() as s:
        assert (await s.get(Account, newcomer.user_id)).member_id == newcomer.member_id


async def test_someone_elses_contact_is_refused_and_audited(driver, personas, sandbox_run):
    newcomer = personas["newcomer"]
    await driver.create_user("Kẻ mạo danh", id=STRANGER)
    # The newcomer's own phone number, but sent by somebody else.
    await driver.send_contact(STRANGER, phone_number=newcomer.phone, user_id_in_contact=newcomer.user_id)
    [reply] = await driver.wait_for_bot_messages(STRANGER)
    assert "chính đồng chí" in plain(reply)
    await driver.send_contact(STRANGER, phone_number=newcomer.phone, user_id_in_contact=None)
    [reply] = await driver.wait_for_bot_messages(STRANGER)
    assert "chính đồng chí" in plain(reply)
    async with sandbox_run.sessionmaker() as s:
        assert (await s.get(Account, STRANGER)).member_id is None
        forged = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "forged_contact"))).all()
        assert len(forged) == 2


async def test_unknown_phone_is_refused(driver):
    await driver.create_user("Người ngoài", id=STRANGER, phone_number="+84912000999")
    await driver.send_contact(STRANGER)
    [reply] = await driver.wait_for_bot_messages(STRANGER)
    assert "chưa có trong danh sách" in plain(reply)


async def test_wrong_codes_are_stored_without_the_code(driver, sandbox_run):
    await driver.create_user("Người đoán", id=STRANGER)
    await driver.exchange(STRANGER, "/start SECRETGUESS99")
    async with sandbox_run.sessionmaker() as s:
        attempts = (await s.scalars(select(LinkAttempt))).all()
        audit_rows = (await s.scalars(select(AuditEntry))).all()
    assert len(attempts) == 1
    assert all("SECRETGUESS99" not in (a.detail or "") for a in audit_rows)


async def test_reset_demo_restores_the_personas_and_empties_the_chats(driver, personas, new_invite, sandbox_run):
    newcomer = personas["newcomer"]
    code = await new_invite(newcomer.member_id)
    await driver.exchange(newcomer.user_id, f"/start {code}")
    await sandbox_run.reset_demo()
    assert await driver.messages(newcomer.user_id) == []
    async with sandbox_run.sessionmaker() as s:
        assert (await s.get(Account, newcomer.user_id)) is None  # the newcomer is unlinked again
    [reply] = await driver.exchange(personas["elderly_member"].user_id, "/profile")
    assert sandbox_run.persona("elderly_member").name in plain(reply)


async def test_many_first_contacts_at_once_all_get_an_answer(driver, sandbox_run):
    """Each first contact writes an account: concurrent writers must not lose a turn to a lock."""
    import asyncio

    ids = [310000 + i for i in range(30)]
    for uid in ids:
        await driver.create_user(f"Khách {uid}", id=uid)
    await asyncio.gather(*(driver.send(uid, "/start") for uid in ids))
    for uid in ids:
        [reply] = await driver.wait_for_bot_messages(uid, timeout=20)
        assert "Chia sẻ số điện thoại" in plain(reply)
    async with sandbox_run.sessionmaker() as s:
        stored = (await s.scalars(select(Account.telegram_user_id).where(Account.telegram_user_id.in_(ids)))).all()
    assert sorted(stored) == ids
