"""📰 Bảng tin tháng (issue 14): from the officer's panel, this month or the last, the cell's month card as a
photo ready to forward; a committee picks the cell first; members and other cells' officers are refused."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import clock
from models.units import Unit

from .test_panel import CELL_PANEL, PARTY_PANEL, labels, open_panel, plain

BOARD = "📰 Bảng tin tháng"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # the sandbox's (bot.settings)


def months() -> tuple[date, date]:
    this = clock.now().astimezone(TZ).date().replace(day=1)
    last = date(this.year - 1, 12, 1) if this.month == 1 else this.replace(month=this.month - 1)
    return this, last


async def cell_id(sandbox_run, name: str) -> int:
    async with sandbox_run.sessionmaker() as s:
        return await s.scalar(select(Unit.id).where(Unit.name == name))


async def ask_month(driver, user_id: int, panel_button: str) -> dict:
    panel = await open_panel(driver, user_id, panel_button)
    assert BOARD in labels(panel)
    await driver.press_button(user_id, panel, BOARD)
    [question] = await driver.wait_for_bot_messages(user_id)
    return question


async def test_a_secretary_gets_her_cells_month_as_a_photo_to_forward(driver, personas):
    sec, young = personas["secretary"], personas["young_member"]
    [card] = await driver.exchange(young.user_id, "/feedback Đèn đường kiệt 5 bị hỏng")
    await driver.press_button(young.user_id, card, "📨 Gửi")
    await driver.wait_for_edit(young.user_id, card["message_id"])

    question = await ask_month(driver, sec.user_id, CELL_PANEL)
    assert "Chi bộ Tổ dân phố 1" in plain(question) and "chuyển tiếp" in plain(question)
    this, last = months()
    assert labels(question) == [f"Tháng này ({this.month:02d}/{this.year})",
                                f"Tháng trước ({last.month:02d}/{last.year})"]
    press = await driver.press_button(sec.user_id, question, "Tháng này")
    assert "bảng tin" in ((await driver.callback_answer(press)).get("text") or "")
    [photo] = await driver.wait_for_bot_messages(sec.user_id, timeout=20)
    assert photo.get("photo"), plain(photo)
    assert plain(photo) == f"📰 Bảng tin Chi bộ Tổ dân phố 1 — tháng {this.month:02d}/{this.year}"
    assert (await driver.download(photo["photo"][-1]))[:8] == b"\x89PNG\r\n\x1a\n"

    await driver.press_button(sec.user_id, question, "Tháng trước")  # the question stays: the other month
    [older] = await driver.wait_for_bot_messages(sec.user_id, timeout=20)
    assert older.get("photo") and f"tháng {last.month:02d}/{last.year}" in plain(older)


async def test_a_picture_that_cannot_be_drawn_leaves_the_figures_as_text(driver, personas, monkeypatch):
    from handlers.month_board import views

    def broken(figures, lang) -> bytes:
        raise ValueError("a drawing bug")

    monkeypatch.setattr(views, "month_card_png", broken)
    sec, young = personas["secretary"], personas["young_member"]
    [card] = await driver.exchange(young.user_id, "/feedback Nắp cống trước nhà số 12 bị vỡ")
    await driver.press_button(young.user_id, card, "📨 Gửi")
    await driver.wait_for_edit(young.user_id, card["message_id"])
    question = await ask_month(driver, sec.user_id, CELL_PANEL)
    await driver.press_button(sec.user_id, question, "Tháng này")
    note, figures = await driver.wait_for_bot_messages(sec.user_id, count=2, timeout=20)
    assert "Chưa vẽ được ảnh" in plain(note) and not figures.get("photo")
    text = plain(figures)
    for part in ("BẢNG TIN CHI BỘ", "Chi bộ Tổ dân phố 1", "Sinh hoạt chi bộ", "Thông báo, văn bản", "Biểu quyết",
                 "Ý kiến đảng viên", "đã trả lời 0/1"):
        assert part in text, (part, text)


async def test_a_committee_officer_picks_the_cell_first(driver, personas):
    officer = personas["committee_officer"]
    ask_cell = await ask_month(driver, officer.user_id, PARTY_PANEL)
    assert {"Chi bộ Tổ dân phố 1", "Chi bộ Tổ dân phố 2"} <= set(labels(ask_cell))
    await driver.press_button(officer.user_id, ask_cell, "Chi bộ Tổ dân phố 2")
    question = await driver.wait_for_edit(officer.user_id, ask_cell["message_id"])
    assert "Chi bộ Tổ dân phố 2" in plain(question)
    await driver.press_button(officer.user_id, question, "Tháng này")
    [photo] = await driver.wait_for_bot_messages(officer.user_id, timeout=20)
    assert photo.get("photo") and "Chi bộ Tổ dân phố 2" in plain(photo)


async def refused(driver, user_id: int, data: str) -> str:
    [start] = await driver.exchange(user_id, "/start")
    answer = await driver.callback_answer(await driver.press(user_id, start["message_id"], data=data))
    replies = await driver.wait_for_bot_messages(user_id, timeout=3) if not answer.get("text") else []
    return (answer.get("text") or "") + " ".join(plain(m) for m in replies)


@pytest.mark.parametrize("forged", ["mbn", "mbc:{cell}", "mbm:{cell}:{month}", "mbm:{cell}", "mbc:x"])
async def test_a_member_pressing_a_forged_button_is_refused(driver, personas, sandbox_run, forged):
    cell = await cell_id(sandbox_run, "Chi bộ Tổ dân phố 1")
    this, _ = months()
    data = forged.format(cell=cell, month=f"{this.year}{this.month:02d}")
    assert "không có quyền" in await refused(driver, personas["elderly_member"].user_id, data)


@pytest.mark.parametrize("month", ["202613", "209901", "199912", "2026-1"])
async def test_another_cell_or_a_month_that_is_not_offered_is_refused(driver, personas, sandbox_run, month):
    sec = personas["secretary"]
    other = await cell_id(sandbox_run, "Chi bộ Tổ dân phố 2")
    this, _ = months()
    assert "không có quyền" in await refused(driver, sec.user_id, f"mbm:{other}:{this.year}{this.month:02d}")
    assert "không có quyền" in await refused(driver, sec.user_id, f"mbc:{other}")
    own = await cell_id(sandbox_run, "Chi bộ Tổ dân phố 1")
    assert "không có quyền" in await refused(driver, sec.user_id, f"mbm:{own}:{month}")
