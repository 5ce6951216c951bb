"""Party badges beyond the ordinary list (issue 17) over the Bot API: the ward officer opens a member's badge
record from the member's card, records a period out of the party by buttons (kind, from and until on calendars)
and sees the party age recomputed, proposes the badge early for serious illness, downloads the declaration list
(.docx) and finds the member in it, marked early; forged presses are refused."""
from __future__ import annotations

import io
from datetime import timedelta

import docx
from sqlalchemy import delete, select

from models.audit import AuditEntry
from models.badge_awards import BadgeProposal
from models.members import Award, Member, PartyGap
from models.party_age import add_months, next_award_day

from .test_panel import labels, plain


def _day_button(msg: dict, day: int) -> str:
    """The callback data of a calendar's day (its label: the day, marked when it is today or suggested)."""
    for row in msg["reply_markup"]["inline_keyboard"]:
        for b in row:
            if b["text"].strip("•★") == str(day) and not b["callback_data"].startswith("noop"):
                return b["callback_data"]
    raise AssertionError(f"no day {day}: {labels(msg)}")


async def test_a_gap_by_buttons_an_early_award_and_the_declaration_list(driver, personas, sandbox_run):
    officer, member = personas["committee_officer"], personas["elderly_member"]
    day = next_award_day()
    joined = add_months(add_months(day, 6), -12 * 30)  # 30 years six months after the next award day
    async with sandbox_run.sessionmaker() as s, s.begin():
        m = await s.get(Member, member.member_id)
        m.joined_on, m.official_on = joined, joined + timedelta(days=365)
        await s.execute(delete(Award).where(Award.member_id == m.id, Award.title.like("Huy hiệu%")))
        await s.execute(delete(PartyGap).where(PartyGap.member_id == m.id))
        name = m.full_name

    [start] = await driver.exchange(officer.user_id, "/start")
    await driver.press(officer.user_id, start["message_id"], data=f"mp:{member.member_id}")
    [card] = await driver.wait_for_bot_messages(officer.user_id)
    await driver.press_button(officer.user_id, card, "Hồ sơ huy hiệu")
    [screen] = await driver.wait_for_bot_messages(officer.user_id)
    text = plain(screen)
    assert f"Huy hiệu Đảng — đồng chí {name}" in text, text
    assert "Tuổi Đảng: 29 năm" in text, text
    assert any("Tặng sớm Huy hiệu 30 năm (bệnh nặng)" in label for label in labels(screen)), labels(screen)

    # ➖ a period out of the party: lost contact from the 25th of the admission's month for one month
    await driver.press_button(officer.user_id, screen, "Ghi thời gian ra khỏi Đảng")
    kinds = await driver.wait_for_edit(officer.user_id, screen["message_id"])
    await driver.press_button(officer.user_id, kinds, "Mất liên lạc")
    since = await driver.wait_for_edit(officer.user_id, screen["message_id"])
    assert "từ ngày nào?" in plain(since), plain(since)
    await driver.press(officer.user_id, screen["message_id"], data=_day_button(since, 25))
    until = await driver.wait_for_edit(officer.user_id, screen["message_id"])
    assert f"từ ngày 25/{joined:%m/%Y}: đến ngày nào?" in plain(until), plain(until)
    await driver.press_button(officer.user_id, until, " ▶")
    following = await driver.wait_for_edit(officer.user_id, screen["message_id"])
    await driver.press(officer.user_id, screen["message_id"], data=_day_button(following, 25))
    shown = await driver.wait_for_edit(officer.user_id, screen["message_id"])
    end = add_months(joined.replace(day=25), 1)
    text = plain(shown)
    assert f"• 25/{joined:%m/%Y} – {end:%d/%m/%Y}: Mất liên lạc với tổ chức Đảng" in text, text
    async with sandbox_run.sessionmaker() as s:
        gaps = (await s.execute(select(PartyGap.from_on, PartyGap.until_on, PartyGap.note)
                                .where(PartyGap.member_id == member.member_id))).all()
        assert [tuple(g) for g in gaps] == [(joined.replace(day=25), end, "lost_contact")]
        assert (await s.scalars(select(AuditEntry).where(AuditEntry.action == "party_gap_recorded"))).one()
    # the next badge moves a month later: still within the early window
    assert "dự kiến trao ngày" in text

    # ⏩ the badge proposed early (serious illness)
    await driver.press_button(officer.user_id, shown, "Tặng sớm Huy hiệu 30 năm")
    proposed = await driver.wait_for_edit(officer.user_id, screen["message_id"])
    assert "Đã đề nghị tặng sớm Huy hiệu 30 năm tuổi Đảng (bệnh nặng)." in plain(proposed), plain(proposed)
    assert not any("Tặng sớm" in label for label in labels(proposed))
    async with sandbox_run.sessionmaker() as s:
        p = (await s.scalars(select(BadgeProposal).where(BadgeProposal.member_id == member.member_id))).one()
        assert (p.milestone, p.kind.value, p.award_day) == (30, "early", day)
        entry = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "badge_proposed_early"))).one()
        assert (entry.actor_member_id, entry.subject_member_id) == (officer.member_id, member.member_id)
    # pressed again (a double tap): refused with the reason, nothing written twice
    answer = await driver.callback_answer(await driver.press(officer.user_id, screen["message_id"],
                                                             data=f"hhe:{member.member_id}:30"))
    assert "đã được đề nghị" in (answer.get("text") or ""), answer

    # 📄 the declaration list of the award day, from the 🎖 list
    await driver.press(officer.user_id, start["message_id"], data="hhl:0")
    [listing] = await driver.wait_for_bot_messages(officer.user_id)
    await driver.press_button(officer.user_id, listing, "Tải danh sách đề nghị")
    [sent] = await driver.wait_for_bot_messages(officer.user_id)
    assert sent["document"]["file_name"] == f"danh-sach-huy-hieu-dang-{day.isoformat()}.docx"
    document = docx.Document(io.BytesIO(await driver.download(sent["document"])))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "DANH SÁCH ĐỀ NGHỊ TẶNG HUY HIỆU ĐẢNG" in paragraphs
    assert f"Đợt trao ngày {day:%d/%m/%Y}" in paragraphs
    rows = [[c.text for c in row.cells] for row in document.tables[1].rows]
    assert rows[0] == ["STT", "Họ và tên", "Năm sinh", "Ngày vào Đảng", "Ngày chính thức", "Tuổi Đảng",
                       "Loại huy hiệu", "Ghi chú"]
    [mine] = [r for r in rows if r[1] == name]
    assert mine[3:5] == [f"{joined:%d/%m/%Y}", f"{joined + timedelta(days=365):%d/%m/%Y}"]
    assert mine[6:] == ["Huy hiệu 30 năm tuổi Đảng", "Tặng sớm (bệnh nặng)"]

    # ✅ once given: recorded in the member's awards, dated the award day, once
    await driver.press_button(officer.user_id, proposed, "Ghi nhận đã trao Huy hiệu 30 năm")
    given = await driver.wait_for_edit(officer.user_id, screen["message_id"])
    assert not any("Ghi nhận đã trao" in label for label in labels(given)), labels(given)
    async with sandbox_run.sessionmaker() as s:
        awards = (await s.execute(select(Award.title, Award.awarded_on)
                                  .where(Award.member_id == member.member_id, Award.title.like("Huy hiệu%")))).all()
    assert [tuple(a) for a in awards] == [("Huy hiệu 30 năm tuổi Đảng", day)]
    answer = await driver.callback_answer(await driver.press(officer.user_id, screen["message_id"],
                                                             data=f"hhr:{member.member_id}:30"))
    assert "đã được trao huy hiệu này" in (answer.get("text") or ""), answer


async def test_forged_badge_screen_presses_are_refused(driver, personas, sandbox_run):
    officer, secretary = personas["committee_officer"], personas["secretary"]
    member_id = personas["elderly_member"].member_id
    [start] = await driver.exchange(officer.user_id, "/start")
    for forged in ("hhc:987654", f"hhe:{member_id}:31", f"hhu:{member_id}:lost_contact:20010231:open",
                   f"hhk:{member_id}:moon", "hhw:1", f"hhz:{member_id}:20261331"):
        answer = await driver.callback_answer(await driver.press(officer.user_id, start["message_id"], data=forged))
        assert "không có quyền" in (answer.get("text") or ""), (forged, answer)
    # a date of death in the future: refused with the reason
    future = (next_award_day() + timedelta(days=400)).strftime("%Y%m%d")
    answer = await driver.callback_answer(await driver.press(officer.user_id, start["message_id"],
                                                             data=f"hhz:{member_id}:{future}"))
    assert "Ngày từ trần không hợp lệ" in (answer.get("text") or ""), answer
    [start] = await driver.exchange(secretary.user_id, "/start")
    for data in (f"hhs:{member_id}", f"hhg:{member_id}", "hhw"):
        answer = await driver.callback_answer(await driver.press(secretary.user_id, start["message_id"], data=data))
        assert "không có quyền" in (answer.get("text") or ""), (data, answer)
    async with sandbox_run.sessionmaker() as s:
        assert (await s.get(Member, member_id)).deceased_on is None
