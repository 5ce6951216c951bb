"""The conversion to full membership over the Bot API (issue 17): the secretary opens the cell's vote from the young
member's card (refused while the file is short), the full members vote — the young member only reads it — it closes
with the clock at two thirds, the ward officer records "Ngày chính thức" from the committee's panel, the member is
told and /profile shows it; forged and wrong presses are refused."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import clock, probation
from models.audit import AuditEntry
from models.conversion import Conversion
from models.dates import local_today
from models.members import Member

from .test_panel import PARTY_PANEL, labels, open_panel, plain
from .test_probation_file import _card, _tap
from .test_votes import ballot_of, link_cell, wait_for

PAPERS = ("Bản tự kiểm điểm", "Bản nhận xét của đảng viên giúp đỡ", "Nhận xét của đoàn thể", "Nhận xét của chi ủy nơi")


async def _answer(driver, user_id: int, message_id: int, data: str) -> str:
    return (await driver.callback_answer(await driver.press(user_id, message_id, data=data))).get("text") or ""


async def test_the_cell_votes_and_the_ward_makes_the_young_member_full(driver, personas, sandbox_run):
    sec, young, old, officer = (personas[k] for k in ("secretary", "young_member", "elderly_member",
                                                      "committee_officer"))
    others = await link_cell(sandbox_run, driver)  # every member of the cell on Telegram
    card = await _card(driver, sec, young)
    assert "🗳 Biểu quyết chuyển chính thức" in labels(card)
    # The file is short of its papers: refused, said why.
    said = await _answer(driver, sec.user_id, card["message_id"], f"dbv:{young.member_id}")
    assert "Hồ sơ chưa đủ để biểu quyết: còn thiếu 4 giấy tờ" in said, said
    for paper in PAPERS:
        card = await _tap(driver, sec.user_id, card, f"⬜ {paper}")
    assert "4/6 giấy tờ" in plain(card)

    ask = await _tap(driver, sec.user_id, card, "Biểu quyết chuyển chính thức")
    assert f"đề nghị công nhận đồng chí {young.name} là đảng viên chính thức" in plain(ask)
    assert "ít nhất hai phần ba" in plain(ask) and "đảng viên dự bị không biểu quyết" in plain(ask)
    card = await _tap(driver, sec.user_id, ask, "Mở biểu quyết")
    assert "Biểu quyết chuyển đảng viên chính thức đang mở" in plain(card), plain(card)
    assert "🗳 Biểu quyết chuyển chính thức" not in labels(card)
    async with sandbox_run.sessionmaker() as s:
        conversion = await s.scalar(select(Conversion).where(Conversion.member_id == young.member_id))
    # A second vote while this one is open; the secretary deciding: refused.
    said = await _answer(driver, sec.user_id, card["message_id"], f"dbw:{young.member_id}")
    assert "đang mở" in said, said
    said = await _answer(driver, sec.user_id, card["message_id"], f"dby:{conversion.id}:{local_today():%Y%m%d}")
    assert "không có quyền" in said, said
    said = await _answer(driver, sec.user_id, card["message_id"], f"dby:{conversion.id}:20270231")  # 31/02
    assert "không có quyền" in said, said

    # Seven of the ten full members agree, one does not; the young member reads it without buttons.
    voters = [old.user_id, sec.user_id, *others.values()]
    for user, choice in zip(voters, ["Đồng ý"] * 7 + ["Không đồng ý"], strict=False):
        press = await driver.press_button(user, await ballot_of(driver, user, conversion.vote_id), choice)
        assert choice in (await driver.callback_answer(press))["text"]  # recorded before the clock moves on
    reading = await wait_for(driver, young.user_id, lambda m: young.name in plain(m) and "Điều 3" in plain(m),
                             "copy to read")
    assert not (reading.get("reply_markup") or {}).get("inline_keyboard")

    clock.advance(timedelta(hours=24, minutes=1))
    result = await wait_for(driver, old.user_id, lambda m: "Kết quả biểu quyết" in plain(m), "result", timeout=20)
    assert "Được thông qua" in plain(result) and "7/10" in plain(result) and "hai phần ba" in plain(result)

    # The ward officer: the panel counts it; the decision, month 12 by default.
    panel = await open_panel(driver, officer.user_id, PARTY_PANEL)
    assert any("🎓 Công nhận đảng viên chính thức (1)" in b for b in labels(panel)), labels(panel)
    await driver.press_button(officer.user_id, panel, "Công nhận đảng viên chính thức")
    [listing] = await driver.wait_for_bot_messages(officer.user_id)
    assert young.name in plain(listing) and "đồng ý 7/10" in plain(listing)
    ask = await _tap(driver, officer.user_id, listing, f"🎓 {young.name}")
    async with sandbox_run.sessionmaker() as s:
        member = await s.get(Member, young.member_id)
        month12 = probation.deadlines(member.joined_on, local_today(), member.ceremony_on).month12
    assert f"Ngày chính thức: {month12:%d/%m/%Y}" in plain(ask)
    # A forged day before month 12: refused, nothing recorded.
    said = await _answer(driver, officer.user_id, ask["message_id"],
                         f"dby:{conversion.id}:{month12 - timedelta(days=1):%Y%m%d}")
    assert "trước ngày đủ 12 tháng dự bị" in said, said
    # Another day is picked on a calendar from month 12 to today; back to the default.
    calendar = await _tap(driver, officer.user_id, ask, "Chọn ngày khác")
    assert "Chọn ngày chính thức của đồng chí" in plain(calendar)
    days = [b["callback_data"] for row in calendar["reply_markup"]["inline_keyboard"] for b in row]
    assert f"dby:{conversion.id}:{month12:%Y%m%d}" in days
    assert f"dby:{conversion.id}:{month12 - timedelta(days=1):%Y%m%d}" not in days
    ask = await _tap(driver, officer.user_id, calendar, "Quay lại")
    done = await _tap(driver, officer.user_id, ask, "Công nhận, ngày chính thức")
    assert f"Đã công nhận đồng chí {young.name} là đảng viên chính thức từ ngày {month12:%d/%m/%Y}" in plain(done)

    told = await wait_for(driver, young.user_id, lambda m: "công nhận đồng chí là đảng viên chính thức" in plain(m),
                          "the decision")
    assert f"Ngày chính thức: {month12:%d/%m/%Y}" in plain(told)
    [profile] = await driver.exchange(young.user_id, "/profile")
    assert f"Ngày chính thức: {month12:%d/%m/%Y}" in plain(profile) and "Đảng viên dự bị" not in plain(profile)
    async with sandbox_run.sessionmaker() as s:
        assert (await s.get(Member, young.member_id)).official_on == month12
        actions = (await s.scalars(select(AuditEntry.action).where(
            AuditEntry.subject_member_id == young.member_id, AuditEntry.action.like("conversion_%")))).all()
    assert sorted(actions) == ["conversion_decided", "conversion_vote_opened"]
    # Decided once: a second press is refused; the committee's list is empty again.
    said = await _answer(driver, officer.user_id, done["message_id"], f"dby:{conversion.id}:{month12:%Y%m%d}")
    assert "đã được công nhận" in said, said
    panel = await open_panel(driver, officer.user_id, PARTY_PANEL)
    assert not any("(1)" in b and "Công nhận" in b for b in labels(panel)), labels(panel)
