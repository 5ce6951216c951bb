"""A probationary member's file kept with taps over the Bot API (issue 17): from the panel's list, the
secretary records the admission ceremony's day on a calendar, assigns a helper, ticks the course and a paper
of the conversion file; both profiles show the helper; forged and bad presses are refused in Vietnamese."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models.audit import AuditEntry
from models.dates import local_today
from models.members import Member

from .test_panel import CELL_PANEL, labels, open_panel, plain


async def _card(driver, sec, young) -> dict:
    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    await driver.press_button(sec.user_id, panel, "Hạn đảng viên dự bị")
    [listing] = await driver.wait_for_bot_messages(sec.user_id)
    await driver.press_button(sec.user_id, listing, young.name)
    return await driver.wait_for_edit(sec.user_id, listing["message_id"])


async def _tap(driver, user_id: int, msg: dict, label: str) -> dict:
    await driver.press_button(user_id, msg, label)
    return await driver.wait_for_edit(user_id, msg["message_id"])


async def test_the_secretary_keeps_the_file_with_taps(driver, personas, sandbox_run):
    sec, young, old = personas["secretary"], personas["young_member"], personas["elderly_member"]
    card = await _card(driver, sec, young)
    assert f"🌱 Đảng viên dự bị: {young.name} · Chi bộ Tổ dân phố 1" in plain(card)
    assert "Lễ kết nạp: chưa ghi" in plain(card) and "🤝 Đảng viên giúp đỡ: chưa phân công" in plain(card)
    assert "📁 Hồ sơ xét chuyển đảng viên chính thức: 0/6 giấy tờ" in plain(card)

    # The ceremony's day, on the calendar: the month of the decision comes first.
    async with sandbox_run.sessionmaker() as s:
        joined = (await s.get(Member, young.member_id)).joined_on
    calendar = await _tap(driver, sec.user_id, card, "📅 Ngày lễ kết nạp")
    assert "Chọn ngày tổ chức lễ kết nạp" in plain(calendar)
    ceremony = joined + timedelta(days=10)
    while f"dbd:{young.member_id}:{ceremony:%Y%m%d}" not in _data(calendar):
        calendar = await _tap(driver, sec.user_id, calendar, "▶")  # the next month
    await driver.press(sec.user_id, calendar["message_id"], data=f"dbd:{young.member_id}:{ceremony:%Y%m%d}")
    card = await driver.wait_for_edit(sec.user_id, card["message_id"])
    assert f"Lễ kết nạp: {ceremony:%d/%m/%Y}" in plain(card), plain(card)

    # The helper, among the cell's full members; the course; one paper of the file.
    helpers = await _tap(driver, sec.user_id, card, "🤝 Người giúp đỡ")
    assert f"🤝 {old.name}" in labels(helpers) and f"🤝 {young.name}" not in labels(helpers)
    card = await _tap(driver, sec.user_id, helpers, f"🤝 {old.name}")
    assert f"🤝 Đảng viên giúp đỡ: {old.name}" in plain(card)
    card = await _tap(driver, sec.user_id, card, "⬜ Đã học lớp đảng viên mới")
    assert "đã học (ghi ngày" in plain(card) and "✅ Đã học lớp đảng viên mới" in labels(card)
    card = await _tap(driver, sec.user_id, card, "⬜ Bản tự kiểm điểm")
    assert "1/6 giấy tờ" in plain(card) and f"✅ Bản tự kiểm điểm của đảng viên dự bị ({local_today():%d/%m/%Y})" \
        in plain(card)

    # Both profiles name the helper.
    [mine] = await driver.exchange(young.user_id, "/profile")
    assert f"🤝 Đảng viên giúp đỡ: {old.name}" in plain(mine)
    [theirs] = await driver.exchange(old.user_id, "/profile")
    assert f"🤝 Đang giúp đỡ đảng viên dự bị: {young.name}" in plain(theirs)
    async with sandbox_run.sessionmaker() as s:
        actions = (await s.scalars(select(AuditEntry.action).where(AuditEntry.subject_member_id == young.member_id,
                                                                   AuditEntry.action.like("probation_%")))).all()
    assert sorted(actions) == ["probation_ceremony", "probation_course", "probation_file_item", "probation_helper"]


def _data(msg: dict) -> list[str]:
    return [b["callback_data"] for row in msg["reply_markup"]["inline_keyboard"] for b in row]


async def test_bad_and_forged_presses(driver, personas, sandbox_run):
    sec, young, old, officer = (personas[k] for k in ("secretary", "young_member", "elderly_member",
                                                      "committee_officer"))
    card = await _card(driver, sec, young)
    m = young.member_id
    tomorrow = local_today() + timedelta(days=1)

    async def said(user_id: int, message_id: int, data: str) -> str:
        press = await driver.press(user_id, message_id, data=data)
        return (await driver.callback_answer(press))["text"]

    assert await said(sec.user_id, card["message_id"], f"dbd:{m}:{tomorrow:%Y%m%d}") == \
        "Không ghi được ngày chưa tới."
    assert "không có quyền" in await said(sec.user_id, card["message_id"], f"dbd:{m}:20270231")  # no such day: forged
    assert await said(sec.user_id, card["message_id"], f"dbd:{m}:19990101") == \
        "Ngày lễ kết nạp không thể trước ngày quyết định kết nạp."
    assert await said(sec.user_id, card["message_id"], f"dbk:{m}:{officer.member_id}") == \
        "Người giúp đỡ phải là đảng viên chính thức của cùng chi bộ."  # a member of another cell
    assert await said(sec.user_id, card["message_id"], f"dbk:{m}:{m}") == \
        "Người giúp đỡ phải là đảng viên chính thức của cùng chi bộ."
    assert await said(sec.user_id, card["message_id"], f"dbc:{old.member_id}") == \
        "Đồng chí này không còn là đảng viên dự bị."
    # A member without a role, and the ward's officer on a cell not theirs to manage? (the ward covers it: allowed)
    [home] = await driver.exchange(old.user_id, "/start")
    for data in (f"dbc:{m}", f"dbk:{m}:{old.member_id}", f"dbi:{m}:0:on", f"dbi:{m}:99:on", "dbc:abc"):
        assert "không có quyền" in await said(old.user_id, home["message_id"], data)
    async with sandbox_run.sessionmaker() as s:
        member = await s.get(Member, m)
        assert member.ceremony_on is None
        refused = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))).all()
    assert len(refused) >= 5
