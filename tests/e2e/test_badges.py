"""Party badges (issue 17) over the Bot API: the ward committee's list of the next award day, one award
recorded after its confirmation (once only), and forged presses refused."""
from __future__ import annotations

from sqlalchemy import select

from models.audit import AuditEntry
from models.demo import BADGE_50
from models.members import Award, Member
from models.party_age import next_award_day

from .test_panel import PARTY_PANEL, labels, open_panel, plain


async def _member_id(run, name: str) -> int:
    async with run.sessionmaker() as s:
        return (await s.scalars(select(Member.id).where(Member.full_name == name))).one()


async def _badges_of(run, member_id: int) -> list[tuple]:
    async with run.sessionmaker() as s:
        rows = await s.execute(select(Award.title, Award.awarded_on).where(Award.member_id == member_id))
        return [tuple(r) for r in rows if "Huy hiệu" in r[0]]


async def _refused(driver, user_id: int, message_id: int, data: str) -> str:
    answer = await driver.callback_answer(await driver.press(user_id, message_id, data=data))
    return answer.get("text") or ""


async def test_the_committee_lists_who_is_due_and_records_one_award_once(driver, personas, sandbox_run):
    officer = personas["committee_officer"]
    day = next_award_day().strftime("%d/%m/%Y")
    panel = await open_panel(driver, officer.user_id, PARTY_PANEL)
    assert any(label.startswith("🎖 Huy hiệu Đảng") for label in labels(panel)), labels(panel)

    await driver.press_button(officer.user_id, panel, "Huy hiệu Đảng")
    [listing] = await driver.wait_for_bot_messages(officer.user_id)
    text = plain(listing)
    assert f"Huy hiệu Đảng — đợt trao ngày {day}" in text
    assert f"• Đ/c {BADGE_50} (Chi bộ Tổ dân phố 5): Huy hiệu 50 năm tuổi Đảng" in text, text
    assert f"🎖 {BADGE_50} · 50 năm" in labels(listing)

    await driver.press_button(officer.user_id, listing, BADGE_50)
    [confirm] = await driver.wait_for_bot_messages(officer.user_id)
    assert f"Ghi nhận đồng chí {BADGE_50} (Chi bộ Tổ dân phố 5) được trao Huy hiệu 50 năm tuổi Đảng trong đợt ngày {day}?" \
        in plain(confirm)
    member_id = await _member_id(sandbox_run, BADGE_50)
    assert ("Huy hiệu 50 năm tuổi Đảng", next_award_day()) not in await _badges_of(sandbox_run, member_id)

    await driver.press_button(officer.user_id, confirm, "Ghi nhận")
    done = await driver.wait_for_edit(officer.user_id, confirm["message_id"])
    assert f"Đã ghi nhận: đồng chí {BADGE_50} được trao Huy hiệu 50 năm tuổi Đảng, ngày {day}." in plain(done)
    assert ("Huy hiệu 50 năm tuổi Đảng", next_award_day()) in await _badges_of(sandbox_run, member_id)
    async with sandbox_run.sessionmaker() as s:
        entry = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "badge_awarded"))).one()
    assert (entry.actor_member_id, entry.subject_member_id) == (officer.member_id, member_id)

    # The same confirmation pressed again (a second phone, a double tap): not recorded twice.
    said = await _refused(driver, officer.user_id, confirm["message_id"], f"hhy:{member_id}:50")
    assert "đã được trao huy hiệu này" in said, said
    assert len([b for b in await _badges_of(sandbox_run, member_id) if b[0] == "Huy hiệu 50 năm tuổi Đảng"]) == 1

    # The list no longer shows her.
    await driver.press_button(officer.user_id, done, "Danh sách")
    [again] = await driver.wait_for_bot_messages(officer.user_id)
    assert BADGE_50 not in plain(again)

    # Her profile now holds the badge among its awards and shows the next one.
    await driver.press(officer.user_id, again["message_id"], data=f"mp:{member_id}")
    [profile] = await driver.wait_for_bot_messages(officer.user_id)
    assert "Huy hiệu 50 năm tuổi Đảng" in plain(profile)
    assert "Huy hiệu tiếp theo: Huy hiệu 55 năm tuổi Đảng, dự kiến trao ngày" in plain(profile)


async def test_forged_and_foreign_presses_are_refused(driver, personas, sandbox_run):
    officer, secretary, old = personas["committee_officer"], personas["secretary"], personas["elderly_member"]
    member_id = await _member_id(sandbox_run, BADGE_50)
    [start] = await driver.exchange(officer.user_id, "/start")
    for forged in ("hhy:987654:50", f"hhy:{member_id}:41", f"hha:{member_id}:41", "hhy:abc", "hha:1", "hhl:x"):
        said = await _refused(driver, officer.user_id, start["message_id"], forged)
        assert "không có quyền" in said, (forged, said)
    # A badge not due: refused with the reason, nothing written.
    said = await _refused(driver, officer.user_id, start["message_id"], f"hhy:{old.member_id}:90")
    assert "chưa đến hạn" in said, said
    # A cell's secretary and a member: badges are the committee's.
    for person in (secretary, old):
        [start] = await driver.exchange(person.user_id, "/start")
        for data in ("hhl:0", f"hha:{member_id}:50", f"hhy:{member_id}:50"):
            said = await _refused(driver, person.user_id, start["message_id"], data)
            assert "không có quyền" in said, (person.key, data, said)
    assert await _badges_of_50(sandbox_run, member_id) == []
    async with sandbox_run.sessionmaker() as s:
        refused = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))).all()
    assert len(refused) >= 12


async def _badges_of_50(run, member_id: int) -> list[tuple]:
    return [b for b in await _badges_of(run, member_id) if b[0] == "Huy hiệu 50 năm tuổi Đảng"]
