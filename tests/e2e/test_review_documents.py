"""The review's documents over the Bot API (issue 16): the ward officer opens the round, the elderly member's
self-review is sent; then the member taps 📄 Tải bản tự kiểm điểm under his sent sheet and receives his form as
a Word file; the secretary, from the cell's page, receives his form, the list of levels (.docx, .xlsx) and the
Mẫu 01 report; the ward officer sees the round's progress in /report and on the round's page, and receives the summary
by cell (.xlsx) and its chart. A member may not have another's form nor the cell's list (forged presses)."""
from __future__ import annotations

import asyncio
import io
import time
import zipfile
from datetime import date

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from models import review
from models.members import Member
from models.permissions import member_actor
from models.review import ReviewEntry
from models.units import Unit, UnitKind, add_unit

from .test_panel import CELL_PANEL, PARTY_PANEL, labels, open_panel, plain
from .test_review import _answer, _open_round
from .test_review_decision import _press, _said
from .test_votes import CELL


async def _said_file(driver, user_id: int, name_part: str, start: int, timeout: float = 40, *,
                     kind: str = "document") -> dict:
    """The first file the bot sent in the chat after `start` whose name holds `name_part` (a photo: any)."""
    deadline = time.monotonic() + timeout
    while True:
        for msg in await driver.bot_messages(user_id, start):
            if kind == "photo" and msg.get("photo") or name_part and name_part in (msg.get(kind) or {}).get(
                    "file_name", ""):
                return msg
        if time.monotonic() > deadline:
            raise AssertionError(f"no file {name_part!r} in chat {user_id}")
        await asyncio.sleep(0.1)


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


async def test_the_member_the_secretary_and_the_committee_receive_the_documents(driver, personas, sandbox_run):
    officer, old, secretary, young = (personas[k] for k in ("committee_officer", "elderly_member", "secretary",
                                                             "young_member"))
    async with sandbox_run.sessionmaker() as s:  # 16 more cells in the ward: the round's page comes in pages
        ward = await s.get(Unit, (await s.scalars(select(Unit).where(Unit.name == CELL))).one().parent_id)
        for n in range(20, 36):
            extra = await add_unit(s, f"Chi bộ Tổ dân phố {n}", UnitKind.cell, ward)
            s.add(Member(full_name=f"Đảng viên Tổ {n}", cell_id=extra.id, joined_on=date(1990, 1, 1),
                         official_on=date(1991, 1, 1), position="Cán bộ hưu trí"))
        await s.commit()
    await _open_round(driver, officer)
    [call] = await driver.wait_for_bot_messages(old.user_id)
    async with sandbox_run.sessionmaker() as s:
        mine = (await s.scalars(select(ReviewEntry).where(ReviewEntry.member_id == old.member_id))).one()
        await review.submit(s, await member_actor(s, old.member_id), mine.id)
        await s.commit()

    # The member: his sent sheet, then his form as a Word file.
    start = driver.cursor(old.user_id)
    await driver.press_button(old.user_id, call, "Tự kiểm điểm")
    sheet = await _said(driver, old.user_id, "Mẫu 2C", start)
    start = driver.cursor(old.user_id)
    await driver.press_button(old.user_id, sheet, "Tải bản tự kiểm điểm")
    word = await _said_file(driver, old.user_id, ".docx", start)
    assert word["document"]["file_name"].startswith("tu-kiem-diem-"), word["document"]
    text = docx_text(await driver.download(word["document"]))
    assert old.name in text and "Tự chấm 80 điểm" in text and "Hoàn thành tốt nhiệm vụ" in text, text
    # Another member may not have it (a forged press on a message of his own).
    [own] = await driver.exchange(young.user_id, "/profile")
    said = await _answer(driver, young.user_id, own["message_id"], f"rwf:{mine.id}")
    assert said and "tệp" not in said, said
    said = await _answer(driver, young.user_id, own["message_id"], f"rwl:{mine.round_id}:{mine.cell_id}")
    assert said and "tệp" not in said, said
    said = await _answer(driver, young.user_id, own["message_id"], f"rwz:{mine.round_id}:{mine.cell_id}")
    assert said and "tệp" not in said, said
    assert not [m for m in await driver.bot_messages(young.user_id) if m.get("document")]

    # The secretary: the cell's page — the member's form, the list (.docx, .xlsx) and Mẫu 01.
    panel = await open_panel(driver, secretary.user_id, CELL_PANEL)
    listing = await _press(driver, secretary.user_id, panel, "Tự kiểm điểm của chi bộ", "Tự kiểm điểm của đảng viên")
    page = await _press(driver, secretary.user_id, listing, f"Đánh giá, xếp loại: {CELL}", "Chi bộ đánh giá, xếp loại")
    member = await _press(driver, secretary.user_id, page, old.name, "Đánh giá đảng viên năm")
    start = driver.cursor(secretary.user_id)
    await driver.press_button(secretary.user_id, member, "Tải bản tự kiểm điểm")
    word = await _said_file(driver, secretary.user_id, "tu-kiem-diem-", start)
    assert old.name in docx_text(await driver.download(word["document"]))
    await driver.press_button(secretary.user_id, page, "Danh sách xếp loại")
    word = await _said_file(driver, secretary.user_id, "danh-sach-xep-loai-", start)
    book = await _said_file(driver, secretary.user_id, ".xlsx", start)
    assert old.name in docx_text(await driver.download(word["document"]))
    values = [c.value for ws in load_workbook(io.BytesIO(await driver.download(book["document"]))).worksheets
              for row in ws.iter_rows() for c in row]
    assert old.name in values and 80 in values, values
    await driver.press_button(secretary.user_id, page, "Báo cáo Mẫu 01")
    report = await _said_file(driver, secretary.user_id, "mau-01-", start)
    text = docx_text(await driver.download(report["document"]))
    assert "Mẫu 01" in text and "Tôn Nữ Thị Lài" in text, text
    # 📦 Every sent form of the cell in one .zip (only Bảy's is sent here).
    await driver.press_button(secretary.user_id, page, "Tải tất cả bản tự kiểm điểm của chi bộ")
    bundle = await _said_file(driver, secretary.user_id, ".zip", start)
    assert "Các bản tự kiểm điểm năm" in plain(bundle) and "(1 đồng chí)" in plain(bundle), plain(bundle)
    with zipfile.ZipFile(io.BytesIO(await driver.download(bundle["document"]))) as package:
        [name] = package.namelist()
        assert name.startswith("tu-kiem-diem-") and old.name in docx_text(package.read(name)), name

    # The ward officer: the round's progress in /report and on the round's page, the summary by cell and its chart.
    start = driver.cursor(officer.user_id)
    await driver.send(officer.user_id, "/report")
    progress = await _said(driver, officer.user_id, "Kiểm điểm, xếp loại đảng viên năm", start)
    assert f"• {CELL}: đã gửi tự kiểm điểm 1/" in plain(progress) and "📊 Cả đợt:" in plain(progress), plain(progress)
    panel = await open_panel(driver, officer.user_id, PARTY_PANEL)
    rounds = await _press(driver, officer.user_id, panel, "Quyết định xếp loại đảng viên", "Cấp ủy quyết định xếp loại")
    assert "đã gửi bản tự kiểm điểm: 1/" in plain(rounds) and "📊 Cả đợt:" in plain(rounds), plain(rounds)
    first = [line for line in plain(rounds).splitlines() if line.startswith("• ")]
    assert len(first) == 15 and any(b.startswith("1/") for b in labels(rounds)), labels(rounds)  # 15 cells a page
    await driver.press_button(officer.user_id, rounds, "Sau")
    later = await driver.wait_for_edit(officer.user_id, rounds["message_id"])
    rest = [line for line in plain(later).splitlines() if line.startswith("• ")]
    assert rest and not set(rest) & set(first) and any("Chi bộ Tổ dân phố 35" in x for x in first + rest), rest
    assert "📊 Cả đợt:" in plain(later) and "Tổng hợp theo chi bộ" in " ".join(labels(later)), labels(later)
    start = driver.cursor(officer.user_id)
    await driver.press_button(officer.user_id, rounds, "Tổng hợp theo chi bộ")
    book = await _said_file(driver, officer.user_id, "tong-hop-xep-loai-", start)
    values = [c.value for ws in load_workbook(io.BytesIO(await driver.download(book["document"]))).worksheets
              for row in ws.iter_rows() for c in row]
    assert CELL in values, values
    photo = await _said_file(driver, officer.user_id, "", start, kind="photo")
    assert "Tổng hợp xếp loại đảng viên" in plain(photo) and (await driver.download(photo["photo"][-1]))[:8] == b"\x89PNG\r\n\x1a\n"
