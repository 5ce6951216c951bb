"""The officer's weekly to-do over the Bot API: the Monday message with a button per line, and the panel's page
that shows it now and turns the Monday message off. The clock the bot reads is moved, never slept on."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, time, timedelta

import pytest

from bot.sandbox_mode import SandboxRun
from bot.settings import Settings
from models import clock
from models.dates import VIETNAM
from sandbox import SandboxDriver

CELL_PANEL = "🗂 Công tác chi bộ"
TITLE = "Việc cần làm"


@pytest.fixture
async def sandbox_run(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    async with SandboxRun(Settings(database_url=db_url, todo_hour=7), db_url) as run:  # on, as in a real bot
        yield run
        assert run.emulator.violations == [], run.emulator.violations


@pytest.fixture
async def driver(sandbox_run):
    async with SandboxDriver(sandbox_run.url) as d:
        yield d


@pytest.fixture
def personas(sandbox_run):
    return {p.key: p for p in sandbox_run.personas}


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


def labels(msg: dict) -> list[str]:
    return [b["text"] for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def to_next_monday_7() -> None:
    local = clock.now().astimezone(VIETNAM)
    monday = local.date() + timedelta(days=7 - local.weekday())
    at = datetime.combine(monday, time(7, 0, 30), tzinfo=VIETNAM)
    clock.advance(at - clock.now())


async def todo_message(driver, user_id: int, timeout: float = 15) -> dict:
    """The to-do among whatever else the moved clock brought (reminders of the demo's meetings…)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        for msg in await driver.wait_for_bot_messages(user_id, timeout=max(0.1, end - loop.time())):
            if TITLE in plain(msg):
                return msg
    raise AssertionError("no to-do came")


async def feedback_waits(driver, member) -> None:
    [card] = await driver.exchange(member.user_id, "/feedback Đèn đường kiệt 5 bị hỏng")
    await driver.press_button(member.user_id, card, "📨 Gửi")
    await driver.wait_for_edit(member.user_id, card["message_id"])


async def open_todo_page(driver, user_id: int) -> dict:
    await driver.exchange(user_id, "/start")
    await driver.press_reply_button(user_id, CELL_PANEL)
    [panel] = await driver.wait_for_bot_messages(user_id)
    assert "🗓 Việc cần làm" in labels(panel)
    await driver.press_button(user_id, panel, "Việc cần làm")
    return await driver.wait_for_edit(user_id, panel["message_id"])


async def test_on_monday_at_seven_the_officer_gets_the_todo_with_a_button_per_line(driver, personas):
    sec = personas["secretary"]
    await feedback_waits(driver, personas["young_member"])
    to_next_monday_7()
    todo = await todo_message(driver, sec.user_id)
    assert "📨 Góp ý chờ trả lời: 1" in plain(todo)
    assert "📨 Trả lời góp ý (1)" in labels(todo)
    await driver.press_button(sec.user_id, todo, "Trả lời góp ý")
    [inbox] = await driver.wait_for_bot_messages(sec.user_id)  # the feedback feature's own inbox
    assert "Đèn đường kiệt 5" in plain(inbox) + " ".join(labels(inbox))
    # Once a week: the rest of the Monday brings no second one.
    clock.advance(timedelta(hours=2))
    await asyncio.sleep(2.5)
    assert not [m for m in await driver.bot_messages(sec.user_id, driver.cursor(sec.user_id)) if TITLE in plain(m)]


async def test_the_panel_shows_it_now_and_turns_the_monday_message_off(driver, personas):
    sec, officer, old = personas["secretary"], personas["committee_officer"], personas["elderly_member"]
    await feedback_waits(driver, personas["young_member"])
    page = await open_todo_page(driver, sec.user_id)
    assert TITLE in plain(page) and "📨 Góp ý chờ trả lời: 1" in plain(page)
    assert "sáng thứ Hai lúc 07:00" in plain(page) and "✓ 07:00" in labels(page)
    # Issue 17: the demo's young member's conversion meeting is due within the month.
    assert "🌱 Đảng viên dự bị sắp đến hạn (1):" in plain(page) and "🌱 Đảng viên dự bị (1)" in labels(page)
    assert re.search(r"Đồng chí Phan Minh Khôi \(Chi bộ Tổ dân phố 1\): hạn xét chuyển chính thức "
                     r"\d{2}/\d{2}/20\d\d, còn \d{1,2} ngày", plain(page)), plain(page)
    await driver.press_button(sec.user_id, page, "Tắt nhắc hằng tuần")
    page = await driver.wait_for_edit(sec.user_id, page["message_id"])
    assert "Nhắc hằng tuần đang tắt" in plain(page) and "🔔 Bật nhắc hằng tuần" in labels(page)

    to_next_monday_7()
    await todo_message(driver, officer.user_id)  # the ward's officer gets hers
    await asyncio.sleep(1.5)
    assert not [m for m in await driver.bot_messages(sec.user_id, driver.cursor(sec.user_id)) if TITLE in plain(m)]

    # The hour, and refusals: forged data, a member without a role.
    await driver.press_button(sec.user_id, page, "08:00")
    page = await driver.wait_for_edit(sec.user_id, page["message_id"])
    assert "sáng thứ Hai lúc 08:00" in plain(page) and "✓ 08:00" in labels(page)
    for data in ("tdh:23", "tdw:maybe", "td:1"):
        press = await driver.press(sec.user_id, page["message_id"], data=data)
        assert "không có quyền" in (await driver.callback_answer(press))["text"]
    [member_msg] = await driver.exchange(old.user_id, "/profile")
    for data in ("td", "tdw:off", "tdh:7"):
        press = await driver.press(old.user_id, member_msg["message_id"], data=data)
        assert "không có quyền" in (await driver.callback_answer(press))["text"]


async def test_the_todo_lists_a_longevity_celebration_of_the_week(driver, personas, sandbox_run):
    from sqlalchemy import update

    from models.dates import local_today
    from models.members import Member

    sec, old = personas["secretary"], personas["elderly_member"]
    day = local_today() + timedelta(days=2)
    async with sandbox_run.sessionmaker() as s:  # eighty on the day after tomorrow
        await s.execute(update(Member).where(Member.id == old.member_id)
                        .values(birth_date=day.replace(year=day.year - 80)))
        await s.commit()
    page = await open_todo_page(driver, sec.user_id)
    assert "🎂 Sinh nhật, mừng thọ tuần tới (" in plain(page), plain(page)
    assert (f"• {day:%d/%m}: đồng chí {old.name} (Chi bộ Tổ dân phố 1) — mừng thọ 80 tuổi" in plain(page)), plain(page)
    assert f"🎂 {old.name}" in labels(page)
    await driver.press_button(sec.user_id, page, f"🎂 {old.name}")
    [card] = await driver.wait_for_bot_messages(sec.user_id)  # the member's profile, the members feature's own
    assert old.name in plain(card)


async def test_the_todo_lists_a_transfer_whose_letter_is_due_and_opens_the_transfers(driver, personas, sandbox_run):
    from models import transfers
    from models.dates import local_today
    from models.permissions import load_actor
    from models.transfers import Direction, TransferKind

    sec, young = personas["secretary"], personas["young_member"]
    decided = local_today() - timedelta(days=25)  # the letter is due in five days
    async with sandbox_run.sessionmaker() as s:
        actor = await load_actor(s, sec.user_id)
        await transfers.record_transfer(s, actor, young.member_id, kind=TransferKind.official,
                                        direction=Direction.outgoing, decided_on=decided,
                                        unit_name="Chi bộ Khu phố 2, phường Phú Hội")
        await s.commit()
    page = await open_todo_page(driver, sec.user_id)
    due = decided + timedelta(days=30)
    assert "🔁 Chuyển sinh hoạt đảng sắp đến hạn (1):" in plain(page), plain(page)
    assert (f"• Đồng chí {young.name} (Chi bộ Tổ dân phố 1): nộp giấy giới thiệu trước ngày {due:%d/%m/%Y}, còn 5 ngày"
            in plain(page)), plain(page)
    await driver.press_button(sec.user_id, page, "🔁 Chuyển sinh hoạt (1)")
    [listing] = await driver.wait_for_bot_messages(sec.user_id)  # the transfers feature's own list
    assert young.name in plain(listing) and "Phú Hội" in plain(listing)
