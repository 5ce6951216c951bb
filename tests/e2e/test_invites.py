"""📨 Mời đảng viên on the officer's panel: every unlinked member of the cell invited at once, by messages to
forward or by a printed sheet of QR codes; the codes are the same both ways and they work."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sqlalchemy import func, select

from models.accounts import Invite
from models.audit import AuditEntry
from models.units import Unit

CELL_PANEL = "🗂 Công tác chi bộ"
LINK = re.compile(r"https://t\.me/([A-Za-z0-9_]+)\?start=([A-Z0-9]{12})")
# In Vietnamese order (by given name): Dũng, Hòa, Hương, Lài, Mai, Oanh, Quang, Sáu.
UNLINKED_IN_CELL_1 = ["Hoàng Văn Dũng", "Bùi Văn Hòa", "Đặng Thị Hương", "Tôn Nữ Thị Lài", "Nguyễn Thị Mai",
                      "Lê Thị Kim Oanh", "Võ Đình Quang", "Trần Văn Sáu"]


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


def labels(msg: dict) -> list[str]:
    return [b["text"] for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def open_panel(driver, user_id: int) -> dict:
    await driver.exchange(user_id, "/start")
    await driver.press_reply_button(user_id, CELL_PANEL)
    [panel] = await driver.wait_for_bot_messages(user_id)
    return panel


async def invite_screen(driver, user_id: int) -> dict:
    panel = await open_panel(driver, user_id)
    await driver.press_button(user_id, panel, "Mời đảng viên")
    [screen] = await driver.wait_for_bot_messages(user_id)
    return screen


async def count_invites(sandbox_run) -> int:
    async with sandbox_run.sessionmaker() as s:
        return await s.scalar(select(func.count(Invite.id)))


async def test_the_secretary_invites_her_cell_by_messages_and_by_qr_codes_and_the_codes_work(
        driver, personas, sandbox_run, tmp_path):
    sec = personas["secretary"]
    panel = await open_panel(driver, sec.user_id)
    assert f"📨 Mời đảng viên ({len(UNLINKED_IN_CELL_1)})" in labels(panel)
    await driver.press_button(sec.user_id, panel, "Mời đảng viên")
    [screen] = await driver.wait_for_bot_messages(sec.user_id)
    text = plain(screen)
    assert "Chi bộ Tổ dân phố 1" in text and f"{len(UNLINKED_IN_CELL_1)} đảng viên chưa dùng" in text
    assert all(name in text for name in UNLINKED_IN_CELL_1) and personas["elderly_member"].name not in text
    assert labels(screen) == ["📤 Gửi từng lời mời", "🖨 In mã QR"]
    assert await count_invites(sandbox_run) == 0  # looking makes no code

    await driver.press_button(sec.user_id, screen, "Gửi từng lời mời")
    sent = await driver.wait_for_bot_messages(sec.user_id, len(UNLINKED_IN_CELL_1) + 2, timeout=20)
    hint, *each, done = sent
    assert "chuyển tiếp" in plain(hint) and "Đã gửi đủ lời mời cho 8 người" in plain(done)
    codes = {}
    for msg, name in zip(each, UNLINKED_IN_CELL_1, strict=True):
        assert name in plain(msg) and "Sổ tay đảng viên điện tử" in plain(msg)
        [(bot, code)] = LINK.findall(plain(msg))
        assert bot == sandbox_run.emulator.username and not msg.get("has_protected_content")
        codes[name] = code
    assert len(set(codes.values())) == len(codes)

    # The sheet of QR codes: the same codes (nothing handed out is broken), names in large print.
    await driver.press_button(sec.user_id, screen, "In mã QR")
    [sheet] = await driver.wait_for_bot_messages(sec.user_id, timeout=30)
    assert sheet["document"]["file_name"].endswith(".pdf") and "8 đảng viên" in plain(sheet)
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(await driver.download(sheet["document"]))
    printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(printed.split())
    for name, code in codes.items():
        assert name in flat and f"Mã mời: {code[:4]} {code[4:8]} {code[8:]}" in flat
    assert await count_invites(sandbox_run) == len(UNLINKED_IN_CELL_1)
    _check_qr_codes(pdf, tmp_path, [f"https://t.me/{sandbox_run.emulator.username}?start={codes[n]}"
                                    for n in UNLINKED_IN_CELL_1])

    # Pressed again: the same codes again.
    await driver.press_button(sec.user_id, screen, "Gửi từng lời mời")
    again = await driver.wait_for_bot_messages(sec.user_id, len(UNLINKED_IN_CELL_1) + 2, timeout=20)
    assert [LINK.findall(plain(m))[0][1] for m in again[1:-1]] == list(codes.values())

    # Each member opens their link: linked. Then the cell has nobody left to invite.
    for i, (name, code) in enumerate(codes.items()):
        user_id = 310001 + i
        await driver.create_user(name.split()[-1], id=user_id, language_code="vi")
        [welcome] = await driver.exchange(user_id, f"/start {code}")
        assert name in plain(welcome)
    screen = await invite_screen(driver, sec.user_id)
    assert "Mọi đảng viên của Chi bộ Tổ dân phố 1 đều đã dùng Sổ tay" in plain(screen) and not labels(screen)
    panel = await open_panel(driver, sec.user_id)
    assert "📨 Mời đảng viên" in labels(panel)  # no count left
    cell = await cell_id(sandbox_run, "Chi bộ Tổ dân phố 1")
    for data in (f"ivs:{cell}:0", f"ivq:{cell}"):
        await driver.press(sec.user_id, panel["message_id"], data=data)
        [reply] = await driver.wait_for_bot_messages(sec.user_id)
        assert "đều đã dùng Sổ tay" in plain(reply)


async def cell_id(sandbox_run, name: str) -> int:
    async with sandbox_run.sessionmaker() as s:
        return await s.scalar(select(Unit.id).where(Unit.name == name))


async def refusals(sandbox_run) -> int:
    async with sandbox_run.sessionmaker() as s:
        return await s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "refused"))


async def test_forged_presses_are_refused_and_make_no_code(driver, personas, sandbox_run):
    young, sec = personas["young_member"], personas["secretary"]
    mine, other = await cell_id(sandbox_run, "Chi bộ Tổ dân phố 1"), await cell_id(sandbox_run, "Chi bộ Tổ dân phố 2")
    [profile] = await driver.exchange(young.user_id, "/profile")
    forged = ["iva", f"ivc:{mine}", f"ivs:{mine}:0", f"ivq:{mine}", "ivs:abc:0", "ivq:1:2"]
    for data in forged:
        answer = await driver.callback_answer(await driver.press(young.user_id, profile["message_id"], data=data))
        assert answer["show_alert"] and answer["text"], data
    # The secretary of cell 1 on another cell, or on the ward (not a cell).
    ward = await cell_id(sandbox_run, "Đảng bộ phường Phú Hội")
    [own] = await driver.exchange(sec.user_id, "/profile")
    for data in (f"ivc:{other}", f"ivs:{other}:0", f"ivq:{other}", f"ivs:{ward}:0", "ivc:987654"):
        answer = await driver.callback_answer(await driver.press(sec.user_id, own["message_id"], data=data))
        assert answer["show_alert"], data
    assert await refusals(sandbox_run) >= len(forged) + 5
    assert await count_invites(sandbox_run) == 0
    messages = await driver.bot_messages(young.user_id) + await driver.bot_messages(sec.user_id)
    assert not any(LINK.search(plain(m)) for m in messages)


async def test_beyond_a_press_the_next_ones_come_with_a_button(driver, personas, sandbox_run, monkeypatch):
    from handlers.members import cell_invites

    monkeypatch.setattr(cell_invites, "PER_PRESS", 3)
    sec = personas["secretary"]
    screen = await invite_screen(driver, sec.user_id)
    await driver.press_button(sec.user_id, screen, "Gửi từng lời mời")
    hint, *each, part = await driver.wait_for_bot_messages(sec.user_id, 5)
    assert [LINK.search(plain(m)) is not None for m in each] == [True] * 3
    assert "Đã gửi lời mời thứ 1–3 trong 8 người" in plain(part) and labels(part) == ["📤 Gửi tiếp 3 lời mời"]
    names = [name for m in each for name in UNLINKED_IN_CELL_1 if name in plain(m)]
    await driver.press_button(sec.user_id, part, "Gửi tiếp")
    _, *more, part = await driver.wait_for_bot_messages(sec.user_id, 5)
    names += [name for m in more for name in UNLINKED_IN_CELL_1 if name in plain(m)]
    assert "4–6 trong 8" in plain(part) and labels(part) == ["📤 Gửi tiếp 2 lời mời"]
    await driver.press_button(sec.user_id, part, "Gửi tiếp")
    _, *last, done = await driver.wait_for_bot_messages(sec.user_id, 4)
    names += [name for m in last for name in UNLINKED_IN_CELL_1 if name in plain(m)]
    assert names == UNLINKED_IN_CELL_1 and "Đã gửi đủ lời mời cho 8 người" in plain(done)
    assert await count_invites(sandbox_run) == 8
    # A page past the end (forged, or the list shrank since): nothing sent, nothing made.
    cell = await cell_id(sandbox_run, "Chi bộ Tổ dân phố 1")
    await driver.press(sec.user_id, done["message_id"], data=f"ivs:{cell}:9")
    [reply] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Không còn lời mời nào" in plain(reply) and await count_invites(sandbox_run) == 8


def _check_qr_codes(pdf: Path, tmp_path: Path, links: list[str]) -> None:
    """Each image of the sheet is the QR code of its member's link (compared module by module with segno)."""
    import segno
    from PIL import Image

    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "qr")], check=True)
    images = sorted(tmp_path.glob("qr-*.png"))
    assert len(images) == len(links)
    for path, link in zip(images, links, strict=True):
        expected = [list(row) for row in segno.make(link, error="m", micro=False).matrix]
        image = Image.open(path).convert("L")
        size = len(expected) + 8  # the quiet zone of 4 modules each side
        step = image.width / size
        got = [[image.getpixel((int((4 + x + 0.5) * step), int((4 + y + 0.5) * step))) < 128
                for x in range(len(expected))] for y in range(len(expected))]
        assert got == [[bool(v) for v in row] for row in expected], path.name
