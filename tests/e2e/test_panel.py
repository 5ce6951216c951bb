"""The officer's panel (issue 14): one big button opens every officer task as a button, what waits first."""
from __future__ import annotations

import pytest

from handlers.features import panel_items

CELL_PANEL, PARTY_PANEL = "🗂 Công tác chi bộ", "🗂 Công tác đảng bộ"


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


def labels(msg: dict) -> list[str]:
    return [b["text"] for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def menu_labels(driver, user_id: int) -> list[list[str]]:
    await driver.exchange(user_id, "/start")
    keyboard = await driver.reply_keyboard(user_id)
    return [[b["text"] for b in row] for row in keyboard["keyboard"]]


async def open_panel(driver, user_id: int, button: str) -> dict:
    if not await driver.reply_keyboard(user_id):
        await driver.exchange(user_id, "/start")  # the menu comes with /start
    await driver.press_reply_button(user_id, button)
    [panel] = await driver.wait_for_bot_messages(user_id)
    return panel


async def test_a_secretary_gets_the_cell_panel_on_top_of_her_menu_and_a_member_does_not(driver, personas):
    sec, old = personas["secretary"], personas["elderly_member"]
    rows = await menu_labels(driver, sec.user_id)
    assert rows[0] == [CELL_PANEL] and ["👤 Hồ sơ của tôi", "📅 Lịch sinh hoạt"] in rows
    assert all(PARTY_PANEL not in row for row in rows)
    member_rows = await menu_labels(driver, old.user_id)
    assert member_rows == rows[1:]  # the same big buttons, without the panel

    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    assert "Công tác chi bộ" in plain(panel) and "Chi bộ Tổ dân phố 1" in plain(panel)
    shown = labels(panel)
    for label in ("➕ Thông báo", "📅 Cuộc họp", "🗳 Biểu quyết", "✅ Điểm danh", "👥 Đảng viên", "📊 Báo cáo",
                  "🔊 Bản tin"):
        assert label in shown, shown
    assert any(s.startswith("📨 Góp ý chờ trả lời") for s in shown)


async def test_every_task_starts_from_its_button_without_typing_a_command(driver, personas):
    sec = personas["secretary"]
    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    await driver.press_button(sec.user_id, panel, "Thông báo")
    [ask_kind] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Đồng chí muốn gửi loại nào?" in plain(ask_kind) and labels(ask_kind)  # not read as a one-line notice
    await driver.exchange(sec.user_id, "/cancel")

    await driver.press_button(sec.user_id, panel, "Cuộc họp")
    [first_step] = await driver.wait_for_bot_messages(sec.user_id)
    assert "chọn loại buổi sinh hoạt" in plain(first_step) and labels(first_step)
    await driver.exchange(sec.user_id, "/cancel")

    await driver.press_button(sec.user_id, panel, "Đảng viên")
    [members] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Chi bộ Tổ dân phố 1" in plain(members) and "đảng viên" in plain(members)
    assert personas["elderly_member"].name in labels(members)


async def test_waiting_feedback_comes_first_with_its_count(driver, personas):
    sec, young = personas["secretary"], personas["young_member"]
    [card] = await driver.exchange(young.user_id, "/feedback Đèn đường kiệt 5 bị hỏng")
    await driver.press_button(young.user_id, card, "📨 Gửi")
    await driver.wait_for_edit(young.user_id, card["message_id"])
    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    assert labels(panel)[0] == "📨 Góp ý chờ trả lời (1)"
    assert "Góp ý chờ trả lời: 1" in plain(panel)
    await driver.press_button(sec.user_id, panel, "Góp ý chờ trả lời")
    [inbox] = await driver.wait_for_bot_messages(sec.user_id)
    assert plain(inbox)


async def test_probationary_members_due_soon_are_listed_from_the_panel(driver, personas):
    """Issue 17: the demo's young member's conversion meeting is due within 30 days: the secretary's panel and
    the ward's counts him, the list names him with the deadline and opens his profile."""
    sec, officer, young = personas["secretary"], personas["committee_officer"], personas["young_member"]
    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    assert "🌱 Hạn đảng viên dự bị (1)" in labels(panel) and "🌱 Hạn đảng viên dự bị: 1" in plain(panel)
    await driver.press_button(sec.user_id, panel, "Hạn đảng viên dự bị")
    [listing] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Đảng viên dự bị đến hạn trong 30 ngày tới: 1 đồng chí" in plain(listing)
    assert f"Đồng chí {young.name} (Chi bộ Tổ dân phố 1): hạn xét chuyển chính thức" in plain(listing)
    await driver.press_button(sec.user_id, listing, young.name)  # his file, in place of the list
    card = await driver.wait_for_edit(sec.user_id, listing["message_id"])
    assert f"Đảng viên dự bị: {young.name}" in plain(card)
    await driver.press_button(sec.user_id, card, "👤 Hồ sơ")
    [profile] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Đảng viên dự bị — đã đến kỳ xét chuyển chính thức, hạn:" in plain(profile)
    party = await open_panel(driver, officer.user_id, PARTY_PANEL)
    assert "🌱 Hạn đảng viên dự bị (1)" in labels(party)


async def test_a_committee_officer_gets_the_committee_panel(driver, personas):
    officer = personas["committee_officer"]
    rows = await menu_labels(driver, officer.user_id)
    assert rows[0] == [PARTY_PANEL]
    panel = await open_panel(driver, officer.user_id, PARTY_PANEL)
    shown = labels(panel)
    assert "Công tác đảng bộ" in plain(panel) and "➕ Thông báo" in shown and "📊 Báo cáo" in shown
    assert "🗳 Biểu quyết" not in shown and "📅 Cuộc họp" not in shown  # a cell's own business


@pytest.mark.parametrize("data", ["pn"] + sorted({item.data() for p in ("cell", "party") for item in panel_items(p)}))
async def test_a_member_pressing_any_panel_button_is_refused(driver, personas, data):
    old = personas["elderly_member"]
    [start] = await driver.exchange(old.user_id, "/start")
    press = await driver.press(old.user_id, start["message_id"], data=data)
    answer = await driver.callback_answer(press)
    replies = await driver.wait_for_bot_messages(old.user_id, timeout=3) if not answer.get("text") else []
    said = (answer.get("text") or "") + " ".join(plain(m) for m in replies)
    assert "không có quyền" in said, said


async def test_a_member_typing_panel_is_refused(driver, personas):
    old = personas["elderly_member"]
    [reply] = await driver.exchange(old.user_id, "/panel")
    assert "không có quyền" in plain(reply)
