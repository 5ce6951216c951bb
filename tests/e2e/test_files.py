"""Hostile member lists sent to the bot: refused in the member's language, nothing imported, nobody kept waiting."""
from __future__ import annotations

import asyncio
import threading

from sqlalchemy import func, select

from models import filelimits, importer
from models.members import Member
from tests.models.test_filelimits import padded, workbook


async def member_count(run) -> int:
    async with run.sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(Member))


async def test_a_decompression_bomb_is_refused_and_nothing_imported(driver, personas, sandbox_run):
    secretary = personas["secretary"]
    before = await member_count(sandbox_run)
    await driver.send_file(secretary.user_id, padded(workbook(3), 200 * filelimits.MB), "danh_sach.xlsx")
    [reply] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "giải nén" in reply["text"] and "128 MB" in reply["text"]
    assert not (reply.get("reply_markup") or {}).get("inline_keyboard")  # nothing to confirm
    assert await member_count(sandbox_run) == before


async def test_too_many_rows_are_refused(driver, personas, sandbox_run, monkeypatch):
    monkeypatch.setattr(filelimits, "MAX_ROWS", 2)
    secretary = personas["secretary"]
    await driver.send_file(secretary.user_id, workbook(3), "danh_sach.xlsx")
    [reply] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "hơn 2 dòng" in reply["text"]


async def test_others_are_answered_while_a_file_is_checked(driver, personas, sandbox_run, monkeypatch):
    """The check is held until the elderly member has had an answer: on the event loop, that answer could not come."""
    secretary, elderly = personas["secretary"], personas["elderly_member"]
    events: list[str] = []
    started, released = threading.Event(), threading.Event()
    original = importer.apply.check_member_row

    def held(*args, **kwargs):
        started.set()
        if not released.wait(30):
            raise AssertionError("nobody else was answered while the file was checked")
        events.append("checked")
        return original(*args, **kwargs)

    monkeypatch.setattr(importer.apply, "check_member_row", held)
    csv = ("Họ và tên;Chi bộ\nTrần Văn Mới;Chi bộ Tổ dân phố 1\n").encode()
    await driver.send_file(secretary.user_id, csv, "danh_sach.csv")
    while not started.is_set():
        await asyncio.sleep(0.05)
    [answer, *_] = await driver.exchange(elderly.user_id, "/help")
    events.append("elderly answered")
    released.set()
    [preview] = await driver.wait_for_bot_messages(secretary.user_id)
    assert events == ["elderly answered", "checked"]
    assert answer["text"] and "1" in preview["text"]


async def test_the_preview_warns_of_a_shared_phone(driver, personas, sandbox_run):
    secretary = personas["secretary"]
    csv = ("Họ và tên;Số điện thoại;Chi bộ\n"
           "Trần Văn Mới;0905 111 222;Chi bộ Tổ dân phố 1\n"
           "Lê Thị Hai;0905 111 222;Chi bộ Tổ dân phố 1\n").encode()
    await driver.send_file(secretary.user_id, csv, "danh_sach.csv")
    [check] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "Dòng 3: trùng số điện thoại với dòng 2" in check["text"] and "111 222" not in check["text"]
    await driver.press_button(secretary.user_id, check, "Nhập")
    edited = await driver.wait_for_edit(secretary.user_id, check["message_id"])
    assert "Đã nhập xong" in edited["text"] and "Dòng 3: trùng số điện thoại với dòng 2" in edited["text"]
